//! The end-to-end harness: starts the real `campo` binary on a free port with a fresh
//! database (a temporary SQLite file, or a fresh PostgreSQL database), and gives tests a typed
//! client and a way to look into the database afterwards. Every test starts from nothing.
//!
//! A new test file `tests/NAME.rs` starts with `mod common;` and is registered in
//! host/Cargo.toml as `[[test]] name = "NAME" path = "../tests/NAME.rs"`.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::Duration,
};

use serde_json::{Value, json};

pub const CAMPO: &str = env!("CARGO_BIN_EXE_campo");

/// The repository root (for study bundles and fixtures).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository root")
}

pub fn study_dir(name: &str) -> PathBuf {
    repo_root().join("studies").join(name)
}

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each `fn NAME(backend: Backend)` on both databases, as the tests `NAME::sqlite` and
/// `NAME::postgres`. Use after `mod common;`: `crate::on_both_backends!(NAME, ...);`
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::common::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name($crate::common::Backend::Postgres)
            }
        }
    )*};
}

/// A database made for one test and dropped after it.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

/// The PostgreSQL server tests use (`CAMPO_TEST_PG`, default the local trust-auth server).
pub fn pg_admin_url() -> String {
    std::env::var("CAMPO_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("campo.db").display());
                TestDb { url, backend, _dir: Some(dir), pg_name: None }
            }
            Backend::Postgres => {
                let name = format!("campo_test_{}", uuid_simple());
                let admin = pg_admin_url();
                block_on(async {
                    use sqlx::Connection;
                    let mut conn = sqlx::PgConnection::connect(&admin).await.expect(
                        "PostgreSQL must be reachable for the PostgreSQL tests (127.0.0.1:5432, or set CAMPO_TEST_PG)",
                    );
                    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.expect("create database");
                });
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
                TestDb { url: format!("{base}/{name}"), backend, _dir: None, pg_name: Some(name) }
            }
        }
    }

    /// The same database, for a second server (several hosts on one store); dropping the
    /// alias leaves the database alone.
    pub fn alias(&self) -> TestDb {
        TestDb { url: self.url.clone(), backend: self.backend, _dir: None, pg_name: None }
    }

    /// The PostgreSQL database's name.
    pub fn pg_name(&self) -> Option<&str> {
        self.pg_name.as_deref()
    }

    /// Runs a query and returns the rows as strings (NULL as "NULL").
    pub fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let url = self.url.clone();
        let sql = sql.to_string();
        block_on(async move {
            use sqlx::{Column, Connection, Row, TypeInfo};
            fn cell<R: Row>(row: &R, i: usize) -> String
            where
                usize: sqlx::ColumnIndex<R>,
                for<'q> Option<String>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
                for<'q> Option<i64>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
                for<'q> Option<f64>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
            {
                if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                    return v.map(|v| v.to_string()).unwrap_or_else(|| "NULL".into());
                }
                if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
                    return v.map(|v| v.to_string()).unwrap_or_else(|| "NULL".into());
                }
                row.try_get::<Option<String>, _>(i).ok().flatten().unwrap_or_else(|| "NULL".into())
            }
            /// PostgreSQL types SQLite does not have (`SELECT 1` is an INT4 there).
            fn pg_cell(row: &sqlx::postgres::PgRow, i: usize) -> String {
                if let Ok(Some(v)) = row.try_get::<Option<i32>, _>(i) {
                    return v.to_string();
                }
                if let Ok(Some(v)) = row.try_get::<Option<bool>, _>(i) {
                    return v.to_string();
                }
                cell(row, i)
            }
            if url.starts_with("sqlite:") {
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open sqlite");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.expect("query");
                rows.iter().map(|r| (0..r.columns().len()).map(|i| cell(r, i)).collect()).collect()
            } else {
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("open postgres");
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.expect("query");
                let _ = rows.first().map(|r| r.columns().iter().map(|c| c.type_info().name().to_string()).collect::<Vec<_>>());
                rows.iter().map(|r| (0..r.columns().len()).map(|i| pg_cell(r, i)).collect()).collect()
            }
        })
    }

    /// `SELECT COUNT(*) …` as a number.
    pub fn count(&self, sql: &str) -> i64 {
        self.rows(sql)[0][0].parse().expect("a count")
    }

    /// Waits (up to 10 s) until every stored submission has its audit entry: on PostgreSQL a
    /// running server's sealer appends them shortly after their commit.
    pub fn wait_until_audited(&self) {
        for _ in 0..100 {
            if self.count("SELECT COUNT(*) FROM audit_pending") == 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("submissions still missing from the audit log after 10 s");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            let admin = pg_admin_url();
            let _ = std::thread::spawn(move || {
                block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut conn).await;
                    }
                })
            })
            .join();
        }
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

pub fn uuid_simple() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Runs `campo ARGS` to completion; returns (success, stdout, stderr).
pub fn campo(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(CAMPO)
        .args(args)
        .env("CAMPO_CACHE_DIR", cache_dir())
        .output()
        .expect("run campo");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// One artifact cache for the whole test run (content-addressed, so sharing is safe).
fn cache_dir() -> PathBuf {
    std::env::temp_dir().join("campo-test-artifacts")
}

/// A running `campo serve`.
/// Runs the `campo` binary with `input` on its standard input (passwords).
pub fn campo_with_stdin(args: &[&str], input: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = Command::new(CAMPO)
        .args(args)
        .env("CAMPO_CACHE_DIR", cache_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run campo");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

pub struct TestApp {
    pub db: TestDb,
    pub url: String,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    pub http: reqwest::blocking::Client,
}

impl TestApp {
    /// A server on SQLite with the example study installed.
    pub fn spawn() -> TestApp {
        let app = TestApp::spawn_empty(Backend::Sqlite);
        app.install(&study_dir("ejemplo-hogares"));
        app
    }

    /// A server on a fresh database of `backend` with the example study installed.
    pub fn spawn_example(backend: Backend) -> TestApp {
        let app = TestApp::spawn_empty(backend);
        app.install(&study_dir("ejemplo-hogares"));
        app
    }

    /// A server on a fresh database with nothing installed.
    pub fn spawn_empty(backend: Backend) -> TestApp {
        TestApp::spawn_on(TestDb::new(backend), &[])
    }

    /// A server on `db` with extra `serve` arguments.
    pub fn spawn_on(db: TestDb, extra: &[&str]) -> TestApp {
        let mut child = Command::new(CAMPO)
            .args(["serve", "--db", &db.url, "--addr", "127.0.0.1:0", "--drain-secs", "5"])
            .args(extra)
            .env("CAMPO_CACHE_DIR", cache_dir())
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start campo serve");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        let sink = logs.clone();
        std::thread::spawn(move || {
            let mut addr_tx = Some(addr_tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(tx) = addr_tx.as_ref() {
                    if let Ok(v) = serde_json::from_str::<Value>(&line) {
                        if v.pointer("/fields/message").and_then(Value::as_str) == Some("campo listening") {
                            if let Some(addr) = v.pointer("/fields/addr").and_then(Value::as_str) {
                                let _ = tx.send(addr.to_string());
                                addr_tx = None;
                            }
                        }
                    }
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = match addr_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("campo serve did not start: {:?}", logs.lock().unwrap());
            }
        };
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        TestApp { db, url: format!("http://{addr}"), child, logs, http }
    }

    /// Installs a bundle directory with the CLI, against this server's database.
    pub fn install(&self, dir: &Path) {
        let (ok, out, err) = campo(&["study", "install", dir.to_str().unwrap(), "--db", &self.db.url]);
        assert!(ok, "install {} failed: {out}{err}", dir.display());
    }

    /// A new token for `role`, limited to `study` when given.
    pub fn token(&self, role: &str, study: Option<&str>) -> String {
        let mut args = vec!["token", "create", "--db", &self.db.url, "--role", role];
        if let Some(s) = study {
            args.extend(["--study", s]);
        }
        let (ok, out, err) = campo(&args);
        assert!(ok, "token create failed: {err}");
        out.lines().last().expect("a token line").trim().to_string()
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.http.get(format!("{}{path}", self.url)), token)
    }

    pub fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.post_raw(path, token, body.to_string().into_bytes(), "application/json")
    }

    pub fn post_raw(&self, path: &str, token: Option<&str>, body: Vec<u8>, content_type: &str) -> Reply {
        self.send(self.http.post(format!("{}{path}", self.url)).header("content-type", content_type).body(body), token)
    }

    pub fn put_json(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(
            self.http.put(format!("{}{path}", self.url)).header("content-type", "application/json").body(body.to_string()),
            token,
        )
    }

    pub fn send(&self, request: reqwest::blocking::RequestBuilder, token: Option<&str>) -> Reply {
        let request = match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        };
        let response = request.send().expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().expect("body").to_vec();
        Reply { status, headers, bytes }
    }

    /// The server process's id (for signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's log lines so far (JSON, one per line).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for the process to exit; returns whether it exited cleanly.
    pub fn terminate(mut self) -> bool {
        let pid = self.child.id() as i32;
        unsafe_kill(pid, "TERM");
        let status = self.child.wait().expect("wait");
        status.success()
    }

    /// Sends `signal` (e.g. "TERM") and waits for the process; returns its exit status and the
    /// database, kept for a restart or for checks.
    pub fn stop(mut self, signal: &str) -> (std::process::ExitStatus, TestDb) {
        unsafe_kill(self.child.id() as i32, signal);
        let status = self.child.wait().expect("wait");
        let db = std::mem::replace(&mut self.db, TestDb { url: String::new(), backend: Backend::Sqlite, _dir: None, pg_name: None });
        (status, db)
    }

    /// SIGKILL, for crash tests.
    pub fn kill(mut self) -> TestDb {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let db = std::mem::replace(&mut self.db, TestDb { url: String::new(), backend: Backend::Sqlite, _dir: None, pg_name: None });
        db
    }
}

fn unsafe_kill(pid: i32, signal: &str) {
    let _ = Command::new("kill").args([format!("-{signal}"), pid.to_string()]).status();
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
    /// The body's `code` (error bodies).
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
}

/// A `3x1-migrantes/proyecto` response that the schema and the logic plugin accept: a concluded
/// 2017 water project in Jerez, Zacatecas, co-funded 1x1x1x1.
pub fn tres_por_uno_proyecto() -> Value {
    json!({
        "solicitud": {"p01_folio": "3x1-2017-32-00154", "p02_ejercicio": 2017, "p03_fecha_solicitud": "2017-02-15"},
        "ubicacion": {"p04_entidad": "zacatecas", "p05_municipio": "32020", "p06_localidad": "Jerez de García Salinas", "p07_marginacion": "alto"},
        "club": {"p08_club": "Club Social Jerez", "p10_club_estado_ext": "california", "p11_tn_folio": "TN-2016-0187",
                 "p12_tn_tipo": "renovada", "p13_tn_fecha": "2016-03-01", "p14_n_socios": 32},
        "caracteristicas": {"p15_tipo": "infraestructura_social", "p16_subtipo": "agua_drenaje_electrificacion", "p20_exp_tecnico": "si"},
        "covam": {"p21_covam_fecha": "2017-05-10", "p22_dictamen": "aprobado"},
        "convenio": {"p23_convenio_fecha": "2017-06-20", "p24_ap_federal": 250000, "p25_ap_estatal": 250000,
                     "p26_ap_municipal": 250000, "p27_ap_migrantes": 250000, "p29_total": 1000000,
                     "p30_benef_directos": 240, "p31_benef_mujeres": 125},
        "seguimiento": {"p32_estatus": "concluido", "p33_fecha_inicio": "2017-07-03", "p34_fecha_fin_prog": "2017-12-15",
                        "p35_avance_fisico": 100, "p36_avance_fin": 100, "p37_fecha_fin_real": "2017-12-08",
                        "p38_reportes": [{"trimestre": "2017-T3", "avance_fisico": 40, "avance_financiero": 50},
                                         {"trimestre": "2017-T4", "avance_fisico": 100, "avance_financiero": 100}]}
    })
}

/// `campo gen` output as submission bodies.
pub fn generate(study: &str, form: &str, n: usize, seed: u64) -> Vec<Value> {
    let (ok, out, err) = campo(&["gen", study, "--form", form, "--n", &n.to_string(), "--seed", &seed.to_string()]);
    assert!(ok, "campo gen failed: {err}");
    out.lines().map(|l| serde_json::from_str(l).expect("gen prints JSON lines")).collect()
}

/// Parses a CSV body into rows of strings (header first).
pub fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
    reader.records().map(|r| r.expect("valid CSV").iter().map(str::to_string).collect()).collect()
}

/// Copies a directory tree (to make a variant of a bundle).
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("readable directory") {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("create directory");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy file");
        }
    }
}
