//! The command line: `serve`, `migrate`, `schema`, `token`, `seed`, `backfill`, `import`,
//! `probe`. Each verb has only its own options (`serve` has every setting of the service).

mod backfill;
mod database;
mod errors;
mod hints;
mod import;
mod probe;
mod reference;
mod token;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use crate::access::{Caller, Scope};
use crate::app::{Server, shutdown_signal};
use crate::config::{Config, DEFAULT_LISTEN};
use database::{Database, Writes, connect, connect_for};
use token::TokenArgs;

#[derive(Parser, Debug)]
#[command(
    name = "tenancy-gateway",
    version,
    about = "One tenancy graph for Open edX, served over GraphQL"
)]
struct Cli {
    /// Log format on stderr (`RUST_LOG` sets the level).
    #[arg(long, env = "TENANCY_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Migrate the database and serve the GraphQL API.
    Serve {
        /// Address to listen on, HOST:PORT; port 0 picks a free port (the bound address is
        /// printed).
        #[arg(long, env = "TENANCY_LISTEN", default_value = DEFAULT_LISTEN, value_parser = errors::parse_listen)]
        listen: String,
        /// Do not migrate at start (leave it to `migrate`, run once per release).
        #[arg(long)]
        no_migrate: bool,
        /// `false` is `--no-migrate`.
        #[arg(long = "migrate", env = "TENANCY_MIGRATE", default_value_t = true, action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new(), hide = true)]
        migrate: bool,
        #[command(flatten)]
        config: Box<Config>,
    },
    /// Apply pending database migrations and exit (safe while replicas start: they wait).
    Migrate {
        #[command(flatten)]
        database: Database,
        /// Apply nothing: list the pending migrations and exit 1 when there are any (for
        /// deployment pipelines).
        #[arg(long)]
        check: bool,
    },
    /// Print the federation SDL (what schema.graphql holds).
    Schema,
    /// Mint an Open edX-shaped token for local use: HS256 with TENANCY_JWT_SECRET (or the first
    /// TENANCY_JWT_ISSUERS secret, or else the local secret `serve` made beside the SQLite
    /// database), or RS512 with `--private-jwk`.
    Token(TokenArgs),
    /// Load example data.
    Seed {
        /// The example graph: partners edx, mitpe and hxplus, their organizations, sites and
        /// some course runs. Idempotent.
        #[arg(long)]
        demo: bool,
        /// Who runs it, recorded in the change log as `seed (NAME)`.
        #[arg(long, value_parser = actor_name)]
        actor: Option<String>,
        #[command(flatten)]
        writes: Writes,
    },
    /// Create the organizations and course links that course keys need, as edx-platform's
    /// `backfill_orgs_and_org_courses` does. A dry run unless `--apply`; exit status 2 when
    /// some keys were invalid (they are listed on stderr and skipped).
    Backfill {
        /// Course run and library keys, one per line (blank lines and `#` comments skipped);
        /// stdin when absent or `-`.
        file: Option<std::path::PathBuf>,
        /// Write the changes, in one transaction (without it nothing is written).
        #[arg(long)]
        apply: bool,
        /// Create organizations and links inactive, and reactivate nothing.
        #[arg(long)]
        inactive: bool,
        /// Who runs it, recorded in the change log as `backfill (NAME)`.
        #[arg(long, value_parser = actor_name)]
        actor: Option<String>,
        #[command(flatten)]
        writes: Writes,
    },
    /// Build the graph from an existing Open edX installation's databases (read-only): the
    /// LMS's organizations, course links, sites and site configurations, discovery's partners
    /// and their organizations, ecommerce's partners and site configurations. A dry run that
    /// prints the plan per table unless `--apply`; idempotent.
    Import {
        /// The LMS database (mysql://, postgres:// or sqlite:// URL).
        #[arg(long)]
        lms_database: Option<String>,
        /// course-discovery's database.
        #[arg(long)]
        discovery_database: Option<String>,
        /// ecommerce's database.
        #[arg(long)]
        ecommerce_database: Option<String>,
        /// An edx-organizations REST API list URL, read when the LMS database is out of reach.
        #[arg(long)]
        organizations_api: Option<String>,
        /// The token for `--organizations-api` (a JWT, or `Bearer TOKEN`).
        #[arg(long, env = "TENANCY_IMPORT_TOKEN")]
        token: Option<String>,
        /// Extra trusted roots (a PEM file) for an `https://` `--organizations-api` behind a
        /// private CA or a self-signed certificate; the system's roots are always trusted.
        #[arg(long, value_name = "PEM_FILE")]
        ca_cert: Option<std::path::PathBuf>,
        /// The LMS's MEDIA_URL: organization logos are stored as paths under it.
        #[arg(long)]
        lms_media_url: Option<String>,
        /// Write, in one transaction (without it nothing is written).
        #[arg(long)]
        apply: bool,
        /// Who runs it, recorded in the change log as `import (NAME)`.
        #[arg(long, value_parser = actor_name)]
        actor: Option<String>,
        #[command(flatten)]
        writes: Writes,
    },
    /// Ask a running service whether it is ready (a container's health check; the image has no
    /// curl): exit 0 when URL answers with success, else 1 with one line saying why.
    Probe {
        /// What to ask.
        #[arg(default_value = probe::DEFAULT_URL, value_parser = probe::parse_url)]
        url: String,
        /// How long to wait for the whole answer (`3s`, `500ms`).
        #[arg(long, default_value = "3s", value_parser = crate::config::parse_duration)]
        timeout: std::time::Duration,
    },
    /// Print the configuration reference (docs/configuration.md), generated from these
    /// definitions.
    #[command(hide = true)]
    Reference,
}

pub fn main() -> ExitCode {
    let cli = match errors::parse::<Cli>() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            // Hints name the binary as it was called (`cargo run --release --`, a path, ...).
            eprintln!("error: {}", hints::as_invoked(&format!("{err:#}")));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            listen,
            no_migrate,
            migrate,
            config,
        } => {
            let mut config = *config;
            config.migrate = migrate && !no_migrate;
            let database = crate::db::open::display(&config.database_url);
            // No token setting on a SQLite file: the local secret verifies (made on first use).
            let local = crate::auth::local::for_serve(&config)?;
            let invocation = hints::invocation();
            let tokens = hints::Tokens::of(&config, local.as_ref());
            let token = hints::token(&invocation, &tokens, &config.database_url);
            crate::http::set_page_hints(crate::http::PageHints {
                token: token.clone(),
                seed: hints::seed(&invocation, &config.database_url),
            });
            if let Some(local) = &local {
                if local.created {
                    tracing::info!(path = %local.path.display(), "made the local token secret");
                }
                config.jwt_secret = Some(crate::config::Secret(local.secret.clone()));
            }
            let server = Server::bind(config, &listen).await?;
            let addr = server.local_addr()?;
            // Before the lines that tell scripts the service is up: a stop right after them
            // is then a clean one.
            let shutdown = shutdown_signal();
            // Tests and scripts read the first line to find the port. One write, whose failure
            // is ignored: a reader that closes the pipe after that line must not stop the
            // service (println! would panic on the broken pipe).
            let lines = hints::start_up(&format!("http://{addr}"), &database, &tokens, &token);
            let mut out = std::io::stdout().lock();
            let _ = out
                .write_all(format!("listening on http://{addr}\n{lines}").as_bytes())
                .and_then(|()| out.flush());
            drop(out);
            tracing::info!(%addr, "serving");
            server.run(shutdown).await?;
        }
        Command::Migrate {
            database,
            check: true,
        } => {
            let db = connect(&database.database_url).await?;
            let pending = crate::db::pending_migrations(&db).await?;
            crate::db::open::close(db).await;
            if pending.is_empty() {
                println!("no pending migrations");
            } else {
                for name in &pending {
                    println!("pending: {name}");
                }
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Migrate {
            database,
            check: false,
        } => {
            let db = connect(&database.database_url).await?;
            let applied = crate::db::migrate(&db).await;
            crate::db::open::close(db).await;
            let applied = applied?;
            if applied.is_empty() {
                println!("database already up to date: no pending migrations");
            } else {
                for name in &applied {
                    println!("applied: {name}");
                }
                println!("database migrated: {} migrations applied", applied.len());
            }
        }
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
        }
        Command::Reference => {
            print!("{}", reference::markdown(&Cli::command()));
        }
        Command::Token(args) => {
            println!("{}", token::mint(args)?);
        }
        Command::Seed {
            demo,
            actor,
            writes,
        } => {
            if !demo {
                anyhow::bail!(
                    "nothing to seed; hint: pass --demo for the example graph (`tenancy-gateway seed --demo`)"
                );
            }
            let config = writes.config();
            let db = connect(&config.database_url).await?;
            crate::db::migrate(&db).await?;
            let caller = Caller::operator("seed", actor.as_deref());
            let scope = &*caller.scope;
            let report = crate::service::seed::demo(operator(&db, scope, &config))
                .await
                .map_err(operator_error);
            crate::db::open::close(db).await;
            println!("{}", report?);
            println!(
                "database: {}",
                crate::db::open::display(&config.database_url)
            );
        }
        Command::Backfill {
            file,
            apply,
            inactive,
            actor,
            writes,
        } => {
            let opts = crate::domain::backfill::BackfillOptions { apply, inactive };
            let caller = Caller::operator("backfill", actor.as_deref());
            let scope = &*caller.scope;
            return backfill::run(&writes.config(), scope, file, opts).await;
        }
        Command::Import {
            lms_database,
            discovery_database,
            ecommerce_database,
            organizations_api,
            token,
            ca_cert,
            lms_media_url,
            apply,
            actor,
            writes,
        } => {
            let caller = Caller::operator("import", actor.as_deref());
            let scope = &*caller.scope;
            let args = import::ImportArgs {
                urls: crate::service::import::SourceUrls {
                    lms: lms_database,
                    discovery: discovery_database,
                    ecommerce: ecommerce_database,
                    media_url: lms_media_url,
                },
                organizations_api,
                token,
                ca_cert,
                apply,
            };
            import::run(&writes.config(), scope, args).await?;
        }
        Command::Probe { url, timeout } => return Ok(probe::run(&url, timeout).await),
    }
    Ok(ExitCode::SUCCESS)
}

/// An operator's use of a service, with the configured mode.
fn operator<'a>(
    db: &'a sea_orm::DatabaseConnection,
    scope: &'a Scope,
    config: &Config,
) -> crate::service::Actor<'a> {
    crate::access::actor(scope, db, config.organizations_autocreate, None, None)
}

/// An error as an operator at the command line should see it: an internal error with its
/// cause (the client of a server never sees that).
/// `--actor`: a name as a grant's subject is one (1-255 characters, not blank, no NUL).
fn actor_name(value: &str) -> Result<String, String> {
    use crate::domain::names::{Parse, Subject};
    Subject::parse(value)
        .map(Subject::into_string)
        .map_err(|e| e.0)
}

fn operator_error(err: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!(err.for_operator())
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only for a person at a terminal, never in files or journald.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
