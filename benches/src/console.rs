//! `wuji-bench console [REGIONS] [REQUESTS]` (defaults: every region of the
//! division tree below the national one, and 30): a national node on sled
//! holding the summary of every region below it, its console serving on
//! loopback, and the time to fetch its 总览 page (the summaries scanned,
//! the 31 provinces' rows figured and rendered) over HTTP after logging in.
//! Prints p50, p90 and the slowest against the 300 ms the console is held
//! to; asserts nothing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wuji_crdt::{Hlc, Stamp, WriterId};
use wuji_division::{Code, embedded};
use wuji_model::calendar::Calendar;
use wuji_model::{Ctx, Rules, summary};
use wuji_node::Op;

/// Every region below `top`, breadth first.
fn regions(top: Code) -> Vec<Code> {
    let tree = embedded();
    let mut out = Vec::new();
    let mut queue = std::collections::VecDeque::from([top]);
    while let Some(c) = queue.pop_front() {
        for &k in tree.children(c) {
            out.push(k);
            queue.push_back(k);
        }
    }
    out
}

/// Counts a region's summary might carry, varied by its code.
fn counts(code: Code, i: usize) -> std::collections::BTreeMap<String, i64> {
    let n = (code.value() % 97) as i64 + 3;
    let mut m = std::collections::BTreeMap::new();
    m.insert("suggestion.total".to_string(), n * 10);
    m.insert("suggestion.status.closed".to_string(), n * 6);
    m.insert("suggestion.status.assigned".to_string(), n * 3);
    m.insert("suggestion.status.answered".to_string(), n);
    m.insert("suggestion.answered".to_string(), n * 7);
    m.insert("suggestion.answered_on_time".to_string(), n * 6);
    m.insert("suggestion.class.ABC.A".to_string(), n * 4);
    m.insert("suggestion.class.ABC.B".to_string(), n * 3);
    m.insert("suggestion.rating.satisfied".to_string(), n * 5);
    m.insert("suggestion.rating.basic".to_string(), n);
    m.insert(format!("suggestion.deadline.202701{:02}", i % 28 + 1), n);
    m.insert(format!("suggestion.handler.{code}"), n * 10);
    m.insert("deputy.total".to_string(), n * 4);
    m.insert("assignment.targets".to_string(), 4);
    m.insert("assignment.targets_done".to_string(), (i % 5) as i64);
    m
}

/// One HTTP/1.1 GET or form POST on loopback: (status, Set-Cookie, body).
fn http(addr: &str, method: &str, path: &str, cookie: &str, form: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("console");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            form.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(form);
    s.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let set = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .to_string();
    (status, set, body.to_string())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The benchmark.
pub async fn run(limit: usize, requests: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let kv: Arc<dyn wuji_store::Kv> = Arc::new(wuji_store::SledKv::open(
        &dir.path().join("store"),
        64 << 20,
    )?);
    let mut parts = wuji_node::Parts::in_memory();
    parts.kv = kv;
    // Every summary held: the horizon at which the national node holds the
    // most (at the default horizon it holds those of the levels it
    // supervises and fewer).
    let mut settings = wuji_node::Settings::new(Code::NATIONAL);
    settings.horizon = wuji_model::routing::Horizon::All;
    let running = wuji_node::start(parts, settings)?;
    let node = running.node().clone();

    // The summaries, as they would have come up from below.
    let mut all = regions(Code::NATIONAL);
    all.truncate(limit);
    let t = Instant::now();
    let (rules, cal) = (Rules::default(), Calendar::builtin());
    let mut refused = 0;
    for (b, chunk) in all.chunks(1000).enumerate() {
        let ops = chunk
            .iter()
            .enumerate()
            .map(|(i, &code)| {
                let ctx = Ctx {
                    node: code,
                    at: Stamp::new(Hlc((1_764_720_000_000 + i as u64) << 16), WriterId(1)),
                    today: wuji_model::Date::constant(2026, 12, 6),
                    rules: &rules,
                    calendar: &cal,
                };
                let rec = summary::publish(&ctx, None, &counts(code, b * 1000 + i))?;
                Ok(Op::remote(rec, Default::default()))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let c = node.write(ops).await?;
        refused += c.refused.len();
        eprint!("\rsummaries written: {}", b * 1000 + chunk.len());
    }
    eprintln!();
    println!(
        "national node: the summaries of {} regions below it written in {:.1} s ({refused} sections refused)",
        all.len(),
        t.elapsed().as_secs_f64()
    );

    // Its console, plain HTTP on loopback, one operator account.
    let accounts = dir.path().join("accounts.toml");
    let mut a = wuji_console::accounts::Accounts::default();
    a.add(
        "bench",
        wuji_console::accounts::Role::Reader,
        "bench-password",
        false,
    )?;
    a.save(&accounts)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let live = wuji_console::accounts::Live::open(accounts)?;
    let server = tokio::spawn(wuji_console::serve(
        listener,
        None,
        node,
        live,
        async move {
            let _ = stopped.await;
        },
    ));

    let addr2 = addr.clone();
    let times = tokio::task::spawn_blocking(move || {
        let (status, cookie, _) = http(
            &addr2,
            "POST",
            "/login",
            "",
            "name=bench&password=bench-password&next=/",
        );
        assert_eq!(status, 303, "login");
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..requests {
            let t = Instant::now();
            let (status, _, body) = http(&addr2, "GET", "/", &cookie, "");
            times.push(t.elapsed());
            assert_eq!(status, 200, "{body}");
            size = body.len();
        }
        (times, size)
    })
    .await?;
    let (mut times, size) = times;
    times.sort();
    let p = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "national 总览, {requests} requests of {size} bytes: p50 {:.1} ms, p90 {:.1} ms, slowest {:.1} ms (held to 300 ms: p50 is {:.2} × of it)",
        ms(p(0.5)),
        ms(p(0.9)),
        ms(p(1.0)),
        ms(p(0.5)) / 300.0
    );
    let _ = stop.send(());
    server.await??;
    drop(running);
    Ok(())
}
