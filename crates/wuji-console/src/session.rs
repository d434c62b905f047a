//! Logged-in sessions: a random token in an HttpOnly, SameSite=Strict cookie,
//! held in memory (a restart logs everyone out), ended after eight idle
//! hours; each carries its own token for the forms (against cross-site
//! request forgery).

use crate::accounts::{Role, token};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE: &str = "wuji_session";

/// The session cookie's name at the node `code`: browsers keep cookies by
/// host, not port, and the consoles of one host (a `federation up`, or two
/// congresses' nodes on one server) must not log each other out.
pub fn cookie_name(code: wuji_division::Code) -> String {
    format!("{COOKIE}_{code}")
}

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::from_secs(8 * 3600);

/// One logged-in account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The account's name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The token every form of this session carries.
    pub csrf: String,
    last: Instant,
}

/// Every session of the console.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Opens a session for `name`; its cookie value.
    pub fn open(&self, name: &str, role: Role) -> String {
        let t = token();
        let mut m = self.map.lock().expect("sessions lock");
        let now = Instant::now();
        m.retain(|_, s| now.duration_since(s.last) < IDLE);
        m.insert(
            t.clone(),
            Session {
                name: name.into(),
                role,
                csrf: token(),
                last: now,
            },
        );
        t
    }

    /// The session of a cookie value, if it is open; it is kept alive.
    pub fn get(&self, cookie: &str) -> Option<Session> {
        let mut m = self.map.lock().expect("sessions lock");
        let now = Instant::now();
        let s = m.get_mut(cookie)?;
        if now.duration_since(s.last) >= IDLE {
            m.remove(cookie);
            return None;
        }
        s.last = now;
        Some(s.clone())
    }

    /// Ends a session.
    pub fn close(&self, cookie: &str) {
        self.map.lock().expect("sessions lock").remove(cookie);
    }

    /// Ends every session of `name` (its account was removed or changed).
    pub fn close_all_of(&self, name: &str) {
        self.map
            .lock()
            .expect("sessions lock")
            .retain(|_, s| s.name != name);
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Compares two tokens in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_opens_and_closes() {
        let s = Sessions::default();
        let t = s.open("zhang", Role::Reader);
        let got = s.get(&t).unwrap();
        assert_eq!(got.name, "zhang");
        assert!(s.get("nope").is_none());
        s.close(&t);
        assert!(s.get(&t).is_none());
        let t = s.open("li", Role::Operator);
        s.close_all_of("li");
        assert!(s.get(&t).is_none());
    }

    #[test]
    fn cookies_and_tokens() {
        assert_eq!(cookie("a=1; wuji_session=xyz; b=2", COOKIE), Some("xyz"));
        assert_eq!(cookie("a=1", COOKIE), None);
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
