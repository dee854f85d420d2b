//! Promotions (area `promotions`): a percent or an amount off, for the whole shop, a
//! category with its subcategories, or chosen products, from a start to an end (typed in
//! shop time, stored UTC). `rule` is what comes off a price, `store` the SQL, `form` the
//! checks, `pages` the back office. Pricing reads what runs at its own `now`
//! (`store::offers_at`), so a late status job never gives a wrong price; the job only
//! moves the status shown and audits each move.

pub mod form;
pub mod pages;
pub mod rule;
pub mod staff_api;
pub mod store;

use time::OffsetDateTime;

use crate::clock::sql_time;
use crate::db::Db;
use crate::error::AppResult;

/// The status job's pass: every promotion whose start or end has passed moves to its
/// status at `now`, audited. Returns how many moved.
pub fn run_once(db: &Db, now: OffsetDateTime) -> AppResult<usize> {
    let now = sql_time(now);
    db.write_blocking(|tx| store::move_statuses(tx, &now))
}

pub fn routes() -> Vec<rocket::Route> {
    let mut r = pages::routes();
    r.extend(staff_api::routes());
    r
}
