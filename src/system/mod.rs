//! Health (`/health`), the back office's system page (`page`: jobs, mail queue,
//! database size, version, last backup) and the audit log (`audit_log`).

pub mod audit_log;
pub mod page;

use std::time::Instant;

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{get, routes, State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;

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
    let h = probe(db).await;
    let status = if h.status == "ok" {
        Status::Ok
    } else {
        Status::ServiceUnavailable
    };
    (status, Json(h))
}

/// What `/health` answers (the system page shows the same).
pub async fn probe(db: &Db) -> Health {
    let probe = db
        .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))?))
        .await;
    let (status, db_state, schema) = match probe {
        Ok(v) => (Status::Ok, "ok".to_string(), v),
        Err(e) => (Status::ServiceUnavailable, e.public_message(), 0),
    };
    Health {
        status: if status == Status::Ok {
            "ok".into()
        } else {
            "degraded".into()
        },
        db: db_state,
        version: env!("CARGO_PKG_VERSION").into(),
        schema_version: schema,
    }
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(health))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = routes![health];
    r.extend(page::routes());
    r
}
