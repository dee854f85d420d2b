//! The target groups' SQL: customers a filter finds (without saving), groups saved with
//! the members found at that moment, refreshing from the filter, deleting, the member
//! pages and the rows of the export. Every change is audited in its transaction.

use rusqlite::{params, Connection, OptionalExtension, Row, ToSql};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::filter::{Errors, GroupFilter};
use crate::audit;
use crate::customers::query::{summaries_where, CustomerSummary};
use crate::error::{AppError, AppResult};
use crate::marketing::who;
use crate::staff::By;

/// A saved group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub filter: GroupFilter,
    /// Members now (accounts deleted since are not counted).
    pub members: i64,
    /// Who created it (the staff member's email).
    pub created_by: String,
    /// UTC, ISO 8601.
    pub created_at: String,
    pub refreshed_by: Option<String>,
    /// UTC; null until first refreshed.
    pub refreshed_at: Option<String>,
}

const SELECT: &str = "SELECT g.id, g.name, g.filter,
        (SELECT count(*) FROM target_group_members m JOIN customers c ON c.id = m.customer_id
         WHERE m.group_id = g.id AND c.deleted_at IS NULL),
        g.created_by, g.created_at, g.refreshed_by, g.refreshed_at
    FROM target_groups g";

fn from_row(r: &Row) -> rusqlite::Result<Group> {
    let filter: String = r.get(2)?;
    Ok(Group {
        id: r.get(0)?,
        name: r.get(1)?,
        // Written by this code from a checked filter; an unreadable one is no condition.
        filter: serde_json::from_str(&filter).unwrap_or_default(),
        members: r.get(3)?,
        created_by: r.get(4)?,
        created_at: r.get(5)?,
        refreshed_by: r.get(6)?,
        refreshed_at: r.get(7)?,
    })
}

pub fn list(c: &Connection) -> AppResult<Vec<Group>> {
    let mut stmt = c.prepare_cached(&format!("{SELECT} ORDER BY g.name COLLATE NOCASE, g.id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(c: &Connection, id: i64) -> AppResult<Option<Group>> {
    Ok(c.prepare_cached(&format!("{SELECT} WHERE g.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn must_get(c: &Connection, id: i64) -> AppResult<Group> {
    get(c, id)?.ok_or_else(|| AppError::NotFound("There is no such target group.".into()))
}

fn args<'a>(v: &'a [(&'static str, rusqlite::types::Value)]) -> Vec<(&'a str, &'a dyn ToSql)> {
    v.iter().map(|(k, v)| (*k, v as &dyn ToSql)).collect()
}

/// Customers `f` finds now, by name (one page), and how many it finds in all.
pub fn matching(
    c: &Connection,
    f: &GroupFilter,
    offset_minutes: i64,
    limit: i64,
    skip: i64,
) -> AppResult<(Vec<CustomerSummary>, i64)> {
    let (ids, values) = f.sql(offset_minutes);
    let a = args(&values);
    let total: i64 = c
        .prepare_cached(&format!("SELECT count(*) FROM ({ids})"))?
        .query_row(a.as_slice(), |r| r.get(0))?;
    let page = summaries_where(
        c,
        &format!("c.id IN ({ids})"),
        &a,
        &format!("ORDER BY c.last_name COLLATE NOCASE, c.first_name COLLATE NOCASE, c.id LIMIT {limit} OFFSET {skip}"),
    )?;
    Ok((page, total))
}

/// One page of a group's members, by name, and how many it has.
pub fn members(
    c: &Connection,
    group: i64,
    limit: i64,
    skip: i64,
) -> AppResult<(Vec<CustomerSummary>, i64)> {
    let total = must_get(c, group)?.members;
    let page = summaries_where(
        c,
        "c.id IN (SELECT customer_id FROM target_group_members WHERE group_id = :group)",
        &[(":group", &group)],
        &format!("ORDER BY c.last_name COLLATE NOCASE, c.first_name COLLATE NOCASE, c.id LIMIT {limit} OFFSET {skip}"),
    )?;
    Ok((page, total))
}

/// Checks a group's name: the refusal, or the trimmed name.
fn checked_name(c: &Connection, name: &str, errors: &mut Errors) -> AppResult<String> {
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.insert(
            "group_name",
            "Give the group a name of up to 100 characters.".into(),
        );
    } else if c
        .prepare_cached("SELECT 1 FROM target_groups WHERE name = ?1")?
        .query_row([&name], |_| Ok(()))
        .optional()?
        .is_some()
    {
        errors.insert(
            "group_name",
            format!("A group is already called “{name}”: choose another name."),
        );
    }
    Ok(name)
}

/// Puts the customers `f` finds now into the group (emptied first); how many.
fn fill(tx: &Connection, group: i64, f: &GroupFilter, offset_minutes: i64) -> AppResult<i64> {
    tx.prepare_cached("DELETE FROM target_group_members WHERE group_id = ?1")?
        .execute([group])?;
    let (ids, mut values) = f.sql(offset_minutes);
    values.push((":group", rusqlite::types::Value::Integer(group)));
    let n = tx
        .prepare_cached(&format!(
            "INSERT INTO target_group_members (group_id, customer_id) SELECT :group, id FROM ({ids})"
        ))?
        .execute(args(&values).as_slice())?;
    Ok(n as i64)
}

/// Saves a group with the members `f` finds now, audited; the id, or what is wrong.
pub fn create(
    tx: &Connection,
    name: &str,
    f: &GroupFilter,
    offset_minutes: i64,
    by: &By,
) -> AppResult<Result<i64, Errors>> {
    let mut errors = f.check();
    let name = checked_name(tx, name, &mut errors)?;
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let filter = serde_json::to_string(f).map_err(AppError::internal)?;
    tx.prepare_cached(
        "INSERT INTO target_groups (name, filter, created_by, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![name, filter, who(by), by.now])?;
    let id = tx.last_insert_rowid();
    let members = fill(tx, id, f, offset_minutes)?;
    audit::record(
        tx,
        &audit::Entry::event("marketing", "target_group.created")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("target_group", id)
            .details(json!({ "name": name, "filter": f, "members": members })),
    )?;
    Ok(Ok(id))
}

/// Why a group cannot change now (vouchers being issued or a campaign sent to it), if so.
pub fn busy(c: &Connection, group: i64) -> AppResult<Option<String>> {
    let running = |sql: &str| -> AppResult<bool> {
        Ok(c.prepare_cached(sql)?
            .query_row([group], |_| Ok(()))
            .optional()?
            .is_some())
    };
    if running("SELECT 1 FROM voucher_runs WHERE group_id = ?1 AND state = 'running'")? {
        return Ok(Some(
            "Vouchers are being issued to this group's members: it can change when that has finished."
                .into(),
        ));
    }
    if running("SELECT 1 FROM campaigns WHERE group_id = ?1 AND state = 'sending'")? {
        return Ok(Some(
            "A campaign is being sent to this group's members: it can change when that has finished."
                .into(),
        ));
    }
    Ok(None)
}

/// Runs the group's filter again and keeps who it finds now, audited with the counts
/// before and after: (before, after).
pub fn refresh(tx: &Connection, id: i64, offset_minutes: i64, by: &By) -> AppResult<(i64, i64)> {
    let g = must_get(tx, id)?;
    if let Some(why) = busy(tx, id)? {
        return Err(AppError::Conflict(why));
    }
    let after = fill(tx, id, &g.filter, offset_minutes)?;
    tx.prepare_cached(
        "UPDATE target_groups SET refreshed_by = ?2, refreshed_at = ?3 WHERE id = ?1",
    )?
    .execute(params![id, who(by), by.now])?;
    audit::record(
        tx,
        &audit::Entry::event("marketing", "target_group.refreshed")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("target_group", id)
            .details(json!({ "name": g.name, "before": g.members, "after": after })),
    )?;
    Ok((g.members, after))
}

/// Deletes a group (its members' accounts stay as they are), audited.
pub fn remove(tx: &Connection, id: i64, by: &By) -> AppResult<()> {
    let g = must_get(tx, id)?;
    if let Some(why) = busy(tx, id)? {
        return Err(AppError::Conflict(why));
    }
    tx.prepare_cached("DELETE FROM target_groups WHERE id = ?1")?
        .execute([id])?;
    audit::record(
        tx,
        &audit::Entry::event("marketing", "target_group.deleted")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("target_group", id)
            .details(json!({ "name": g.name, "filter": g.filter, "members": g.members })),
    )
}

/// A member as the export writes them.
pub struct ExportRow {
    pub summary: CustomerSummary,
    pub birth_date: String,
    pub country: String,
    /// They want news and offers by mail (not opted out).
    pub marketing_mail: bool,
}

/// Every member of a group, by name, with the birth date and the default (else latest)
/// address's country.
pub fn export_rows(c: &Connection, group: i64) -> AppResult<Vec<ExportRow>> {
    must_get(c, group)?;
    let people = summaries_where(
        c,
        "c.id IN (SELECT customer_id FROM target_group_members WHERE group_id = :group)",
        &[(":group", &group)],
        "ORDER BY c.last_name COLLATE NOCASE, c.first_name COLLATE NOCASE, c.id",
    )?;
    let mut extra = c.prepare_cached(
        "SELECT coalesce(c.birth_date, ''),
                coalesce((SELECT a.country FROM customer_addresses a WHERE a.customer_id = c.id
                          ORDER BY a.is_default DESC, a.id DESC LIMIT 1), ''),
                c.marketing_opt_out_at IS NULL
         FROM customers c WHERE c.id = ?1",
    )?;
    let mut out = Vec::with_capacity(people.len());
    for p in people {
        let (birth_date, country, marketing_mail) =
            extra.query_row([p.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        out.push(ExportRow {
            summary: p,
            birth_date,
            country,
            marketing_mail,
        });
    }
    Ok(out)
}
