//! A backfill killed mid-run leaves the database as it was.

use super::*;

const SIGKILL: i32 = 9;
/// Organizations the generated keys spread over.
const ORGS: usize = 2_000;
/// Keys the first attempt uses; doubled when a run finishes before it could be killed.
const FIRST_KEYS: usize = 400_000;
/// Keys of the big file that are seeded inactive beforehand (so the run has rows to
/// reactivate, which a kill must leave inactive).
const SEEDED_INACTIVE: usize = 200;
/// How long the backfill keeps writing before it is killed. Its write phase takes seconds
/// in a debug build (1.8 s on SQLite, 7 s on PostgreSQL with 400,000 keys on 2 cores).
const KILL_AFTER_WRITING: Duration = Duration::from_millis(300);

fn big_keys(n: usize) -> String {
    (0..n)
        .map(|i| format!("course-v1:Org{:04}+C{i}+2025\n", i % ORGS))
        .collect()
}

/// The database before the big run: five active organizations with ten links each, and
/// the first keys of the big file created inactive (200 organizations, one link each).
fn seed_keys() -> (String, String) {
    let active = (0..5)
        .flat_map(|o| (0..10).map(move |c| format!("course-v1:Seed{o}+S{c}+1\n")))
        .collect();
    let inactive = big_keys(FIRST_KEYS)
        .lines()
        .take(SEEDED_INACTIVE)
        .map(|l| format!("{l}\n"))
        .collect();
    (active, inactive)
}

fn backfill(url: &str, file: &Path, extra: &[&str], out: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("backfill")
        .arg(file)
        .args(["--apply", "--database-url", url])
        .args(extra)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(File::create(out).expect("stdout file"))
        .stderr(File::create(out.with_extension("err")).expect("stderr file"));
    cmd
}

/// Runs a backfill to completion; its exit code and stdout.
async fn apply(url: &str, file: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let out = file.with_extension("out");
    let mut cmd = backfill(url, file, extra, &out);
    let status = tokio::task::spawn_blocking(move || cmd.status().expect("run backfill"))
        .await
        .expect("join");
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(out.with_extension("err")).unwrap_or_default();
    assert!(
        status.success(),
        "backfill {file:?} failed: {status}\n{stdout}\n{stderr}"
    );
    (status.code(), stdout)
}

/// Every organization and course link row, in id order.
#[derive(Debug, PartialEq)]
struct Rows {
    organizations: Vec<organization::Model>,
    links: Vec<course_link::Model>,
}

/// Reads the rows on a connection of its own, closed afterwards (on SQLite that also
/// checkpoints the WAL, so the killed run starts with an empty one).
async fn rows(url: &str) -> Rows {
    let db = sea_orm::Database::connect(url).await.expect("connect");
    let rows = Rows {
        organizations: organization::Entity::find()
            .order_by_asc(organization::Column::Id)
            .all(&db)
            .await
            .expect("organizations"),
        links: course_link::Entity::find()
            .order_by_asc(course_link::Column::Id)
            .all(&db)
            .await
            .expect("links"),
    };
    db.close().await.ok();
    rows
}

/// Tells when the backfill has started writing: on SQLite, frames appended to the WAL;
/// on PostgreSQL, a session of the database that holds a transaction id (one is assigned
/// at a transaction's first write).
enum Probe {
    Wal { path: PathBuf, initial: u64 },
    Postgres(DatabaseConnection),
}

const WRITING_SESSIONS: &str = "SELECT COUNT(*) AS n FROM pg_stat_activity \
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL";

impl Probe {
    async fn new(backend: Backend, url: &str) -> Probe {
        match backend {
            Backend::Sqlite => {
                let db_file = url
                    .strip_prefix("sqlite://")
                    .and_then(|rest| rest.split('?').next())
                    .expect("a SQLite file URL");
                let path = PathBuf::from(format!("{db_file}-wal"));
                let initial = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                Probe::Wal { path, initial }
            }
            Backend::Postgres => Probe::Postgres(
                sea_orm::Database::connect(url)
                    .await
                    .expect("probe connection"),
            ),
        }
    }

    async fn writing(&self) -> bool {
        match self {
            Probe::Wal { path, initial } => {
                std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) > *initial
            }
            Probe::Postgres(db) => count(db, WRITING_SESSIONS).await > 0,
        }
    }
}

enum Attempt {
    /// PostgreSQL is not configured (`fresh_database` printed a note).
    Skipped,
    /// The run finished before it could be killed: retry with a bigger input.
    FinishedFirst,
    Killed(Killed),
}

/// A backfill killed while writing, on the database at `url`.
struct Killed {
    url: String,
    _dir: Option<tempfile::TempDir>,
    work: tempfile::TempDir,
    before: Rows,
    keys: usize,
    /// From spawn to the first sign of writing, and to the kill.
    writing_after: Duration,
    killed_after: Duration,
    probe: Probe,
}

/// A child process that a failing test does not leave running.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Seeds a fresh database, starts `backfill --apply` on `keys` keys and SIGKILLs it once
/// it has been writing for `KILL_AFTER_WRITING`.
async fn run_and_kill(backend: Backend, keys: usize) -> Attempt {
    let Some((url, dir)) = fresh_database(backend).await else {
        return Attempt::Skipped;
    };
    let work = tempfile::tempdir().expect("temp dir");
    let (active, inactive) = seed_keys();
    std::fs::write(work.path().join("active.txt"), active).expect("write seed");
    std::fs::write(work.path().join("inactive.txt"), inactive).expect("write seed");
    apply(&url, &work.path().join("active.txt"), &[]).await;
    apply(&url, &work.path().join("inactive.txt"), &["--inactive"]).await;
    let before = rows(&url).await;
    assert_eq!(
        (before.organizations.len(), before.links.len()),
        (5 + SEEDED_INACTIVE, 50 + SEEDED_INACTIVE),
        "the seed"
    );

    let file = work.path().join("keys.txt");
    std::fs::write(&file, big_keys(keys)).expect("write keys");
    let out = work.path().join("killed.out");
    let probe = Probe::new(backend, &url).await;
    let started = Instant::now();
    let mut child = KillOnDrop(
        backfill(&url, &file, &[], &out)
            .spawn()
            .expect("spawn backfill"),
    );
    let child = &mut child.0;
    let mut writing_after = None;
    while writing_after.is_none() {
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        if probe.writing().await {
            writing_after = Some(started.elapsed());
        } else {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the backfill wrote nothing in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    if writing_after.is_some() {
        tokio::time::sleep(KILL_AFTER_WRITING).await;
        // An error here means it exited on its own meanwhile; `wait` tells.
        let _ = child.kill();
    }
    let killed_after = started.elapsed();
    let status = child.wait().expect("wait");
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    if status.signal() != Some(SIGKILL) {
        let stderr = std::fs::read_to_string(out.with_extension("err")).unwrap_or_default();
        assert!(
            status.success(),
            "the backfill failed: {status}\n{stdout}\n{stderr}"
        );
        // It finished (and committed) first: the caller retries with a bigger input.
        eprintln!(
            "{backend:?}: the backfill of {keys} keys finished ({status}) before the kill \
             ({killed_after:?}); retrying with more keys"
        );
        return Attempt::FinishedFirst;
    }
    assert!(
        !stdout.contains("applied"),
        "killed by SIGKILL, yet it reported success:\n{stdout}"
    );
    Attempt::Killed(Killed {
        url,
        _dir: dir,
        work,
        before,
        keys,
        writing_after: writing_after.expect("killed while writing"),
        killed_after,
        probe,
    })
}

async fn a_killed_backfill_leaves_the_database_as_it_was(backend: Backend) {
    let test_started = Instant::now();
    let mut keys = FIRST_KEYS;
    let killed = loop {
        match run_and_kill(backend, keys).await {
            Attempt::Skipped => return,
            Attempt::Killed(killed) => break killed,
            Attempt::FinishedFirst if keys < 4 * FIRST_KEYS => keys *= 2,
            Attempt::FinishedFirst => {
                panic!("the backfill of {keys} keys finished before the kill")
            }
        }
    };
    let url = &killed.url;

    // PostgreSQL ends the killed session's transaction (rolling it back) by itself.
    if let Probe::Postgres(db) = &killed.probe {
        let deadline = Instant::now() + Duration::from_secs(10);
        while count(db, WRITING_SESSIONS).await > 0 {
            assert!(
                Instant::now() < deadline,
                "the killed session's transaction is still open after 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let after = rows(url).await;
    assert!(
        after == killed.before,
        "the killed backfill changed the database: {} organizations and {} links before, \
         {} and {} after",
        killed.before.organizations.len(),
        killed.before.links.len(),
        after.organizations.len(),
        after.links.len()
    );
    if backend == Backend::Sqlite {
        let db = sea_orm::Database::connect(url).await.expect("connect");
        let check = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "PRAGMA integrity_check",
            ))
            .await
            .expect("integrity_check")
            .expect("a row")
            .try_get_by_index::<String>(0)
            .expect("text");
        assert_eq!(check, "ok", "SQLite integrity check after the kill");
        db.close().await.ok();
    }

    // Autovacuum may analyze the tables now, finding the killed run's dead rows and few live
    // ones: done here so that every re-run meets such statistics (one run took 40 minutes).
    if let Probe::Postgres(db) = &killed.probe {
        db.execute_unprepared("ANALYZE organization, course_link")
            .await
            .expect("ANALYZE");
    }
    // A re-run completes and does the whole job.
    let rerun_started = Instant::now();
    let (code, stdout) = apply(url, &killed.work.path().join("keys.txt"), &[]).await;
    let rerun_took = rerun_started.elapsed();
    assert_eq!(code, Some(0), "{stdout}");
    let keys = killed.keys;
    for line in [
        format!("keys: {keys} valid, 0 invalid\n"),
        format!("organizations created: {}\n", ORGS - SEEDED_INACTIVE),
        format!("organizations reactivated: {SEEDED_INACTIVE}\n"),
        format!("links created: {}\n", keys - SEEDED_INACTIVE),
        format!("links reactivated: {SEEDED_INACTIVE} "),
        "applied\n".to_owned(),
    ] {
        assert!(stdout.contains(&line), "no {line:?} in:\n{stdout}");
    }
    let db = sea_orm::Database::connect(url).await.expect("connect");
    let totals = [
        count(&db, "SELECT COUNT(*) AS n FROM organization").await,
        count(
            &db,
            "SELECT COUNT(*) AS n FROM organization WHERE active = TRUE",
        )
        .await,
        count(&db, "SELECT COUNT(*) AS n FROM course_link").await,
        count(
            &db,
            "SELECT COUNT(*) AS n FROM course_link WHERE active = TRUE",
        )
        .await,
    ];
    db.close().await.ok();
    let (orgs, links) = ((ORGS + 5) as i64, (keys + 50) as i64);
    assert_eq!(totals, [orgs, orgs, links, links], "after the re-run");
    eprintln!(
        "{backend:?}: {keys} keys; writing {:?} after the start, killed at {:?}; \
         the re-run took {rerun_took:?}; the test {:?}",
        killed.writing_after,
        killed.killed_after,
        test_started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    a_killed_backfill_leaves_the_database_as_it_was(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    a_killed_backfill_leaves_the_database_as_it_was(Backend::Postgres).await;
}
