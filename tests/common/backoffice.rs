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

/// An order written straight into the database (any status) with one line of its
/// product, for tests that need orders in a given state without going through checkout:
/// `OrderRow::new("2026-000701", product).customer(id).status("paid").insert(&app)`.
/// What is not set: a guest, "buyer@shop.test", pending payment, 10.00 by bank transfer,
/// placed 2026-03-10 09:00 UTC, delivered to Ann Buyer in Sofia.
pub struct OrderRow {
    number: String,
    product: i64,
    customer_id: Option<i64>,
    email: String,
    status: String,
    total: i64,
    payment: String,
    placed_at: String,
}

impl OrderRow {
    pub fn new(number: &str, product: i64) -> OrderRow {
        OrderRow {
            number: number.into(),
            product,
            customer_id: None,
            email: "buyer@shop.test".into(),
            status: "pending_payment".into(),
            total: 1000,
            payment: "bank_transfer".into(),
            placed_at: "2026-03-10T09:00:00Z".into(),
        }
    }

    pub fn customer(mut self, id: i64) -> Self {
        self.customer_id = Some(id);
        self
    }

    pub fn email(mut self, email: &str) -> Self {
        self.email = email.into();
        self
    }

    pub fn status(mut self, status: &str) -> Self {
        self.status = status.into();
        self
    }

    /// The line's price and the order's total (no shipping).
    pub fn total(mut self, minor_units: i64) -> Self {
        self.total = minor_units;
        self
    }

    pub fn payment(mut self, method: &str) -> Self {
        self.payment = method.into();
        self
    }

    /// UTC, as stored: "2026-03-10T09:00:00Z".
    pub fn placed_at(mut self, at: &str) -> Self {
        self.placed_at = at.into();
        self
    }

    /// Writes the order and its line; returns the order's id.
    pub fn insert(self, app: &TestApp) -> i64 {
        app.sql(|c| {
            c.execute(
                "INSERT INTO orders (number, customer_id, email, status, currency, subtotal, shipping, total,
                                     shipping_method, payment_method, ship_name, ship_line1, ship_city, ship_postcode,
                                     ship_country, placed_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'EUR', ?5, 0, ?5, 'flat', ?6, 'Ann Buyer', '1 Main St', 'Sofia', '1000', 'BG', ?7, ?7)",
                params![self.number, self.customer_id, self.email, self.status, self.total, self.payment, self.placed_at],
            )?;
            let id = c.last_insert_rowid();
            c.execute(
                "INSERT INTO order_lines (order_id, product_id, name, sku, unit_price, quantity, line_total)
                 VALUES (?1, ?2, 'Thing', 'SKU-THING', ?3, 1, ?3)",
                params![id, self.product, self.total],
            )?;
            Ok(id)
        })
    }
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
