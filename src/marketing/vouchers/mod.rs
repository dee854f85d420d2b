//! Vouchers (area `vouchers`): a one-time code for one customer (or anyone, still once),
//! a percent or an amount off the subtotal after promotions, with a minimum subtotal and
//! a validity window. `code` makes and matches codes, `rule` is what comes off and why a
//! voucher cannot be used, `store` the SQL (the guarded redemption and the give-back
//! among it), `form` the checks, `pages` the back office, `account` the customer's list.
//! Pricing (`cart::pricing::apply_voucher`) asks `check`; the order's transaction redeems.
//! `bulk` issues one to each member of a target group, in a resumable job.

pub mod account;
pub mod bulk;
pub mod bulk_pages;
pub mod code;
pub mod form;
pub mod pages;
pub mod rule;
pub mod staff_api;
pub mod store;

use rusqlite::Connection;
use time::OffsetDateTime;

use crate::clock::sql_time;
use crate::error::AppResult;
use crate::settings;
use rule::{Voucher, Wording};

/// Whether the voucher with `code` (normalised) can be used by `buyer` on goods costing
/// `subtotal` after promotions at `now`: the voucher and what it takes off, or the
/// sentence that says why not.
pub fn check(
    conn: &Connection,
    code: &str,
    buyer: Option<i64>,
    subtotal: i64,
    money: &dyn Fn(i64) -> String,
    now: OffsetDateTime,
) -> AppResult<Result<(Voucher, i64), String>> {
    let Some(v) = store::by_code(conn, code)? else {
        return Ok(Err(format!("No voucher has the code {code}.")));
    };
    let w = Wording {
        offset_minutes: settings::get_i64(conn, "shop.utc_offset_minutes")?,
        money,
    };
    Ok(match v.refusal(buyer, subtotal, &sql_time(now), &w) {
        Some(why) => Err(why),
        None => {
            let off = v.off(subtotal);
            Ok((v, off))
        }
    })
}

pub fn routes() -> Vec<rocket::Route> {
    let mut r = pages::routes();
    r.extend(account::routes());
    r.extend(staff_api::routes());
    r.extend(bulk_pages::routes());
    r
}
