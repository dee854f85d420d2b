//! The staff's view of orders, shared by the back-office pages and the staff API: one
//! filter (parsed from the query string the same way for both), one list query, one
//! detail read. Dates typed in a filter are days of the shop (`shop.utc_offset_minutes`);
//! times are stored in UTC, so a day becomes a half-open UTC range.

use rusqlite::{params, Connection};
use serde::Serialize;
use time::{Date, Duration, PrimitiveDateTime, Time};
use utoipa::ToSchema;

use super::access::{self, OrderHead};
use super::status;
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::settings;

pub const PER_PAGE: u32 = 50;

/// The statuses whose totals count as money taken: a sale that stands. Unpaid, cancelled,
/// refunded orders and drafts do not count (the customer page and the stats say so).
pub const SPENT_STATUSES: &str = "('paid', 'processing', 'shipped', 'delivered')";

/// Sort orders a list offers: (value, label, SQL). SQL comes from this table only.
pub const SORTS: &[(&str, &str, &str)] = &[
    ("newest", "Newest first", "placed_at DESC, id DESC"),
    ("oldest", "Oldest first", "placed_at ASC, id ASC"),
    ("total_desc", "Highest total", "total DESC, id DESC"),
    ("total_asc", "Lowest total", "total ASC, id ASC"),
    ("status", "Status", "status ASC, id DESC"),
];

pub const PAYMENT_METHODS: &[&str] = &["cod", "bank_transfer", "bobi", "paypal"];

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: String,
    /// Shop dates as typed (YYYY-MM-DD), both inclusive.
    pub from: String,
    pub to: String,
    /// Customer name or email (part of).
    pub customer: String,
    pub customer_id: Option<i64>,
    pub payment: String,
    /// Order number, email or name (part of).
    pub q: String,
    pub courier_id: Option<i64>,
    pub sort: String,
    pub page: u32,
}

fn parse_date(name: &str, v: &str) -> AppResult<Date> {
    Date::parse(v, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| {
        AppError::BadRequest(format!(
            "{name} must be a date like 2026-11-22 (year-month-day)."
        ))
    })
}

fn parse_id(name: &str, v: &str) -> AppResult<Option<i64>> {
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>()
        .map(Some)
        .map_err(|_| AppError::BadRequest(format!("{name} must be a number.")))
}

impl OrderFilter {
    /// From query pairs; unknown names are ignored, bad values are a 400 naming them.
    pub fn parse(pairs: &[(String, String)]) -> AppResult<OrderFilter> {
        let mut f = OrderFilter {
            page: 1,
            sort: "newest".into(),
            ..Default::default()
        };
        for (k, v) in pairs {
            let v = v.trim();
            let text = || v.chars().take(200).collect::<String>();
            match k.as_str() {
                "status" if !v.is_empty() => {
                    if !status::ALL.contains(&v) {
                        return Err(AppError::BadRequest(format!(
                            "status must be one of {}.",
                            status::ALL.join(", ")
                        )));
                    }
                    f.status = v.into();
                }
                "payment" if !v.is_empty() => {
                    if !PAYMENT_METHODS.contains(&v) {
                        return Err(AppError::BadRequest(format!(
                            "payment must be one of {}.",
                            PAYMENT_METHODS.join(", ")
                        )));
                    }
                    f.payment = v.into();
                }
                "sort" if !v.is_empty() => {
                    if !SORTS.iter().any(|s| s.0 == v) {
                        return Err(AppError::BadRequest(format!(
                            "sort must be one of {}.",
                            SORTS.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                        )));
                    }
                    f.sort = v.into();
                }
                "from" if !v.is_empty() => {
                    parse_date("from", v)?;
                    f.from = v.into();
                }
                "to" if !v.is_empty() => {
                    parse_date("to", v)?;
                    f.to = v.into();
                }
                "customer" => f.customer = text(),
                "customer_id" => f.customer_id = parse_id("customer_id", v)?,
                "courier" => f.courier_id = parse_id("courier", v)?,
                "q" => f.q = text(),
                "page" => f.page = crate::web::pagination::parse_page(v, 100_000)?,
                _ => {}
            }
        }
        Ok(f)
    }

    /// The filter as query pairs (page left out), for links that keep it.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let id = |v: Option<i64>| v.map(|i| i.to_string()).unwrap_or_default();
        vec![
            ("q", self.q.clone()),
            ("status", self.status.clone()),
            ("payment", self.payment.clone()),
            ("customer", self.customer.clone()),
            ("customer_id", id(self.customer_id)),
            ("courier", id(self.courier_id)),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            (
                "sort",
                if self.sort == "newest" {
                    String::new()
                } else {
                    self.sort.clone()
                },
            ),
        ]
    }
}

/// The UTC instant a shop day starts.
pub fn day_start(conn: &Connection, day: Date) -> AppResult<String> {
    let offset = settings::get_i64(conn, "shop.utc_offset_minutes")?;
    let local = PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_utc();
    Ok(sql_time(local - Duration::minutes(offset)))
}

/// Today in the shop's time zone.
pub fn shop_today(conn: &Connection, now: time::OffsetDateTime) -> AppResult<Date> {
    let offset = settings::get_i64(conn, "shop.utc_offset_minutes")?;
    Ok((now + Duration::minutes(offset)).date())
}

/// A list row: the head, the buyer's name and the courier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderSummary {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub email: String,
    pub customer_id: Option<i64>,
    /// The account's name, or the delivery name for a guest.
    pub customer_name: String,
    pub currency: String,
    /// Minor units.
    pub total: i64,
    pub payment_method: String,
    pub shipping_method: String,
    /// UTC, ISO 8601.
    pub placed_at: String,
    pub courier_id: Option<i64>,
    pub courier_name: Option<String>,
    pub tracking_number: String,
}

const SUMMARY: &str = "o.id, o.number, o.status, o.email, o.customer_id, \
    coalesce((SELECT first_name || ' ' || last_name FROM customers WHERE id = o.customer_id), o.ship_name), \
    o.currency, o.total, o.payment_method, o.shipping_method, o.placed_at, o.courier_id, \
    (SELECT name FROM staff WHERE id = o.courier_id), o.tracking_number";

fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrderSummary> {
    Ok(OrderSummary {
        id: r.get(0)?,
        number: r.get(1)?,
        status: r.get(2)?,
        email: r.get(3)?,
        customer_id: r.get(4)?,
        customer_name: r.get(5)?,
        currency: r.get(6)?,
        total: r.get(7)?,
        payment_method: r.get(8)?,
        shipping_method: r.get(9)?,
        placed_at: r.get(10)?,
        courier_id: r.get(11)?,
        courier_name: r.get(12)?,
        tracking_number: r.get(13)?,
    })
}

const WHERE: &str = "(?1 = '' OR o.status = ?1)
    AND (?2 = '' OR o.placed_at >= ?2)
    AND (?3 = '' OR o.placed_at < ?3)
    AND (?4 = '' OR o.email LIKE ?5 ESCAPE '\\' OR o.ship_name LIKE ?5 ESCAPE '\\'
         OR o.customer_id IN (SELECT id FROM customers WHERE first_name || ' ' || last_name LIKE ?5 ESCAPE '\\'))
    AND (?6 = '' OR o.payment_method = ?6)
    AND (?7 = '' OR o.number LIKE ?8 ESCAPE '\\' OR o.email LIKE ?8 ESCAPE '\\' OR o.ship_name LIKE ?8 ESCAPE '\\'
         OR o.customer_id IN (SELECT id FROM customers WHERE first_name || ' ' || last_name LIKE ?8 ESCAPE '\\'))
    AND (?9 IS NULL OR o.courier_id = ?9)
    AND (?10 IS NULL OR o.customer_id = ?10)";

/// One page of orders matching `f`, and how many match in all.
pub fn list(conn: &Connection, f: &OrderFilter) -> AppResult<(Vec<OrderSummary>, u64)> {
    let from = if f.from.is_empty() {
        String::new()
    } else {
        day_start(conn, parse_date("from", &f.from)?)?
    };
    let to = if f.to.is_empty() {
        String::new()
    } else {
        day_start(conn, parse_date("to", &f.to)? + Duration::days(1))?
    };
    let customer_like = crate::db::like_contains(&f.customer);
    let q_like = crate::db::like_contains(&f.q);
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM orders o WHERE {WHERE}"),
        params![
            f.status,
            from,
            to,
            f.customer,
            customer_like,
            f.payment,
            f.q,
            q_like,
            f.courier_id,
            f.customer_id
        ],
        |r| r.get(0),
    )?;
    let order_by = SORTS
        .iter()
        .find(|s| s.0 == f.sort)
        .map_or(SORTS[0].2, |s| s.2);
    let mut stmt = conn.prepare(&format!(
        "SELECT {SUMMARY} FROM orders o WHERE {WHERE} ORDER BY {order_by} LIMIT ?11 OFFSET ?12"
    ))?;
    let rows = stmt
        .query_map(
            params![
                f.status,
                from,
                to,
                f.customer,
                customer_like,
                f.payment,
                f.q,
                q_like,
                f.courier_id,
                f.customer_id,
                PER_PAGE,
                (f.page.max(1) as i64 - 1) * PER_PAGE as i64
            ],
            summary,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total as u64))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Line {
    pub id: i64,
    pub product_id: i64,
    pub name: String,
    pub sku: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub discount: i64,
    pub line_total: i64,
    /// The promotion the line was charged with (its name then), or empty.
    pub promotion: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryRow {
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: String,
    /// "staff:2", "customer:7", "system", "guest".
    pub actor: String,
    /// The staff member's or customer's name, when the actor is one.
    pub actor_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentRow {
    pub id: i64,
    pub method: String,
    pub amount: i64,
    pub status: String,
    pub reference: String,
    pub message: String,
    pub actor: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MailRow {
    pub id: i64,
    pub template: String,
    pub subject: String,
    pub to_address: String,
    pub status: String,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub summary: OrderSummary,
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    pub ship_name: String,
    pub ship_line1: String,
    pub ship_line2: String,
    pub ship_city: String,
    pub ship_postcode: String,
    pub ship_country: String,
    pub lines: Vec<Line>,
    pub history: Vec<HistoryRow>,
    pub payments: Vec<PaymentRow>,
    pub mails: Vec<MailRow>,
    /// The statuses the `order_transitions` table allows from the current one.
    pub allowed_moves: Vec<String>,
}

pub fn summary_of(conn: &Connection, id: i64) -> AppResult<OrderSummary> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(&format!("SELECT {SUMMARY} FROM orders o WHERE o.id = ?1"))?
        .query_row([id], summary)
        .optional()?
        .ok_or_else(|| AppError::NotFound("There is no such order.".into()))
}

pub fn lines(conn: &Connection, id: i64) -> AppResult<Vec<Line>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, product_id, name, sku, unit_price, quantity, discount, line_total, promotion
         FROM order_lines WHERE order_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([id], |r| {
        Ok(Line {
            id: r.get(0)?,
            product_id: r.get(1)?,
            name: r.get(2)?,
            sku: r.get(3)?,
            unit_price: r.get(4)?,
            quantity: r.get(5)?,
            discount: r.get(6)?,
            line_total: r.get(7)?,
            promotion: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Each status the order has had, oldest first, with who moved it.
pub fn history(conn: &Connection, id: i64) -> AppResult<Vec<HistoryRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT h.from_status, h.to_status, h.at, h.actor,
                CASE WHEN h.actor LIKE 'staff:%' THEN (SELECT name FROM staff WHERE id = CAST(substr(h.actor, 7) AS INTEGER))
                     WHEN h.actor LIKE 'customer:%' THEN (SELECT first_name || ' ' || last_name FROM customers WHERE id = CAST(substr(h.actor, 10) AS INTEGER))
                END
         FROM order_status_history h WHERE h.order_id = ?1 ORDER BY h.id",
    )?;
    let rows = stmt
        .query_map([id], |r| {
            Ok(HistoryRow {
                from_status: r.get(0)?,
                to_status: r.get(1)?,
                at: r.get(2)?,
                actor: r.get(3)?,
                actor_name: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Everything staff see about an order.
pub fn detail(conn: &Connection, id: i64) -> AppResult<(OrderHead, OrderDetail)> {
    let head =
        access::get(conn, id).map_err(|_| AppError::NotFound("There is no such order.".into()))?;
    let summary = summary_of(conn, id)?;
    let history = history(conn, id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, method, amount, status, reference, message, actor, created_at
         FROM payments WHERE order_id = ?1 ORDER BY id",
    )?;
    let payments = stmt
        .query_map([id], |r| {
            Ok(PaymentRow {
                id: r.get(0)?,
                method: r.get(1)?,
                amount: r.get(2)?,
                status: r.get(3)?,
                reference: r.get(4)?,
                message: r.get(5)?,
                actor: r.get(6)?,
                created_at: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, template, subject, to_address, status, created_at, sent_at
         FROM mail_outbox WHERE order_id = ?1 ORDER BY id",
    )?;
    let mails = stmt
        .query_map([id], |r| {
            Ok(MailRow {
                id: r.get(0)?,
                template: r.get(1)?,
                subject: r.get(2)?,
                to_address: r.get(3)?,
                status: r.get(4)?,
                created_at: r.get(5)?,
                sent_at: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let detail = OrderDetail {
        summary,
        subtotal: head.subtotal,
        discount: head.discount,
        shipping: head.shipping,
        ship_name: head.ship_name.clone(),
        ship_line1: head.ship_line1.clone(),
        ship_line2: head.ship_line2.clone(),
        ship_city: head.ship_city.clone(),
        ship_postcode: head.ship_postcode.clone(),
        ship_country: head.ship_country.clone(),
        lines: lines(conn, id)?,
        history,
        payments,
        mails,
        allowed_moves: status::allowed_from(conn, &head.status)?,
    };
    Ok((head, detail))
}

/// Active staff whose role may update deliveries: who can be a courier.
pub fn couriers(conn: &Connection) -> AppResult<Vec<(i64, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.name FROM staff s JOIN role_permissions p ON p.role_id = s.role_id
         WHERE s.active = 1 AND p.area = 'deliveries' AND p.can_update = 1 ORDER BY s.name, s.id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
