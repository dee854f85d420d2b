//! SQL for roles as the back office edits them: the list with staff counts, one role with
//! its grid of rights (one row per area, in the areas' order), saving and deleting.
//! The database guards the Owner role (triggers `owner_role_*`) and refuses deleting a
//! role somebody holds (`role_delete_only_unused`).

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::perm::Rights;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize)]
pub struct RoleRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub is_owner: bool,
    pub require_totp: bool,
    pub staff_count: i64,
}

pub fn list(conn: &Connection) -> AppResult<Vec<RoleRow>> {
    let mut stmt = conn.prepare(
        "SELECT r.id, r.name, r.description, r.is_owner, r.require_totp,
                (SELECT count(*) FROM staff s WHERE s.role_id = r.id)
         FROM roles r ORDER BY r.is_owner DESC, r.name COLLATE NOCASE",
    )?;
    let rows = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RoleRow> {
    Ok(RoleRow {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        is_owner: r.get(3)?,
        require_totp: r.get(4)?,
        staff_count: r.get(5)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> AppResult<RoleRow> {
    conn.query_row(
        "SELECT r.id, r.name, r.description, r.is_owner, r.require_totp,
                (SELECT count(*) FROM staff s WHERE s.role_id = r.id)
         FROM roles r WHERE r.id = ?1",
        [id],
        row,
    )
    .optional()?
    .ok_or_else(|| AppError::NotFound("There is no such role.".into()))
}

/// Areas in their order: (code, label).
pub fn areas(conn: &Connection) -> AppResult<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT code, label FROM areas ORDER BY position")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<(String, String)>, _>>()?;
    Ok(rows
        .into_iter()
        .filter(|(code, _)| !super::perm::NOT_LANDED.contains(&code.as_str()))
        .collect())
}

/// The grid: every area (missing rows are "no rights").
pub type Grid = BTreeMap<String, Rights>;

pub fn grid(conn: &Connection, role_id: i64) -> AppResult<Grid> {
    let perms = super::store::permissions(conn, role_id)?;
    Ok(areas(conn)?
        .into_iter()
        .map(|(code, _)| {
            let r = perms.0.get(&code).copied().unwrap_or_default();
            (code, r)
        })
        .collect())
}

/// Rights as short text for the audit log: "read, update" or "none".
pub fn rights_text(r: &Rights) -> String {
    let mut v = Vec::new();
    for (on, name) in [
        (r.read, "read"),
        (r.create, "create"),
        (r.update, "update"),
        (r.delete, "delete"),
    ] {
        if on {
            v.push(name);
        }
    }
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

pub fn insert(
    conn: &Connection,
    name: &str,
    description: &str,
    require_totp: bool,
) -> AppResult<i64> {
    conn.execute(
        "INSERT INTO roles (name, description, require_totp) VALUES (?1, ?2, ?3)",
        params![name, description, require_totp],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn update(
    conn: &Connection,
    id: i64,
    name: &str,
    description: &str,
    require_totp: bool,
) -> AppResult<()> {
    conn.execute(
        "UPDATE roles SET name = ?2, description = ?3, require_totp = ?4 WHERE id = ?1",
        params![id, name, description, require_totp],
    )?;
    Ok(())
}

/// Writes the whole grid (the Owner role's trigger refuses any right taken away).
pub fn save_grid(conn: &Connection, role_id: i64, grid: &Grid) -> AppResult<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO role_permissions (role_id, area, can_read, can_create, can_update, can_delete)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (role_id, area) DO UPDATE SET can_read = excluded.can_read,
             can_create = excluded.can_create, can_update = excluded.can_update,
             can_delete = excluded.can_delete",
    )?;
    for (area, r) in grid {
        stmt.execute(params![role_id, area, r.read, r.create, r.update, r.delete])?;
    }
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> AppResult<()> {
    conn.execute("DELETE FROM roles WHERE id = ?1", [id])?;
    Ok(())
}
