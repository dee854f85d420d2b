//! Orders composed by staff (a phone order, a shop-counter sale): saved as a `draft`,
//! edited, then placed. Decision: a draft does NOT reserve stock — it is a note of what the
//! customer wants, and may sit for days; stock is checked and taken only when it is placed
//! (one BEGIN IMMEDIATE transaction, the same guarded decrement as the checkout). Once
//! placed (`pending_payment`), editing lines moves stock in the same transaction, each
//! change a `stock_movements` row with reason `edit`. Prices and totals always come from
//! `cart::pricing::quote` on the server; a draft is re-priced when it is placed.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;
use time::OffsetDateTime;

use super::{access, mails, status};
use crate::accounts::validate::Address;
use crate::audit::{self, Actor};
use crate::cart::pricing::{quote, Item, Quote};
use crate::catalog::stock::{self, Movement};
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::settings;
use crate::web::client::ClientIp;

/// A draft as checked by the page: who buys, where to, how, and what.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub customer_id: Option<i64>,
    pub email: String,
    pub address: Option<Address>,
    pub shipping_method: String,
    pub payment_method: String,
    pub items: Vec<Item>,
}

/// Who does it, for history, movements and audit.
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: i64,
    pub actor: Actor,
    pub ip: Option<ClientIp>,
}

impl Staff {
    fn history(&self) -> String {
        status::actor_staff(self.id)
    }
}

fn priced(
    conn: &Connection,
    items: &[Item],
    shipping: &str,
    now: OffsetDateTime,
) -> AppResult<Quote> {
    let currency = settings::currency(conn)?;
    let money = |m: i64| currency.format(m);
    let q = quote(conn, items, Some(shipping), &money, now)?;
    if q.shipping_method.is_none() {
        return Err(AppError::Invalid(
            "That shipping method is not on offer for this order.".into(),
        ));
    }
    Ok(q)
}

/// Lines merged by product (two rows of one product add up), quantities 1–999.
pub fn merge(items: &[Item]) -> AppResult<Vec<Item>> {
    let mut by: BTreeMap<i64, i64> = BTreeMap::new();
    let mut order = Vec::new();
    for i in items {
        if !by.contains_key(&i.product_id) {
            order.push(i.product_id);
        }
        *by.entry(i.product_id).or_default() += i.quantity;
    }
    let out: Vec<Item> = order
        .into_iter()
        .map(|p| Item {
            product_id: p,
            quantity: by[&p],
        })
        .collect();
    if out.iter().any(|i| !(1..=999).contains(&i.quantity)) {
        return Err(AppError::Invalid(
            "A line's quantity must be between 1 and 999.".into(),
        ));
    }
    if out.len() > 100 {
        return Err(AppError::Invalid(
            "An order holds at most 100 different products.".into(),
        ));
    }
    Ok(out)
}

fn write_lines(conn: &Connection, order_id: i64, q: &Quote) -> AppResult<()> {
    conn.execute("DELETE FROM order_lines WHERE order_id = ?1", [order_id])?;
    for l in &q.lines {
        super::place::insert_line(conn, order_id, l)?;
    }
    // A voucher the order redeemed stays with it: it takes its part off the new lines
    // (it was valid when the order was placed, so its minimum is not asked again).
    let voucher_id: Option<i64> = conn.query_row(
        "SELECT voucher_id FROM orders WHERE id = ?1",
        [order_id],
        |r| r.get(0),
    )?;
    let voucher_off = match voucher_id {
        Some(id) => {
            crate::marketing::vouchers::store::must_get(conn, id)?.off(q.subtotal - q.discount)
        }
        None => 0,
    };
    conn.execute(
        "UPDATE orders SET subtotal = ?2, discount = ?3, voucher_discount = ?4, shipping = ?5,
                total = ?6 WHERE id = ?1",
        params![
            order_id,
            q.subtotal,
            q.discount + voucher_off,
            voucher_off,
            q.shipping,
            q.total - voucher_off
        ],
    )?;
    Ok(())
}

/// A product that cannot be sold (gone, not active) refuses the lines.
fn sellable(q: &Quote) -> AppResult<()> {
    for l in &q.lines {
        if l.sku.is_empty() {
            return Err(AppError::Invalid(
                "A product on this order no longer exists.".into(),
            ));
        }
    }
    Ok(())
}

fn refuse_inactive(conn: &Connection, product_id: i64, name: &str) -> AppResult<()> {
    let st: Option<String> = conn
        .prepare_cached("SELECT status FROM products WHERE id = ?1")?
        .query_row([product_id], |r| r.get(0))
        .optional()?;
    if st.as_deref() != Some("active") {
        return Err(AppError::Invalid(format!(
            "'{name}' is not for sale (it is a draft or archived)."
        )));
    }
    Ok(())
}

/// Saves a new draft; returns its id and number.
pub fn create(
    conn: &Connection,
    d: &NewDraft,
    by: &Staff,
    now: OffsetDateTime,
) -> AppResult<(i64, String)> {
    let items = merge(&d.items)?;
    let q = priced(conn, &items, &d.shipping_method, now)?;
    sellable(&q)?;
    for l in &q.lines {
        refuse_inactive(conn, l.product_id, &l.name)?;
    }
    let a = d.address.clone().unwrap_or(Address {
        name: String::new(),
        line1: String::new(),
        line2: String::new(),
        city: String::new(),
        postcode: String::new(),
        country: String::new(),
    });
    let currency = settings::currency(conn)?;
    let next: i64 = conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM orders", [], |r| {
        r.get(0)
    })?;
    let number = format!("{}-{next:06}", now.year());
    let at = sql_time(now);
    conn.execute(
        "INSERT INTO orders (number, customer_id, email, status, currency, subtotal, discount, shipping, total,
                             shipping_method, payment_method, ship_name, ship_line1, ship_line2, ship_city,
                             ship_postcode, ship_country, changed_by, created_by, placed_at, updated_at)
         VALUES (?1, ?2, ?3, 'draft', ?4, 0, 0, 0, 0, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)",
        params![
            number, d.customer_id, d.email, currency.code, d.shipping_method, d.payment_method,
            a.name, a.line1, a.line2, a.city, a.postcode, a.country, by.history(), by.id, at
        ],
    )?;
    let id = conn.last_insert_rowid();
    write_lines(conn, id, &q)?;
    audit::record(
        conn,
        &audit::Entry::event("orders", "order.draft_created")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("order", id)
            .details(json!({ "new": { "number": number, "email": d.email, "customer_id": d.customer_id,
                "lines": items.iter().map(|i| json!({"product_id": i.product_id, "quantity": i.quantity})).collect::<Vec<_>>(),
                "total": q.total, "shipping_method": d.shipping_method, "payment_method": d.payment_method } })),
    )?;
    Ok((id, number))
}

fn current_items(conn: &Connection, order_id: i64) -> AppResult<Vec<Item>> {
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, quantity FROM order_lines WHERE order_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([order_id], |r| {
        Ok(Item {
            product_id: r.get(0)?,
            quantity: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn items_json(items: &[Item]) -> serde_json::Value {
    json!(items
        .iter()
        .map(|i| json!({"product_id": i.product_id, "quantity": i.quantity}))
        .collect::<Vec<_>>())
}

/// Takes `delta` units for an order (or gives them back when negative), with the movement.
fn move_stock(
    conn: &Connection,
    product_id: i64,
    name: &str,
    delta: i64,
    m: &Movement,
) -> AppResult<()> {
    if delta >= 0 {
        stock::take(conn, product_id, name, delta, m)
    } else {
        stock::put_back(conn, product_id, -delta, m)
    }
}

/// Replaces the lines of a draft or pending-payment order with `items`, re-priced; for a
/// pending-payment order the stock follows (taken or returned) in this transaction.
pub fn set_lines(
    conn: &Connection,
    order_id: i64,
    items: &[Item],
    by: &Staff,
    now: OffsetDateTime,
) -> AppResult<()> {
    let o = access::get(conn, order_id)?;
    if !matches!(o.status.as_str(), "draft" | "pending_payment") {
        return Err(AppError::Conflict(format!(
            "The lines of this order can no longer be changed: it is {}.",
            status::label(&o.status).to_lowercase()
        )));
    }
    let items = merge(items)?;
    if items.is_empty() {
        return Err(AppError::Invalid(
            "An order needs at least one line; cancel it instead.".into(),
        ));
    }
    let old = current_items(conn, order_id)?;
    let q = priced(conn, &items, &o.shipping_method, now)?;
    sellable(&q)?;
    if o.status == "pending_payment" {
        let (who, at) = (by.history(), sql_time(now));
        let mut deltas: BTreeMap<i64, (i64, String)> = BTreeMap::new();
        for l in &q.lines {
            deltas.entry(l.product_id).or_insert((0, l.name.clone())).0 += l.quantity;
        }
        for i in &old {
            let name: String = conn
                .query_row(
                    "SELECT name FROM order_lines WHERE order_id = ?1 AND product_id = ?2",
                    params![order_id, i.product_id],
                    |r| r.get(0),
                )
                .unwrap_or_default();
            deltas.entry(i.product_id).or_insert((0, name)).0 -= i.quantity;
        }
        for (product, (delta, name)) in &deltas {
            if *delta > 0 {
                refuse_inactive(conn, *product, name)?;
            }
            move_stock(
                conn,
                *product,
                name,
                *delta,
                &Movement::order("edit", order_id, &who, &at),
            )?;
        }
    } else {
        for l in &q.lines {
            refuse_inactive(conn, l.product_id, &l.name)?;
        }
    }
    write_lines(conn, order_id, &q)?;
    conn.execute(
        "UPDATE orders SET updated_at = ?2 WHERE id = ?1",
        params![order_id, sql_time(now)],
    )?;
    audit::record(
        conn,
        &audit::Entry::event("orders", "order.lines_changed")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("order", order_id)
            .details(
                json!({ "old": { "lines": items_json(&old), "total": o.total },
                             "new": { "lines": items_json(&items), "total": q.total } }),
            ),
    )?;
    Ok(())
}

/// Places a draft: re-priced, stock checked and taken, `draft` → `pending_payment`, the
/// "order placed" mail, and for cash on delivery straight on to processing (as the
/// checkout does). The caller's transaction is the BEGIN IMMEDIATE one.
pub fn place(
    conn: &Connection,
    secret: &Secret,
    order_id: i64,
    by: &Staff,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    let o = access::get(conn, order_id)?;
    if o.status != "draft" {
        return Err(AppError::Conflict(format!(
            "Only a draft can be placed; this order is {}.",
            status::label(&o.status).to_lowercase()
        )));
    }
    let items = current_items(conn, order_id)?;
    let q = priced(conn, &items, &o.shipping_method, now)?;
    let problems = q.problems();
    if !problems.is_empty() {
        return Err(AppError::Conflict(
            problems
                .join(" ")
                .replace("Your cart is empty.", "The order has no lines."),
        ));
    }
    let (who, at) = (by.history(), sql_time(now));
    for l in &q.lines {
        stock::take(
            conn,
            l.product_id,
            &l.name,
            l.quantity,
            &Movement::order("order", order_id, &who, &at),
        )?;
    }
    write_lines(conn, order_id, &q)?;
    conn.execute(
        "UPDATE orders SET placed_at = ?2 WHERE id = ?1",
        params![order_id, sql_time(now)],
    )?;
    status::transition(conn, order_id, "pending_payment", &who, now)?;
    audit::record(
        conn,
        &audit::Entry::event("orders", "order.placed")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("order", order_id)
            .details(json!({ "old": { "status": "draft" },
                             "new": { "status": "pending_payment", "total": q.total } })),
    )?;
    mails::queue(conn, secret, order_id, "order_placed", "", base_url, now)?;
    crate::payments::pay::after_placed(conn, secret, order_id, base_url, now)?;
    Ok(())
}
