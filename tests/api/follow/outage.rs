//! A MariaDB source (as Tutor runs MySQL) stopped under a following service and started
//! again: queries keep answering, `/readyz` stays 200 and says the follower is degraded, and
//! following resumes. The MariaDB server is this test's own (the suite's shared one must stay
//! up), made like scripts/mariadb.sh makes it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::json;

use super::{Lms, eventually, following, metric, organization, readyz};
use crate::support::{Backend, TestApp};

struct MariaDb {
    dir: tempfile::TempDir,
    port: u16,
    server: Option<Child>,
    as_mysql: bool,
}

fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

impl MariaDb {
    fn start() -> Option<MariaDb> {
        let (Some(install), Some(_)) = (find("mariadb-install-db"), find("mariadbd")) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs mariadb-server (mariadb-install-db, mariadbd)"
            );
            eprintln!("skipped: no MariaDB binaries (apt-get install mariadb-server)");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("tenancy-mariadb-")
            .tempdir()
            .unwrap();
        let root = Command::new("id").arg("-u").output().unwrap();
        let as_mysql = String::from_utf8_lossy(&root.stdout).trim() == "0";
        let mut user = Vec::new();
        if as_mysql {
            let _ = Command::new("useradd")
                .args(["--system", "--no-create-home", "mysql"])
                .output();
            let _ = Command::new("chown").arg("mysql").arg(dir.path()).status();
            user.push("--user=mysql".to_owned());
        }
        let out = Command::new(install)
            .arg("--no-defaults")
            .args(&user)
            .arg(format!("--datadir={}", dir.path().join("data").display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mariadb-install-db: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let mut db = MariaDb {
            dir,
            port,
            server: None,
            as_mysql,
        };
        db.run();
        Some(db)
    }

    /// Starts the server on its data directory and port; returns once it accepts connections.
    fn run(&mut self) {
        let dir = self.dir.path();
        let mut cmd = Command::new(find("mariadbd").unwrap());
        cmd.arg("--no-defaults");
        if self.as_mysql {
            cmd.arg("--user=mysql");
        }
        cmd.arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--socket={}", dir.join("sock").display()))
            .arg(format!("--pid-file={}", dir.join("pid").display()))
            .args(["--bind-address=127.0.0.1", &format!("--port={}", self.port)])
            .args(["--innodb-flush-log-at-trx-commit=0", "--skip-log-bin"])
            .args([
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.server = Some(cmd.spawn().expect("start mariadbd"));
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("mariadbd did not listen on {}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = Command::new("kill").arg(server.id().to_string()).status();
            let _ = server.wait();
        }
    }

    fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_goes_away_degrades_the_service_and_following_resumes() {
    if crate::import::python().is_none() {
        return;
    }
    let Some(mut mariadb) = tokio::task::block_in_place(MariaDb::start) else {
        return;
    };
    let admin = sea_orm::Database::connect(mariadb.url("mysql"))
        .await
        .unwrap();
    admin
        .execute_unprepared("CREATE DATABASE lms CHARACTER SET utf8mb4")
        .await
        .unwrap();
    admin.close().await.unwrap();
    let url = mariadb.url("lms");
    let mut lms = Lms::on(url.clone(), None).unwrap();
    lms.run(json!({"op": "add_org", "short_name": "OutX", "name": "Out X"}));
    let app = TestApp::spawn_with(Backend::Sqlite, following(&url))
        .await
        .unwrap();
    let client = app.client().clone();
    let base = format!("http://{}", app.addr);
    eventually("the first import", Duration::from_secs(10), || async {
        organization(&app, "OutX").await
    })
    .await;
    let (status, ready) = readyz(&client, &base).await;
    assert_eq!(
        (status, &ready["follower"]["state"]),
        (200, &json!("following")),
        "{ready}"
    );
    drop(lms);

    tokio::task::block_in_place(|| mariadb.stop());
    let (report, took) = eventually("degraded", Duration::from_secs(20), || async {
        let (status, ready) = readyz(&client, &base).await;
        assert_eq!(status, 200, "degraded is still ready: {ready}");
        (ready["follower"]["state"] == "degraded").then_some(ready)
    })
    .await;
    eprintln!("follow: MariaDB stopped, /readyz degraded after {took:?}: {report}");
    assert_eq!(report["status"], "degraded");
    assert_eq!(report["follower"]["sources"]["lms"]["state"], "failing");
    assert!(!report.to_string().contains("127.0.0.1"), "{report}");
    // Queries answer from this service's own database throughout.
    for _ in 0..3 {
        assert_eq!(
            organization(&app, "OutX").await.map(|o| o.0),
            Some("Out X".to_owned())
        );
        tokio::time::sleep(super::INTERVAL).await;
    }
    assert!(
        metric(
            &client,
            &base,
            "tenancy_follow_errors_total{source=\"lms\"}"
        )
        .await
            >= 1.0
    );

    tokio::task::block_in_place(|| mariadb.run());
    let mut lms = Lms::on(url, None).unwrap();
    lms.run(json!({"op": "link", "short_name": "OutX", "course": "course-v1:OutX+O1+2025"}));
    let want = Some((
        "Out X".to_owned(),
        true,
        vec![("course-v1:OutX+O1+2025".to_owned(), true)],
    ));
    let (_, resumed) = eventually("following resumed", Duration::from_secs(45), || async {
        (organization(&app, "OutX").await == want).then_some(())
    })
    .await;
    eprintln!("follow: MariaDB back, the next change applied after {resumed:?}");
    let (_, ready) = readyz(&client, &base).await;
    assert_eq!(ready["follower"]["state"], "following", "{ready}");
    assert_eq!(ready["status"], "ready");
}
