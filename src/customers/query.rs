//! The staff's view of customers, shared by the back-office pages and the staff API: one
//! filter, one list query, one set of figures per customer.
//!
//! Figures: `orders_count` counts every placed order (drafts left out, cancelled ones
//! included — they were orders); `total_spent` sums the totals of orders whose sale stands
//! (paid, processing, shipped, delivered — see `orders::query::SPENT_STATUSES`), so
//! unpaid, cancelled and refunded orders do not count; `last_order_at` is the latest
//! placed order. Deleted (anonymised) accounts are not listed.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::orders::query::SPENT_STATUSES;

pub const PER_PAGE: u32 = 50;

pub const SORTS: &[(&str, &str, &str)] = &[
    ("newest", "Newest first", "c.created_at DESC, c.id DESC"),
    ("oldest", "Oldest first", "c.created_at ASC, c.id ASC"),
    (
        "name",
        "Name",
        "c.last_name COLLATE NOCASE, c.first_name COLLATE NOCASE, c.id",
    ),
    ("email", "Email", "c.email COLLATE NOCASE, c.id"),
    ("spent", "Most spent", "total_spent DESC, c.id DESC"),
    ("orders", "Most orders", "orders_count DESC, c.id DESC"),
    (
        "last_order",
        "Latest order",
        "last_order_at IS NULL, last_order_at DESC, c.id DESC",
    ),
];

#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Name, email or phone (part of).
    pub q: String,
    /// "", "yes", "no".
    pub verified: String,
    /// "", "active", "deactivated".
    pub state: String,
    /// "", "yes", "no".
    pub has_orders: String,
    pub sort: String,
    pub page: u32,
}

fn one_of(name: &str, v: &str, allowed: &[&str]) -> AppResult<String> {
    if allowed.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(AppError::BadRequest(format!(
            "{name} must be one of {}.",
            allowed.join(", ")
        )))
    }
}

impl CustomerFilter {
    pub fn parse(pairs: &[(String, String)]) -> AppResult<CustomerFilter> {
        let mut f = CustomerFilter {
            sort: "newest".into(),
            page: 1,
            ..Default::default()
        };
        for (k, v) in pairs {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match k.as_str() {
                "q" => f.q = v.chars().take(200).collect(),
                "verified" => f.verified = one_of("verified", v, &["yes", "no"])?,
                "state" => f.state = one_of("state", v, &["active", "deactivated"])?,
                "has_orders" => f.has_orders = one_of("has_orders", v, &["yes", "no"])?,
                "sort" => {
                    f.sort = one_of("sort", v, &SORTS.iter().map(|s| s.0).collect::<Vec<_>>())?
                }
                "page" => f.page = crate::web::pagination::parse_page(v, 100_000)?,
                _ => {}
            }
        }
        Ok(f)
    }

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.clone()),
            ("verified", self.verified.clone()),
            ("state", self.state.clone()),
            ("has_orders", self.has_orders.clone()),
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerStats {
    /// Placed orders (drafts not counted).
    pub orders_count: i64,
    /// Minor units: totals of paid, processing, shipped and delivered orders.
    pub total_spent: i64,
    /// UTC, ISO 8601; null without orders.
    pub last_order_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerSummary {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub verified: bool,
    pub active: bool,
    pub created_at: String,
    #[serde(flatten)]
    pub stats: CustomerStats,
}

fn select() -> String {
    format!(
        "SELECT c.id, c.email, c.first_name, c.last_name, c.phone, c.verified_at IS NOT NULL, c.active, c.created_at,
            (SELECT count(*) FROM orders o WHERE o.customer_id = c.id AND o.status <> 'draft') AS orders_count,
            (SELECT coalesce(sum(o.total), 0) FROM orders o WHERE o.customer_id = c.id AND o.status IN {SPENT_STATUSES}) AS total_spent,
            (SELECT max(o.placed_at) FROM orders o WHERE o.customer_id = c.id AND o.status <> 'draft') AS last_order_at
         FROM customers c"
    )
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CustomerSummary> {
    Ok(CustomerSummary {
        id: r.get(0)?,
        email: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        phone: r.get(4)?,
        verified: r.get(5)?,
        active: r.get(6)?,
        created_at: r.get(7)?,
        stats: CustomerStats {
            orders_count: r.get(8)?,
            total_spent: r.get(9)?,
            last_order_at: r.get(10)?,
        },
    })
}

const WHERE: &str = "c.deleted_at IS NULL
    AND (?1 = '' OR c.email LIKE ?2 ESCAPE '\\' OR (c.first_name || ' ' || c.last_name) LIKE ?2 ESCAPE '\\'
         OR c.phone LIKE ?2 ESCAPE '\\' OR replace(c.phone, ' ', '') LIKE ?3 ESCAPE '\\')
    AND (?4 = '' OR (?4 = 'yes') = (c.verified_at IS NOT NULL))
    AND (?5 = '' OR (?5 = 'active') = (c.active = 1))
    AND (?6 = '' OR (?6 = 'yes') = EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.status <> 'draft'))";

pub fn list(conn: &Connection, f: &CustomerFilter) -> AppResult<(Vec<CustomerSummary>, u64)> {
    let like = crate::db::like_contains(&f.q);
    let digits = crate::db::like_contains(&f.q.replace(' ', ""));
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM customers c WHERE {WHERE}"),
        params![f.q, like, digits, f.verified, f.state, f.has_orders],
        |r| r.get(0),
    )?;
    let order_by = SORTS
        .iter()
        .find(|s| s.0 == f.sort)
        .map_or(SORTS[0].2, |s| s.2);
    let mut stmt = conn.prepare(&format!(
        "{} WHERE {WHERE} ORDER BY {order_by} LIMIT ?7 OFFSET ?8",
        select()
    ))?;
    let rows = stmt
        .query_map(
            params![
                f.q,
                like,
                digits,
                f.verified,
                f.state,
                f.has_orders,
                PER_PAGE,
                (f.page.max(1) as i64 - 1) * PER_PAGE as i64
            ],
            row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total as u64))
}

pub fn get(conn: &Connection, id: i64) -> AppResult<CustomerSummary> {
    conn.prepare_cached(&format!(
        "{} WHERE c.id = ?1 AND c.deleted_at IS NULL",
        select()
    ))?
    .query_row([id], row)
    .optional()?
    .ok_or_else(|| AppError::NotFound("There is no such customer.".into()))
}

/// Customers (not deleted) for whom `cond` holds — SQL over `c` with the named parameters
/// `args` — with their figures, in the order and page `tail` gives (`ORDER BY … LIMIT …`):
/// for lists other features build, such as a target group's members.
pub fn summaries_where(
    conn: &Connection,
    cond: &str,
    args: &[(&str, &dyn rusqlite::ToSql)],
    tail: &str,
) -> AppResult<Vec<CustomerSummary>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{} WHERE c.deleted_at IS NULL AND ({cond}) {tail}",
        select()
    ))?;
    let rows = stmt.query_map(args, row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
