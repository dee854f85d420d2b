//! Who may see an order: its customer (web session or bearer token), or a guest holding
//! the order's link. The link's key is an HMAC of the order id under `secret.key`, so it
//! needs no storage, every mail can carry it, and nobody without the key file can make
//! one. Anyone else gets 404, the same as for an order that does not exist.

use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{AppError, AppResult};
use crate::secret::Secret;

/// The key of a guest's link to order `id`.
pub fn guest_key(secret: &Secret, id: i64) -> String {
    use base64::Engine;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.bytes()).expect("any key length");
    mac.update(format!("order-link:{id}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn key_matches(secret: &Secret, id: i64, given: &str) -> bool {
    crate::secret::constant_eq(guest_key(secret, id).as_bytes(), given.as_bytes())
}

#[derive(Debug, Clone)]
pub enum Viewer {
    Customer(i64),
    /// The key from a guest's order link.
    Guest(String),
}

/// An order's head row: what every order page, mail and payment needs.
#[derive(Debug, Clone, Serialize)]
pub struct OrderHead {
    pub id: i64,
    pub number: String,
    pub customer_id: Option<i64>,
    pub email: String,
    pub status: String,
    pub currency: String,
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    pub total: i64,
    pub shipping_method: String,
    pub payment_method: String,
    pub ship_name: String,
    pub ship_line1: String,
    pub ship_line2: String,
    pub ship_city: String,
    pub ship_postcode: String,
    pub ship_country: String,
    pub tracking_number: String,
    pub placed_at: String,
    pub updated_at: String,
    /// The voucher the order was charged with ("" for none) and what it took off (part
    /// of `discount`; the rest is the promotions').
    pub voucher_code: String,
    pub voucher_discount: i64,
}

impl OrderHead {
    /// Formats minor units in the order's own currency (the one it was placed in).
    pub fn formatter(&self) -> impl Fn(i64) -> String {
        let cur = crate::money::Currency::find(&self.currency)
            .unwrap_or_else(crate::money::Currency::fallback);
        move |m| cur.format(m)
    }
}

pub const COLUMNS: &str = "id, number, customer_id, email, status, currency, subtotal, discount, \
    shipping, total, shipping_method, payment_method, ship_name, ship_line1, ship_line2, \
    ship_city, ship_postcode, ship_country, tracking_number, placed_at, updated_at, voucher_code, \
    voucher_discount";

pub fn head(r: &Row<'_>) -> rusqlite::Result<OrderHead> {
    Ok(OrderHead {
        id: r.get(0)?,
        number: r.get(1)?,
        customer_id: r.get(2)?,
        email: r.get(3)?,
        status: r.get(4)?,
        currency: r.get(5)?,
        subtotal: r.get(6)?,
        discount: r.get(7)?,
        shipping: r.get(8)?,
        total: r.get(9)?,
        shipping_method: r.get(10)?,
        payment_method: r.get(11)?,
        ship_name: r.get(12)?,
        ship_line1: r.get(13)?,
        ship_line2: r.get(14)?,
        ship_city: r.get(15)?,
        ship_postcode: r.get(16)?,
        ship_country: r.get(17)?,
        tracking_number: r.get(18)?,
        placed_at: r.get(19)?,
        updated_at: r.get(20)?,
        voucher_code: r.get(21)?,
        voucher_discount: r.get(22)?,
    })
}

/// A customer's orders, newest first (up to 200); drafts are the shop's, not listed.
pub fn of_customer(conn: &Connection, customer_id: i64) -> AppResult<Vec<OrderHead>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM orders WHERE customer_id = ?1 AND status <> 'draft' ORDER BY id DESC LIMIT 200"
    ))?;
    let rows = stmt.query_map([customer_id], head)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn not_found() -> AppError {
    AppError::NotFound("There is no such order in your account.".into())
}

/// Any order by id, for staff and jobs (no access check).
pub fn get(conn: &Connection, id: i64) -> AppResult<OrderHead> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM orders WHERE id = ?1"))?
        .query_row([id], head)
        .optional()?
        .ok_or_else(not_found)
}

/// The order `id` if `viewer` may see it; otherwise 404.
pub fn find(conn: &Connection, secret: &Secret, id: i64, viewer: &Viewer) -> AppResult<OrderHead> {
    let allowed = match viewer {
        Viewer::Customer(_) => true,
        Viewer::Guest(key) => key_matches(secret, id, key),
    };
    if !allowed {
        return Err(not_found());
    }
    let order = get(conn, id)?;
    // A draft is staff's unfinished work: its buyer sees it once it is placed.
    if order.status == "draft" {
        return Err(not_found());
    }
    match viewer {
        Viewer::Customer(c) if order.customer_id != Some(*c) => Err(not_found()),
        _ => Ok(order),
    }
}
