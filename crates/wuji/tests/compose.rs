//! The container image and the compose federation as an operator runs them:
//! `deploy/docker/build.sh` builds the static binary and the `FROM scratch`
//! image, `deploy/compose/make-pki.sh` makes the certificates with `wuji
//! ca`, and docker-compose starts seven containers over five levels, each
//! link on its own network. Then, with the CLI inside the containers: a
//! township writes and the national node reads it (drilled down through the
//! tree); a link's network is cut, both sides write, it is joined again and
//! both sides agree; the county is `docker kill`ed under write load and
//! started again, and every acknowledged write is there.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("{cmd:?} could not start: {e}"))
}

fn ok(cmd: &mut Command) -> String {
    let o = run(cmd);
    assert!(
        o.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// A compose federation, taken down (volumes and image too) when dropped.
struct Compose {
    at: Project,
    file: PathBuf,
    image: String,
    _dir: tempfile::TempDir,
}

impl Drop for Compose {
    fn drop(&mut self) {
        let _ = self.compose(&["down", "-v", "--timeout", "5"]).output();
        let _ = Command::new("docker")
            .args(["image", "rm", "-f", &self.image])
            .output();
    }
}

impl Compose {
    fn compose(&self, args: &[&str]) -> Command {
        let mut c = Command::new("docker-compose");
        c.args(["-p", &self.at.project, "-f"])
            .arg(&self.file)
            .args(args)
            .env("WUJI_IMAGE", &self.image);
        c
    }
}

/// The names of a compose project's containers and networks, and the CLI
/// inside them.
#[derive(Clone)]
struct Project {
    project: String,
}

impl Project {
    fn container(&self, service: &str) -> String {
        format!("{}_{service}_1", self.project)
    }

    fn network(&self, name: &str) -> String {
        format!("{}_{name}", self.project)
    }

    /// `docker exec SERVICE /wuji ARGS` with the node's operator certificate.
    fn wuji(&self, service: &str, args: &[&str]) -> Output {
        run(Command::new("docker")
            .args(["exec", "-e", "WUJI_ADDR=127.0.0.1:7700"])
            .args(["-e", "WUJI_CA=/etc/wuji/pki/ca.pem"])
            .args(["-e", "WUJI_CERT=/etc/wuji/pki/operator.pem"])
            .args(["-e", "WUJI_KEY=/etc/wuji/pki/operator.key"])
            .arg(self.container(service))
            .arg("/wuji")
            .args(args))
    }

    fn wuji_ok(&self, service: &str, args: &[&str]) -> String {
        let o = self.wuji(service, args);
        assert!(
            o.status.success(),
            "{service}: wuji {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).to_string()
    }

    /// Submits an opinion at `service` led by `lead`; its id if acknowledged.
    fn submit(&self, service: &str, lead: &str, title: &str) -> Option<String> {
        let o = self.wuji(
            service,
            &[
                "suggestion",
                "submit",
                "--lead",
                lead,
                "--title",
                title,
                "--text",
                "x",
                "--json",
            ],
        );
        if !o.status.success() {
            return None;
        }
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).ok()?;
        v["id"].as_str().map(str::to_string)
    }
}

/// Waits up to `secs` for `f` to hold; says how long it took.
fn until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
    println!("{what}: {:.1} s", started.elapsed().as_secs_f64());
}

const SERVICES: [&str; 7] = [
    "national",
    "jiangsu",
    "nanjing",
    "yuhuatai",
    "jiangning",
    "yuhua",
    "saihongqiao",
];

#[test]
fn the_image_and_the_compose_federation_sync_through_a_partition_and_a_kill() {
    let docker = run(Command::new("docker").arg("info"));
    assert!(
        docker.status.success(),
        "this test needs a Docker engine (docker info failed): {}",
        String::from_utf8_lossy(&docker.stderr)
    );
    let tag = format!("wuji:test-{}", std::process::id());
    let built = ok(Command::new("bash")
        .arg(root().join("deploy/docker/build.sh"))
        .arg(&tag));
    println!("{}", built.trim());
    let dir = tempfile::tempdir().unwrap();
    for f in ["docker-compose.yml", "make-pki.sh"] {
        std::fs::copy(root().join("deploy/compose").join(f), dir.path().join(f)).unwrap();
    }
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    for e in std::fs::read_dir(root().join("deploy/compose/config")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), config.join(e.file_name())).unwrap();
    }
    ok(Command::new("bash")
        .arg(dir.path().join("make-pki.sh"))
        .env("WUJI", common::WUJI));
    let compose = Compose {
        at: Project {
            project: format!("wujit{}", std::process::id()),
        },
        file: dir.path().join("docker-compose.yml"),
        image: tag,
        _dir: dir,
    };
    ok(&mut compose.compose(&["up", "-d"]));
    let c = compose.at.clone();

    // Every container healthy by its own HEALTHCHECK (the binary probing
    // its ops listener), and every child linked to its parent.
    until("every container healthy", 120, || {
        SERVICES.iter().all(|s| {
            let o = run(Command::new("docker")
                .args(["inspect", "-f", "{{.State.Health.Status}}"])
                .arg(c.container(s)));
            String::from_utf8_lossy(&o.stdout).trim() == "healthy"
        })
    });
    until("every child linked", 120, || {
        SERVICES.iter().all(|s| {
            c.wuji(s, &["node", "health", "--probe", "readyz"])
                .status
                .success()
        })
    });

    // A township writes; the national node reads it through the tree.
    for (s, p) in [("yuhua", "P-1"), ("yuhuatai", "P-2")] {
        c.wuji_ok(
            s,
            &[
                "deputy",
                "enrol",
                "--person-id",
                p,
                "--name",
                "王芳",
                "--gender",
                "女",
                "--term",
                "18",
            ],
        );
    }
    let first = c
        .submit("yuhua", "P-1", "村口路灯不亮")
        .expect("acknowledged");
    until("the national node reads the town's opinion", 60, || {
        let o = c.wuji("national", &["suggestion", "drill", "320114001", "--json"]);
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains(&first)
    });

    // The county–town network is cut; both sides write; it is joined again.
    let link = c.network("l-320114-320114001");
    ok(Command::new("docker")
        .args(["network", "disconnect", &link])
        .arg(c.container("yuhua")));
    let cut = c
        .submit("yuhua", "P-1", "断网期间的意见")
        .expect("a town writes alone");
    let task = c.wuji_ok(
        "yuhuatai",
        &[
            "assignment",
            "issue",
            "--title",
            "代表接待日",
            "--text",
            "每月16日",
            "--target",
            "320114001",
            "--json",
        ],
    );
    let task: serde_json::Value = serde_json::from_str(&task).unwrap();
    let task = task["id"].as_str().unwrap().to_string();
    // Cut indeed: the county does not get the town's write meanwhile.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !c.wuji("yuhuatai", &["suggestion", "get", &cut])
            .status
            .success(),
        "the county got the town's write across a cut network"
    );
    ok(Command::new("docker")
        .args(["network", "connect", &link])
        .arg(c.container("yuhua")));
    until(
        "both sides of the healed link have both writes",
        120,
        || {
            c.wuji("yuhuatai", &["suggestion", "get", &cut])
                .status
                .success()
                && c.wuji("yuhua", &["assignment", "get", &task])
                    .status
                    .success()
        },
    );
    let digest = |s: &str, args: &[&str]| -> String {
        let out = c.wuji_ok(s, args);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        format!("{} {}", v["records"], v["digest"])
    };
    until("the town and the county agree", 60, || {
        let town = digest(
            "yuhua",
            &["digest", "--scope", "320114001", "--for-parent", "--json"],
        );
        let county = digest("yuhuatai", &["digest", "--scope", "320114001", "--json"]);
        town == county
    });

    // The county is killed under write load and started again.
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let writers: Vec<_> = ["yuhuatai", "yuhua"]
        .into_iter()
        .map(|s| {
            let (stop, acked, c) = (stop.clone(), acked.clone(), c.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let lead = if s == "yuhua" { "P-1" } else { "P-2" };
                    if let Some(id) = c.submit(s, lead, &format!("{s}-{n}")) {
                        acked.lock().unwrap().insert(id);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(4));
    ok(Command::new("docker")
        .arg("kill")
        .arg(c.container("yuhuatai")));
    std::thread::sleep(Duration::from_secs(2));
    ok(Command::new("docker")
        .arg("start")
        .arg(c.container("yuhuatai")));
    std::thread::sleep(Duration::from_secs(4));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 10,
        "too few writes acknowledged: {}",
        acked.len()
    );
    println!(
        "{} writes acknowledged around the county's kill",
        acked.len()
    );
    until("every acknowledged write is at the county", 120, || {
        acked.iter().all(|id| {
            c.wuji("yuhuatai", &["suggestion", "get", id])
                .status
                .success()
        })
    });
    until("and the county's own at the city", 120, || {
        acked
            .iter()
            .filter(|id| id.starts_with("320114:"))
            .all(|id| {
                c.wuji("nanjing", &["suggestion", "get", id])
                    .status
                    .success()
            })
    });
}
