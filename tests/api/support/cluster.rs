//! A PostgreSQL cluster of a test's own, for tests that stop and restart the server (the
//! shared cluster of `TENANCY_TEST_POSTGRES_URL` must stay up for everyone else). It is
//! started like `scripts/pg.sh` does, and always stopped (`-m immediate`) and deleted on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct PgCluster {
    /// Where `initdb`, `pg_ctl` and `postgres` live.
    bin: PathBuf,
    /// Holds `data/`, the log and the Unix socket; deleted on drop.
    dir: Option<tempfile::TempDir>,
    pub port: u16,
    /// Run the binaries as `postgres` (we are root, and initdb refuses root).
    as_postgres: bool,
}

/// The directory holding `initdb` and `pg_ctl`: the PATH, then the newest
/// `/usr/lib/postgresql/*/bin`, as scripts/pg.sh looks for them.
fn pg_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    command_output(Command::new("id").arg("-u")).trim() == "0"
}

fn command_output(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", describe(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn describe(out: &Output) -> String {
    format!(
        "{}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl PgCluster {
    /// Initializes and starts a cluster on a free loopback port. `None` (with a note) when the
    /// PostgreSQL binaries are missing outside CI; in CI that fails the test.
    pub fn start() -> Option<PgCluster> {
        let Some(bin) = pg_bin_dir() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI needs PostgreSQL binaries (initdb, pg_ctl) on the PATH or under /usr/lib/postgresql/*/bin"
            );
            eprintln!(
                "skipped: no PostgreSQL binaries (initdb, pg_ctl) on the PATH or under /usr/lib/postgresql/*/bin"
            );
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("tenancy-pg-")
            .tempdir()
            .expect("temp dir");
        if as_postgres {
            let uid: u32 = command_output(Command::new("id").args(["-u", "postgres"]))
                .trim()
                .parse()
                .expect("uid of postgres");
            std::os::unix::fs::chown(dir.path(), Some(uid), None).expect("chown to postgres");
        }
        let cluster = PgCluster {
            bin,
            dir: Some(dir),
            port: free_port(),
            as_postgres,
        };
        let data = cluster.data();
        let out = cluster
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--locale=C",
                "--encoding=UTF8",
            ])
            .output()
            .expect("run initdb");
        assert!(out.status.success(), "initdb failed: {}", describe(&out));
        cluster.pg_start();
        Some(cluster)
    }

    fn dir(&self) -> &Path {
        self.dir.as_ref().expect("cluster dir").path()
    }

    fn data(&self) -> PathBuf {
        self.dir().join("data")
    }

    /// A superuser URL on database `postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        self.command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(args)
            .output()
            .expect("run pg_ctl")
    }

    /// Starts the server (again, on the same port) and waits until it accepts connections.
    pub fn pg_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir().display()
        );
        let log = self.dir().join("server.log");
        let out = self.pg_ctl(&[
            "-l",
            log.to_str().expect("utf-8 path"),
            "-w",
            "-t",
            "60",
            "-o",
            &options,
            "start",
        ]);
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\nserver log:\n{}",
            describe(&out),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server as an operator would for maintenance: `-m fast` ends the sessions
    /// (rolling back what they were doing) and shuts down cleanly.
    pub fn pg_stop_fast(&self) {
        let out = self.pg_ctl(&["-m", "fast", "-w", "-t", "60", "stop"]);
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            describe(&out)
        );
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}
