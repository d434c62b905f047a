//! A backlog through the five levels: a township that wrote N suggestions
//! while its link was down comes back, and every change travels township →
//! county → city → province → national (routing horizon `all`, so each level
//! holds them all), each hop over mutual TLS with signatures checked and each
//! batch flushed before its ack. Prints when each level holds everything and
//! the end-to-end rate: the sustained rate the chain carries, all five nodes
//! sharing this machine's cores.

use crate::sync::{Node, TOWN, preload, town_digest};
use std::time::{Duration, Instant};

/// `wuji-bench chain [RECORDS]`.
pub async fn run(n: u64) -> anyhow::Result<()> {
    println!("wuji-bench chain: {n} changes from a township through four hops");
    let dirs: Vec<tempfile::TempDir> = (0..5)
        .map(|_| tempfile::tempdir())
        .collect::<Result<_, _>>()?;
    let t = Instant::now();
    preload(dirs[4].path(), n).await?;
    println!(
        "(preloaded the township offline in {:.1} s)",
        t.elapsed().as_secs_f64()
    );
    let all = wuji_model::routing::Horizon::All;
    let national = Node::start_with("100000", dirs[0].path(), None, true, all).await?;
    let province =
        Node::start_with("320000", dirs[1].path(), Some(&national.addr), true, all).await?;
    let city = Node::start_with("320100", dirs[2].path(), Some(&province.addr), true, all).await?;
    let county = Node::start_with("320114", dirs[3].path(), Some(&city.addr), true, all).await?;
    let t = Instant::now();
    let town = Node::start_with(TOWN, dirs[4].path(), Some(&county.addr), true, all).await?;
    let want = loop {
        let d = town_digest(&town.addr).await?;
        if d.0 >= n {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let levels = [
        ("county", &county.addr),
        ("city", &city.addr),
        ("province", &province.addr),
        ("national", &national.addr),
    ];
    let mut at = [None::<f64>; 4];
    while at[3].is_none() {
        for (i, (_, addr)) in levels.iter().enumerate() {
            if at[i].is_none() && town_digest(addr).await? == want {
                at[i] = Some(t.elapsed().as_secs_f64());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for ((name, _), secs) in levels.iter().zip(at) {
        let secs = secs.unwrap_or(f64::NAN);
        println!(
            "{name:>9} holds all {n}: after {secs:.1} s ({:.0} changes/s)",
            n as f64 / secs
        );
    }
    let secs = at[3].unwrap_or(f64::NAN);
    println!(
        "sustained through the five-level chain: {:.0} changes/s end to end (4 hops, all five nodes on this machine)",
        n as f64 / secs
    );
    for node in [town, county, city, province, national] {
        node.stop().await;
    }
    Ok(())
}
