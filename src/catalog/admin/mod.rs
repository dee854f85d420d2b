//! Back office: products. The list with search, filters, sorting and CSV export (`list`),
//! the create/edit form with delete and archive (`form`), images (`images`, and over the API `images_api`), stock
//! adjustments (`stock`), CSV import (`import`) and the staff API (`api`). Every write
//! goes through `product` (one validation, one save), audited in its transaction.

pub mod api;
pub mod form;
pub mod images;
pub mod images_api;
pub mod import;
pub mod list;
pub mod product;
pub mod stock;

use rusqlite::Connection;

use crate::clock::Clock;
use crate::error::AppResult;
use crate::staff::guard::StaffUser;
use crate::web::client::ClientIp;
use product::By;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = list::routes();
    r.extend(form::routes());
    r.extend(images::routes());
    r.extend(stock::routes());
    r.extend(import::routes());
    r.extend(api::routes());
    r.extend(images_api::routes());
    r
}

/// Every category as (id, slug, "Parent › Child"), in tree order, for pickers.
pub fn categories(c: &Connection) -> AppResult<Vec<(i64, String, String)>> {
    let mut stmt = c.prepare_cached(
        "WITH RECURSIVE t(id, slug, label, sort) AS (
             SELECT id, slug, name, printf('%08d', position) || name FROM categories WHERE parent_id IS NULL
             UNION ALL
             SELECT c.id, c.slug, t.label || ' › ' || c.name, t.sort || '/' || printf('%08d', c.position) || c.name
             FROM categories c JOIN t ON c.parent_id = t.id
         )
         SELECT id, slug, label FROM t ORDER BY sort",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Who is acting, for `product::save` and friends.
pub fn by(staff: &StaffUser, ip: Option<ClientIp>, clock: &Clock) -> By {
    By {
        actor: staff.actor(),
        ip,
        staff_id: staff.id,
        now: clock.now_sql(),
    }
}
