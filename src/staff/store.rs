//! SQL for staff accounts and roles. Writes take the caller's transaction, so the audit
//! entry lands with the change.

use rusqlite::{params, Connection, OptionalExtension};

use super::perm::{Perms, Rights};
use crate::error::{AppError, AppResult};

pub struct LoginRow {
    pub id: i64,
    pub name: String,
    pub password_hash: String,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct StaffRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role_id: i64,
    pub role: String,
    pub is_owner: bool,
    pub active: bool,
    /// The role asks its members for two-factor login.
    pub require_totp: bool,
    /// This member has two-factor login on.
    pub totp_enabled: bool,
}

pub fn count_active(conn: &Connection) -> AppResult<i64> {
    Ok(
        conn.query_row("SELECT count(*) FROM staff WHERE active = 1", [], |r| {
            r.get(0)
        })?,
    )
}

pub fn find_for_login(conn: &Connection, email: &str) -> AppResult<Option<LoginRow>> {
    Ok(conn
        .query_row(
            "SELECT id, name, password_hash, active FROM staff WHERE email = ?1",
            [email.trim()],
            |r| {
                Ok(LoginRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    password_hash: r.get(2)?,
                    active: r.get(3)?,
                })
            },
        )
        .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> AppResult<Option<StaffRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT s.id, s.email, s.name, s.role_id, r.name, r.is_owner, s.active,
                    r.require_totp, s.totp_enabled_at IS NOT NULL
             FROM staff s JOIN roles r ON r.id = s.role_id WHERE s.id = ?1",
        )?
        .query_row([id], |r| {
            Ok(StaffRow {
                id: r.get(0)?,
                email: r.get(1)?,
                name: r.get(2)?,
                role_id: r.get(3)?,
                role: r.get(4)?,
                is_owner: r.get(5)?,
                active: r.get(6)?,
                require_totp: r.get(7)?,
                totp_enabled: r.get(8)?,
            })
        })
        .optional()?)
}

pub fn permissions(conn: &Connection, role_id: i64) -> AppResult<Perms> {
    let mut stmt = conn.prepare_cached(
        "SELECT area, can_read, can_create, can_update, can_delete FROM role_permissions WHERE role_id = ?1",
    )?;
    let rows = stmt.query_map([role_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Rights {
                read: r.get(1)?,
                create: r.get(2)?,
                update: r.get(3)?,
                delete: r.get(4)?,
            },
        ))
    })?;
    let mut perms = Perms::default();
    for row in rows {
        let (area, rights) = row?;
        perms.0.insert(area, rights);
    }
    Ok(perms)
}

pub fn role_id(conn: &Connection, name: &str) -> AppResult<i64> {
    conn.query_row("SELECT id FROM roles WHERE name = ?1", [name.trim()], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| {
        let names: Vec<String> = conn
            .prepare("SELECT name FROM roles ORDER BY id")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .unwrap_or_default();
        AppError::Invalid(format!(
            "There is no role '{}'. Roles: {}.",
            name.trim(),
            names.join(", ")
        ))
    })
}

pub fn insert(
    conn: &Connection,
    email: &str,
    name: &str,
    password_hash: &str,
    role_id: i64,
) -> AppResult<i64> {
    conn.execute(
        "INSERT INTO staff (email, name, password_hash, role_id) VALUES (?1, ?2, ?3, ?4)",
        params![email, name, password_hash, role_id],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn set_password(conn: &Connection, id: i64, password_hash: &str) -> AppResult<()> {
    conn.execute(
        "UPDATE staff SET password_hash = ?2 WHERE id = ?1",
        params![id, password_hash],
    )?;
    Ok(())
}

pub fn record_login(conn: &Connection, id: i64, now: &str) -> AppResult<()> {
    conn.execute(
        "UPDATE staff SET last_login_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}
