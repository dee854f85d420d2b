//! The back office's system page (`/admin/system`, area `system`): health as `/health`
//! says it, every job with its interval, last run, result and errors, the mail queue's
//! depth, the database's size (pages and write-ahead log), version, data folder and the
//! newest file in `backups/` ("never" when there is none).

use std::path::Path;
use std::time::SystemTime;

use rocket::response::content::RawHtml;
use rocket::{get, routes, State};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;

use super::Started;
use crate::clock::shown_time;
use crate::db::migrate;
use crate::error::AppResult;
use crate::jobs::runs;
use crate::staff::perm::ReadSystem;
use crate::staff::{nav, Can};
use crate::web::ctx::Ctx;
use crate::web::page::Page;

pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

fn seconds(n: u64) -> String {
    match n {
        n if n % 3600 == 0 && n >= 3600 => format!("{} h", n / 3600),
        n if n % 60 == 0 && n >= 60 => format!("{} min", n / 60),
        n => format!("{n} s"),
    }
}

/// One job as the page shows it.
#[derive(Serialize, Debug)]
pub struct JobView {
    pub name: String,
    pub every: String,
    pub last_at: String,
    pub last_outcome: String,
    pub last_summary: String,
    /// Runs kept (passes with nothing to do are not recorded) and how many failed.
    pub runs: i64,
    pub errors: i64,
    pub last_error_at: String,
    pub last_error: String,
}

/// Every known job (and any job with recorded runs), with its latest run.
pub fn jobs(c: &Connection) -> AppResult<Vec<JobView>> {
    let mut names: Vec<String> = crate::schedule::JOBS
        .iter()
        .map(|j| j.name.to_string())
        .collect();
    for n in runs::names(c)? {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let mut out = Vec::new();
    for name in names {
        let last = runs::latest(c, &name, false)?.unwrap_or_default();
        let (runs, errors) = runs::tally(c, &name)?;
        let last_error = runs::latest(c, &name, true)?.unwrap_or_default();
        let every = crate::schedule::JOBS
            .iter()
            .find(|j| j.name == name)
            .map(|j| seconds(crate::jobs::interval(c, j).as_secs()))
            .unwrap_or_default();
        out.push(JobView {
            name,
            every,
            last_at: shown_time(&last.finished_at),
            last_outcome: last.outcome,
            last_summary: last.summary,
            runs,
            errors,
            last_error_at: shown_time(&last_error.finished_at),
            last_error: last_error.summary,
        });
    }
    Ok(out)
}

/// The newest file in `backups/`: (name, size, when, UTC), or None.
pub fn last_backup(data_dir: &Path) -> Option<(String, u64, String)> {
    let dir = std::fs::read_dir(data_dir.join("backups")).ok()?;
    let newest = dir
        .filter_map(Result::ok)
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            m.is_file()
                .then(|| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), e, m.len()))
        })
        .max_by_key(|(t, _, _)| *t)?;
    let (at, entry, size) = newest;
    let at = time::OffsetDateTime::from(at);
    Some((
        entry.file_name().to_string_lossy().into_owned(),
        size,
        shown_time(&crate::clock::sql_time(at)),
    ))
}

#[get("/admin/system")]
async fn page(
    me: Can<ReadSystem>,
    page: Page,
    started: &State<Started>,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let health = super::probe(cx.db).await;
    let now = cx.clock.now_sql();
    let (version, pages, page_size, jobs, queue, recent) = cx
        .db
        .read(move |c| {
            let recent: Vec<_> = runs::recent(c, 15)?
                .into_iter()
                .map(|r| json!({ "job": r.job, "at": shown_time(&r.finished_at), "outcome": r.outcome, "summary": r.summary }))
                .collect();
            let (version, pages, page_size) = crate::db::size(c)?;
            Ok((version, pages, page_size, jobs(c)?, crate::mail::queue::depth(c, &now)?, recent))
        })
        .await?;
    let wal = std::fs::metadata(cx.db.path().with_extension("db-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    let up = started.0.elapsed().as_secs();
    let db_bytes = (pages * page_size) as u64;
    let backup = last_backup(&cx.config.data_dir);
    let facts = vec![
        json!({ "label": "Version", "value": env!("CARGO_PKG_VERSION") }),
        json!({ "label": "Schema version", "value": format!("{version} (this binary writes {})", migrate::SCHEMA_VERSION) }),
        json!({ "label": "Database", "value": human_bytes(db_bytes), "hint": format!("{pages} pages of {page_size} bytes") }),
        json!({ "label": "Write-ahead log", "value": human_bytes(wal), "hint": "folded into the database at checkpoints" }),
        json!({ "label": "Data folder", "value": cx.config.data_dir.display().to_string(), "mono": true }),
        json!({ "label": "Listening on", "value": cx.config.local_url(), "mono": true }),
        json!({ "label": "Up for", "value": format!("{}h {}m {}s", up / 3600, up / 60 % 60, up % 60) }),
        match &backup {
            Some((name, size, at)) => {
                json!({ "label": "Last backup", "value": format!("{at} UTC"), "hint": format!("{name}, {}", human_bytes(*size)) })
            }
            None => {
                json!({ "label": "Last backup", "value": "never", "hint": "no file in the backups folder", "warn": true })
            }
        },
    ];
    let mut ctx = nav::context(&page, &me.staff, "system");
    ctx.insert("health", &health);
    ctx.insert("facts", &facts);
    ctx.insert("jobs", &jobs);
    ctx.insert("recent", &recent);
    ctx.insert(
        "queue",
        &json!({ "queued": queue.0, "due": queue.1, "failed": queue.2, "sent": queue.3 }),
    );
    cx.tpl.page("backoffice/system.html.tera", &ctx)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![page]
}
