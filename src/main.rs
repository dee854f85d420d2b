//! The `cornershop` command: serve the shop (default), fill demo data, recover staff
//! access and change settings without a browser.

use std::io::IsTerminal;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use cornershop::config::{Config, Overrides};
use cornershop::{audit, demo, settings, staff, Options};

#[derive(Parser)]
#[command(
    name = "cornershop",
    version,
    about = "A whole online shop in one file."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// `cornershop --port 8001` is `cornershop serve --port 8001`; with another command
    /// these are ignored.
    #[command(flatten)]
    serve: ServeArgs,
    /// Folder for the database, media, outbox and backups.
    #[arg(long, global = true, env = "CORNERSHOP_DATA")]
    data_dir: Option<PathBuf>,
    /// Config file (default: ./cornershop.toml when present).
    #[arg(long, global = true, env = "CORNERSHOP_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Args, Default, Clone)]
struct ServeArgs {
    /// Address to listen on (default 127.0.0.1).
    #[arg(long, env = "CORNERSHOP_ADDRESS")]
    address: Option<IpAddr>,
    /// Port to listen on (default 8000).
    #[arg(long, env = "CORNERSHOP_PORT")]
    port: Option<u16>,
    /// Run a throw-away demo shop in a temporary folder, with demo logins shown.
    #[arg(long)]
    demo: bool,
    /// Do not open the set-up page in a browser.
    #[arg(long)]
    no_browser: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the shop (the default).
    Serve(ServeArgs),
    /// Fill the shop with realistic demo products.
    Demo {
        /// How many products to add.
        #[arg(long)]
        products: usize,
        /// Seed for the generator (same seed, same shop).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Staff accounts, without a browser.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Read and change settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff account.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// Role name: Owner, Manager, Viewer, Courier or one you created.
        #[arg(long, default_value = "Owner")]
        role: String,
        /// Display name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
    },
    /// Set a new password (printed when not given) and end the account's sessions.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
        /// Also turn off two-factor login (for someone who lost their phone and recovery
        /// codes); they can set it up again after logging in.
        #[arg(long)]
        disable_two_factor: bool,
    },
}

#[derive(Subcommand)]
enum SettingsCommand {
    /// Every setting with its value (secrets masked).
    List,
    /// One setting's value.
    Get { key: String },
    /// Change a setting (checked against its type).
    Set { key: String, value: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log = init_logging();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            drop(_log); // flush pending log lines before the error line
            eprintln!("cornershop: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// One line per request and our own messages on stderr; `CORNERSHOP_LOG` sets the level
/// (default `info`). Rocket's own records repeat ours (every 404 as an error, for one), so
/// they are off unless the filter names Rocket itself; panics still print via the hook. Lines are written by a background thread
/// so a slow terminal or journal never holds up a request; colours only on a terminal.
fn init_logging() -> tracing_appender::non_blocking::WorkerGuard {
    let spec = std::env::var("CORNERSHOP_LOG").unwrap_or_else(|_| "info".into());
    let spec = if spec.contains("rocket") {
        spec
    } else {
        format!("{spec},rocket=off,hyper=error")
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&spec)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,rocket=off,hyper=error"));
    // The queue is allocated and touched whole at start: the default 128,000 lines took
    // 4 MB of an idle shop's memory. 8,192 lines is a burst of several seconds of requests;
    // beyond that lines are dropped rather than holding up requests.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(8192)
        .finish(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer)
        .init();
    guard
}

fn run(cli: Cli) -> Result<(), String> {
    let serve_args = match &cli.command {
        None => Some(cli.serve.clone()),
        // Options after `serve` win over the same ones before it.
        Some(Command::Serve(a)) => Some(ServeArgs {
            address: a.address.or(cli.serve.address),
            port: a.port.or(cli.serve.port),
            demo: a.demo || cli.serve.demo,
            no_browser: a.no_browser || cli.serve.no_browser,
        }),
        _ => None,
    };
    let over = Overrides {
        address: serve_args.as_ref().and_then(|a| a.address),
        port: serve_args.as_ref().and_then(|a| a.port),
        data_dir: cli.data_dir.clone(),
        config_file: cli.config.clone(),
    };
    let config = Config::load(&over)?;
    match cli.command {
        None | Some(Command::Serve(_)) => serve(config, serve_args.unwrap_or_default()),
        Some(Command::Demo { products, seed }) => {
            let data = cornershop::open_data_dir(&config.data_dir)?;
            let s = demo::fill_db(&data.db, &config.data_dir.join("media"), products, seed)?;
            println!(
                "Added {} products ({} images) in {} categories to {}.",
                s.products,
                s.images,
                s.categories,
                config.data_dir.display()
            );
            Ok(())
        }
        Some(Command::Admin(cmd)) => {
            let data = cornershop::open_data_dir(&config.data_dir)?;
            match cmd {
                AdminCommand::Create {
                    email,
                    password,
                    role,
                    name,
                } => {
                    let id =
                        staff::cli::create(&data.db, &email, name.as_deref(), &password, &role)?;
                    println!("Created staff account {id} ({email}, role {role}).");
                }
                AdminCommand::ResetPassword {
                    email,
                    password,
                    disable_two_factor,
                } => {
                    let pw = staff::cli::reset_password(
                        &data.db,
                        &email,
                        password.as_deref(),
                        disable_two_factor,
                    )?;
                    if disable_two_factor {
                        println!("Two-factor login turned off for {email}.");
                    }
                    if password.is_some() {
                        println!("Password changed for {email}; all of their sessions were ended.");
                    } else {
                        println!(
                            "New password for {email}: {pw}\nAll of their sessions were ended."
                        );
                    }
                }
            }
            Ok(())
        }
        Some(Command::Settings(cmd)) => {
            let data = cornershop::open_data_dir(&config.data_dir)?;
            settings_command(&data.db, &data.secret, cmd)
        }
    }
}

fn settings_command(
    db: &cornershop::db::Db,
    secret: &cornershop::secret::Secret,
    cmd: SettingsCommand,
) -> Result<(), String> {
    match cmd {
        SettingsCommand::List => {
            let rows = db
                .read_blocking(settings::list)
                .map_err(|e| e.public_message())?;
            let width = rows.iter().map(|(k, _)| k.name.len()).max().unwrap_or(0);
            for (k, v) in rows {
                println!("{:width$}  {v}", k.name);
            }
        }
        SettingsCommand::Get { key } => {
            let k = settings::keys::find(&key).ok_or_else(|| {
                format!(
                    "there is no setting called '{key}'; `cornershop settings list` shows them all"
                )
            })?;
            // A secret is masked: the command line never prints one.
            let v = db
                .read_blocking(|c| settings::get_shown(c, k.name))
                .map_err(|e| e.public_message())?;
            println!("{v}");
        }
        SettingsCommand::Set { key, value } => {
            let is_secret = settings::keys::find(&key).is_some_and(|k| k.secret);
            let (old, new) = db
                .write_blocking(|tx| {
                    // Old and new come back masked for a secret.
                    let (old, new) = settings::set(tx, secret, &key, &value)?;
                    audit::record(
                        tx,
                        &audit::Entry::event("settings", "setting.changed")
                            .actor(audit::Actor::Cli)
                            .entity("setting", &key)
                            .details(serde_json::json!({ "old": old, "new": new })),
                    )?;
                    Ok((old, new))
                })
                .map_err(|e| e.public_message())?;
            if is_secret {
                println!("{key} changed.");
            } else {
                println!("{key}: {old} -> {new}");
            }
        }
    }
    Ok(())
}

fn serve(mut config: Config, args: ServeArgs) -> Result<(), String> {
    let mut opts = Options {
        run_jobs: true,
        ..Options::default()
    };
    // A throw-away shop: its folder disappears when it stops.
    let _demo_dir = if args.demo {
        let dir = tempfile::Builder::new()
            .prefix("cornershop-demo-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
        config.data_dir = dir.path().to_path_buf();
        Some(dir)
    } else {
        None
    };
    let data = cornershop::open_data_dir(&config.data_dir)?;
    if args.demo {
        opts.demo_logins = demo::demo_shop(&data.db, &data.secret, &config.data_dir.join("media"))?;
    }
    let open_browser = !args.no_browser
        && !args.demo
        && config.config_file.is_none()
        && std::io::stdout().is_terminal();
    let demo_mode = args.demo;
    let listen = config.clone();
    opts.on_ready = Some(Box::new(move |rocket, token| {
        // The bound port (differs from the configured one when that was 0).
        let url = Config {
            port: rocket.config().port,
            ..listen
        }
        .local_url();
        match token {
            Some(t) => {
                let link = format!("{url}/setup?token={t}");
                println!("Cornershop is running at {url} — finish set-up at {link}");
                if open_browser {
                    open_in_browser(&link);
                }
            }
            None if demo_mode => println!("Cornershop demo shop is running at {url} — back office at {url}/admin (demo logins are shown there)"),
            None => println!("Cornershop is running at {url} — back office at {url}/admin"),
        }
    }));
    let rocket = cornershop::build(config.clone(), data, opts)?;
    rocket::execute(async move {
        match rocket.launch().await {
            Ok(_) => Ok(()),
            Err(e) => Err(launch_error(&e, &config)),
        }
    })
}

fn launch_error(e: &rocket::Error, config: &Config) -> String {
    match e.kind() {
        rocket::error::ErrorKind::Bind(io) => match io.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "cannot listen on {}:{}: the port is already in use (is another Cornershop running?). Choose another with --port.",
                config.address, config.port
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "cannot listen on {}:{}: permission denied (ports below 1024 need privileges). Choose another with --port.",
                config.address, config.port
            ),
            _ => format!("cannot listen on {}:{}: {io}", config.address, config.port),
        },
        other => format!("cannot start: {other}"),
    }
}

fn open_in_browser(url: &str) {
    #[cfg(target_os = "macos")]
    let cmd = ("open", vec![url]);
    #[cfg(target_os = "windows")]
    let cmd = ("cmd", vec!["/C", "start", "", url]);
    #[cfg(not(any(target_os = "macos", target_os = "windows")))]
    let cmd = ("xdg-open", vec![url]);
    let _ = std::process::Command::new(cmd.0)
        .args(cmd.1)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
