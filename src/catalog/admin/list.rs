//! The product list: search by name or SKU, filters (status, category with its
//! subcategories, low stock), sorting and paging; the same filters drive the CSV export
//! and the staff API's list.

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::{get, routes};
use rusqlite::{params, Connection};
use serde_json::{json, Value};

use crate::catalog::model::media_url;
use crate::db::like_contains;
use crate::error::{AppError, AppResult};
use crate::exports::cells::neutralise;
use crate::exports::csv::CsvFile;
use crate::staff::perm::ReadProducts;
use crate::staff::{nav, Can};
use crate::web::ctx::Ctx;
use crate::web::page::Page;
use crate::web::pagination;
use crate::web::query::{pairs, url};

pub const PER_PAGE: u32 = 50;
/// (value, label, ORDER BY). The SQL comes from this table, never from the request.
pub const SORTS: [(&str, &str, &str); 7] = [
    (
        "updated",
        "Recently changed",
        "p.updated_at DESC, p.id DESC",
    ),
    ("newest", "Newest", "p.created_at DESC, p.id DESC"),
    ("name", "Name A–Z", "p.name COLLATE NOCASE, p.id"),
    ("sku", "SKU", "p.sku, p.id"),
    ("price", "Price, low to high", "p.price, p.id"),
    ("price_desc", "Price, high to low", "p.price DESC, p.id"),
    ("stock", "Stock, lowest first", "p.stock, p.id"),
];

/// What the list shows: all parts optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub q: String,
    pub status: String,
    pub category: Option<i64>,
    pub low_stock: bool,
    pub sort: String,
}

impl Filter {
    /// From the query string; a bad value is a 400 naming the parameter.
    pub fn parse(uri: &Origin<'_>) -> AppResult<(Filter, u32)> {
        let mut f = Filter::default();
        let mut page = 1;
        for (k, v) in pairs(uri) {
            let v = v.trim().to_string();
            match k.as_str() {
                "q" => f.q = v.chars().take(200).collect(),
                "page" => page = pagination::parse_page(&v, 100_000)?,
                "status" if v.is_empty() || super::product::STATUSES.contains(&v.as_str()) => {
                    f.status = v
                }
                "category" if v.is_empty() => {}
                "category" => {
                    f.category = Some(v.parse().map_err(|_| {
                        AppError::BadRequest("category must be a category id".into())
                    })?)
                }
                "low_stock" => f.low_stock = matches!(v.as_str(), "1" | "true" | "on"),
                "sort" if v.is_empty() || SORTS.iter().any(|s| s.0 == v) => f.sort = v,
                "status" => {
                    return Err(AppError::BadRequest(
                        "status must be one of active, draft, archived".into(),
                    ))
                }
                "sort" => {
                    let all: Vec<&str> = SORTS.iter().map(|s| s.0).collect();
                    return Err(AppError::BadRequest(format!(
                        "sort must be one of {}",
                        all.join(", ")
                    )));
                }
                _ => {}
            }
        }
        Ok((f, page))
    }

    /// The query string parts that reproduce this filter.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.clone()),
            ("status", self.status.clone()),
            (
                "category",
                self.category.map(|c| c.to_string()).unwrap_or_default(),
            ),
            (
                "low_stock",
                if self.low_stock {
                    "1".into()
                } else {
                    String::new()
                },
            ),
            ("sort", self.sort.clone()),
        ]
    }

    fn order_by(&self) -> &'static str {
        SORTS
            .iter()
            .find(|s| s.0 == self.sort)
            .map(|s| s.2)
            .unwrap_or(SORTS[0].2)
    }
}

const WHERE: &str = "(?1 = '' OR p.name LIKE ?2 ESCAPE '\\' OR p.sku LIKE ?2 ESCAPE '\\')
    AND (?3 = '' OR p.status = ?3)
    AND (?4 IS NULL OR p.category_id IN (
        WITH RECURSIVE sub(id) AS (SELECT ?4 UNION ALL
            SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id)
        SELECT id FROM sub))
    AND (?5 = 0 OR p.stock <= p.low_stock_threshold)";

/// One row of the list, the export and the API. Named apart from the storefront's
/// product in the API document: two schemas of one name hid each other.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = StaffProductRow)]
pub struct Row {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub sku: String,
    /// Minor units.
    pub price: i64,
    pub compare_at_price: Option<i64>,
    pub stock: i64,
    pub low_stock_threshold: i64,
    pub status: String,
    pub category_id: Option<i64>,
    pub category: String,
    /// The main image's thumbnail (or the image when it has none), under /media/.
    pub image: Option<String>,
    pub updated_at: String,
}

/// A page of products (`limit` None: all of them, for the export) and the total count.
pub fn search(
    c: &Connection,
    f: &Filter,
    page: u32,
    limit: Option<u32>,
) -> AppResult<(Vec<Row>, u64)> {
    let like = like_contains(&f.q);
    let p = params![f.q, like, f.status, f.category, f.low_stock as i64];
    let total: i64 = c.query_row(
        &format!("SELECT count(*) FROM products p WHERE {WHERE}"),
        p,
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare(&format!(
        "SELECT p.id, p.name, p.slug, p.sku, p.price, p.compare_at_price, p.stock,
                p.low_stock_threshold, p.status, p.category_id, coalesce(c.name, ''),
                (SELECT coalesce(nullif(i.thumb, ''), i.path) FROM product_images i
                  WHERE i.product_id = p.id AND i.status = 'ready' ORDER BY i.position, i.id LIMIT 1),
                p.updated_at
         FROM products p LEFT JOIN categories c ON c.id = p.category_id
         WHERE {WHERE} ORDER BY {} LIMIT ?6 OFFSET ?7",
        f.order_by()
    ))?;
    let (lim, off) = match limit {
        Some(l) => (l as i64, (page as i64 - 1) * l as i64),
        None => (-1, 0),
    };
    let rows = stmt
        .query_map(
            params![
                f.q,
                like,
                f.status,
                f.category,
                f.low_stock as i64,
                lim,
                off
            ],
            |r| {
                Ok(Row {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    slug: r.get(2)?,
                    sku: r.get(3)?,
                    price: r.get(4)?,
                    compare_at_price: r.get(5)?,
                    stock: r.get(6)?,
                    low_stock_threshold: r.get(7)?,
                    status: r.get(8)?,
                    category_id: r.get(9)?,
                    category: r.get(10)?,
                    image: r.get(11)?,
                    updated_at: r.get(12)?,
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total as u64))
}

#[get("/admin/products")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadProducts>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let (filter, page_no) = Filter::parse(uri)?;
    let f2 = filter.clone();
    let ((rows, total), cats) = cx
        .db
        .read(move |c| {
            Ok((
                search(c, &f2, page_no, Some(PER_PAGE))?,
                super::categories(c)?,
            ))
        })
        .await?;
    let mut ctx = nav::context(&page, &me.staff, "products");
    let products: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "name": r.name, "sku": r.sku, "price_label": page.money(r.price), "stock": r.stock,
                "low": r.stock <= r.low_stock_threshold, "out": r.stock == 0,
                "status": r.status, "category_name": r.category,
                "thumb_url": r.image.as_deref().map(media_url).unwrap_or_default(),
                "edit_url": format!("/admin/products/{}", r.id),
                "shop_url": if r.status == "active" { format!("/products/{}", r.slug) } else { String::new() },
            })
        })
        .collect();
    ctx.insert("products", &products);
    ctx.insert(
        "filters",
        &json!({ "q": filter.q, "status": filter.status, "low_stock": filter.low_stock }),
    );
    let opt = |v: &str, l: &str, sel: bool| json!({ "value": v, "label": l, "selected": sel });
    let mut statuses = vec![opt("", "Any status", filter.status.is_empty())];
    for s in super::product::STATUSES {
        statuses.push(opt(s, &capitalise(s), filter.status == s));
    }
    ctx.insert("status_options", &statuses);
    let mut cat_opts = vec![opt("", "Any category", filter.category.is_none())];
    for (id, _, label) in &cats {
        cat_opts.push(opt(&id.to_string(), label, filter.category == Some(*id)));
    }
    ctx.insert("category_options", &cat_opts);
    let sorts: Vec<Value> = SORTS
        .iter()
        .map(|(v, l, _)| {
            opt(
                v,
                l,
                filter.sort == *v || (filter.sort.is_empty() && *v == "updated"),
            )
        })
        .collect();
    ctx.insert("sort_options", &sorts);
    let first = (page_no as u64 - 1) * PER_PAGE as u64;
    let range = match total {
        0 => "No products".to_string(),
        _ if rows.is_empty() => format!("{total} products; this page is past the end"),
        _ => format!("{}–{} of {total}", first + 1, first + rows.len() as u64),
    };
    ctx.insert("range_label", &range);
    ctx.insert(
        "export_url",
        &url("/admin/products/export.csv", &filter.params()),
    );
    ctx.insert(
        "pagination",
        &pagination::for_list(
            "/admin/products",
            &filter.params(),
            page_no,
            PER_PAGE,
            total,
        ),
    );
    cx.tpl.page("backoffice/products.html.tera", &ctx)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The listed products (all pages, current filters) as CSV, in the import's columns, so an
/// export can be edited and imported again. Text cells that could start a formula are
/// prefixed with `'` (POLICY "Exports").
#[get("/admin/products/export.csv")]
async fn export(uri: &Origin<'_>, _me: Can<ReadProducts>, cx: Ctx<'_>) -> AppResult<CsvFile> {
    let (filter, _) = Filter::parse(uri)?;
    let bytes = cx
        .db
        .read(move |c| {
            let cur = crate::settings::currency(c)?;
            let cats = super::categories(c)?;
            let (rows, _) = search(c, &filter, 1, None)?;
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(super::import::HEADERS)
                .map_err(AppError::internal)?;
            for r in rows {
                let desc: String = c.query_row(
                    "SELECT description FROM products WHERE id = ?1",
                    [r.id],
                    |x| x.get(0),
                )?;
                let cat = r
                    .category_id
                    .and_then(|id| cats.iter().find(|c| c.0 == id))
                    .map(|c| c.1.clone())
                    .unwrap_or_default();
                w.write_record([
                    neutralise(&r.sku),
                    neutralise(&r.name),
                    neutralise(&r.slug),
                    neutralise(&desc),
                    cur.to_major(r.price),
                    r.compare_at_price
                        .map(|p| cur.to_major(p))
                        .unwrap_or_default(),
                    r.stock.to_string(),
                    r.low_stock_threshold.to_string(),
                    neutralise(&cat),
                    r.status,
                ])
                .map_err(AppError::internal)?;
            }
            w.into_inner().map_err(AppError::internal)
        })
        .await?;
    Ok(CsvFile::named(bytes, "products.csv"))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, export]
}
