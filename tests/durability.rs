//! Durability under faults: `campo` killed with SIGKILL in the middle of a load, the database
//! going away and coming back, SIGTERM with a request in flight, and online backups. The
//! promise checked everywhere: every submission answered 200/201 is stored exactly once, and
//! nothing else is stored half (re-sending every body gets 200 or 201, never a conflict).

mod common;

use std::{
    collections::{HashMap, HashSet},
    io::{Read, Write},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use common::*;
use serde_json::Value;

const SUBMIT: &str = "/api/v1/studies/ejemplo-hogares/forms/hogar/submissions";

crate::on_both_backends!(sigkill_under_load_loses_no_acknowledged_submission, sigterm_lets_an_in_flight_request_finish);

/// What a load run saw: every answer by submission id (0: no answer, the connection failed).
struct LoadResult {
    statuses: HashMap<String, u16>,
    /// Error bodies of non-2xx answers (their `code`s).
    error_codes: Vec<(u16, String)>,
}

impl LoadResult {
    fn acknowledged(&self) -> HashSet<String> {
        self.statuses.iter().filter(|(_, s)| matches!(s, 200 | 201)).map(|(id, _)| id.clone()).collect()
    }
}

/// Posts `bodies` from `clients` threads until they run out or `stop` is set; a request that
/// fails (connection refused, reset) counts as not acknowledged.
/// A client's pause after an error before its next submission.
const BACKOFF: Duration = Duration::from_millis(50);

fn load(url: &str, token: &str, bodies: Vec<Value>, clients: usize, acked: Arc<AtomicUsize>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<LoadResult> {
    let url = format!("{url}{SUBMIT}");
    let token = token.to_string();
    std::thread::spawn(move || {
        let queue = Arc::new(Mutex::new(bodies.into_iter()));
        let result = Arc::new(Mutex::new(LoadResult { statuses: HashMap::new(), error_codes: Vec::new() }));
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                let (queue, result, url, token, acked, stop) = (queue.clone(), result.clone(), url.clone(), token.clone(), acked.clone(), stop.clone());
                std::thread::spawn(move || {
                    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
                    while !stop.load(Ordering::Relaxed) {
                        let Some(body) = queue.lock().unwrap().next() else { break };
                        let id = body["id"].as_str().unwrap().to_string();
                        let sent = http.post(&url).bearer_auth(&token).header("content-type", "application/json").body(body.to_string()).send();
                        let Ok(reply) = sent else {
                            result.lock().unwrap().statuses.insert(id, 0);
                            std::thread::sleep(BACKOFF);
                            continue;
                        };
                        let status = reply.status().as_u16();
                        let text = reply.text().unwrap_or_default();
                        let mut result = result.lock().unwrap();
                        if matches!(status, 200 | 201) {
                            acked.fetch_add(1, Ordering::Relaxed);
                        } else {
                            let code = serde_json::from_str::<Value>(&text).ok().and_then(|v| v["code"].as_str().map(str::to_string));
                            result.error_codes.push((status, code.unwrap_or(text)));
                        }
                        result.statuses.insert(id, status);
                        if !matches!(status, 200 | 201) {
                            // As a phone would: wait a little after a refusal. Without it, a fast
                            // server answering 503 drains the whole queue during an outage and
                            // nothing is left to show the recovery.
                            drop(result);
                            std::thread::sleep(BACKOFF);
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        Arc::try_unwrap(result).ok().unwrap().into_inner().unwrap()
    })
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The invariant after a fault: every acknowledged id is stored exactly once, nothing outside
/// `bodies` is stored, and re-sending every body answers 200 (stored whole, with this body) or
/// 201 (not stored), never 409 or an error; afterwards each body is stored once.
fn check_stored_exactly_once(app: &TestApp, token: &str, bodies: &[Value], acknowledged: &HashSet<String>) {
    let sent: HashSet<String> = bodies.iter().map(|b| b["id"].as_str().unwrap().to_string()).collect();
    let rows = app.db.rows("SELECT id, COUNT(*) FROM submissions GROUP BY id");
    let stored: HashMap<String, i64> = rows.iter().map(|r| (r[0].clone(), r[1].parse().unwrap())).collect();
    for id in acknowledged {
        assert_eq!(stored.get(id), Some(&1), "acknowledged submission {id} is stored exactly once");
    }
    assert!(stored.keys().all(|id| sent.contains(id)), "only submissions that were sent are stored");
    for body in bodies {
        let id = body["id"].as_str().unwrap();
        let reply = app.post_json(SUBMIT, Some(token), body);
        let expected = if stored.contains_key(id) { 200 } else { 201 };
        assert_eq!(reply.status, expected, "re-sending {id}: {}", reply.text());
    }
    assert_eq!(app.db.count("SELECT COUNT(*) FROM submissions"), bodies.len() as i64);
    assert_eq!(app.db.count("SELECT COUNT(DISTINCT id) FROM submissions"), bodies.len() as i64);
    // Each stored submission has its audit entry, and the chain is intact.
    app.db.wait_until_audited();
    assert_eq!(app.db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'submission.create'"), bodies.len() as i64);
    let (ok, out, err) = campo(&["audit", "verify", "--db", &app.db.url]);
    assert!(ok, "audit chain after the fault: {out}{err}");
}

fn sigkill_under_load_loses_no_acknowledged_submission(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let token = app.token("enumerator", Some("ejemplo-hogares"));
    let bodies = generate("ejemplo-hogares", "hogar", 1500, 11);
    let acked = Arc::new(AtomicUsize::new(0));
    let running = load(&app.url, &token, bodies.clone(), 8, acked.clone(), Arc::new(AtomicBool::new(false)));
    wait_until("200 submissions are acknowledged", Duration::from_secs(60), || acked.load(Ordering::Relaxed) >= 200);
    let db = app.kill();
    let result = running.join().unwrap();
    let acknowledged = result.acknowledged();
    assert!(acknowledged.len() < bodies.len(), "the kill came before the load ended ({} acknowledged)", acknowledged.len());
    assert!(result.error_codes.is_empty(), "before the kill every answer was 201: {:?}", &result.error_codes[..result.error_codes.len().min(5)]);

    let app = TestApp::spawn_on(db, &[]);
    if backend == Backend::Sqlite {
        assert_eq!(app.db.rows("PRAGMA integrity_check")[0][0], "ok");
    }
    check_stored_exactly_once(&app, &token, &bodies, &acknowledged);
}

/// A request whose body is still arriving when SIGTERM comes is finished and stored; then the
/// process exits 0.
fn sigterm_lets_an_in_flight_request_finish(backend: Backend) {
    let app = TestApp::spawn_example(backend);
    let token = app.token("enumerator", Some("ejemplo-hogares"));
    let body = generate("ejemplo-hogares", "hogar", 1, 5).remove(0).to_string();
    let addr = app.url.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST {SUBMIT} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let stopping = std::thread::spawn(move || app.stop("TERM"));
    std::thread::sleep(Duration::from_millis(500));
    stream.write_all(rest).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 201"), "the in-flight request was answered: {reply}");

    let (status, db) = stopping.join().unwrap();
    assert!(status.success(), "campo exits 0 after draining: {status:?}");
    assert_eq!(db.count("SELECT COUNT(*) FROM submissions"), 1);
}

/// PostgreSQL goes away under load (every connection to Campo's database terminated, new ones
/// refused) and comes back: meanwhile submissions fail cleanly with 503 `database_unavailable`,
/// and the same server recovers by itself. Only this test's database is affected, so it runs
/// beside other tests; `a_postgres_restart_under_load_*` below restarts the whole cluster.
#[test]
fn a_postgres_outage_answers_503_and_the_server_recovers() {
    let app = TestApp::spawn_example(Backend::Postgres);
    let name = app.db.pg_name().unwrap().to_string();
    outage_under_load(&app, || {
        admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
        admin_sql(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"));
        std::thread::sleep(Duration::from_secs(2));
        admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    });
}

/// The real thing: `pg_ctlcluster restart` while submissions arrive. Ignored in the main run
/// because it interrupts every other test using the same PostgreSQL; `scripts/test` runs it
/// alone after all of them (`cargo test -p campo --test durability -- --ignored`).
#[test]
#[ignore = "restarts the shared PostgreSQL cluster; scripts/test runs it alone, after every other test"]
fn a_postgres_restart_under_load_loses_nothing_and_the_server_recovers() {
    let app = TestApp::spawn_example(Backend::Postgres);
    outage_under_load(&app, || {
        let version = std::fs::read_dir("/etc/postgresql").unwrap().filter_map(|e| e.ok()).map(|e| e.file_name().into_string().unwrap()).max().unwrap();
        let status = std::process::Command::new("pg_ctlcluster")
            .args(["--skip-systemctl-redirect", &version, "main", "restart"])
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctlcluster restart");
    });
}

fn outage_under_load(app: &TestApp, outage: impl FnOnce()) {
    let token = app.token("enumerator", Some("ejemplo-hogares"));
    // More than the server can take during any outage: the load must outlast it.
    let bodies = generate("ejemplo-hogares", "hogar", 6000, 13);
    let (acked, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let running = load(&app.url, &token, bodies.clone(), 4, acked.clone(), stop.clone());
    wait_until("100 submissions are acknowledged", Duration::from_secs(60), || acked.load(Ordering::Relaxed) >= 100);
    outage();
    wait_until("/healthz answers 200 again", Duration::from_secs(30), || app.get("/healthz", None).status == 200);
    let after = acked.load(Ordering::Relaxed);
    wait_until("submissions are acknowledged again", Duration::from_secs(30), || acked.load(Ordering::Relaxed) >= after + 50);
    stop.store(true, Ordering::Relaxed);
    let result = running.join().unwrap();
    assert!(result.statuses.values().all(|s| *s != 0), "the server kept answering");
    for (status, code) in &result.error_codes {
        assert_eq!((*status, code.as_str()), (503, "database_unavailable"), "a submission during the outage fails cleanly");
    }
    let sent: Vec<Value> = bodies.into_iter().filter(|b| result.statuses.contains_key(b["id"].as_str().unwrap())).collect();
    check_stored_exactly_once(app, &token, &sent, &result.acknowledged());
}

fn admin_sql(sql: &str) {
    let out = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", &pg_admin_url(), "-c", sql])
        .output()
        .expect("psql");
    assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `campo backup` copies a SQLite store while submissions arrive: the copy is consistent
/// (integrity check, no half rows) and holds everything committed before it started.
#[test]
fn backup_copies_a_live_sqlite_store() {
    let app = TestApp::spawn_example(Backend::Sqlite);
    let token = app.token("enumerator", Some("ejemplo-hogares"));
    let bodies = generate("ejemplo-hogares", "hogar", 600, 17);
    let (acked, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let running = load(&app.url, &token, bodies, 4, acked.clone(), stop.clone());
    wait_until("100 submissions are acknowledged", Duration::from_secs(60), || acked.load(Ordering::Relaxed) >= 100);
    let before = app.db.count("SELECT COUNT(*) FROM submissions");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("copia.db");
    let (ok, _, err) = campo(&["backup", "--db", &app.db.url, "--out", out.to_str().unwrap()]);
    stop.store(true, Ordering::Relaxed);
    running.join().unwrap();
    assert!(ok, "campo backup: {err}");

    let mut copy = app.db.alias();
    copy.url = format!("sqlite://{}", out.display());
    assert_eq!(copy.rows("PRAGMA integrity_check")[0][0], "ok");
    let copied = copy.count("SELECT COUNT(*) FROM submissions");
    assert!(copied >= before, "the copy holds what was committed before it ({copied} < {before})");
    assert_eq!(copy.count("SELECT COUNT(*) FROM submissions WHERE scores = '' OR answers = ''"), 0);
    assert_eq!(copy.count("SELECT COUNT(*) FROM form_versions"), 1);

    let (ok, _, err) = campo(&["backup", "--db", &app.db.url, "--out", out.to_str().unwrap()]);
    assert!(!ok, "an existing file is not overwritten");
    assert!(!err.is_empty());
}

#[test]
fn backup_of_postgres_points_to_pg_dump() {
    let db = TestDb::new(Backend::Postgres);
    let out = tempfile::tempdir().unwrap().path().join("copia.db");
    let (ok, _, err) = campo(&["backup", "--db", &db.url, "--out", out.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("pg_dump"), "{err}");
}
