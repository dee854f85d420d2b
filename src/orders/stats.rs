//! The shop's figures for today and the last 7 days (shop days, see
//! `shop.utc_offset_minutes`): orders placed (drafts left out), revenue (totals of orders
//! whose sale stands: paid, processing, shipped, delivered) and new customer accounts.

use rusqlite::{params, Connection};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use utoipa::ToSchema;

use super::query::{day_start, shop_today, SPENT_STATUSES};
use crate::error::AppResult;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Period {
    /// Start of the period (UTC, ISO 8601): midnight of the shop's day.
    pub from: String,
    /// Orders placed (drafts not counted).
    pub orders: i64,
    /// Minor units: totals of paid, processing, shipped and delivered orders placed.
    pub revenue: i64,
    /// Customer accounts created.
    pub new_customers: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    pub currency: String,
    pub today: Period,
    /// Today and the 6 days before it.
    pub last_7_days: Period,
}

fn period(conn: &Connection, from: String) -> AppResult<Period> {
    let (orders, revenue): (i64, i64) = conn.query_row(
        &format!(
            "SELECT count(*) FILTER (WHERE status <> 'draft'),
                    coalesce(sum(total) FILTER (WHERE status IN {SPENT_STATUSES}), 0)
             FROM orders WHERE placed_at >= ?1"
        ),
        params![from],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let new_customers: i64 = conn.query_row(
        "SELECT count(*) FROM customers WHERE created_at >= ?1 AND deleted_at IS NULL",
        params![from],
        |r| r.get(0),
    )?;
    Ok(Period {
        from,
        orders,
        revenue,
        new_customers,
    })
}

pub fn compute(conn: &Connection, now: OffsetDateTime) -> AppResult<Stats> {
    let today = shop_today(conn, now)?;
    Ok(Stats {
        currency: crate::settings::currency(conn)?.code.to_string(),
        today: period(conn, day_start(conn, today)?)?,
        last_7_days: period(conn, day_start(conn, today - Duration::days(6))?)?,
    })
}
