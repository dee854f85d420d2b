//! Cornershop: a whole online shop in one file. `build` assembles the Rocket from a config;
//! the binary (`main.rs`) and the integration tests both start the shop through it.

#![forbid(unsafe_code)]

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod captcha;
pub mod cart;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod customers;
pub mod dashboard;
pub mod db;
pub mod deliveries;
pub mod demo;
pub mod error;
pub mod exports;
pub mod jobs;
pub mod mail;
pub mod mail_pages;
pub mod marketing;
pub mod media;
pub mod money;
pub mod orders;
pub mod payments;
pub mod schedule;
pub mod secret;
pub mod settings;
pub mod settings_pages;
pub mod setup;
pub mod staff;
pub mod system;
pub mod web;

use std::path::Path;
use std::time::Instant;

use rocket::config::{Ident, LogLevel, Shutdown};
use rocket::data::{Limits, ToByteUnit};
use rocket::fairing::AdHoc;
use rocket::{Build, Orbit, Rocket};

use crate::audit::AuditSink;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::secret::Secret;

/// Everything in the data dir that must exist before the shop starts.
pub struct DataDir {
    pub db: Db,
    pub secret: Secret,
}

/// Creates the data dir and its folders, opens (or creates) the database and the key.
/// Every failure is one sentence naming the path.
pub fn open_data_dir(dir: &Path) -> Result<DataDir, String> {
    for sub in ["", "media", "outbox", "exports", "backups"] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p)
            .map_err(|e| format!("cannot create data folder {}: {e}", p.display()))?;
    }
    // Find out now, not at the first order, if the folder cannot be written.
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| format!("data folder {} is not writable: {e}", dir.display()))?;
    let secret = Secret::load_or_create(&dir.join("secret.key"))?;
    let db = Db::open(&dir.join("shop.db"))?;
    // Secrets written before they were encrypted (or by hand) are sealed now. Only
    // written when there is one, so a read-only database still opens for reading.
    if db.read_blocking(settings::plaintext_secrets).unwrap_or(0) > 0 {
        match db.write_blocking(|tx| settings::seal_plaintext(tx, &secret)) {
            Ok(n) => tracing::info!("encrypted {n} secret setting(s) stored in the clear"),
            Err(e) => tracing::warn!("cannot encrypt the secret settings stored in the clear: {e}"),
        }
    }
    Ok(DataDir { db, secret })
}

/// Told the running Rocket and the set-up token (None once set-up is done).
pub type OnReady = Box<dyn FnOnce(&Rocket<Orbit>, Option<String>) + Send + Sync>;

/// How this start differs from a plain `serve`.
#[derive(Default)]
pub struct Options {
    pub clock: Clock,
    /// Logins shown on the login page of a throw-away demo shop.
    pub demo_logins: Vec<(String, String, String)>,
    /// Called once the shop is listening (prints the URL, opens the browser, tells tests).
    pub on_ready: Option<OnReady>,
    /// Start the background jobs' loops (off in tests, which run jobs themselves).
    pub run_jobs: bool,
}

pub fn rocket_config(config: &Config) -> rocket::Config {
    rocket::Config {
        address: config.address,
        port: config.port,
        // Our own one-line-per-request log replaces Rocket's banner and logger.
        log_level: LogLevel::Off,
        cli_colors: false,
        ident: Ident::try_new("Cornershop").expect("valid ident"),
        limits: Limits::default()
            .limit("form", 64.kibibytes())
            // Multipart: CSV imports (20 MB) and image uploads; each handler checks its own
            // smaller limit and says so, this only stops a runaway body.
            .limit("data-form", 64.mebibytes())
            .limit("file", 50.mebibytes())
            .limit("json", 1.mebibytes())
            .limit("string", 64.kibibytes()),
        keep_alive: 5,
        shutdown: Shutdown {
            grace: 2,
            mercy: 3,
            ..Shutdown::default()
        },
        ..rocket::Config::default()
    }
}

/// Assembles the shop. The caller launches it.
pub fn build(config: Config, data: DataDir, opts: Options) -> Result<Rocket<Build>, String> {
    let DataDir { db, secret } = data;
    let templates = web::templates::Templates::load()?;
    db.write_blocking(|tx| mail::templates::seed(tx))
        .map_err(|e| format!("mail templates: {e}"))?;
    let setup_pending = db
        .read_blocking(staff::store::count_active)
        .map_err(|e| e.to_string())?
        == 0;
    let setup_token = setup::SetupToken::new(setup_pending);
    let (sink, worker) = AuditSink::new();
    let worker_db = db.clone();
    let on_ready = opts.on_ready;
    let jobs = opts.run_jobs.then(|| jobs::JobCtx {
        db: db.clone(),
        clock: opts.clock.clone(),
        data_dir: config.data_dir.clone(),
        secret: std::sync::Arc::new(secret.clone()),
    });

    let rocket = rocket::custom(rocket_config(&config))
        .manage(db)
        .manage(secret)
        .manage(templates)
        .manage(catalog::cache::CatalogCache::new(opts.clock.clone()))
        .manage(opts.clock)
        .manage(sink)
        .manage(setup_token)
        .manage(config)
        .manage(system::Started(Instant::now()))
        .manage(settings::Cache::default())
        .manage(auth::ratelimit::RateLimiter::default())
        .manage(captcha::Captchas::default())
        .manage(staff::auth::DemoLogins(opts.demo_logins))
        // An empty Shield replaces Rocket's default one, whose X-Frame-Options would win
        // over ours; SecurityHeaders sets the full policy.
        .attach(rocket::shield::Shield::new())
        .attach(web::headers::SecurityHeaders)
        .attach(web::cors::Cors)
        .attach(AdHoc::on_liftoff("background tasks", move |rocket| {
            Box::pin(async move {
                rocket::tokio::spawn(worker.run(worker_db));
                if let Some(ctx) = jobs {
                    jobs::start(schedule::JOBS, ctx, rocket.shutdown());
                }
                if let Some(ready) = on_ready {
                    let token = rocket.state::<setup::SetupToken>().and_then(|t| t.peek());
                    ready(rocket, token);
                }
            })
        }))
        .attach(AdHoc::on_shutdown("flush the audit log", |rocket| {
            Box::pin(async move {
                // Entries still queued (404s, refusals) are written before the shop stops.
                if let Some(sink) = rocket.state::<AuditSink>() {
                    sink.flush().await;
                }
            })
        }))
        .register("/", web::errors::catchers())
        .mount("/", routes());
    Ok(rocket)
}

fn routes() -> Vec<rocket::Route> {
    let mut r = Vec::new();
    r.extend(web::assets::routes());
    r.extend(web::cors::routes());
    r.extend(media::routes());
    r.extend(catalog::routes());
    r.extend(setup::routes());
    r.extend(accounts::routes());
    r.extend(cart::routes());
    r.extend(marketing::routes());
    r.extend(orders::routes());
    r.extend(staff::routes());
    r.extend(dashboard::routes());
    r.extend(system::audit_log::routes());
    r.extend(mail_pages::routes());
    r.extend(settings_pages::routes());
    r.extend(system::routes());
    r.extend(api::routes());
    r.extend(captcha::routes());
    r.extend(payments::routes());
    r.extend(deliveries::routes());
    r.extend(customers::routes());
    r
}
