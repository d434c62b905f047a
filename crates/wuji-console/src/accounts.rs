//! The console's accounts: a TOML file beside the node's configuration
//! (`[console] accounts`), one entry per office clerk with a role and a
//! salted PBKDF2-HMAC-SHA256 hash of the password; `wuji console account`
//! manages it. The file is read again when it changes, so that an account
//! added or removed counts without a restart.

use crate::Error;
use ring::{pbkdf2, rand::SecureRandom};
use serde::{Deserialize, Serialize};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use wuji_node::api::{from_hex as unhex, to_hex as hex};

/// Iterations of PBKDF2-HMAC-SHA256 for a new password (OWASP's figure).
pub const ITERATIONS: u32 = 600_000;

/// Shortest password taken.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// What an account may do at this node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees this node's subtree.
    Reader,
    /// Sees it and does this node's workflow steps.
    Operator,
}

impl Role {
    /// The office's word for it.
    pub fn zh(self) -> &'static str {
        match self {
            Role::Reader => "查阅",
            Role::Operator => "经办",
        }
    }

    /// The name in the file and on the command line.
    pub fn en(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Operator => "operator",
        }
    }
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The login name.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// `pbkdf2-sha256$ITERATIONS$SALT$HASH` (hex).
    pub hash: String,
}

/// The accounts file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accounts {
    /// Every account.
    #[serde(default, rename = "account")]
    pub accounts: Vec<Account>,
}

impl Accounts {
    /// Reads `path`; a missing file is no accounts.
    pub fn load(path: &Path) -> Result<Accounts, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Accounts::default()),
            Err(error) => {
                return Err(Error::File {
                    path: path.into(),
                    error,
                });
            }
        };
        let a: Accounts = toml::from_str(&text).map_err(|e| Error::Accounts {
            path: path.into(),
            message: e.to_string(),
        })?;
        for acc in &a.accounts {
            if parse_hash(&acc.hash).is_none() {
                return Err(Error::Accounts {
                    path: path.into(),
                    message: format!(
                        "account {:?}: hash is not pbkdf2-sha256$ITERATIONS$SALT$HASH",
                        acc.name
                    ),
                });
            }
        }
        Ok(a)
    }

    /// Writes to `path` (readable by its owner only), through a temporary
    /// file renamed over it.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let file = |error| Error::File {
            path: path.into(),
            error,
        };
        // Names are letters, digits and . _ -, hashes hex and $: nothing to escape.
        let body: String = self
            .accounts
            .iter()
            .map(|a| {
                format!(
                    "[[account]]\nname = \"{}\"\nrole = \"{}\"\nhash = \"{}\"\n\n",
                    a.name,
                    a.role.en(),
                    a.hash
                )
            })
            .collect();
        let text = format!(
            "# wuji console accounts: written by `wuji console account`; each hash is\n\
             # PBKDF2-HMAC-SHA256 with its own salt. Keep this file readable by the\n\
             # node's user only.\n\n{body}"
        );
        let tmp = path.with_extension("toml.partial");
        {
            use std::io::Write;
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            let mut f = o.open(&tmp).map_err(file)?;
            f.write_all(text.as_bytes()).map_err(file)?;
            f.sync_all().map_err(file)?;
        }
        std::fs::rename(&tmp, path).map_err(file)
    }

    /// The account of `name`.
    pub fn find(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// Adds an account, or replaces its role and password with `replace`.
    pub fn add(
        &mut self,
        name: &str,
        role: Role,
        password: &str,
        replace: bool,
    ) -> Result<(), Error> {
        check_name(name)?;
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::Refused(format!(
                "the password is shorter than {MIN_PASSWORD_CHARS} characters"
            )));
        }
        let acc = Account {
            name: name.into(),
            role,
            hash: hash_password(password, ITERATIONS),
        };
        match self.accounts.iter_mut().find(|a| a.name == name) {
            Some(_) if !replace => Err(Error::Refused(format!(
                "account {name:?} exists (--replace to change its role and password)"
            ))),
            Some(a) => {
                *a = acc;
                Ok(())
            }
            None => {
                self.accounts.push(acc);
                Ok(())
            }
        }
    }

    /// Removes the account of `name`.
    pub fn remove(&mut self, name: &str) -> Result<(), Error> {
        let before = self.accounts.len();
        self.accounts.retain(|a| a.name != name);
        if self.accounts.len() == before {
            return Err(Error::Refused(format!("no account {name:?}")));
        }
        Ok(())
    }

    /// The role of `name` if `password` is its password.
    pub fn check(&self, name: &str, password: &str) -> Option<Role> {
        let acc = self.find(name)?;
        verify(&acc.hash, password).then_some(acc.role)
    }
}

/// A login name: letters (any script), digits, `.`, `_`, `-`; 1 to 64.
fn check_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "{name:?} is not a login name (letters, digits, . _ -; at most 64)"
        )))
    }
}

/// Random bytes from the system's generator.
pub fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .expect("the system's random generator failed");
    b
}

/// A random token (hex of 32 bytes).
pub fn token() -> String {
    hex(&random::<32>())
}

/// The stored form of `password` with a new salt.
pub fn hash_password(password: &str, iterations: u32) -> String {
    let salt = random::<16>();
    let mut out = [0u8; 32];
    let n = NonZeroU32::new(iterations.max(1)).expect("not zero");
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        &salt,
        password.as_bytes(),
        &mut out,
    );
    format!("pbkdf2-sha256${iterations}${}${}", hex(&salt), hex(&out))
}

fn parse_hash(h: &str) -> Option<(NonZeroU32, Vec<u8>, Vec<u8>)> {
    let mut p = h.split('$');
    if p.next()? != "pbkdf2-sha256" {
        return None;
    }
    let n = NonZeroU32::new(p.next()?.parse().ok()?)?;
    let salt = unhex(p.next()?)?;
    let hash = unhex(p.next()?)?;
    (p.next().is_none() && !salt.is_empty() && hash.len() == 32).then_some((n, salt, hash))
}

/// Whether `password` matches the stored `hash` (in constant time).
pub fn verify(hash: &str, password: &str) -> bool {
    let Some((n, salt, want)) = parse_hash(hash) else {
        return false;
    };
    pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        &salt,
        password.as_bytes(),
        &want,
    )
    .is_ok()
}

/// The accounts file as last read, read again when its modification time
/// changes.
#[derive(Debug)]
pub struct Live {
    path: PathBuf,
    state: std::sync::Mutex<(Option<std::time::SystemTime>, Accounts)>,
}

impl Live {
    /// Watches `path`; fails if it exists and is not valid.
    pub fn open(path: PathBuf) -> Result<Live, Error> {
        let accounts = Accounts::load(&path)?;
        let mtime = modified(&path);
        Ok(Live {
            path,
            state: std::sync::Mutex::new((mtime, accounts)),
        })
    }

    /// The accounts now (an invalid new version keeps the last good one).
    pub fn get(&self) -> Accounts {
        let mut st = self.state.lock().expect("accounts lock");
        let now = modified(&self.path);
        if now != st.0 {
            match Accounts::load(&self.path) {
                Ok(a) => *st = (now, a),
                Err(e) => {
                    tracing::error!(error = %e, "console accounts file not taken; the last good one stays")
                }
            }
        }
        st.1.clone()
    }
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_and_another_does_not() {
        let h = hash_password("correct horse", 1000);
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "correct horsf"));
        assert!(!verify("pbkdf2-sha256$1000$zz$00", "x"));
        // Two hashes of one password differ by their salt.
        assert_ne!(h, hash_password("correct horse", 1000));
    }

    #[test]
    fn the_file_round_trips_and_refuses_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.toml");
        let mut a = Accounts::load(&path).unwrap();
        assert!(a.accounts.is_empty());
        a.add("zhang.wei", Role::Operator, "0123456789", false)
            .unwrap();
        assert!(
            a.add("zhang.wei", Role::Reader, "0123456789", false)
                .is_err()
        );
        assert!(a.add("li", Role::Reader, "short", false).is_err());
        assert!(a.add("a b", Role::Reader, "0123456789", false).is_err());
        a.add("王芳", Role::Reader, "abcdefghijk", false).unwrap();
        a.save(&path).unwrap();
        let b = Accounts::load(&path).unwrap();
        assert_eq!(a, b);
        assert_eq!(b.check("zhang.wei", "0123456789"), Some(Role::Operator));
        assert_eq!(b.check("王芳", "0123456789"), None);
        assert_eq!(b.check("nobody", "0123456789"), None);
        std::fs::write(
            &path,
            "[[account]]\nname = \"x\"\nrole = \"reader\"\nhash = \"plain\"\n",
        )
        .unwrap();
        assert!(Accounts::load(&path).is_err());
    }
}
