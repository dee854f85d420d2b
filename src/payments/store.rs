//! The `payments` table: one row per attempt, whatever its outcome, each with its audit
//! entry in the same transaction. Rows are only ever added, never changed: a PayPal
//! payment is a `started` row when the buyer is sent to PayPal and a `succeeded` (or
//! `refused`/`failed`) row when they come back.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use super::Method;
use crate::audit::{self, Actor};
use crate::clock::sql_time;
use crate::error::AppResult;
use crate::orders::status;
use crate::web::client::ClientIp;

/// Who makes an attempt: as the order history names them, as the audit log does, and
/// from where.
#[derive(Debug, Clone)]
pub struct Who {
    /// `customer:7`, `guest`, `staff:2`, `paypal`, `system`.
    pub actor: String,
    pub audit: Actor,
    pub ip: Option<ClientIp>,
}

impl Who {
    pub fn customer(id: i64, email: &str, ip: Option<ClientIp>) -> Who {
        Who {
            actor: status::actor_customer(id),
            audit: Actor::Customer {
                id,
                label: email.to_string(),
            },
            ip,
        }
    }

    pub fn guest(ip: Option<ClientIp>) -> Who {
        Who {
            actor: "guest".into(),
            audit: Actor::Anonymous,
            ip,
        }
    }

    pub fn staff(id: i64, email: &str, ip: Option<ClientIp>) -> Who {
        Who {
            actor: status::actor_staff(id),
            audit: Actor::Staff {
                id,
                label: email.to_string(),
            },
            ip,
        }
    }

    /// The buyer of an order, as the order itself names them (for moves made on their
    /// behalf, such as choosing cash on delivery at checkout).
    pub fn buyer_of(customer_id: Option<i64>, email: &str) -> Who {
        match customer_id {
            Some(id) => Who::customer(id, email, None),
            None => Who::guest(None),
        }
    }

    /// A payment provider's verified answer (PayPal's capture).
    pub fn provider(name: &str, ip: Option<ClientIp>) -> Who {
        Who {
            actor: name.to_string(),
            audit: Actor::System,
            ip,
        }
    }
}

/// What a payment row says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Started,
    Succeeded,
    Refused,
    Failed,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Started => "started",
            Status::Succeeded => "succeeded",
            Status::Refused => "refused",
            Status::Failed => "failed",
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            Status::Started => "payment.started",
            Status::Succeeded => "payment.succeeded",
            Status::Refused => "payment.refused",
            Status::Failed => "payment.failed",
        }
    }
}

/// One attempt to write.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub order_id: i64,
    pub method: Method,
    /// Minor units; what was offered or typed (never below 0).
    pub amount: i64,
    pub status: Status,
    /// The provider's id (PayPal order or capture), or the staff's bank reference.
    pub reference: &'a str,
    /// What the buyer was told.
    pub message: &'a str,
}

/// Writes an attempt and its audit entry, in the caller's transaction; returns its id.
pub fn record(
    conn: &Connection,
    a: &Attempt<'_>,
    who: &Who,
    now: OffsetDateTime,
) -> AppResult<i64> {
    let amount = a.amount.max(0);
    conn.prepare_cached(
        "INSERT INTO payments (order_id, method, amount, status, reference, message, actor, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        a.order_id,
        a.method.code(),
        amount,
        a.status.code(),
        a.reference,
        a.message,
        who.actor,
        sql_time(now)
    ])?;
    let id = conn.last_insert_rowid();
    let entry = if matches!(a.status, Status::Refused | Status::Failed) {
        audit::Entry::error("payments", a.status.audit_action())
    } else {
        audit::Entry::event("payments", a.status.audit_action())
    };
    audit::record(
        conn,
        &entry
            .actor(who.audit.clone())
            .ip(who.ip)
            .entity("order", a.order_id)
            .details(json!({
                "payment": id,
                "method": a.method.code(),
                "amount": amount,
                "reference": a.reference,
                "message": a.message,
            })),
    )?;
    Ok(id)
}

/// A payment row as pages and tests read it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub order_id: i64,
    pub method: String,
    pub amount: i64,
    pub status: String,
    pub reference: String,
    pub message: String,
    pub actor: String,
    pub created_at: String,
}

const COLUMNS: &str = "id, order_id, method, amount, status, reference, message, actor, created_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Payment> {
    Ok(Payment {
        id: r.get(0)?,
        order_id: r.get(1)?,
        method: r.get(2)?,
        amount: r.get(3)?,
        status: r.get(4)?,
        reference: r.get(5)?,
        message: r.get(6)?,
        actor: r.get(7)?,
        created_at: r.get(8)?,
    })
}

/// Every attempt on an order, oldest first.
pub fn list(conn: &Connection, order_id: i64) -> AppResult<Vec<Payment>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM payments WHERE order_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([order_id], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The newest row of `order_id` with this method, status and reference, if any.
pub fn find(
    conn: &Connection,
    order_id: i64,
    method: Method,
    status: Status,
    reference: &str,
) -> AppResult<Option<Payment>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM payments
             WHERE order_id = ?1 AND method = ?2 AND status = ?3 AND reference = ?4
             ORDER BY id DESC LIMIT 1"
        ))?
        .query_row(
            params![order_id, method.code(), status.code(), reference],
            row,
        )
        .optional()?)
}
