//! The catalogue's SQL. Only `active` products are ever read here: drafts and archived
//! products cannot reach the shop through this module.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};

use super::model::{Category, Image, ProductCard, ProductDetail};
use super::query::{fts_expression, CatalogQuery, Sort};
use crate::error::AppResult;
use crate::marketing::promotions::rule::{price_sql, Offer};

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

/// `price` is the SQL of the price a buyer pays (`p.price` when no promotion runs), with
/// its arguments: sorting and the price filters use it.
fn filter(q: &CatalogQuery, category_ids: Option<&[i64]>, price: &Price) -> Option<Filter> {
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
    if let Some(v) = q.min_price {
        cond.push(format!("{} >= ?", price.sql));
        args.extend(price.args.iter().cloned());
        args.push(Value::Integer(v));
    }
    if let Some(v) = q.max_price {
        cond.push(format!("{} <= ?", price.sql));
        args.extend(price.args.iter().cloned());
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

/// The unit price a buyer pays, as SQL over `p`, with its arguments.
pub struct Price {
    pub sql: String,
    pub args: Vec<Value>,
}

impl Price {
    /// The price under the running promotions (`p.price` when none runs).
    pub fn under(offers: &[Offer]) -> Price {
        let (sql, args) = price_sql(offers);
        Price { sql, args }
    }
}

/// How many active products match `q` within `category_ids` (already expanded to include
/// subcategories); sort and page do not matter.
pub fn count(
    conn: &Connection,
    q: &CatalogQuery,
    category_ids: Option<&[i64]>,
    price: &Price,
) -> AppResult<u64> {
    let Some(f) = filter(q, category_ids, price) else {
        return Ok(0);
    };
    let n: i64 = conn
        .prepare_cached(&format!("SELECT count(*) {} WHERE {}", f.from, f.cond))?
        .query_row(params_from_iter(f.args.iter()), |r| r.get(0))?;
    Ok(n as u64)
}

/// The SQL and arguments of one page of the listing.
fn page_query(
    q: &CatalogQuery,
    category_ids: Option<&[i64]>,
    price: &Price,
) -> Option<(String, Vec<Value>)> {
    let mut f = filter(q, category_ids, price)?;
    // Every order ends in the id, and each has an index in that order (schema.sql), so a
    // page is read straight off the index without sorting — while no promotion runs; one
    // that does makes the price sorts compute the price each buyer pays.
    let by_price = |dir: &str| format!("{} {dir}, p.id {dir}", price.sql);
    let order = match q.sort {
        Sort::Relevance if f.search => "bm25(products_fts, 10.0, 2.0, 5.0), p.id".to_string(),
        Sort::Relevance | Sort::Newest => "p.created_at DESC, p.id DESC".to_string(),
        Sort::PriceAsc => by_price("ASC"),
        Sort::PriceDesc => by_price("DESC"),
        Sort::Name => "p.name COLLATE NOCASE ASC, p.id ASC".to_string(),
        Sort::BestSelling => "p.sold_count DESC, p.id ASC".to_string(),
    };
    let sorted_by_promotions =
        matches!(q.sort, Sort::PriceAsc | Sort::PriceDesc) && price.sql != "p.price";
    if matches!(q.sort, Sort::PriceAsc | Sort::PriceDesc) {
        f.args.extend(price.args.iter().cloned());
    }
    let sql = if sorted_by_promotions {
        // No index holds the promoted price, so every match is sorted: rank ids first and
        // read the cards' columns (the image lookup among them) for the page's rows only,
        // not for every product the sort goes through.
        format!(
            "WITH ranked AS (SELECT p.id AS id, row_number() OVER (ORDER BY {order}) AS n
                             {} WHERE {} ORDER BY n LIMIT ? OFFSET ?)
             SELECT {CARD_COLUMNS} FROM ranked CROSS JOIN products p ON p.id = ranked.id
             ORDER BY ranked.n",
            f.from, f.cond
        )
    } else {
        format!(
            "SELECT {CARD_COLUMNS} {} WHERE {} ORDER BY {order} LIMIT ? OFFSET ?",
            f.from, f.cond
        )
    };
    f.args.push(Value::Integer(q.per_page as i64));
    f.args.push(Value::Integer(q.offset()));
    Some((sql, f.args))
}

/// One page of active products matching `q` within `category_ids`, at the prices the
/// running `offers` give.
pub fn page(
    conn: &Connection,
    q: &CatalogQuery,
    category_ids: Option<&[i64]>,
    offers: &[Offer],
) -> AppResult<Vec<ProductCard>> {
    let price = Price::under(offers);
    let Some((sql, args)) = page_query(q, category_ids, &price) else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut items = stmt
        .query_map(params_from_iter(args.iter()), card)?
        .collect::<Result<Vec<_>, _>>()?;
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
                    let (sql, args) = page_query(&q, None, &Price::under(&[])).unwrap();
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
