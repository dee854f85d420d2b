//! Back office: the catalogue. Products: the list with search, filters, sorting and CSV
//! export (`list`), the create/edit form with delete and archive (`form`), images
//! (`images`), stock adjustments (`stock`), CSV import (`import`) and the staff API
//! (`staff_api`, `images_staff_api`). The category tree editor (`categories`). Every
//! product write goes through `product` (one validation, one save), audited in its
//! transaction.

pub mod categories;
pub mod category_store;
pub mod form;
pub mod images;
pub mod images_staff_api;
pub mod import;
pub mod list;
pub mod product;
pub mod staff_api;
pub mod stock;

use rusqlite::Connection;

use crate::error::AppResult;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = list::routes();
    r.extend(form::routes());
    r.extend(images::routes());
    r.extend(stock::routes());
    r.extend(import::routes());
    r.extend(staff_api::routes());
    r.extend(images_staff_api::routes());
    r.extend(categories::routes());
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
