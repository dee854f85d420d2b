//! Back office: the product list (read-only until the products interface lands).

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::{get, routes, State};
use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;
use serde_json::{json, Value};

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::staff::perm::ReadProducts;
use crate::staff::{nav, Can};
use crate::web::page::Page;
use crate::web::templates::Templates;
use crate::web::{pagination, query};

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

#[get("/admin/products")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadProducts>,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let (mut q, mut status, mut page_no) = (String::new(), String::new(), 1u32);
    for (k, v) in query::pairs(uri) {
        match k.as_str() {
            "q" => q = v.trim().chars().take(200).collect(),
            "status" if STATUSES.iter().any(|(s, _)| *s == v) => status = v,
            "status" => {
                return Err(AppError::BadRequest(
                    "status must be active, draft or archived".into(),
                ))
            }
            "page" => {
                page_no = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| {
                        AppError::BadRequest("page must be a whole number from 1 to 100000".into())
                    })?
            }
            _ => {}
        }
    }
    let (fq, fs) = (q.clone(), status.clone());
    let (rows, total) = db
        .read(move |c| {
            let mut cond = vec!["1 = 1"];
            let mut args: Vec<SqlValue> = Vec::new();
            if !fq.is_empty() {
                cond.push("(p.name LIKE ?1 ESCAPE '\\' OR p.sku LIKE ?1 ESCAPE '\\')");
                let esc = fq
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                args.push(SqlValue::Text(format!("%{esc}%")));
            }
            if !fs.is_empty() {
                cond.push(if args.is_empty() {
                    "p.status = ?1"
                } else {
                    "p.status = ?2"
                });
                args.push(SqlValue::Text(fs));
            }
            let w = cond.join(" AND ");
            let total: i64 = c.query_row(
                &format!("SELECT count(*) FROM products p WHERE {w}"),
                params_from_iter(args.iter()),
                |r| r.get(0),
            )?;
            let sql = format!(
                "SELECT p.name, p.slug, p.sku, p.price, p.stock, p.status, coalesce(c.name, '')
                 FROM products p LEFT JOIN categories c ON c.id = p.category_id
                 WHERE {w} ORDER BY p.updated_at DESC, p.id DESC LIMIT {PER_PAGE} OFFSET {}",
                (page_no as i64 - 1) * PER_PAGE as i64
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt
                .query_map(params_from_iter(args.iter()), |r| {
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
        })
        .await?;
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
    ctx.insert(
        "range_label",
        &if total == 0 {
            "No products".to_string()
        } else {
            format!(
                "{}–{} of {total}",
                (first + 1).min(total),
                first + rows.len() as u64
            )
        },
    );
    ctx.insert(
        "pagination",
        &pagination::build(page_no, PER_PAGE, total, |n| {
            query::url(
                "/admin/products",
                &[
                    ("q", q.clone()),
                    ("status", status.clone()),
                    ("page", if n > 1 { n.to_string() } else { String::new() }),
                ],
            )
        }),
    );
    tpl.page("backoffice/products.html.tera", &ctx)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list]
}
