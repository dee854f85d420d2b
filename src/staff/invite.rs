//! Set-password links for staff: the invitation of a new member and a reset asked for by
//! an owner. One random token per link, only its SHA-256 stored (`staff_tokens`), single
//! use, 72 hours; a newer link replaces the older ones. The mail is the `staff_invite`
//! template, queued in the same transaction as the change that needs it.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::store::StaffRow;
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::mail::templates::queue_templated;
use crate::secret::{hash_token, random_token};
use crate::settings;

/// How long a set-password link works.
pub const HOURS: i64 = 72;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Invite,
    Reset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Invite => "invite",
            Purpose::Reset => "reset",
        }
    }
}

/// A password nobody can type: the hash parser refuses it, so no login works until the
/// member sets a password through their link.
pub const NO_PASSWORD: &str = "!unset";

/// Makes a link for `staff_id` (earlier unused ones stop working); returns the token.
pub fn create(
    conn: &Connection,
    staff_id: i64,
    purpose: Purpose,
    now: OffsetDateTime,
) -> AppResult<String> {
    conn.execute(
        "UPDATE staff_tokens SET used_at = ?2 WHERE staff_id = ?1 AND used_at IS NULL",
        params![staff_id, sql_time(now)],
    )?;
    let token = random_token();
    conn.execute(
        "INSERT INTO staff_tokens (staff_id, purpose, token_hash, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            staff_id,
            purpose.as_str(),
            hash_token(&token),
            sql_time(now),
            sql_time(now + Duration::hours(HOURS))
        ],
    )?;
    Ok(token)
}

pub struct Valid {
    pub id: i64,
    pub staff_id: i64,
    pub purpose: String,
}

/// The link's row if it can still be used; the error says why not.
pub fn check(conn: &Connection, token: &str, now: OffsetDateTime) -> AppResult<Valid> {
    let row: Option<(i64, i64, String, String, Option<String>, bool)> = conn
        .query_row(
            "SELECT t.id, t.staff_id, t.purpose, t.expires_at, t.used_at, s.active
             FROM staff_tokens t JOIN staff s ON s.id = t.staff_id WHERE t.token_hash = ?1",
            [hash_token(token.trim())],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()?;
    match row {
        None => Err(AppError::NotFound(
            "This link is not valid. Check that you opened the whole link from the mail.".into(),
        )),
        Some((_, _, _, _, Some(_), _)) => Err(AppError::Gone(
            "This link has already been used, or a newer one was sent since. Ask an owner for a new one."
                .into(),
        )),
        Some((_, _, _, expires, None, _)) if expires <= sql_time(now) => Err(AppError::Gone(
            format!("This link has expired (links work for {HOURS} hours). Ask an owner for a new one."),
        )),
        Some((_, _, _, _, None, false)) => Err(AppError::Gone(
            "This staff account has been deactivated.".into(),
        )),
        Some((id, staff_id, purpose, _, None, true)) => Ok(Valid {
            id,
            staff_id,
            purpose,
        }),
    }
}

/// Marks the link used (in the caller's transaction, with the new password).
pub fn consume(conn: &Connection, token: &str, now: OffsetDateTime) -> AppResult<Valid> {
    let v = check(conn, token, now)?;
    conn.execute(
        "UPDATE staff_tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
        params![v.id, sql_time(now)],
    )?;
    Ok(v)
}

/// Queues the `staff_invite` mail with a fresh link for `staff`.
pub fn send(
    conn: &Connection,
    staff: &StaffRow,
    purpose: Purpose,
    invited_by: &str,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<i64> {
    let token = create(conn, staff.id, purpose, now)?;
    let ctx = json!({
        "shop": { "name": settings::get(conn, "shop.name")?, "url": base_url },
        "customer": { "first_name": staff.name, "last_name": "", "email": staff.email },
        "staff": { "name": staff.name, "email": staff.email, "role": staff.role },
        "invited_by": invited_by,
        "reset": purpose == Purpose::Reset,
        "link": format!("{base_url}/admin/set-password/{token}"),
        "expires_hours": HOURS,
    });
    queue_templated(conn, "staff_invite", &staff.email, &staff.name, &ctx, now)
}
