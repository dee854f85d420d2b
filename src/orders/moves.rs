//! Status moves asked by staff, from the order page and the staff API alike: one function
//! with what each move needs (a payment, stock, a tracking number, a courier), audited;
//! and the courier's assignment.

use rusqlite::params;
use serde_json::json;

use super::{access, cancel, draft, mails, status};
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::staff::StaffUser;
use crate::web::client::ClientIp;

/// Who moves the order: the staff member and where from.
pub struct Mover<'a> {
    pub staff: &'a StaffUser,
    pub ip: Option<ClientIp>,
}

impl<'a> Mover<'a> {
    pub fn new(staff: &'a StaffUser, ip: ClientIp) -> Self {
        Mover {
            staff,
            ip: Some(ip),
        }
    }
}

/// A status move asked by staff (page or API), with what some moves need.
#[derive(Debug, Clone, Default)]
pub struct MoveRequest {
    pub to: String,
    pub tracking_number: String,
    pub courier_id: Option<i64>,
}

/// Moves an order for a staff member in the caller's transaction: `paid` records a
/// payment, placing a draft takes its stock, `shipped` needs a tracking number (and may
/// assign a courier), `cancelled` returns stock that was taken and an unpaid order's
/// voucher. Any other move goes to the database, whose trigger refuses what
/// `order_transitions` does not list (409, its message). Audited with old → new.
pub fn staff_move(
    tx: &rusqlite::Connection,
    secret: &Secret,
    id: i64,
    m: &MoveRequest,
    by: &Mover,
    base_url: &str,
    now: time::OffsetDateTime,
) -> AppResult<()> {
    let (staff, ip) = (by.staff, by.ip);
    let tracking = m.tracking_number.trim().to_string();
    if !status::ALL.contains(&m.to.as_str()) {
        return Err(AppError::Invalid(format!(
            "'{}' is not an order status.",
            m.to
        )));
    }
    if m.to == "shipped"
        && (tracking.is_empty()
            || tracking.chars().count() > 100
            || tracking.chars().any(char::is_control))
    {
        return Err(AppError::Invalid(
            "Enter the tracking number (one line, up to 100 characters) to mark the order shipped."
                .into(),
        ));
    }
    let before =
        access::get(tx, id).map_err(|_| AppError::NotFound("There is no such order.".into()))?;
    let actor = status::actor_staff(staff.id);
    let by = draft::Staff {
        id: staff.id,
        actor: staff.actor(),
        ip,
    };
    if m.to == "pending_payment" && before.status == "draft" {
        return draft::place(tx, secret, id, &by, base_url, now);
    }
    if m.to == "paid" && before.status == "pending_payment" {
        let who = crate::payments::store::Who::staff(staff.id, &staff.email, ip);
        return match crate::payments::pay::mark_paid(tx, secret, id, &who, "", base_url, now)? {
            crate::payments::Outcome::Paid => Ok(()),
            other => Err(AppError::Conflict(other.message())),
        };
    }
    if m.to == "shipped" {
        tx.execute(
            "UPDATE orders SET tracking_number = ?2 WHERE id = ?1",
            params![id, tracking],
        )?;
        if let Some(courier) = m.courier_id {
            tx.execute(
                "UPDATE orders SET courier_id = ?2 WHERE id = ?1",
                params![id, courier],
            )?;
        }
    }
    let reason = if m.to == "cancelled" {
        "Cancelled by the shop."
    } else {
        ""
    };
    mails::move_and_tell(tx, secret, id, &m.to, &actor, reason, base_url, now)?;
    // A draft never took stock, so there is none to return.
    if m.to == "cancelled" && before.status != "draft" {
        cancel::undo(tx, id, &actor, staff.actor(), now)?;
    }
    if m.to == "delivered" {
        crate::payments::pay::cash_collected(tx, &before, staff, ip, now)?;
    }
    let mut new = json!({ "status": m.to });
    if m.to == "shipped" {
        new["tracking_number"] = json!(tracking);
        new["courier_id"] = json!(m.courier_id);
    }
    audit::record(
        tx,
        &audit::Entry::event("orders", "order.status")
            .actor(staff.actor())
            .ip(ip)
            .entity("order", id)
            .details(json!({ "old": { "status": before.status }, "new": new })),
    )
}

/// Assigns (or clears, with None) the courier of an order, audited; the database's
/// trigger refuses a staff member whose role may not deliver.
pub fn assign(
    tx: &rusqlite::Connection,
    id: i64,
    courier: Option<i64>,
    by: &Mover,
) -> AppResult<()> {
    let old: Option<i64> = tx
        .query_row("SELECT courier_id FROM orders WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .map_err(|_| AppError::NotFound("There is no such order.".into()))?;
    tx.execute(
        "UPDATE orders SET courier_id = ?2 WHERE id = ?1",
        params![id, courier],
    )?;
    audit::record(
        tx,
        &audit::Entry::event("orders", "order.courier")
            .actor(by.staff.actor())
            .ip(by.ip)
            .entity("order", id)
            .details(json!({ "old": old, "new": courier })),
    )
}
