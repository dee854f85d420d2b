//! Order jobs: paid orders move to processing after the configured delay (acting as
//! `system`), and idle guest carts are cleared after 7 days.

use time::{Duration, OffsetDateTime};

use super::status;
use crate::clock::sql_time;
use crate::db::Db;
use crate::error::AppResult;
use crate::settings;

/// Moves every order paid at least `orders.auto_advance_minutes` ago to processing.
pub fn advance_paid(db: &Db, now: OffsetDateTime) -> AppResult<usize> {
    db.write_blocking(|tx| {
        let delay = settings::get_i64(tx, "orders.auto_advance_minutes")?;
        let due: Vec<i64> = {
            let mut stmt = tx.prepare_cached(
                "SELECT o.id FROM orders o
                 WHERE o.status = 'paid' AND (
                    SELECT max(h.at) FROM order_status_history h
                    WHERE h.order_id = o.id AND h.to_status = 'paid') <= ?1",
            )?;
            let rows = stmt.query_map([sql_time(now - Duration::minutes(delay))], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        for id in &due {
            status::transition(tx, *id, "processing", status::SYSTEM, now)?;
        }
        Ok(due.len())
    })
}

pub fn purge_carts(db: &Db, now: OffsetDateTime) -> AppResult<usize> {
    db.write_blocking(|tx| crate::cart::store::purge_guests(tx, now))
}
