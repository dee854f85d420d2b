//! The promotions' SQL: the rows, what runs at a given time, the next start or end, and
//! the status moves. Every change is audited in the caller's transaction.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use serde_json::json;

use super::rule::{Kind, Offer, Reach};
use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::staff::By;

/// A promotion as stored, with its products when it names some.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Promotion {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub value: i64,
    pub scope: String,
    pub category_id: Option<i64>,
    pub product_ids: Vec<i64>,
    pub starts_at: String,
    pub ends_at: String,
    pub enabled: bool,
    pub status: String,
    pub banner: String,
    pub archived_at: Option<String>,
}

/// What a save writes: a promotion without its id, status and archive mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draft {
    pub name: String,
    pub kind: Kind,
    pub value: i64,
    pub scope: String,
    pub category_id: Option<i64>,
    pub product_ids: Vec<i64>,
    pub starts_at: String,
    pub ends_at: String,
    pub enabled: bool,
    pub banner: String,
}

impl Promotion {
    /// The promotion as a save writes it.
    pub fn draft(&self) -> Draft {
        Draft {
            name: self.name.clone(),
            kind: Kind::parse(&self.kind).unwrap_or(Kind::Percent),
            value: self.value,
            scope: self.scope.clone(),
            category_id: self.category_id,
            product_ids: self.product_ids.clone(),
            starts_at: self.starts_at.clone(),
            ends_at: self.ends_at.clone(),
            enabled: self.enabled,
            banner: self.banner.clone(),
        }
    }
}

/// Switches a promotion off or on again, audited; an archived one stays as it is.
pub fn set_enabled(tx: &Connection, id: i64, on: bool, by: &By, now: &str) -> AppResult<i64> {
    let before = must_get(tx, id)?;
    if before.archived_at.is_some() {
        return Err(AppError::Conflict(
            "This promotion is archived: it stays as the orders charged with it knew it.".into(),
        ));
    }
    let draft = Draft {
        enabled: on,
        ..before.draft()
    };
    save(tx, Some(&before), &draft, by, now)
}

/// The status a promotion has at `now` (all UTC, as stored).
pub fn status_at(enabled: bool, starts_at: &str, ends_at: &str, now: &str) -> &'static str {
    if !enabled {
        "disabled"
    } else if now < starts_at {
        "scheduled"
    } else if now < ends_at {
        "active"
    } else {
        "ended"
    }
}

const COLUMNS: &str = "id, name, kind, value, scope, category_id, starts_at, ends_at, enabled, \
    status, banner, archived_at";

fn row(r: &Row<'_>) -> rusqlite::Result<Promotion> {
    Ok(Promotion {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        value: r.get(3)?,
        scope: r.get(4)?,
        category_id: r.get(5)?,
        product_ids: Vec::new(),
        starts_at: r.get(6)?,
        ends_at: r.get(7)?,
        enabled: r.get(8)?,
        status: r.get(9)?,
        banner: r.get(10)?,
        archived_at: r.get(11)?,
    })
}

fn product_ids(c: &Connection, id: i64) -> AppResult<Vec<i64>> {
    let mut stmt = c.prepare_cached(
        "SELECT product_id FROM promotion_products WHERE promotion_id = ?1 ORDER BY product_id",
    )?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(c: &Connection, id: i64) -> AppResult<Option<Promotion>> {
    let found = c
        .prepare_cached(&format!("SELECT {COLUMNS} FROM promotions WHERE id = ?1"))?
        .query_row([id], row)
        .optional()?;
    match found {
        Some(mut p) => {
            p.product_ids = product_ids(c, id)?;
            Ok(Some(p))
        }
        None => Ok(None),
    }
}

pub fn must_get(c: &Connection, id: i64) -> AppResult<Promotion> {
    get(c, id)?.ok_or_else(|| AppError::NotFound("There is no such promotion.".into()))
}

/// Promotions of one status (`""`: all but archived; `archived`: only those), soonest
/// first among the running and scheduled, then the newest.
pub fn list(c: &Connection, status: &str) -> AppResult<Vec<Promotion>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM promotions
         WHERE CASE ?1 WHEN 'archived' THEN archived_at IS NOT NULL
                       WHEN '' THEN archived_at IS NULL
                       ELSE archived_at IS NULL AND status = ?1 END
         ORDER BY status <> 'active', status <> 'scheduled', starts_at DESC, id DESC"
    ))?;
    let mut out: Vec<Promotion> = stmt.query_map([status], row)?.collect::<Result<_, _>>()?;
    for p in &mut out {
        p.product_ids = product_ids(c, p.id)?;
    }
    Ok(out)
}

/// How many order lines were charged with the promotion.
pub fn order_lines(c: &Connection, id: i64) -> AppResult<i64> {
    Ok(
        c.prepare_cached("SELECT count(*) FROM order_lines WHERE promotion_id = ?1")?
            .query_row([id], |r| r.get(0))?,
    )
}

/// The promotions running at `now` (UTC), as pricing needs them: enabled, not archived,
/// inside their window. Categories come with their subcategories.
pub fn offers_at(c: &Connection, now: &str) -> AppResult<Vec<Offer>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, name, kind, value, scope, category_id, banner, ends_at FROM promotions
         WHERE enabled = 1 AND archived_at IS NULL AND starts_at <= ?1 AND ends_at > ?1
         ORDER BY id",
    )?;
    type Found = (
        i64,
        String,
        String,
        i64,
        String,
        Option<i64>,
        String,
        String,
    );
    let found: Vec<Found> = stmt
        .query_map([now], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(found.len());
    for (id, name, kind, value, scope, category, banner, ends_at) in found {
        let reach = match (scope.as_str(), category) {
            ("category", Some(cat)) => Reach::Categories(subtree(c, cat)?),
            ("products", _) => Reach::Products(product_ids(c, id)?),
            _ => Reach::Shop,
        };
        out.push(Offer {
            id,
            name,
            kind: Kind::parse(&kind).unwrap_or(Kind::Percent),
            value,
            reach,
            banner,
            ends_at,
        });
    }
    Ok(out)
}

/// A category and every category below it.
fn subtree(c: &Connection, id: i64) -> AppResult<Vec<i64>> {
    let mut stmt = c.prepare_cached(
        "WITH RECURSIVE below(id) AS (
             SELECT ?1 UNION SELECT c.id FROM categories c JOIN below b ON c.parent_id = b.id)
         SELECT id FROM below ORDER BY id",
    )?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The next time after `now` a promotion starts or ends (what the shop shows changes then).
pub fn next_change(c: &Connection, now: &str) -> AppResult<Option<String>> {
    Ok(c.prepare_cached(
        "SELECT min(t) FROM (
                 SELECT starts_at AS t FROM promotions
                  WHERE enabled = 1 AND archived_at IS NULL AND starts_at > ?1
                 UNION ALL
                 SELECT ends_at FROM promotions
                  WHERE enabled = 1 AND archived_at IS NULL AND ends_at > ?1)",
    )?
    .query_row([now], |r| r.get(0))?)
}

/// Inserts (`before` None) or updates a checked promotion, with its status for `now`
/// and an audit entry (old → new). Returns the id.
pub fn save(
    tx: &Connection,
    before: Option<&Promotion>,
    d: &Draft,
    by: &By,
    now: &str,
) -> AppResult<i64> {
    let status = status_at(d.enabled, &d.starts_at, &d.ends_at, now);
    let id = match before {
        None => {
            tx.prepare_cached(
                "INSERT INTO promotions (name, kind, value, scope, category_id, starts_at, ends_at,
                                         enabled, status, banner)
                 VALUES (:name, :kind, :value, :scope, :category, :starts, :ends, :enabled, :status, :banner)",
            )?
            .execute(rusqlite::named_params! {
                ":name": d.name, ":kind": d.kind.as_str(), ":value": d.value, ":scope": d.scope,
                ":category": d.category_id, ":starts": d.starts_at, ":ends": d.ends_at,
                ":enabled": d.enabled, ":status": status, ":banner": d.banner,
            })?;
            tx.last_insert_rowid()
        }
        Some(b) => {
            tx.prepare_cached(
                "UPDATE promotions SET name = :name, kind = :kind, value = :value, scope = :scope,
                        category_id = :category, starts_at = :starts, ends_at = :ends,
                        enabled = :enabled, status = :status, banner = :banner
                 WHERE id = :id",
            )?
            .execute(rusqlite::named_params! {
                ":id": b.id, ":name": d.name, ":kind": d.kind.as_str(), ":value": d.value,
                ":scope": d.scope, ":category": d.category_id, ":starts": d.starts_at,
                ":ends": d.ends_at, ":enabled": d.enabled, ":status": status, ":banner": d.banner,
            })?;
            b.id
        }
    };
    let products = if d.scope == "products" {
        d.product_ids.clone()
    } else {
        Vec::new()
    };
    if before.is_some_and(|b| b.product_ids != products) {
        tx.execute(
            "DELETE FROM promotion_products WHERE promotion_id = ?1",
            [id],
        )?;
    }
    if before.is_none_or(|b| b.product_ids != products) {
        for p in &products {
            tx.prepare_cached(
                "INSERT INTO promotion_products (promotion_id, product_id) VALUES (?1, ?2)",
            )?
            .execute(params![id, p])?;
        }
    }
    let after = must_get(tx, id)?;
    let (action, details) = match before {
        None => ("promotion.created", json!({ "new": after })),
        Some(b) if *b == after => return Ok(id),
        Some(b) => ("promotion.updated", json!({ "old": b, "new": after })),
    };
    audit::record(
        tx,
        &audit::Entry::event("marketing", action)
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("promotion", id)
            .details(details),
    )?;
    Ok(id)
}

/// What became of a promotion asked to be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    Deleted,
    /// Orders were charged with it: it is kept for them, out of the list and of pricing.
    Archived,
}

pub fn remove(tx: &Connection, id: i64, by: &By, now: &str) -> AppResult<Removed> {
    let p = must_get(tx, id)?;
    let used = order_lines(tx, id)?;
    let (action, outcome) = if used > 0 {
        tx.execute(
            "UPDATE promotions SET archived_at = ?2 WHERE id = ?1 AND archived_at IS NULL",
            params![id, now],
        )?;
        ("promotion.archived", Removed::Archived)
    } else {
        tx.execute("DELETE FROM promotions WHERE id = ?1", [id])?;
        ("promotion.deleted", Removed::Deleted)
    };
    audit::record(
        tx,
        &audit::Entry::event("marketing", action)
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("promotion", id)
            .details(json!({ "old": p, "order_lines": used })),
    )?;
    Ok(outcome)
}

/// Moves every promotion whose status is behind the clock (a start or end passed),
/// each move audited as the system's; returns how many moved.
pub fn move_statuses(tx: &Connection, now: &str) -> AppResult<usize> {
    let mut stmt = tx.prepare_cached(
        "SELECT id, enabled, starts_at, ends_at, status FROM promotions WHERE archived_at IS NULL",
    )?;
    let rows: Vec<(i64, bool, String, String, String)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut moved = 0;
    for (id, enabled, starts, ends, old) in rows {
        let new = status_at(enabled, &starts, &ends, now);
        if new == old {
            continue;
        }
        tx.prepare_cached("UPDATE promotions SET status = ?2 WHERE id = ?1")?
            .execute(params![id, new])?;
        audit::record(
            tx,
            &audit::Entry::event("marketing", "promotion.status")
                .actor(Actor::System)
                .entity("promotion", id)
                .details(json!({ "old": { "status": old }, "new": { "status": new } })),
        )?;
        moved += 1;
    }
    Ok(moved)
}
