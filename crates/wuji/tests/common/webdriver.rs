//! A small W3C WebDriver client for the browser tests: Debian's `chromedriver`
//! driving headless Chromium, spoken to as JSON over HTTP on loopback. The
//! dozen calls a test needs; no crate (thirtyfour would bring reqwest and
//! its tree for these).

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The element key of the W3C protocol.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running chromedriver and one browser session.
pub struct Driver {
    child: Child,
    port: u16,
    session: String,
}

/// Whether this machine has the browser and its driver.
pub fn available() -> bool {
    ["chromium", "chromedriver"].iter().all(|b| {
        Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

impl Driver {
    /// Starts chromedriver and a headless Chromium at 1366×768 (the offices'
    /// screen). The federation's CA is not in the browser's store, so its
    /// certificates are accepted as they are (the connection is still TLS).
    pub fn start() -> Driver {
        let port = wuji_node::test_util::free_ports(1);
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian package chromium-driver)");
        let mut d = Driver {
            child,
            port,
            session: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while d.call("GET", "/status", None).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1366,768", "--lang=zh-CN"]
            }
        }}});
        let v = d.call("POST", "/session", Some(caps)).expect("new session");
        d.session = v["sessionId"].as_str().expect("session id").to_string();
        d
    }

    /// One call: the `value` of the answer, or the driver's error.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(60))).ok();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        );
        s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
        // chromedriver keeps the connection open: read the head, then the
        // body by its length (or its chunks).
        let mut raw = Vec::new();
        let mut buf = [0u8; 16384];
        let body = loop {
            let n = s.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed mid-answer".into());
            }
            raw.extend_from_slice(&buf[..n]);
            let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let body = &raw[end + 4..];
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let done = match length {
                Some(len) => body.len() >= len,
                None => body.ends_with(b"0\r\n\r\n"),
            };
            if done {
                let status = head.split(' ').nth(1).unwrap_or("").to_string();
                let text = String::from_utf8_lossy(body).to_string();
                let body = if length.is_none() {
                    unchunk(&text)
                } else {
                    text
                };
                break (status, body);
            }
        };
        let (status, body) = body;
        let v: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        if status != "200" {
            return Err(format!("{method} {path}: {status} {}", v["value"]));
        }
        Ok(v["value"].clone())
    }

    fn at(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    /// Opens `url`.
    pub fn go(&self, url: &str) {
        self.call("POST", &self.at("/url"), Some(json!({ "url": url })))
            .unwrap();
    }

    /// The address now shown.
    pub fn url(&self) -> String {
        let v = self.call("GET", &self.at("/url"), None).unwrap();
        v.as_str().unwrap_or_default().to_string()
    }

    /// The page's HTML as the browser has it now.
    pub fn source(&self) -> String {
        let v = self.call("GET", &self.at("/source"), None).unwrap();
        v.as_str().unwrap_or_default().to_string()
    }

    /// The first element matching a CSS selector, if any.
    pub fn find(&self, css: &str) -> Option<String> {
        let v = self
            .call(
                "POST",
                &self.at("/element"),
                Some(json!({"using": "css selector", "value": css})),
            )
            .ok()?;
        v[ELEMENT].as_str().map(str::to_string)
    }

    /// The element matching `css`, or a failure naming it and the page.
    pub fn must(&self, css: &str) -> String {
        self.find(css)
            .unwrap_or_else(|| panic!("no {css} on {}:\n{}", self.url(), self.source()))
    }

    /// Types `text` into the element `css`.
    pub fn type_in(&self, css: &str, text: &str) {
        let e = self.must(css);
        self.call(
            "POST",
            &self.at(&format!("/element/{e}/value")),
            Some(json!({ "text": text })),
        )
        .unwrap();
    }

    /// Clicks the element `css`.
    pub fn click(&self, css: &str) {
        let e = self.must(css);
        self.call(
            "POST",
            &self.at(&format!("/element/{e}/click")),
            Some(json!({})),
        )
        .unwrap();
    }

    /// Clicks the submit button `css` and waits for the page it leads to
    /// (a click returns before a form's navigation ends).
    pub fn submit(&self, css: &str) {
        let before = self.must("html");
        self.click(css);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.find("html").as_deref() == Some(before.as_str()) {
            assert!(Instant::now() < deadline, "{css} led nowhere");
            std::thread::sleep(Duration::from_millis(50));
        }
        while self
            .call(
                "POST",
                &self.at("/execute/sync"),
                Some(json!({"script": "return document.readyState", "args": []})),
            )
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .as_deref()
            != Some("complete")
        {
            assert!(Instant::now() < deadline, "{css}: the page did not load");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The rendered text of the element `css`.
    pub fn text(&self, css: &str) -> String {
        let e = self.must(css);
        let v = self
            .call("GET", &self.at(&format!("/element/{e}/text")), None)
            .unwrap();
        v.as_str().unwrap_or_default().to_string()
    }

    /// Writes a PNG of the window to `path`.
    pub fn screenshot(&self, path: &std::path::Path) {
        let v = self.call("GET", &self.at("/screenshot"), None).unwrap();
        let png = base64(v.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::write(path, png).unwrap();
    }

    /// Resizes the window (a full-page shot of a long page).
    pub fn window(&self, width: u32, height: u32) {
        self.call(
            "POST",
            &self.at("/window/rect"),
            Some(json!({"width": width, "height": height})),
        )
        .unwrap();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &self.at(""), None);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a chunked HTTP answer.
fn unchunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Decodes standard base64 (the driver's screenshots).
fn base64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u32> = s.bytes().filter_map(val).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (i, d) in chunk.iter().enumerate() {
            n |= d << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(base64("aGVsbG8="), b"hello");
    assert_eq!(base64("aGk="), b"hi");
    assert_eq!(base64("YWJj"), b"abc");
}
