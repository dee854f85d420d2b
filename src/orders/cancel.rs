//! Cancelling: a customer may cancel their own order within the cancel window while it is
//! ready for paying or paid; staff along the transitions their role allows. Stock returns
//! in the same transaction, each unit recorded as a stock movement, and the voucher of an
//! order nothing was paid for is given back.

use rusqlite::Connection;
use time::{Duration, OffsetDateTime};

use super::access::{self, OrderHead};
use super::mails;
use crate::catalog::stock::{self, Movement};
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::marketing::vouchers::store as vouchers;
use crate::secret::Secret;
use crate::settings;

/// Why a customer may not cancel this order now, if they may not.
pub fn customer_refusal(
    conn: &Connection,
    o: &OrderHead,
    now: OffsetDateTime,
) -> AppResult<Option<String>> {
    if !matches!(o.status.as_str(), "pending_payment" | "paid") {
        return Ok(Some(format!(
            "This order is {} and can no longer be cancelled here; please contact the shop.",
            super::status::label(&o.status).to_lowercase()
        )));
    }
    let window = settings::get_i64(conn, "orders.cancel_window_minutes")?;
    let deadline = sql_time(
        time::PrimitiveDateTime::parse(
            &o.placed_at,
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
        )
        .map_err(AppError::internal)?
        .assume_utc()
            + Duration::minutes(window),
    );
    if sql_time(now) >= deadline {
        return Ok(Some(format!(
            "Orders can be cancelled within {window} minutes of placing them; please contact the shop."
        )));
    }
    Ok(None)
}

/// What a cancellation undoes, in the caller's transaction: every unit goes back in
/// stock, and a voucher the order redeemed is given back when nothing was paid for it
/// (no succeeded payment: waiting for a transfer, or cash on delivery not yet collected).
/// A paid order's voucher stays used: its money is refunded, not its voucher.
pub fn undo(
    conn: &Connection,
    order_id: i64,
    actor: &str,
    who: crate::audit::Actor,
    now: OffsetDateTime,
) -> AppResult<()> {
    restock(conn, order_id, actor, now)?;
    let paid = conn
        .prepare_cached("SELECT 1 FROM payments WHERE order_id = ?1 AND status = 'succeeded'")?
        .exists([order_id])?;
    if !paid {
        vouchers::give_back(conn, order_id, who, &sql_time(now))?;
    }
    Ok(())
}

/// Puts every unit of the order back in stock (in the caller's transaction).
pub fn restock(
    conn: &Connection,
    order_id: i64,
    actor: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    let mut stmt =
        conn.prepare_cached("SELECT product_id, quantity FROM order_lines WHERE order_id = ?1")?;
    let lines: Vec<(i64, i64)> = stmt
        .query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let at = sql_time(now);
    for (product, qty) in lines {
        stock::put_back(
            conn,
            product,
            qty,
            &Movement::order("cancel", order_id, actor, &at),
        )?;
    }
    Ok(())
}

/// Cancels an order for its customer (or guest): checks the window, moves it, restocks
/// and queues the mail, all in the caller's transaction.
pub fn by_buyer(
    conn: &Connection,
    secret: &Secret,
    order_id: i64,
    viewer: &access::Viewer,
    actor: &str,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<OrderHead> {
    let o = access::find(conn, secret, order_id, viewer)?;
    if let Some(why) = customer_refusal(conn, &o, now)? {
        return Err(AppError::Conflict(why));
    }
    mails::move_and_tell(
        conn,
        secret,
        order_id,
        "cancelled",
        actor,
        "Cancelled at your request.",
        base_url,
        now,
    )?;
    let who = match viewer {
        access::Viewer::Customer(id) => crate::audit::Actor::Customer {
            id: *id,
            label: o.email.clone(),
        },
        access::Viewer::Guest(_) => crate::audit::Actor::Anonymous,
    };
    undo(conn, order_id, actor, who, now)?;
    access::get(conn, order_id)
}
