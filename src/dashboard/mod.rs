//! Back office home: a few figures about the catalogue and what is running low.

use rocket::response::content::RawHtml;
use rocket::{get, routes, State};
use serde_json::json;

use crate::db::Db;
use crate::error::AppResult;
use crate::staff::perm::ReadDashboard;
use crate::staff::{nav, Can};
use crate::web::page::Page;
use crate::web::templates::Templates;

#[get("/admin")]
async fn home(
    me: Can<ReadDashboard>,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let (counts, low) = db
        .read(|c| {
            let counts: (i64, i64, i64, i64, i64) = c.query_row(
                "SELECT count(*) FILTER (WHERE status = 'active'),
                        count(*) FILTER (WHERE status = 'draft'),
                        count(*) FILTER (WHERE status = 'active' AND stock = 0),
                        count(*) FILTER (WHERE status = 'active' AND stock > 0 AND stock <= low_stock_threshold),
                        (SELECT count(*) FROM categories)
                 FROM products",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?;
            let mut stmt = c.prepare(
                "SELECT name, sku, stock, slug FROM products
                 WHERE status = 'active' AND stock <= low_stock_threshold
                 ORDER BY stock, name LIMIT 10",
            )?;
            let low = stmt
                .query_map([], |r| {
                    Ok(json!({ "name": r.get::<_, String>(0)?, "sku": r.get::<_, String>(1)?, "stock": r.get::<_, i64>(2)?,
                               "url": format!("/products/{}", r.get::<_, String>(3)?) }))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((counts, low))
        })
        .await?;
    let (active, drafts, out, low_count, categories) = counts;
    let mut ctx = nav::context(&page, &me.staff, "dashboard");
    ctx.insert(
        "cards",
        &[
            json!({ "label": "Products on sale", "value": active, "hint": format!("{drafts} drafts") }),
            json!({ "label": "Out of stock", "value": out, "hint": "active products with no stock" }),
            json!({ "label": "Running low", "value": low_count, "hint": "at or below their threshold" }),
            json!({ "label": "Categories", "value": categories, "hint": "including subcategories" }),
        ],
    );
    ctx.insert("low_stock", &low);
    tpl.page("backoffice/dashboard.html.tera", &ctx)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![home]
}
