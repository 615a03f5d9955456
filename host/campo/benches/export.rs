//! Export at a million rows (BENCHMARKS.md, "Exports"): `campo export` and the HTTP export of
//! `mujeres-migrantes-rm` against `sqlite3 -csv` on a pre-flattened table with the same rows
//! and columns, time to first byte, and peak memory over idle at 100k and 1M responses.
//!
//! ```sh
//! cargo bench -p campo --bench export                       # 100k then 1M responses
//! cargo bench -p campo --bench export -- --sizes 20000      # a quick run
//! cargo bench -p campo --bench export -- --sizes 100000 --formats-only   # the analyst formats alone
//! ```
//!
//! The analyst formats (`format=dta|sav|xlsx|parquet`) are measured over HTTP against the CSV
//! ZIP export measured the same way in the same run, each with a fresh server so that its peak
//! memory is its own.
//!
//! The responses: `--distinct` (default 2,000) generated interviews go through the real
//! pipeline over HTTP (validation, logic and scoring plugins), then SQLite copies them under
//! new ids (`INSERT … SELECT`) up to each size: real answers, real scores, written fast.
//! Under `cargo test` it only prints how to run it.

use std::{
    io::{BufRead, BufReader, Read},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const CAMPO: &str = env!("CARGO_BIN_EXE_campo");
const STUDY: &str = "mujeres-migrantes-rm";
const FORM: &str = "cuestionario";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("export: a benchmark, not a test; run `cargo bench -p campo --bench export`");
        return Ok(());
    }
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let sizes: Vec<u64> = value("--sizes").unwrap_or_else(|| "100000,1000000".into()).split(',').map(|s| s.parse()).collect::<Result<_, _>>()?;
    let distinct: u64 = value("--distinct").map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let formats_only = args.iter().any(|a| a == "--formats-only");
    let dir = tempfile::Builder::new().prefix("campo-export-bench").tempdir()?;
    let db_path = dir.path().join("campo.db");
    let db = format!("sqlite://{}", db_path.display());
    println!("# export benchmark: {STUDY}/{FORM}, database {}", db_path.display());

    run(Command::new(CAMPO).args(["seed", "--db", &db]))?;
    let started = Instant::now();
    submit_generated(&db, distinct)?;
    println!("{distinct} distinct responses through the pipeline in {:.1} s", started.elapsed().as_secs_f64());

    for &size in &sizes {
        let started = Instant::now();
        grow(&db_path, size, distinct)?;
        println!("\n## {size} responses (copied up in {:.1} s)", started.elapsed().as_secs_f64());
        if !formats_only {
            measure(dir.path(), &db, size)?;
        }
        measure_formats(&db, size)?;
    }
    Ok(())
}

fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.env("CAMPO_CACHE_DIR", std::env::temp_dir().join("campo-bench-artifacts")).output()?;
    anyhow::ensure!(out.status.success(), "{:?} failed: {}", cmd, String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn token(db: &str, role: &str) -> anyhow::Result<String> {
    let out = run(Command::new(CAMPO).args(["token", "create", "--db", db, "--role", role, "--label", &format!("bench-{role}")]))?;
    Ok(out.lines().last().unwrap_or_default().trim().to_string())
}

/// `campo serve` on a free port; returns the child and its address.
fn serve(db: &str) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(CAMPO)
        .args(["serve", "--db", db, "--addr", "127.0.0.1:0"])
        .env("CAMPO_CACHE_DIR", std::env::temp_dir().join("campo-bench-artifacts"))
        .env("RUST_LOG", "info,sqlx=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let Some(line) = lines.next() else { anyhow::bail!("campo serve did not start") };
        let line = line?;
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
            if let Some(addr) = v.pointer("/fields/addr").and_then(|a| a.as_str()) {
                break addr.to_string();
            }
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok((child, format!("http://{addr}")))
}

fn submit_generated(db: &str, n: u64) -> anyhow::Result<()> {
    let bodies = run(Command::new(CAMPO).args(["gen", STUDY, "--form", FORM, "--n", &n.to_string(), "--seed", "2026"]))?;
    let enumerator = token(db, "enumerator")?;
    let (mut child, url) = serve(db)?;
    let client = reqwest::blocking::Client::new();
    let target = format!("{url}/api/v1/studies/{STUDY}/forms/{FORM}/submissions");
    for body in bodies.lines() {
        let reply = client.post(&target).bearer_auth(&enumerator).header("content-type", "application/json").body(body.to_string()).send()?;
        anyhow::ensure!(reply.status().is_success(), "submission refused: {}", reply.text()?);
    }
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    child.wait()?;
    Ok(())
}

/// Copies the distinct responses under new ids until the form has `size` responses.
fn grow(db_path: &Path, size: u64, distinct: u64) -> anyhow::Result<()> {
    let have: u64 = sqlite(db_path, "SELECT COUNT(*) FROM submissions")?.trim().parse()?;
    if have >= size {
        return Ok(());
    }
    let rounds = (size - have).div_ceil(distinct);
    let sql = format!(
        "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {rounds})
         INSERT INTO submissions (id, study_id, form_id, version, request_hash, answers, scores, warnings, enumerator, token_id,
                                  received_at, logic_plugin, scoring_plugin)
         SELECT printf('%s-%d', s.id, {have} + k.n), s.study_id, s.form_id, s.version, s.request_hash, s.answers, s.scores, s.warnings,
                s.enumerator, s.token_id, s.received_at, s.logic_plugin, s.scoring_plugin
         FROM k JOIN (SELECT * FROM submissions WHERE seq <= {distinct}) s ORDER BY k.n, s.seq LIMIT {};",
        size - have
    );
    sqlite(db_path, &sql)?;
    Ok(())
}

fn sqlite(db_path: &Path, sql: &str) -> anyhow::Result<String> {
    let out = Command::new("sqlite3").arg(db_path).arg(sql).output()?;
    anyhow::ensure!(out.status.success(), "sqlite3: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Wall time and peak RSS (KiB) of a command, via /usr/bin/time.
fn timed(cmd: &mut Command) -> anyhow::Result<(f64, u64)> {
    let started = Instant::now();
    let out = Command::new("/usr/bin/time").arg("-f").arg("maxrss=%M").arg(cmd.get_program()).args(cmd.get_args()).stdout(Stdio::null()).output()?;
    let secs = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(out.status.success(), "{cmd:?}: {stderr}");
    let rss = stderr.lines().filter_map(|l| l.strip_prefix("maxrss=")).next_back().and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    Ok((secs, rss))
}

fn size_of(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn measure(dir: &Path, db: &str, size: u64) -> anyhow::Result<()> {
    let mb = |bytes: u64| bytes as f64 / 1e6;
    // 1. The CLI: the ZIP of all tables, then the main table alone as CSV.
    let zip = dir.join("export.zip");
    let (secs, rss) = timed(Command::new(CAMPO).args(["export", STUDY, FORM, "--db", db, "--out", zip.to_str().unwrap_or_default()]))?;
    println!("campo export (ZIP: main + roster + codebook, deflate): {secs:.1} s, {:.0} rows/s, {:.0} MB ZIP, max RSS {} MiB", size as f64 / secs, mb(size_of(&zip)), rss / 1024);
    let (secs, _) = timed(Command::new(CAMPO).args(["export", STUDY, FORM, "--db", db, "--no-compress", "--out", zip.to_str().unwrap_or_default()]))?;
    let all_bytes = size_of(&zip);
    println!("campo export (ZIP, stored): {secs:.1} s, {:.0} rows/s, {:.1} MB/s", size as f64 / secs, mb(all_bytes) / secs);
    let csv = dir.join("main.csv");
    let (campo_secs, rss) = timed(Command::new(CAMPO).args(["export", STUDY, FORM, "--db", db, "--format", "csv", "--out", csv.to_str().unwrap_or_default()]))?;
    let csv_bytes = size_of(&csv);
    println!(
        "campo export --format csv (main table): {campo_secs:.1} s, {:.0} rows/s, {:.1} MB/s ({:.0} MB), max RSS {} MiB",
        size as f64 / campo_secs,
        mb(csv_bytes) / campo_secs,
        mb(csv_bytes),
        rss / 1024
    );

    // 2. The baseline: the same rows and columns, pre-flattened into a table, dumped by sqlite3.
    let flat = dir.join("flat.db");
    let _ = std::fs::remove_file(&flat);
    let out = Command::new("sqlite3").arg(&flat).arg(format!(".import --csv {} flat", csv.display())).output()?;
    anyhow::ensure!(out.status.success(), "import: {}", String::from_utf8_lossy(&out.stderr));
    let started = Instant::now();
    let dump = Command::new("sqlite3").arg(&flat).args(["-csv", "-header", "SELECT * FROM flat"]).stdout(Stdio::piped()).spawn()?;
    let mut bytes = 0u64;
    let mut reader = dump.stdout.expect("stdout");
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
    }
    let sqlite_secs = started.elapsed().as_secs_f64();
    println!(
        "sqlite3 -csv on the pre-flattened main table: {sqlite_secs:.1} s, {:.1} MB/s; campo/sqlite3 throughput ratio {:.2}",
        mb(bytes) / sqlite_secs,
        (mb(csv_bytes) / campo_secs) / (mb(bytes) / sqlite_secs)
    );
    let _ = std::fs::remove_file(&flat);

    // 3. Over HTTP: time to first byte, total, and the server's peak memory over idle.
    let (mut child, url) = serve(db)?;
    let analyst = token(db, "analyst")?;
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(3600)).build()?;
    let _ = client.get(format!("{url}/healthz")).send()?.bytes()?;
    std::thread::sleep(Duration::from_millis(300));
    let idle = status_kib(child.id(), "VmRSS:");
    let started = Instant::now();
    let mut reply = client.get(format!("{url}/api/v1/studies/{STUDY}/forms/{FORM}/export.csv")).bearer_auth(&analyst).send()?;
    anyhow::ensure!(reply.status().is_success(), "HTTP export: {}", reply.status());
    let mut first = [0u8; 1];
    reply.read_exact(&mut first)?;
    let ttfb = started.elapsed().as_secs_f64();
    let mut body = 1u64;
    loop {
        let n = reply.read(&mut buf)?;
        if n == 0 {
            break;
        }
        body += n as u64;
    }
    let total = started.elapsed().as_secs_f64();
    let peak = status_kib(child.id(), "VmHWM:");
    println!(
        "HTTP export.csv (ZIP): first byte {:.0} ms, {total:.1} s, {:.0} rows/s, {:.0} MB; server RSS idle {} MiB, peak {} MiB, peak over idle {} MiB",
        ttfb * 1000.0,
        size as f64 / total,
        mb(body),
        idle / 1024,
        peak / 1024,
        peak.saturating_sub(idle) / 1024
    );
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    child.wait()?;
    Ok(())
}

/// One HTTP export with a fresh server: (first byte s, total s, bytes, server RSS idle KiB, peak KiB).
fn http_export(db: &str, query: &str) -> anyhow::Result<(f64, f64, u64, u64, u64)> {
    let (mut child, url) = serve(db)?;
    let analyst = token(db, "analyst")?;
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(3600)).build()?;
    let _ = client.get(format!("{url}/healthz")).send()?.bytes()?;
    std::thread::sleep(Duration::from_millis(300));
    let idle = status_kib(child.id(), "VmRSS:");
    let started = Instant::now();
    let mut reply = client.get(format!("{url}/api/v1/studies/{STUDY}/forms/{FORM}/export.csv?{query}")).bearer_auth(&analyst).send()?;
    anyhow::ensure!(reply.status().is_success(), "HTTP export {query}: {}", reply.status());
    let mut buf = vec![0u8; 1 << 16];
    let mut first = [0u8; 1];
    reply.read_exact(&mut first)?;
    let ttfb = started.elapsed().as_secs_f64();
    let mut body = 1u64;
    loop {
        let n = reply.read(&mut buf)?;
        if n == 0 {
            break;
        }
        body += n as u64;
    }
    let total = started.elapsed().as_secs_f64();
    let peak = status_kib(child.id(), "VmHWM:");
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    child.wait()?;
    Ok((ttfb, total, body, idle, peak))
}

/// Each analyst format over HTTP, as a ratio of the CSV ZIP export measured just before it.
fn measure_formats(db: &str, size: u64) -> anyhow::Result<()> {
    let (_, zip_secs, zip_bytes, idle, peak) = http_export(db, "")?;
    println!(
        "HTTP CSV ZIP (baseline): {zip_secs:.1} s, {:.0} rows/s, {:.0} MB, server peak over idle {} MiB",
        size as f64 / zip_secs,
        zip_bytes as f64 / 1e6,
        peak.saturating_sub(idle) / 1024
    );
    println!("| format | first byte | time | / CSV ZIP | size | server RSS idle → peak (growth) |");
    for format in ["dta", "sav", "xlsx", "parquet"] {
        let (ttfb, secs, bytes, idle, peak) = http_export(db, &format!("format={format}"))?;
        println!(
            "| {format} | {:.0} ms | {secs:.1} s | {:.2}× | {:.0} MB | {} → {} MiB (+{} MiB) |",
            ttfb * 1000.0,
            secs / zip_secs,
            bytes as f64 / 1e6,
            idle / 1024,
            peak / 1024,
            peak.saturating_sub(idle) / 1024
        );
    }
    Ok(())
}
