//! Helpers for the orders / deliveries / customers back-office tests: rows made straight
//! in the database, staff API tokens, and reading what a page offers.

use rusqlite::params;

use super::accounts::Browser;
use super::{Res, TestApp, STAFF_PW};

/// A verified, active customer; returns its id.
pub fn customer(app: &TestApp, email: &str, first: &str, last: &str, phone: &str) -> i64 {
    app.sql(|c| {
        c.execute(
            "INSERT INTO customers (email, password_hash, first_name, last_name, phone_country, phone, verified_at)
             VALUES (?1, 'x', ?2, ?3, 'BG', ?4, '2026-01-01T00:00:00Z')",
            params![email, first, last, phone],
        )?;
        Ok(c.last_insert_rowid())
    })
}

/// An order written directly (any status), with one line of `product`; returns its id.
#[allow(clippy::too_many_arguments)]
pub fn order(
    app: &TestApp,
    number: &str,
    customer_id: Option<i64>,
    email: &str,
    status: &str,
    total: i64,
    payment: &str,
    placed_at: &str,
    product: i64,
) -> i64 {
    app.sql(|c| {
        c.execute(
            "INSERT INTO orders (number, customer_id, email, status, currency, subtotal, shipping, total,
                                 shipping_method, payment_method, ship_name, ship_line1, ship_city, ship_postcode,
                                 ship_country, placed_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'EUR', ?5, 0, ?5, 'flat', ?6, 'Ann Buyer', '1 Main St', 'Sofia', '1000', 'BG', ?7, ?7)",
            params![number, customer_id, email, status, total, payment, placed_at],
        )?;
        let id = c.last_insert_rowid();
        c.execute(
            "INSERT INTO order_lines (order_id, product_id, name, sku, unit_price, quantity, line_total)
             VALUES (?1, ?2, 'Thing', 'SKU-THING', ?3, 1, ?3)",
            params![id, product, total],
        )?;
        Ok(id)
    })
}

/// A staff member with `role` (made now) and a staff API bearer token for them.
pub fn staff_token(app: &TestApp, email: &str, role: &str) -> String {
    cornershop::staff::cli::create(&app.db, email, None, STAFF_PW, role).expect("staff");
    let b = Browser::new(app);
    let res = b.json(
        "POST",
        "/api/v1/admin/auth/login",
        Some(serde_json::json!({ "email": email, "password": STAFF_PW })),
        None,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    res.json()["token"].as_str().unwrap().to_string()
}

pub fn staff_id(app: &TestApp, email: &str) -> i64 {
    app.sql(|c| {
        c.query_row("SELECT id FROM staff WHERE email = ?1", [email], |r| {
            r.get(0)
        })
    })
}

/// Calls the JSON API with a bearer token.
pub fn api(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
    token: Option<&str>,
) -> Res {
    Browser::new(app).json(method, path, body, token)
}

/// The status moves a page offers (its `data-move` buttons), sorted.
pub fn offered_moves(page: &Res) -> Vec<String> {
    let mut out: Vec<String> = page
        .body
        .split("data-move=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// The moves `order_transitions` allows from `status`, sorted.
pub fn allowed_moves(app: &TestApp, status: &str) -> Vec<String> {
    let mut out: Vec<String> = app.sql(|c| {
        let mut s = c.prepare("SELECT to_status FROM order_transitions WHERE from_status = ?1")?;
        let rows = s.query_map([status], |r| r.get(0))?;
        rows.collect()
    });
    out.sort();
    out
}

pub fn order_status(app: &TestApp, id: i64) -> String {
    app.sql(|c| {
        c.query_row("SELECT status FROM orders WHERE id = ?1", [id], |r| {
            r.get(0)
        })
    })
}

/// The page a redirect lands on (its flash message shown).
pub fn follow(app: &TestApp, res: &Res) -> Res {
    assert_eq!(res.status, 303, "{}", res.body);
    app.get(res.header("location").expect("a redirect"))
}
