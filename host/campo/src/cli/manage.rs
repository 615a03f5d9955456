//! Study management from the command line: people, teams, cases, tokens and the audit log.
//! Everything here is done as `cli:$USER` in the audit log.

use anyhow::{Context, bail};
use clap::Subcommand;

use super::Db;
use campo_domain::{Role, StudyId, TeamId, Username};
use campo_manage::{
    credentials::{TokenScope, create_token},
    people,
};
use campo_store::{
    Store,
    audit::Actor,
    management::{Membership, Team},
};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Creates a person. The password is read from standard input (first line), never from an
    /// argument; `--no-password` makes a person who only uses API tokens.
    Create {
        username: String,
        #[command(flatten)]
        db: Db,
        /// Full name.
        #[arg(long)]
        name: String,
        /// A global administrator.
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        no_password: bool,
    },
    /// Lists people with their memberships.
    List {
        #[command(flatten)]
        db: Db,
    },
    /// Deactivates a person: their sessions and tokens stop working on the next request.
    Deactivate {
        username: String,
        #[command(flatten)]
        db: Db,
    },
    /// Reactivates a deactivated person.
    Activate {
        username: String,
        #[command(flatten)]
        db: Db,
    },
    /// Gives a person a role in a study (replacing the one they had there).
    Grant {
        username: String,
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        study: String,
        /// designer, enumerator, analyst or supervisor.
        #[arg(long)]
        role: String,
        /// Limits them to one team's responses and cases.
        #[arg(long)]
        team: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TeamCommand {
    /// Adds a team to a study (or renames it).
    Add {
        study: String,
        id: String,
        #[command(flatten)]
        db: Db,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
pub enum CasesCommand {
    /// Imports a study's sample list from CSV: `key`, optional `form`, `team`, `enumerator`,
    /// and any other columns as attributes. Any problem refuses the whole file.
    Import {
        study: String,
        file: std::path::PathBuf,
        #[command(flatten)]
        db: Db,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Checks the audit log's hash chain; exits non-zero naming the first broken entry.
    Verify {
        #[command(flatten)]
        db: Db,
    },
}

fn actor() -> Actor {
    Actor::cli()
}

async fn study_exists(store: &Store, study: &StudyId) -> anyhow::Result<()> {
    if store.study(study).await?.is_none() {
        bail!("no study {study} is installed");
    }
    Ok(())
}

pub async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create { username, db, name, admin, no_password } => {
            let username = Username::parse(&username)?;
            let hash = if no_password {
                None
            } else {
                use std::io::IsTerminal;
                if std::io::stdin().is_terminal() {
                    eprint!("Contraseña / password (at least {} characters): ", people::MIN_PASSWORD_CHARS);
                }
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
                Some(people::hash_password(line.trim_end_matches(['\r', '\n']))?)
            };
            let store = Store::connect(&db.db).await?;
            let id = store.create_person(&username, &name, hash.as_deref(), admin, &actor()).await?;
            store.close().await;
            println!("person {username} created (id {id})");
        }
        UserCommand::List { db } => {
            let store = Store::connect(&db.db).await?;
            for p in store.people().await? {
                let grants: Vec<String> = p
                    .memberships
                    .iter()
                    .map(|m| format!("{}@{}{}", m.role, m.study, m.team.as_ref().map(|t| format!("/{t}")).unwrap_or_default()))
                    .collect();
                println!(
                    "{}\t{}\t{}{}\t{}",
                    p.username,
                    p.name,
                    if p.active { "active" } else { "deactivated" },
                    if p.is_admin { ", admin" } else { "" },
                    grants.join(" ")
                );
            }
            store.close().await;
        }
        UserCommand::Deactivate { username, db } => set_active(&db, &username, false).await?,
        UserCommand::Activate { username, db } => set_active(&db, &username, true).await?,
        UserCommand::Grant { username, db, study, role, team } => {
            let role = Role::parse(&role).filter(|r| *r != Role::Admin).with_context(|| {
                format!("unknown role {role:?}; use designer, enumerator, analyst or supervisor (admin is global: `campo user create --admin`)")
            })?;
            let study = StudyId::parse(&study)?;
            let team = team.map(|t| TeamId::parse(&t)).transpose()?;
            let store = Store::connect(&db.db).await?;
            study_exists(&store, &study).await?;
            if let Some(t) = &team
                && !store.teams(&study).await?.iter().any(|known| &known.id == t)
            {
                bail!("study {study} has no team {t}; add it with `campo team add {study} {t} --name …`");
            }
            let person = store.person_id(&username).await?.with_context(|| format!("no person {username:?}"))?;
            store.grant(person, &Membership { study: study.clone(), role, team }, &actor()).await?;
            store.close().await;
            println!("{username} is {role} in {study}");
        }
    }
    Ok(())
}

async fn set_active(db: &Db, username: &str, active: bool) -> anyhow::Result<()> {
    let store = Store::connect(&db.db).await?;
    let done = store.set_person_active(username, active, &actor()).await?;
    store.close().await;
    if !done {
        bail!("no person {username:?}");
    }
    println!("{username} {}", if active { "activated" } else { "deactivated" });
    Ok(())
}

pub async fn team(command: TeamCommand) -> anyhow::Result<()> {
    let TeamCommand::Add { study, id, db, name } = command;
    let study = StudyId::parse(&study)?;
    let team = Team { id: TeamId::parse(&id)?, name };
    let store = Store::connect(&db.db).await?;
    study_exists(&store, &study).await?;
    store.upsert_teams(&study, std::slice::from_ref(&team), &actor()).await?;
    store.close().await;
    println!("team {} in {study}", team.id);
    Ok(())
}

pub async fn cases(command: CasesCommand) -> anyhow::Result<()> {
    let CasesCommand::Import { study, file, db } = command;
    let study = StudyId::parse(&study)?;
    let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    let store = Store::connect(&db.db).await?;
    study_exists(&store, &study).await?;
    let result = campo_manage::cases::import(&store, &study, &bytes, None, &actor()).await;
    store.close().await;
    match result {
        Ok(report) => println!("{} case(s) imported into {study}", report.imported),
        Err(campo_manage::cases::CaseImportError::Invalid(problems)) => {
            for p in &problems {
                eprintln!("row {}: {} / {}", p.row, p.message, p.message_en);
            }
            bail!("{} problem(s) in {}; nothing was imported", problems.len(), file.display());
        }
        Err(other) => return Err(other.into()),
    }
    Ok(())
}

pub async fn audit(command: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::Verify { db } = command;
    let store = Store::connect(&db.db).await?;
    let report = store.verify_audit().await?;
    let unsealed = store.unsealed_submissions().await?;
    store.close().await;
    match report.broken {
        None => {
            println!("audit log intact: {} entries, head {}", report.entries, report.head.as_deref().unwrap_or("(empty)"));
            if unsealed > 0 {
                println!("{unsealed} submission(s) stored but not yet in the log: a running `campo serve` appends them within a second");
            }
            Ok(())
        }
        Some(broken) => bail!("audit log BROKEN at entry {}: {broken}", broken.seq()),
    }
}

/// `campo token create`: an API token for scripts, optionally a person's and limited to a
/// study and a team.
pub async fn create_api_token(db: &Db, role: &str, study: Option<String>, team: Option<String>, user: Option<String>, label: Option<String>) -> anyhow::Result<()> {
    let Some(role) = Role::parse(role) else {
        bail!("unknown role {role:?}; use one of admin, designer, enumerator, analyst, supervisor");
    };
    let study = study.map(|s| StudyId::parse(&s)).transpose()?;
    let team = team.map(|t| TeamId::parse(&t)).transpose()?;
    let store = Store::connect(&db.db).await?;
    if let Some(s) = &study {
        study_exists(&store, s).await?;
    }
    if let Some(t) = &team {
        let Some(s) = &study else { bail!("--team needs --study") };
        if !store.teams(s).await?.iter().any(|known| &known.id == t) {
            bail!("study {s} has no team {t}");
        }
    }
    let person_id = match &user {
        Some(u) => Some(store.person_id(u).await?.with_context(|| format!("no person {u:?}; create them with `campo user create`"))?),
        None => None,
    };
    let label = label.or_else(|| user.clone());
    let scope = TokenScope { study: study.as_ref(), team: team.as_ref(), label: label.as_deref(), person_id };
    let (id, token) = create_token(&store, role, scope, &actor()).await?;
    store.close().await;
    eprintln!(
        "token {id} created for role {role}{}{}; it is shown only now:",
        study.map(|s| format!(" in study {s}")).unwrap_or_default(),
        user.map(|u| format!(", belonging to {u}")).unwrap_or_default()
    );
    println!("{token}");
    Ok(())
}

/// `campo token revoke`: takes effect on the token's next request.
pub async fn revoke_token(db: &Db, id: i64) -> anyhow::Result<()> {
    let store = Store::connect(&db.db).await?;
    let done = store.revoke_token(id, &actor()).await?;
    store.close().await;
    if !done {
        bail!("no live token {id}");
    }
    println!("token {id} revoked");
    Ok(())
}
