//! The staff list and what a member's page tells about them, as the back office reads it.

use rusqlite::{params, Connection};

use super::invite;
use crate::error::AppResult;

/// One row of the staff list.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub is_owner: bool,
    pub active: bool,
    pub last_login_at: Option<String>,
    pub two_factor: bool,
    /// Invited and not yet set a password.
    pub invited: bool,
}

/// A page of staff filtered by role id (`""`: any), state (`active`, `inactive`, `""`)
/// and a name or email fragment, active first then by name; with the count of all matches.
pub fn list(
    c: &Connection,
    role: &str,
    state: &str,
    q: &str,
    page: u32,
    per_page: u32,
) -> AppResult<(Vec<Member>, u64)> {
    let like = crate::db::like_contains(q);
    let filter = "(?1 = '' OR s.role_id = CAST(?1 AS INTEGER))
        AND (?2 = '' OR s.active = (?2 = 'active'))
        AND (?3 = '' OR s.name LIKE ?4 ESCAPE '\\' OR s.email LIKE ?4 ESCAPE '\\')";
    let total: i64 = c.query_row(
        &format!("SELECT count(*) FROM staff s WHERE {filter}"),
        params![role, state, q, like],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare(&format!(
        "SELECT s.id, s.name, s.email, r.name, r.is_owner, s.active, s.last_login_at,
                s.totp_enabled_at IS NOT NULL, s.password_hash = ?5
         FROM staff s JOIN roles r ON r.id = s.role_id WHERE {filter}
         ORDER BY s.active DESC, s.name COLLATE NOCASE LIMIT ?6 OFFSET ?7"
    ))?;
    let offset = (i64::from(page.max(1)) - 1) * i64::from(per_page);
    let rows = stmt
        .query_map(
            params![role, state, q, like, invite::NO_PASSWORD, per_page, offset],
            |r| {
                Ok(Member {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    email: r.get(2)?,
                    role: r.get(3)?,
                    is_owner: r.get(4)?,
                    active: r.get(5)?,
                    last_login_at: r.get(6)?,
                    two_factor: r.get(7)?,
                    invited: r.get(8)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok((rows, total as u64))
}

/// What a member's page tells beside their row.
#[derive(Debug, Clone)]
pub struct Facts {
    pub last_login_at: Option<String>,
    pub created_at: String,
    pub invited: bool,
    /// Signed-in sessions now.
    pub sessions: i64,
}

pub fn facts(c: &Connection, id: i64) -> AppResult<Facts> {
    let (last_login_at, hash, created_at): (Option<String>, String, String) = c.query_row(
        "SELECT last_login_at, password_hash, created_at FROM staff WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let sessions = c.query_row(
        "SELECT count(*) FROM sessions WHERE kind = 'staff' AND user_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    Ok(Facts {
        last_login_at,
        created_at,
        invited: hash == invite::NO_PASSWORD,
        sessions,
    })
}
