//! The vouchers' SQL: the rows, the lists the pages filter, the guarded redemption in the
//! order's transaction and the give-back when that order is cancelled unpaid. Every change
//! is audited in the caller's transaction.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use serde_json::json;

use super::rule::{Kind, Voucher};
use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::staff::By;

const SELECT: &str = "SELECT v.id, v.code, v.customer_id, c.email, v.kind, v.value, v.min_subtotal,
        v.valid_from, v.valid_to, v.note, v.order_id, o.number, v.used_at, v.created_at
    FROM vouchers v
    LEFT JOIN customers c ON c.id = v.customer_id
    LEFT JOIN orders o ON o.id = v.order_id";

fn from_row(r: &Row) -> rusqlite::Result<Voucher> {
    let kind: String = r.get(4)?;
    Ok(Voucher {
        id: r.get(0)?,
        code: r.get(1)?,
        customer_id: r.get(2)?,
        customer_email: r.get(3)?,
        kind: Kind::parse(&kind).unwrap_or(Kind::Percent),
        value: r.get(5)?,
        min_subtotal: r.get(6)?,
        valid_from: r.get(7)?,
        valid_to: r.get(8)?,
        note: r.get(9)?,
        order_id: r.get(10)?,
        order_number: r.get(11)?,
        used_at: r.get(12)?,
        created_at: r.get(13)?,
    })
}

pub fn get(c: &Connection, id: i64) -> AppResult<Option<Voucher>> {
    Ok(c.prepare_cached(&format!("{SELECT} WHERE v.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn must_get(c: &Connection, id: i64) -> AppResult<Voucher> {
    get(c, id)?.ok_or_else(|| AppError::NotFound("There is no such voucher.".into()))
}

/// The voucher with this (normalised) code.
pub fn by_code(c: &Connection, code: &str) -> AppResult<Option<Voucher>> {
    Ok(c.prepare_cached(&format!("{SELECT} WHERE v.code = ?1"))?
        .query_row([code], from_row)
        .optional()?)
}

/// A customer's vouchers, the usable first, then newest first.
pub fn of_customer(c: &Connection, customer_id: i64, now: &str) -> AppResult<Vec<Voucher>> {
    let mut stmt = c.prepare_cached(&format!(
        "{SELECT} WHERE v.customer_id = ?1
         ORDER BY (v.order_id IS NULL AND v.valid_to > ?2) DESC, v.id DESC LIMIT 500"
    ))?;
    let rows = stmt.query_map(params![customer_id, now], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The back-office list's filters.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// "", "unused" (usable or not yet valid), "used" or "expired" (unused and past).
    pub state: String,
    pub customer_id: Option<i64>,
    /// Part of the code, normalised.
    pub code: String,
}

/// One page of vouchers matching `f` at `now`, newest first, and how many match.
pub fn list(
    c: &Connection,
    f: &Filter,
    now: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Voucher>, i64)> {
    let cond = "(:state = ''
            OR (:state = 'used' AND v.order_id IS NOT NULL)
            OR (:state = 'unused' AND v.order_id IS NULL AND v.valid_to > :now)
            OR (:state = 'expired' AND v.order_id IS NULL AND v.valid_to <= :now))
        AND (:customer IS NULL OR v.customer_id = :customer)
        AND (:code = '' OR instr(v.code, :code) > 0)";
    let args = rusqlite::named_params! {
        ":state": f.state, ":now": now, ":customer": f.customer_id, ":code": f.code,
    };
    let total: i64 = c
        .prepare_cached(&format!("SELECT count(*) FROM vouchers v WHERE {cond}"))?
        .query_row(args, |r| r.get(0))?;
    let mut stmt = c.prepare_cached(&format!(
        "{SELECT} WHERE {cond} ORDER BY v.id DESC LIMIT :limit OFFSET :offset"
    ))?;
    let rows = stmt.query_map(
        rusqlite::named_params! {
            ":state": f.state, ":now": now, ":customer": f.customer_id, ":code": f.code,
            ":limit": limit, ":offset": offset,
        },
        from_row,
    )?;
    Ok((rows.collect::<Result<_, _>>()?, total))
}

/// What a save writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Draft {
    pub code: String,
    pub customer_id: Option<i64>,
    pub kind: Kind,
    pub value: i64,
    pub min_subtotal: i64,
    pub valid_from: String,
    pub valid_to: String,
    pub note: String,
}

/// Inserts (`before` None) or updates a checked voucher, audited (old → new); a used one
/// cannot change (the database refuses it too). Returns the id.
pub fn save(tx: &Connection, before: Option<&Voucher>, d: &Draft, by: &By) -> AppResult<i64> {
    if before.is_some_and(|b| b.order_id.is_some()) {
        return Err(AppError::Conflict(
            "This voucher was used, so it stays as it was for its order.".into(),
        ));
    }
    let id = match before {
        None => {
            tx.prepare_cached(
                "INSERT INTO vouchers (code, customer_id, kind, value, min_subtotal, valid_from,
                                       valid_to, note, created_by)
                 VALUES (:code, :customer, :kind, :value, :min, :from, :to, :note, :by)",
            )?
            .execute(rusqlite::named_params! {
                ":code": d.code, ":customer": d.customer_id, ":kind": d.kind.as_str(),
                ":value": d.value, ":min": d.min_subtotal, ":from": d.valid_from,
                ":to": d.valid_to, ":note": d.note, ":by": format!("staff:{}", by.staff_id),
            })?;
            tx.last_insert_rowid()
        }
        Some(b) => {
            tx.prepare_cached(
                "UPDATE vouchers SET code = :code, customer_id = :customer, kind = :kind,
                        value = :value, min_subtotal = :min, valid_from = :from, valid_to = :to,
                        note = :note
                 WHERE id = :id",
            )?
            .execute(rusqlite::named_params! {
                ":id": b.id, ":code": d.code, ":customer": d.customer_id,
                ":kind": d.kind.as_str(), ":value": d.value, ":min": d.min_subtotal,
                ":from": d.valid_from, ":to": d.valid_to, ":note": d.note,
            })?;
            b.id
        }
    };
    let after = must_get(tx, id)?;
    let (action, details) = match before {
        None => ("voucher.created", json!({ "new": after })),
        Some(b) if *b == after => return Ok(id),
        Some(b) => ("voucher.updated", json!({ "old": b, "new": after })),
    };
    audit::record(
        tx,
        &audit::Entry::event("marketing", action)
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("voucher", id)
            .details(details),
    )?;
    Ok(id)
}

/// Deletes an unused voucher, audited; a used one is kept with its order.
pub fn remove(tx: &Connection, id: i64, by: &By) -> AppResult<()> {
    let v = must_get(tx, id)?;
    if let Some(number) = &v.order_number {
        return Err(AppError::Conflict(format!(
            "This voucher was used on order {number}, so it is kept with that order."
        )));
    }
    tx.execute("DELETE FROM vouchers WHERE id = ?1", [id])?;
    audit::record(
        tx,
        &audit::Entry::event("marketing", "voucher.deleted")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("voucher", id)
            .details(json!({ "old": v })),
    )
}

/// Redeems a voucher for an order in the order's transaction. The update is guarded (only
/// an unused voucher changes), so of two orders racing for it exactly one gets it; the
/// other is refused with the order that has it.
pub fn redeem(tx: &Connection, id: i64, order_id: i64, now: &str) -> AppResult<()> {
    let changed = tx
        .prepare_cached(
            "UPDATE vouchers SET order_id = ?2, used_at = ?3 WHERE id = ?1 AND order_id IS NULL",
        )?
        .execute(params![id, order_id, now])?;
    if changed == 1 {
        return Ok(());
    }
    let number = must_get(tx, id)?.order_number.unwrap_or_default();
    Err(AppError::Conflict(format!(
        "This voucher was already used on order {number}."
    )))
}

/// Gives back the voucher an order redeemed (its cancellation before payment), audited
/// with the order; nothing when it redeemed none.
pub fn give_back(tx: &Connection, order_id: i64, actor: Actor, now: &str) -> AppResult<()> {
    let held: Option<(i64, String, String)> = tx
        .prepare_cached(
            "SELECT v.id, v.code, o.number FROM vouchers v JOIN orders o ON o.id = v.order_id
             WHERE v.order_id = ?1",
        )?
        .query_row([order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((id, code, number)) = held else {
        return Ok(());
    };
    tx.prepare_cached("UPDATE vouchers SET order_id = NULL, used_at = NULL WHERE id = ?1")?
        .execute([id])?;
    audit::record(
        tx,
        &audit::Entry::event("marketing", "voucher.returned")
            .actor(actor)
            .entity("voucher", id)
            .details(json!({ "code": code, "order": number, "at": now })),
    )
}
