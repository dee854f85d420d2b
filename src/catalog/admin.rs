//! Back office: the product list (read-only until the products interface lands).

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::{get, routes, State};
use rusqlite::params;
use serde_json::{json, Value};

use crate::db::{like_contains, Db};
use crate::error::AppResult;
use crate::staff::perm::ReadProducts;
use crate::staff::{nav, Can};
use crate::web::page::Page;
use crate::web::pagination;
use crate::web::query::ListQuery;
use crate::web::templates::Templates;

const PER_PAGE: u32 = 50;
const STATUSES: [(&str, &str); 4] = [
    ("", "Any status"),
    ("active", "Active"),
    ("draft", "Draft"),
    ("archived", "Archived"),
];

struct Row {
    name: String,
    slug: String,
    sku: String,
    price: i64,
    stock: i64,
    status: String,
    category: String,
}

/// Products matching a name/SKU search and a status ("" = any), newest change first.
fn search(
    c: &rusqlite::Connection,
    q: &str,
    status: &str,
    page: u32,
) -> AppResult<(Vec<Row>, u64)> {
    const FILTER: &str = "(?1 = '' OR p.name LIKE ?2 ESCAPE '\\' OR p.sku LIKE ?2 ESCAPE '\\') AND (?3 = '' OR p.status = ?3)";
    let like = like_contains(q);
    let total: i64 = c.query_row(
        &format!("SELECT count(*) FROM products p WHERE {FILTER}"),
        params![q, like, status],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare(&format!(
        "SELECT p.name, p.slug, p.sku, p.price, p.stock, p.status, coalesce(c.name, '')
         FROM products p LEFT JOIN categories c ON c.id = p.category_id
         WHERE {FILTER} ORDER BY p.updated_at DESC, p.id DESC LIMIT ?4 OFFSET ?5"
    ))?;
    let offset = (page as i64 - 1) * PER_PAGE as i64;
    let rows = stmt
        .query_map(params![q, like, status, PER_PAGE, offset], |r| {
            Ok(Row {
                name: r.get(0)?,
                slug: r.get(1)?,
                sku: r.get(2)?,
                price: r.get(3)?,
                stock: r.get(4)?,
                status: r.get(5)?,
                category: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total as u64))
}

#[get("/admin/products")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadProducts>,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let list = ListQuery::parse(uri, &[("status", &["active", "draft", "archived"])])?;
    let (status, q, page_no) = (list.filter("status"), list.q, list.page);
    let (fq, fs) = (q.clone(), status.clone());
    let (rows, total) = db.read(move |c| search(c, &fq, &fs, page_no)).await?;
    let mut ctx = nav::context(&page, &me.staff, "products");
    let products: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "name": r.name, "sku": r.sku, "price_label": page.money(r.price), "stock": r.stock,
                "status": r.status, "category_name": r.category,
                "shop_url": if r.status == "active" { format!("/products/{}", r.slug) } else { String::new() },
            })
        })
        .collect();
    ctx.insert("products", &products);
    ctx.insert("filters", &json!({ "q": q, "status": status }));
    let opts: Vec<Value> = STATUSES
        .iter()
        .map(|(v, l)| json!({ "value": v, "label": l, "selected": *v == status }))
        .collect();
    ctx.insert("status_options", &opts);
    let first = (page_no as u64 - 1) * PER_PAGE as u64;
    let range = match total {
        0 => "No products".to_string(),
        _ if rows.is_empty() => format!("{total} products; this page is past the end"),
        _ => format!("{}–{} of {total}", first + 1, first + rows.len() as u64),
    };
    ctx.insert("range_label", &range);
    ctx.insert(
        "pagination",
        &pagination::for_list(
            "/admin/products",
            &[("q", q), ("status", status)],
            page_no,
            PER_PAGE,
            total,
        ),
    );
    tpl.page("backoffice/products.html.tera", &ctx)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list]
}
