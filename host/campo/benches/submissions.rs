//! Submissions under load (BENCHMARKS.md, "Submissions (load)"): the full pipeline (`campo
//! serve`: auth, JSON Schema, logic and scoring plugins, store) against a bare axum handler that
//! inserts the same bodies with the same driver and nothing else, on SQLite and on PostgreSQL.
//!
//! ```sh
//! cargo bench -p campo --bench submissions            # every case, 10 s each
//! cargo bench -p campo --bench submissions -- --secs 5 --connections 64 --only sqlite
//! ```
//!
//! The load generator is in this process: HTTP/1.1 keep-alive connections, each sending a
//! generated body with a fresh id. A closed loop at `--connections` finds the saturation rate;
//! then an open loop at half that rate measures latency from each request's intended start
//! (so a stalled server is not hidden by a stalled client). Under `cargo test` it only prints
//! how to run it.
//!
//! Every saturation run also reports where the machine's CPU went per stored submission (from
//! `/proc`: the server process, every `postgres` process, this load generator, and the whole
//! machine's busy time), because on one machine the ratio is set by CPU: what campo may spend
//! per submission at 0.5× is the bare case's whole-machine CPU per submission, doubled.

use std::{
    net::SocketAddr,
    path::Path,
    process::{Child, Command, Stdio},
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{Router, body::Bytes, extract::State, http::StatusCode, routing::post};
use serde_json::Value;
use sqlx::{
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const CAMPO: &str = env!("CARGO_BIN_EXE_campo");
const STUDY: &str = "mujeres-migrantes-rm";
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

struct Options {
    secs: u64,
    connections: usize,
    bodies: usize,
    only: Option<String>,
}

fn main() -> anyhow::Result<()> {
    // The bare server runs as a second process of this binary, so it does not share the load
    // generator's threads.
    if let Ok(url) = std::env::var("CAMPO_BENCH_BARE") {
        return tokio::runtime::Runtime::new()?.block_on(bare_server(url));
    }
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("submissions: a load benchmark, not a test; run `cargo bench -p campo --bench submissions`");
        return Ok(());
    }
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let options = Options {
        secs: value("--secs").map(|s| s.parse()).transpose()?.unwrap_or(10),
        connections: value("--connections").map(|s| s.parse()).transpose()?.unwrap_or(64),
        bodies: value("--bodies").map(|s| s.parse()).transpose()?.unwrap_or(20_000),
        only: value("--only"),
    };
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run(options))
}

async fn run(options: Options) -> anyhow::Result<()> {
    let work = tempfile::tempdir()?;
    let cache = work.path().join("artifacts");
    let lines = gen_bodies(options.bodies)?;
    let form = campo_form()?;
    let bodies = Arc::new(lines.iter().map(|l| BodyTemplate::new(l)).collect::<anyhow::Result<Vec<_>>>()?);
    let size = lines.iter().map(String::len).sum::<usize>() / lines.len().max(1);
    println!("{} generated {STUDY}/{form} bodies, {size} bytes on average; {} connections, {} s per run\n", lines.len(), options.connections, options.secs);
    println!("| case | submissions/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|");
    let mut budgets = Vec::new();

    for backend in ["sqlite", "postgres"] {
        if options.only.as_deref().is_some_and(|o| o != backend) {
            continue;
        }
        let mut limit = 0.0;
        for case in ["bare", "campo"] {
            let db = Database::new(backend, work.path(), case)?;
            let server = match case {
                "bare" => Server::bare(&db.url)?,
                _ => Server::campo(&db.url, &cache)?,
            };
            let (path, token) = match case {
                "bare" => ("/submit".to_string(), String::new()),
                _ => (format!("/api/v1/studies/{STUDY}/forms/{form}/submissions"), server.token(&db.url)?),
            };
            let target = Target { addr: server.addr, path, token };
            // Warm up: plugins compiled, connections open, caches filled.
            load(&target, &bodies, options.connections, Duration::from_secs(2), None).await;
            let before = CpuTime::now(server.child.id());
            let full = load(&target, &bodies, options.connections, Duration::from_secs(options.secs), None).await;
            let spent = CpuTime::now(server.child.id()).since(&before);
            budgets.push((format!("{backend} {case}"), spent.per(full.latencies.len())));
            println!("| {backend} {case}, {} connections | {:.0} | {:.2} | {:.2} | {} |", options.connections, full.rate(), full.p(0.50), full.p(0.99), full.errors);
            if case == "bare" {
                limit = full.rate();
            } else {
                let half = full.rate() / 2.0;
                let paced = load(&target, &bodies, options.connections, Duration::from_secs(options.secs), Some(half)).await;
                println!("| {backend} {case}, paced at {half:.0}/s (half) | {:.0} | {:.2} | {:.2} | {} |", paced.rate(), paced.p(0.50), paced.p(0.99), paced.errors);
                println!("| {backend}: campo / bare | {:.2}× | | | |", full.rate() / limit);
            }
            drop(server);
            db.drop_pg();
        }
    }
    println!("\nCPU per stored submission at saturation, µs (/proc; 2 cores give 2,000,000 µs per second):\n");
    println!("| case | server | postgres | load generator | machine busy |");
    println!("|---|---:|---:|---:|---:|");
    for (case, cpu) in budgets {
        println!("| {case} | {:.0} | {:.0} | {:.0} | {:.0} |", cpu.server, cpu.database, cpu.client, cpu.machine);
    }
    Ok(())
}

// ---- where the CPU went -----------------------------------------------------------------

/// Cumulative CPU time, in µs, of the parts of one run (user + system, all threads).
#[derive(Clone, Copy, Default)]
struct CpuTime {
    server: f64,
    database: f64,
    client: f64,
    /// Every CPU's busy time (not idle, not waiting for I/O).
    machine: f64,
}

impl CpuTime {
    fn now(server: u32) -> CpuTime {
        let database = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
            .map(process_cpu)
            .sum();
        CpuTime { server: process_cpu(server), database, client: process_cpu(std::process::id()), machine: machine_busy() }
    }

    fn since(&self, before: &CpuTime) -> CpuTime {
        CpuTime {
            server: self.server - before.server,
            database: self.database - before.database,
            client: self.client - before.client,
            machine: self.machine - before.machine,
        }
    }

    fn per(&self, submissions: usize) -> CpuTime {
        let n = submissions.max(1) as f64;
        CpuTime { server: self.server / n, database: self.database / n, client: self.client / n, machine: self.machine / n }
    }
}

/// Clock ticks per second of `/proc`'s counters (USER_HZ: 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// utime + stime of a process (fields 14 and 15 of `/proc/PID/stat`, after the command name).
fn process_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / TICKS_PER_SECOND * 1e6
}

/// All CPUs' busy time: the `cpu` line of `/proc/stat` minus idle and iowait.
fn machine_busy() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> = stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
    let total: f64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3).copied().unwrap_or(0.0) + ticks.get(4).copied().unwrap_or(0.0);
    (total - idle) / TICKS_PER_SECOND * 1e6
}

/// A generated body split around its id, so each request gets a fresh one cheaply.
struct BodyTemplate {
    before: Vec<u8>,
    after: Vec<u8>,
}

impl BodyTemplate {
    fn new(line: &str) -> anyhow::Result<BodyTemplate> {
        let value: Value = serde_json::from_str(line)?;
        let id = value["id"].as_str().ok_or_else(|| anyhow::anyhow!("a body without id"))?;
        let at = line.find(id).ok_or_else(|| anyhow::anyhow!("id not found"))?;
        Ok(BodyTemplate { before: line[..at].as_bytes().to_vec(), after: line[at + id.len()..].as_bytes().to_vec() })
    }
}

fn gen_bodies(n: usize) -> anyhow::Result<Vec<String>> {
    let out = Command::new(CAMPO).args(["gen", STUDY, "--n", &n.to_string(), "--seed", "1"]).output()?;
    anyhow::ensure!(out.status.success(), "campo gen: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8(out.stdout)?.lines().map(str::to_string).collect())
}

/// The form `campo gen` generates for by default: the first of the seed study.
fn campo_form() -> anyhow::Result<String> {
    let manifest = include_str!("../../../studies/mujeres-migrantes-rm/manifest.json");
    let manifest: Value = serde_json::from_str(manifest)?;
    Ok(manifest["forms"][0]["id"].as_str().unwrap_or_default().to_string())
}

struct Database {
    url: String,
    pg_name: Option<String>,
}

impl Database {
    fn new(backend: &str, dir: &Path, case: &str) -> anyhow::Result<Database> {
        if backend == "sqlite" {
            return Ok(Database { url: format!("sqlite://{}", dir.join(format!("{case}.db")).display()), pg_name: None });
        }
        let name = format!("campo_bench_{case}_{}", std::process::id());
        psql(&format!("CREATE DATABASE {name}"))?;
        Ok(Database { url: format!("postgres://postgres@127.0.0.1:5432/{name}"), pg_name: Some(name) })
    }

    fn drop_pg(&self) {
        if let Some(name) = &self.pg_name {
            let _ = psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn psql(sql: &str) -> anyhow::Result<()> {
    let status = Command::new("psql").args(["-X", "-q", PG_ADMIN, "-c", sql]).status()?;
    anyhow::ensure!(status.success(), "psql {sql}");
    Ok(())
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn campo(url: &str, cache: &Path) -> anyhow::Result<Server> {
        let seeded = Command::new(CAMPO).args(["seed", "--db", url]).env("CAMPO_CACHE_DIR", cache).stdout(Stdio::null()).status()?;
        anyhow::ensure!(seeded.success(), "campo seed");
        let addr = free_addr()?;
        let child = Command::new(CAMPO)
            .args(["serve", "--db", url, "--addr", &addr.to_string()])
            .env("CAMPO_CACHE_DIR", cache)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Server::ready(child, addr, "/healthz")
    }

    fn bare(url: &str) -> anyhow::Result<Server> {
        let addr = free_addr()?;
        let child = Command::new(std::env::current_exe()?)
            .env("CAMPO_BENCH_BARE", url)
            .env("CAMPO_BENCH_ADDR", addr.to_string())
            .stdout(Stdio::null())
            .spawn()?;
        Server::ready(child, addr, "/ready")
    }

    fn ready(child: Child, addr: SocketAddr, path: &str) -> anyhow::Result<Server> {
        let server = Server { child, addr };
        for _ in 0..300 {
            let ok = Command::new("curl").args(["-sf", &format!("http://{addr}{path}")]).stdout(Stdio::null()).status()?.success();
            if ok {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        anyhow::bail!("server on {addr} did not start")
    }

    fn token(&self, url: &str) -> anyhow::Result<String> {
        let out = Command::new(CAMPO).args(["token", "create", "--db", url, "--role", "enumerator", "--study", STUDY]).output()?;
        anyhow::ensure!(out.status.success(), "campo token create");
        Ok(String::from_utf8(out.stdout)?.lines().last().unwrap_or_default().trim().to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

// ---- the bare limit ---------------------------------------------------------------------

/// Stores each body as it came: same driver, same pragmas and pool shape as Campo's store,
/// one commit per request, no parsing, validation or plugins.
async fn bare_server(url: String) -> anyhow::Result<()> {
    let addr = std::env::var("CAMPO_BENCH_ADDR")?;
    let app = if url.starts_with("sqlite:") {
        // The same pragmas as `Store::connect`, with sqlx's own pool of 4 writers taking turns
        // on the write lock (each request its own transaction).
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match std::env::var("CAMPO_BENCH_SYNCHRONOUS").as_deref() {
                Ok("normal") => SqliteSynchronous::Normal,
                _ => SqliteSynchronous::Full,
            })
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::query("CREATE TABLE raw (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)").execute(&pool).await?;
        Router::new().route("/submit", post(insert_sqlite)).with_state(pool)
    } else {
        let pool = PgPoolOptions::new().max_connections(16).connect(&url).await?;
        sqlx::query("CREATE TABLE raw (seq BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)").execute(&pool).await?;
        Router::new().route("/submit", post(insert_pg)).with_state(pool)
    };
    let app = app.route("/ready", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn insert_sqlite(State(pool): State<sqlx::SqlitePool>, body: Bytes) -> StatusCode {
    let body = String::from_utf8_lossy(&body);
    match sqlx::query("INSERT INTO raw (body) VALUES ($1)").bind(body.as_ref()).execute(&pool).await {
        Ok(_) => StatusCode::CREATED,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

async fn insert_pg(State(pool): State<sqlx::PgPool>, body: Bytes) -> StatusCode {
    let body = String::from_utf8_lossy(&body);
    match sqlx::query("INSERT INTO raw (body) VALUES ($1)").bind(body.as_ref()).execute(&pool).await {
        Ok(_) => StatusCode::CREATED,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

// ---- the load generator -----------------------------------------------------------------

struct Target {
    addr: SocketAddr,
    path: String,
    token: String,
}

#[derive(Default)]
struct Outcome {
    /// Latencies of 2xx answers, in microseconds.
    latencies: Vec<u64>,
    errors: usize,
    elapsed: Duration,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
    fn p(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() as f64 * q).ceil() as usize).clamp(1, self.latencies.len()) - 1;
        self.latencies[i] as f64 / 1000.0
    }
}

/// `connections` keep-alive connections for `duration`: back to back (closed loop), or each
/// at `rate / connections` per second with latency counted from the intended send time.
async fn load(target: &Target, bodies: &Arc<Vec<BodyTemplate>>, connections: usize, duration: Duration, rate: Option<f64>) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|c| {
            let (bodies, stop) = (bodies.clone(), stop.clone());
            let (addr, head) = (target.addr, request_head(target));
            let interval = rate.map(|r| Duration::from_secs_f64(connections as f64 / r));
            tokio::spawn(async move { connection(addr, head, bodies, (c, connections), stop, interval).await })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut outcome = Outcome { elapsed: start.elapsed(), ..Outcome::default() };
    for t in tasks {
        if let Ok((latencies, errors)) = t.await {
            outcome.latencies.extend(latencies);
            outcome.errors += errors;
        }
    }
    outcome.latencies.sort_unstable();
    outcome
}

fn request_head(target: &Target) -> String {
    let auth = if target.token.is_empty() { String::new() } else { format!("Authorization: Bearer {}\r\n", target.token) };
    format!("POST {} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/json\r\n", target.path, target.addr)
}

async fn connection(addr: SocketAddr, head: String, bodies: Arc<Vec<BodyTemplate>>, (index, of): (usize, usize), stop: Arc<AtomicBool>, interval: Option<Duration>) -> (Vec<u64>, usize) {
    let (mut latencies, mut errors) = (Vec::new(), 0);
    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else { return (latencies, 1) };
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut request = Vec::with_capacity(16 << 10);
    let mut line = String::new();
    // Paced connections start staggered over one interval, so the rate is smooth.
    let mut next = Instant::now() + interval.map(|i| i.mul_f64(index as f64 / of as f64)).unwrap_or_default();
    let mut i = index;
    while !stop.load(Ordering::Relaxed) {
        if interval.is_some() {
            tokio::time::sleep_until(next.into()).await;
        }
        let intended = if interval.is_some() { next } else { Instant::now() };
        let body = &bodies[i % bodies.len()];
        i += of;
        let id = uuid::Uuid::new_v4().to_string();
        request.clear();
        request.extend_from_slice(head.as_bytes());
        request.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.before.len() + id.len() + body.after.len()).as_bytes());
        request.extend_from_slice(&body.before);
        request.extend_from_slice(id.as_bytes());
        request.extend_from_slice(&body.after);
        if write.write_all(&request).await.is_err() {
            return (latencies, errors + 1);
        }
        // The status line, the headers (for Content-Length), then the body.
        let mut status = 0;
        let mut length = 0;
        loop {
            line.clear();
            match read.read_line(&mut line).await {
                Ok(0) | Err(_) => return (latencies, errors + 1),
                Ok(_) => {}
            }
            if status == 0 {
                status = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(999);
            } else if line == "\r\n" {
                break;
            } else if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut sink = vec![0; length];
        if read.read_exact(&mut sink).await.is_err() {
            return (latencies, errors + 1);
        }
        if (200..300).contains(&status) {
            latencies.push(intended.elapsed().as_micros() as u64);
        } else {
            errors += 1;
        }
        if let Some(interval) = interval {
            next += interval;
        }
    }
    (latencies, errors)
}
