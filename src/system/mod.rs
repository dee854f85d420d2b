//! Health and the back office's system page: version, schema, database size, uptime.

use std::time::Instant;

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::serde::json::Json;
use rocket::{get, routes, State};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::config::Config;
use crate::db::{migrate, Db};
use crate::error::AppResult;
use crate::staff::perm::ReadSystem;
use crate::staff::{nav, Can};
use crate::web::page::Page;
use crate::web::templates::Templates;

pub struct Started(pub Instant);

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    pub status: String,
    /// `ok` or the database error.
    pub db: String,
    pub version: String,
    pub schema_version: i64,
}

/// Is the shop up and its database readable?
#[utoipa::path(get, path = "/health", tag = "system",
    responses((status = 200, description = "Up", body = Health), (status = 503, description = "Database unavailable", body = Health)))]
#[get("/health")]
pub async fn health(db: &State<Db>) -> (Status, Json<Health>) {
    let probe = db
        .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?))
        .await;
    let (status, db_state, schema) = match probe {
        Ok(v) => (Status::Ok, "ok".to_string(), v),
        Err(e) => (Status::ServiceUnavailable, e.public_message(), 0),
    };
    (
        status,
        Json(Health {
            status: if status == Status::Ok {
                "ok".into()
            } else {
                "degraded".into()
            },
            db: db_state,
            version: env!("CARGO_PKG_VERSION").into(),
            schema_version: schema,
        }),
    )
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

#[get("/admin/system")]
async fn page(
    me: Can<ReadSystem>,
    page: Page,
    db: &State<Db>,
    config: &State<Config>,
    started: &State<Started>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let (version, pages, page_size): (i64, i64, i64) = db
        .read(|c| {
            Ok((
                c.query_row("PRAGMA user_version", [], |r| r.get(0))?,
                c.query_row("PRAGMA page_count", [], |r| r.get(0))?,
                c.query_row("PRAGMA page_size", [], |r| r.get(0))?,
            ))
        })
        .await?;
    let wal = std::fs::metadata(db.path().with_extension("db-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    let up = started.0.elapsed().as_secs();
    let facts = vec![
        json!({ "label": "Version", "value": env!("CARGO_PKG_VERSION") }),
        json!({ "label": "Schema version", "value": format!("{version} (this binary writes {})", migrate::SCHEMA_VERSION) }),
        json!({ "label": "Database size", "value": format!("{} (+ {} write-ahead log)", human_bytes((pages * page_size) as u64), human_bytes(wal)) }),
        json!({ "label": "Data folder", "value": config.data_dir.display().to_string() }),
        json!({ "label": "Listening on", "value": config.local_url() }),
        json!({ "label": "Up for", "value": format!("{}h {}m {}s", up / 3600, up / 60 % 60, up % 60) }),
    ];
    let mut ctx = nav::context(&page, &me.staff, "system");
    ctx.insert("facts", &facts);
    tpl.page("backoffice/system.html.tera", &ctx)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![health, page]
}
