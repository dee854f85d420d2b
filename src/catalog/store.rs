//! The catalogue's SQL. Only `active` products are ever read here: drafts and archived
//! products cannot reach the shop through this module.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};

use super::model::{Category, Image, ProductCard, ProductDetail};
use super::query::{fts_expression, CatalogQuery, Sort};
use crate::error::AppResult;
use crate::marketing::promotions::rule::{best, Offer};

const CARD_COLUMNS: &str = "p.id, p.slug, p.name, p.sku, p.price, p.compare_at_price, p.stock,
    p.low_stock_threshold, p.category_id,
    (SELECT i.path || '|' || i.thumb FROM product_images i
      WHERE i.product_id = p.id AND i.status = 'ready' ORDER BY i.position, i.id LIMIT 1)";

fn card(r: &Row<'_>) -> rusqlite::Result<ProductCard> {
    Ok(ProductCard {
        id: r.get(0)?,
        slug: r.get(1)?,
        name: r.get(2)?,
        sku: r.get(3)?,
        price: r.get(4)?,
        compare_at_price: r.get(5)?,
        stock: r.get(6)?,
        low_stock_threshold: r.get(7)?,
        category_id: r.get(8)?,
        // "path|thumb" in one lookup (generated names never hold '|'); no thumbnail (the
        // demo's pictures) means cards show the image itself.
        image: r
            .get::<_, Option<String>>(9)?
            .map(|both| both.split('|').next().unwrap_or_default().to_string()),
        thumb: r
            .get::<_, Option<String>>(9)?
            .map(|both| match both.split_once('|') {
                Some((path, "")) => path.to_string(),
                Some((_, thumb)) => thumb.to_string(),
                None => both,
            }),
        sale_price: r.get(4)?,
        promotion: None,
    })
}

pub fn revision(conn: &Connection) -> AppResult<i64> {
    Ok(conn
        .prepare_cached("SELECT rev FROM catalog_revision WHERE id = 1")?
        .query_row([], |r| r.get(0))?)
}

pub fn categories(conn: &Connection) -> AppResult<Vec<Category>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, c.parent_id, c.slug, c.name, c.description,
                (SELECT count(*) FROM products p WHERE p.category_id = c.id AND p.status = 'active')
         FROM categories c ORDER BY c.position, c.name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Category {
            id: r.get(0)?,
            parent_id: r.get(1)?,
            slug: r.get(2)?,
            name: r.get(3)?,
            description: r.get(4)?,
            own_count: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The FROM and WHERE of a catalogue query, with its arguments. None when the search text
/// has nothing searchable in it (only punctuation), so nothing can match.
struct Filter {
    from: &'static str,
    cond: String,
    args: Vec<Value>,
    search: bool,
}

/// `by_price`: whether the price filters go into the SQL (they do unless promotions run,
/// when the price a buyer pays is computed in Rust, see `promoted_ids`).
fn filter(q: &CatalogQuery, category_ids: Option<&[i64]>, by_price: bool) -> Option<Filter> {
    let mut from = "FROM products p";
    let mut cond = vec!["p.status = 'active'".to_string()];
    let mut args: Vec<Value> = Vec::new();
    if !q.q.is_empty() {
        // CROSS JOIN keeps the full-text match first: left to itself the planner may walk
        // every product and run a match for each, which is hundreds of times slower.
        from = "FROM products_fts CROSS JOIN products p ON p.id = products_fts.rowid";
        cond.push("products_fts MATCH ?".into());
        args.push(Value::Text(fts_expression(&q.q)?));
    }
    if let Some(ids) = category_ids {
        let marks = vec!["?"; ids.len().max(1)].join(", ");
        cond.push(format!("p.category_id IN ({marks})"));
        if ids.is_empty() {
            args.push(Value::Null);
        }
        args.extend(ids.iter().map(|&i| Value::Integer(i)));
    }
    if let (Some(v), true) = (q.min_price, by_price) {
        cond.push("p.price >= ?".into());
        args.push(Value::Integer(v));
    }
    if let (Some(v), true) = (q.max_price, by_price) {
        cond.push("p.price <= ?".into());
        args.push(Value::Integer(v));
    }
    if q.in_stock {
        cond.push("p.stock > 0".into());
    }
    Some(Filter {
        from,
        cond: cond.join(" AND "),
        args,
        search: !q.q.is_empty(),
    })
}

/// Whether the price a buyer pays decides this query: promotions run and it sorts or
/// filters by price. No index holds that price, so such a query is answered in Rust.
fn promoted(q: &CatalogQuery, offers: &[Offer]) -> bool {
    !offers.is_empty()
        && (matches!(q.sort, Sort::PriceAsc | Sort::PriceDesc)
            || q.min_price.is_some()
            || q.max_price.is_some())
}

/// Every match of a promoted query (see `promoted`), in its order: read as (id, price,
/// category) in the query's own order, priced by the promotion rule, filtered by the price
/// range and, for a price sort, sorted by that price (then the id).
fn promoted_ids(
    conn: &Connection,
    q: &CatalogQuery,
    category_ids: Option<&[i64]>,
    offers: &[Offer],
) -> AppResult<Vec<i64>> {
    let Some(f) = filter(q, category_ids, false) else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT p.id, p.price, p.category_id {} WHERE {} ORDER BY {}",
        f.from,
        f.cond,
        order_by(q, f.search)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<(i64, i64)> = Vec::new();
    let found = stmt.query_map(params_from_iter(f.args.iter()), |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Option<i64>>(2)?,
        ))
    })?;
    for row in found {
        let (id, price, category) = row?;
        let paid = price - best(offers, id, category, price).map_or(0, |(_, off)| off);
        if q.min_price.is_some_and(|m| paid < m) || q.max_price.is_some_and(|m| paid > m) {
            continue;
        }
        rows.push((id, paid));
    }
    match q.sort {
        Sort::PriceAsc => rows.sort_by_key(|&(id, paid)| (paid, id)),
        Sort::PriceDesc => rows.sort_by_key(|&(id, paid)| std::cmp::Reverse((paid, id))),
        _ => {}
    }
    Ok(rows.into_iter().map(|(id, _)| id).collect())
}

/// How many active products match `q` within `category_ids` (already expanded to include
/// subcategories); sort and page do not matter.
pub fn count(
    conn: &Connection,
    q: &CatalogQuery,
    category_ids: Option<&[i64]>,
    offers: &[Offer],
) -> AppResult<u64> {
    if promoted(q, offers) {
        return Ok(promoted_ids(conn, q, category_ids, offers)?.len() as u64);
    }
    let Some(f) = filter(q, category_ids, true) else {
        return Ok(0);
    };
    let n: i64 = conn
        .prepare_cached(&format!("SELECT count(*) {} WHERE {}", f.from, f.cond))?
        .query_row(params_from_iter(f.args.iter()), |r| r.get(0))?;
    Ok(n as u64)
}

/// The ORDER BY of a sort. Every order ends in the id, and each has an index in that
/// order (schema.sql), so a page is read straight off the index without sorting.
fn order_by(q: &CatalogQuery, search: bool) -> &'static str {
    match q.sort {
        Sort::Relevance if search => "bm25(products_fts, 10.0, 2.0, 5.0), p.id",
        Sort::Relevance | Sort::Newest => "p.created_at DESC, p.id DESC",
        Sort::PriceAsc => "p.price ASC, p.id ASC",
        Sort::PriceDesc => "p.price DESC, p.id DESC",
        Sort::Name => "p.name COLLATE NOCASE ASC, p.id ASC",
        Sort::BestSelling => "p.sold_count DESC, p.id ASC",
    }
}

/// The SQL and arguments of one page of the listing (no promotion deciding it).
fn page_query(q: &CatalogQuery, category_ids: Option<&[i64]>) -> Option<(String, Vec<Value>)> {
    let mut f = filter(q, category_ids, true)?;
    let sql = format!(
        "SELECT {CARD_COLUMNS} {} WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
        f.from,
        f.cond,
        order_by(q, f.search)
    );
    f.args.push(Value::Integer(q.per_page as i64));
    f.args.push(Value::Integer(q.offset()));
    Some((sql, f.args))
}

/// The cards of `ids`, in that order.
fn cards(conn: &Connection, ids: &[i64]) -> AppResult<Vec<ProductCard>> {
    let list = format!(
        "[{}]",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    );
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CARD_COLUMNS} FROM products p WHERE p.id IN (SELECT value FROM json_each(?1))"
    ))?;
    let mut found: Vec<ProductCard> = stmt.query_map([list], card)?.collect::<Result<_, _>>()?;
    found.sort_by_key(|c| ids.iter().position(|&i| i == c.id));
    Ok(found)
}

/// One page of active products matching `q` within `category_ids`, at the prices the
/// running `offers` give.
pub fn page(
    conn: &Connection,
    q: &CatalogQuery,
    category_ids: Option<&[i64]>,
    offers: &[Offer],
) -> AppResult<Vec<ProductCard>> {
    let mut items = if promoted(q, offers) {
        let ids = promoted_ids(conn, q, category_ids, offers)?;
        let from = (q.offset() as usize).min(ids.len());
        let to = (from + q.per_page as usize).min(ids.len());
        cards(conn, &ids[from..to])?
    } else {
        let Some((sql, args)) = page_query(q, category_ids) else {
            return Ok(Vec::new());
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), card)?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    for p in &mut items {
        p.promote(offers);
    }
    Ok(items)
}

fn detail(conn: &Connection, cond: &str, key: Value) -> AppResult<Option<ProductDetail>> {
    let sql = format!(
        "SELECT {CARD_COLUMNS}, p.description, p.status, p.created_at
         FROM products p WHERE {cond} AND p.status = 'active'"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([key], |r| {
            Ok(ProductDetail {
                card: card(r)?,
                description: r.get(10)?,
                status: r.get(11)?,
                created_at: r.get(12)?,
            })
        })
        .optional()?)
}

pub fn product_by_slug(conn: &Connection, slug: &str) -> AppResult<Option<ProductDetail>> {
    detail(conn, "p.slug = ?1", Value::Text(slug.to_string()))
}

pub fn product_by_id(conn: &Connection, id: i64) -> AppResult<Option<ProductDetail>> {
    detail(conn, "p.id = ?1", Value::Integer(id))
}

pub fn images(conn: &Connection, product_id: i64) -> AppResult<Vec<Image>> {
    let mut stmt = conn.prepare_cached(
        "SELECT path, alt, width, height FROM product_images
         WHERE product_id = ?1 AND status = 'ready' ORDER BY position, id",
    )?;
    let rows = stmt.query_map([product_id], |r| {
        Ok(Image {
            path: r.get(0)?,
            alt: r.get(1)?,
            width: r.get(2)?,
            height: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sort of the shop, with and without the stock filter, reads a page off an index: a
    /// "TEMP B-TREE" would mean sorting every matching product for each page.
    #[test]
    fn every_sort_reads_its_page_straight_from_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(&dir.path().join("shop.db")).unwrap();
        db.read_blocking(|c| {
            for sort in [
                Sort::Newest,
                Sort::PriceAsc,
                Sort::PriceDesc,
                Sort::Name,
                Sort::BestSelling,
            ] {
                // (A price range may rightly be served by the price index plus a sort.)
                for (in_stock, min_price) in [(false, None), (true, None)] {
                    let q = CatalogQuery {
                        sort,
                        in_stock,
                        min_price,
                        page: 200,
                        ..CatalogQuery::default()
                    };
                    let (sql, args) = page_query(&q, None).unwrap();
                    let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                    let plan: Vec<String> = stmt
                        .query_map(params_from_iter(args.iter()), |r| r.get(3))?
                        .collect::<Result<_, _>>()?;
                    let plan = plan.join("; ");
                    assert!(
                        !plan.contains("TEMP B-TREE"),
                        "{sort:?} in_stock={in_stock} min={min_price:?}: {plan}"
                    );
                }
            }
            Ok(())
        })
        .unwrap();
    }
}
