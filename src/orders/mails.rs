//! The order mails (placed, paid, shipped, cancelled): the variables of the mail template
//! contract (docs/MAIL_TEMPLATES.md) built from an order, queued in the caller's
//! transaction. A guest's mail links to the order with its key; a customer's to their
//! account.

use rusqlite::Connection;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::access::{self, OrderHead};
use super::status;
use crate::error::AppResult;
use crate::mail::templates::queue_templated;
use crate::money::Currency;
use crate::secret::Secret;
use crate::settings;

/// Where the buyer reads this order.
pub fn order_url(secret: &Secret, o: &OrderHead, base_url: &str) -> String {
    match o.customer_id {
        Some(_) => format!("{base_url}/account/orders/{}", o.id),
        None => format!(
            "{base_url}/orders/{}?key={}",
            o.id,
            access::guest_key(secret, o.id)
        ),
    }
}

/// A status change that tells the buyer by mail, and its template.
pub fn template_for(to_status: &str) -> Option<&'static str> {
    match to_status {
        "pending_payment" => Some("order_placed"),
        "paid" => Some("order_paid"),
        "shipped" => Some("order_shipped"),
        "cancelled" => Some("order_cancelled"),
        "delivered" => Some("order_delivered"),
        _ => None,
    }
}

fn lines(conn: &Connection, order_id: i64, cur: &Currency) -> AppResult<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, sku, quantity, unit_price, line_total, discount, promotion
         FROM order_lines WHERE order_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([order_id], |r| {
        let discount: i64 = r.get(5)?;
        Ok(json!({
            "name": r.get::<_, String>(0)?,
            "sku": r.get::<_, String>(1)?,
            "quantity": r.get::<_, i64>(2)?,
            "unit_price": cur.format(r.get(3)?),
            "line_total": cur.format(r.get(4)?),
            "discount": if discount > 0 { cur.format(discount) } else { String::new() },
            "promotion": r.get::<_, String>(6)?,
        }))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Queues `template` about order `order_id` to its buyer.
pub fn queue(
    conn: &Connection,
    secret: &Secret,
    order_id: i64,
    template: &str,
    reason: &str,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    let o = access::get(conn, order_id)?;
    let cur = Currency::find(&o.currency).unwrap_or_else(Currency::fallback);
    let (first, last) = match o
        .customer_id
        .and_then(|id| crate::accounts::store::get(conn, id).ok().flatten())
    {
        Some(c) => (c.first_name, c.last_name),
        None => (o.ship_name.clone(), String::new()),
    };
    let ctx = json!({
        "shop": { "name": settings::get(conn, "shop.name")?, "url": base_url },
        "customer": { "first_name": first, "last_name": last, "email": o.email },
        "order": {
            "number": o.number,
            "url": order_url(secret, &o, base_url),
            "total": cur.format(o.total),
            "status": status::label(&o.status),
            "payment_method": crate::payments::label(&o.payment_method),
            "shipping_method": crate::cart::shipping::label(&o.shipping_method),
            "shipping": cur.format(o.shipping),
            "subtotal": cur.format(o.subtotal),
            "voucher_code": o.voucher_code,
            "voucher_discount": if o.voucher_discount > 0 { cur.format(o.voucher_discount) } else { String::new() },
            "lines": lines(conn, o.id, cur)?,
            "tracking_number": o.tracking_number,
            "reason": reason,
        },
    });
    let to_name = format!("{first} {last}").trim().to_string();
    let mail_id = queue_templated(conn, template, &o.email, &to_name, &ctx, now)?;
    // Linked to the order so its back-office page lists the mails it caused.
    conn.prepare_cached("UPDATE mail_outbox SET order_id = ?2 WHERE id = ?1")?
        .execute(rusqlite::params![mail_id, o.id])?;
    Ok(())
}

/// Moves an order and, for the moves a buyer hears about, queues the mail, in one
/// transaction: the one call payments, cancellation and the back office use.
#[allow(clippy::too_many_arguments)]
pub fn move_and_tell(
    conn: &Connection,
    secret: &Secret,
    order_id: i64,
    to: &str,
    actor: &str,
    reason: &str,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    status::transition(conn, order_id, to, actor, now)?;
    if let Some(template) = template_for(to).filter(|t| *t != "order_placed") {
        let exists = conn
            .prepare_cached("SELECT 1 FROM mail_templates WHERE name = ?1")?
            .exists([template])?;
        if exists {
            queue(conn, secret, order_id, template, reason, base_url, now)?;
        }
    }
    Ok(())
}
