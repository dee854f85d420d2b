//! STUB replaced by the mailtpl branch (kept only so accounts compile meanwhile).
use rusqlite::Connection;
use time::OffsetDateTime;

use crate::error::AppResult;

pub fn queue_templated(
    conn: &Connection,
    name: &str,
    to_address: &str,
    to_name: &str,
    ctx: &serde_json::Value,
    now: OffsetDateTime,
) -> AppResult<i64> {
    let text = format!("{}\n", ctx["link"].as_str().unwrap_or(""));
    super::queue(
        conn,
        &super::NewMail {
            template: name,
            to_address,
            to_name,
            subject: name,
            text: &text,
            html: "",
        },
        now,
    )
}
