//! The `campo` command line. Each subcommand parses its arguments and calls into the library.

mod docs;
mod export;
mod r#gen;
mod manage;
mod plugin;

use std::{path::PathBuf, sync::Arc, time::Duration};

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use campo_domain::StudyId;
use campo_http::{self as http, AppState, ServeConfig};
use campo_pipeline::{App, bundle::BundleFiles};
use campo_runtime::Runtime;
use campo_store::{
    PublishStatus, Store,
    audit::{Actor, AuditEvent},
};

#[derive(Parser)]
#[command(name = "campo", version, about = "Campo: field studies with sandboxed questionnaire logic.")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub struct Db {
    /// Database URL: sqlite://FILE (created when missing) or postgres://…
    #[arg(long, env = "CAMPO_DB", default_value = "sqlite://campo.db")]
    pub db: String,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server.
    Serve {
        #[command(flatten)]
        db: Db,
        /// Address to listen on.
        #[arg(long, env = "CAMPO_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// Largest request body on ordinary routes, in bytes.
        #[arg(long, env = "CAMPO_BODY_LIMIT", default_value_t = 1 << 20)]
        body_limit: usize,
        /// Directory of the web app's static files.
        #[arg(long, env = "CAMPO_STATIC_DIR")]
        static_dir: Option<PathBuf>,
        /// The address people reach Campo at, e.g. https://campo.example.org behind a TLS proxy
        /// (an https:// address makes the session cookie Secure).
        #[arg(long, env = "CAMPO_PUBLIC_URL")]
        public_url: Option<String>,
        /// Seconds in-flight requests get to finish after SIGTERM.
        #[arg(long, default_value_t = 10)]
        drain_secs: u64,
    },
    /// Installs Campo's seed studies.
    Seed {
        #[command(flatten)]
        db: Db,
    },
    /// Study bundles.
    Study {
        #[command(subcommand)]
        command: StudyCommand,
    },
    /// Bearer tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// People: accounts, memberships, deactivation.
    User {
        #[command(subcommand)]
        command: manage::UserCommand,
    },
    /// A study's teams (territories).
    Team {
        #[command(subcommand)]
        command: manage::TeamCommand,
    },
    /// A study's sample list.
    Cases {
        #[command(subcommand)]
        command: manage::CasesCommand,
    },
    /// The hash-chained audit log.
    Audit {
        #[command(subcommand)]
        command: manage::AuditCommand,
    },
    /// Exports a form's responses: a CSV, or a ZIP of CSV tables when the form has repeat groups.
    Export(ExportArgs),
    /// Re-scores a form's responses with a stored scoring plugin (resumes an interrupted job).
    Rescore {
        study: String,
        form: String,
        #[command(flatten)]
        db: Db,
        /// The sha256 of the scoring plugin (uploaded, or pinned by a form version).
        #[arg(long)]
        plugin: String,
        /// Only this version's responses.
        #[arg(long)]
        version: Option<String>,
        /// Responses scored and committed together.
        #[arg(long, default_value_t = campo_pipeline::rescore::DEFAULT_BATCH)]
        batch: i64,
        /// Stops after this many batches (run the command again to resume).
        #[arg(long)]
        max_batches: Option<u64>,
    },
    /// Writes a consistent copy of a SQLite store while it is in use (PostgreSQL: use pg_dump).
    Backup {
        #[command(flatten)]
        db: Db,
        /// The copy to write; must not exist.
        #[arg(long)]
        out: PathBuf,
    },
    /// Tools for plugin authors.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// Prints N realistic, valid submission bodies for a form, one JSON per line.
    Gen {
        study: String,
        #[arg(long)]
        form: Option<String>,
        #[arg(long, default_value_t = 10)]
        n: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Generate for a study installed in this database (any study, including imported
        /// forms); without it, for a study shipped with Campo.
        #[arg(long)]
        db: Option<String>,
    },
    /// The guide's generated reference pages (docs/src/reference), printed as markdown.
    #[command(hide = true)]
    Docs {
        #[command(subcommand)]
        command: DocsCommand,
    },
}

#[derive(Subcommand)]
enum DocsCommand {
    /// The command-line reference, from these definitions.
    Cli,
    /// The HTTP API reference, from the server's OpenAPI document.
    Api,
}

#[derive(Args)]
struct ExportArgs {
    study: String,
    form: String,
    #[command(flatten)]
    db: Db,
    /// Where to write; standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// One version only (default: all, with a form_version column).
    #[arg(long)]
    version: Option<String>,
    /// Received on or after (YYYY-MM-DD or RFC 3339).
    #[arg(long)]
    from: Option<String>,
    /// Received on or before (YYYY-MM-DD, inclusive) or before (RFC 3339).
    #[arg(long)]
    to: Option<String>,
    /// Only this enumerator's responses.
    #[arg(long)]
    enumerator: Option<String>,
    /// Only this team's responses.
    #[arg(long)]
    team: Option<String>,
    /// Only responses in this review state (received, approved, has_issues, rejected).
    #[arg(long)]
    review: Option<String>,
    /// Headers and values as labels in this language (es or en) instead of codes; with dta, sav,
    /// xlsx or parquet, the language of the variable and value labels (es when absent).
    #[arg(long)]
    labels: Option<String>,
    /// Starts each CSV with a UTF-8 byte order mark (for Excel).
    #[arg(long)]
    bom: bool,
    /// Prefixes text that starts with =, +, - or @ with ' so spreadsheets do not run it.
    #[arg(long)]
    neutralise: bool,
    /// Joins group paths in column names.
    #[arg(long, default_value = "/")]
    sep: String,
    /// auto (CSV, or ZIP with repeat groups), csv (main table only), zip, or with labels dta
    /// (Stata), sav (SPSS), xlsx (one workbook) or parquet; dta, sav and parquet of a form with
    /// repeat groups are a ZIP of one file per table.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Stores ZIP entries uncompressed.
    #[arg(long)]
    no_compress: bool,
    /// Writes the codebook (csv or html) instead of the data.
    #[arg(long)]
    codebook: Option<String>,
}

#[derive(Subcommand)]
enum StudyCommand {
    /// Installs (publishes) a study bundle directory.
    Install {
        dir: PathBuf,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Scaffolds a plugin crate (in ./NAME) that builds for wasm32 and tests out of the box.
    New {
        name: String,
        /// Where to create it (default: ./NAME, or plugins/NAME inside Campo's repository).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Loads a module as the host would, reports its ABI, imports, exports and limits, and runs
    /// it on a sample (bare answers, a submission body or an ABI envelope). Exits non-zero with
    /// the reason for anything the host would refuse.
    Check {
        wasm: PathBuf,
        #[arg(long)]
        input: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Creates a token and prints it on the last line (only its hash is stored).
    Create {
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        role: String,
        /// Limits the token to one study.
        #[arg(long)]
        study: Option<String>,
        /// Limits the token to one team of that study.
        #[arg(long)]
        team: Option<String>,
        /// The person the token belongs to (a username); their deactivation stops it.
        #[arg(long)]
        user: Option<String>,
        /// A name to show for what this token does (e.g. the enumerator's name).
        #[arg(long)]
        label: Option<String>,
    },
    /// Revokes a token (by the id printed at creation); takes effect on its next request.
    Revoke {
        id: i64,
        #[command(flatten)]
        db: Db,
    },
}

/// Parses the command line and runs it.
pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let serving = matches!(cli.command, Command::Serve { .. });
    init_tracing(serving);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(dispatch(cli.command))
}

fn init_tracing(serving: bool) {
    use tracing_subscriber::{EnvFilter, fmt};
    let default = if serving { "info,sqlx=warn,wasmtime=warn,cranelift=warn" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    if serving {
        // Structured logs: one JSON object per line, with the request span (and its request id).
        let _ = fmt().json().with_current_span(true).with_span_list(false).with_env_filter(filter).with_writer(std::io::stderr).try_init();
    } else {
        let _ = fmt().compact().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    }
}

async fn open(db: &Db) -> anyhow::Result<Arc<App>> {
    let store = Store::connect(&db.db).await.with_context(|| format!("opening {}", db.db))?;
    let runtime = Runtime::new(Some(artifact_dir()))?;
    Ok(App::new(store, runtime))
}

/// Where compiled plugins are cached: `CAMPO_CACHE_DIR`, else the user's cache directory.
pub(crate) fn artifact_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CAMPO_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("campo").join("artifacts")
}

async fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { db, addr, body_limit, static_dir, public_url, drain_secs } => {
            let app = open(&db).await?;
            let config = ServeConfig { body_limit, static_dir, public_url, ..ServeConfig::default() };
            let state = AppState::new(app, config).context("reading the web app's files")?;
            let listener = tokio::net::TcpListener::bind(&addr).await.with_context(|| format!("binding {addr}"))?;
            http::serve(listener, state, Duration::from_secs(drain_secs)).await
        }
        Command::Seed { db } => {
            let app = open(&db).await?;
            for seed in campo_studies::shipped().into_iter().filter(|s| s.seed) {
                let files = BundleFiles::from_embedded(seed.dir);
                let (study, outcomes) = app.install(&files, &Actor::cli()).await.with_context(|| format!("installing seed study {}", seed.name))?;
                report_install(&study, &outcomes);
            }
            app.store.close().await;
            Ok(())
        }
        Command::Study { command: StudyCommand::Install { dir, db } } => {
            let app = open(&db).await?;
            let files = BundleFiles::from_dir(&dir)?;
            let (study, outcomes) = app.install(&files, &Actor::cli()).await?;
            report_install(&study, &outcomes);
            app.store.close().await;
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { db, role, study, team, user, label } } => {
            manage::create_api_token(&db, &role, study, team, user, label).await
        }
        Command::Token { command: TokenCommand::Revoke { id, db } } => manage::revoke_token(&db, id).await,
        Command::User { command } => manage::user(command).await,
        Command::Team { command } => manage::team(command).await,
        Command::Cases { command } => manage::cases(command).await,
        Command::Audit { command } => manage::audit(command).await,
        Command::Export(args) => {
            let app = open(&args.db).await?;
            let result = run_export(&app, args).await;
            app.store.close().await;
            result
        }
        Command::Rescore { study, form, db, plugin, version, batch, max_batches } => {
            let app = open(&db).await?;
            let result = export::rescore(&app, &study, &form, &plugin, version.as_deref(), batch, max_batches).await;
            app.store.close().await;
            result
        }
        Command::Backup { db, out } => {
            let store = Store::connect(&db.db).await.with_context(|| format!("opening {}", db.db))?;
            store.backup(&out).await.with_context(|| format!("backing up to {}", out.display()))?;
            store.close().await;
            eprintln!("backup written to {}", out.display());
            Ok(())
        }
        Command::Plugin { command: PluginCommand::New { name, dir } } => {
            let dir = dir.unwrap_or_else(|| {
                if std::path::Path::new("plugins").is_dir() && std::path::Path::new("sdk").is_dir() {
                    PathBuf::from("plugins").join(&name)
                } else {
                    PathBuf::from(&name)
                }
            });
            plugin::scaffold(&dir, &name)?;
            println!("created {} (see its README.md):", dir.display());
            println!("  cd {} && cargo test", dir.display());
            println!("  cargo build --release --target wasm32-unknown-unknown");
            println!("  campo plugin check target/wasm32-unknown-unknown/release/{}.wasm --input sample.json", name.replace('-', "_"));
            Ok(())
        }
        Command::Plugin { command: PluginCommand::Check { wasm, input } } => {
            print!("{}", plugin::check(&wasm, input.as_deref())?);
            Ok(())
        }
        Command::Docs { command: DocsCommand::Cli } => {
            print!("{}", docs::cli_reference());
            Ok(())
        }
        Command::Docs { command: DocsCommand::Api } => {
            let openapi: serde_json::Value = serde_json::from_str(&http::openapi_json())?;
            print!("{}", docs::api_reference(&openapi));
            Ok(())
        }
        Command::Gen { study, form, n, seed, db } => r#gen::run(r#gen::GenRequest { study, form, n, seed, db }).await,
    }
}

fn report_install(study: &StudyId, outcomes: &[campo_store::PublishOutcome]) {
    for o in outcomes {
        let what = match o.status {
            PublishStatus::Published => "published",
            PublishStatus::Unchanged => "already installed, unchanged",
        };
        println!("{study}/{} version {}: {what}", o.form, o.version);
    }
}

async fn run_export(app: &App, args: ExportArgs) -> anyhow::Result<()> {
    use campo_export::{ExportOptions, Format, Lang};
    use export::CodebookFormat;
    let labels = args.labels.as_deref().map(|l| Lang::parse(l).with_context(|| format!("--labels {l:?}: use es or en"))).transpose()?;
    let format = Format::parse(&args.format).with_context(|| format!("--format {:?}: use auto, csv, zip, dta, sav, xlsx or parquet", args.format))?;
    let codebook = match args.codebook.as_deref() {
        None => None,
        Some("csv") => Some(CodebookFormat::Csv),
        Some("html") => Some(CodebookFormat::Html),
        Some(other) => bail!("--codebook {other:?}: use csv or html"),
    };
    let review = args
        .review
        .as_deref()
        .map(|r| campo_domain::ReviewState::parse(r).with_context(|| format!("--review {r:?}: use received, approved, has_issues or rejected")))
        .transpose()?;
    let options = ExportOptions {
        team: args.team,
        review,
        version: args.version,
        from: args.from,
        to: args.to,
        enumerator: args.enumerator,
        labels,
        bom: args.bom,
        neutralise: args.neutralise,
        separator: args.sep,
        format,
        store_uncompressed: args.no_compress,
    };
    app.store
        .audit(&[AuditEvent::new(
            &Actor::cli(),
            "export.csv",
            Some(&args.study),
            Some(&args.form),
            serde_json::json!({"version": options.version, "from": options.from, "to": options.to, "enumerator": options.enumerator,
                "team": options.team, "review": options.review.map(|r| r.as_str()), "codebook": args.codebook}),
        )])
        .await?;
    export::export(app, &args.study, &args.form, options, args.out, codebook).await
}
