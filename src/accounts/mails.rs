//! The account mails: each makes a one-time link and queues its template, in the caller's
//! transaction, so a link exists exactly when its mail does.

use rusqlite::Connection;
use serde_json::json;
use time::OffsetDateTime;

use super::store::Customer;
use super::tokens::{self, Purpose};
use crate::error::AppResult;
use crate::mail::templates::queue_templated;
use crate::settings;

fn shop(conn: &Connection, base_url: &str) -> AppResult<serde_json::Value> {
    Ok(json!({ "name": settings::get(conn, "shop.name")?, "url": base_url }))
}

pub fn verification(
    conn: &Connection,
    c: &Customer,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    let token = tokens::create(conn, c.id, Purpose::Verify, "", now)?;
    let ctx = json!({
        "shop": shop(conn, base_url)?,
        "customer": c.mail_json(),
        "link": format!("{base_url}/account/verify?token={token}"),
        "expires_hours": Purpose::Verify.lifetime().whole_hours(),
    });
    queue_templated(conn, "verification", &c.email, &c.full_name(), &ctx, now)?;
    Ok(())
}

pub fn password_reset(
    conn: &Connection,
    c: &Customer,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    let token = tokens::create(conn, c.id, Purpose::Reset, "", now)?;
    let ctx = json!({
        "shop": shop(conn, base_url)?,
        "customer": c.mail_json(),
        "link": format!("{base_url}/account/reset?token={token}"),
        "expires_minutes": Purpose::Reset.lifetime().whole_minutes(),
    });
    queue_templated(conn, "password_reset", &c.email, &c.full_name(), &ctx, now)?;
    Ok(())
}

/// Sent to the new address: the change happens only when its owner opens the link.
pub fn email_change(
    conn: &Connection,
    c: &Customer,
    new_email: &str,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    let token = tokens::create(conn, c.id, Purpose::EmailChange, new_email, now)?;
    let ctx = json!({
        "shop": shop(conn, base_url)?,
        "customer": c.mail_json(),
        "new_email": new_email,
        "link": format!("{base_url}/account/email/confirm?token={token}"),
        "expires_hours": Purpose::EmailChange.lifetime().whole_hours(),
    });
    queue_templated(conn, "email_change", new_email, &c.full_name(), &ctx, now)?;
    Ok(())
}
