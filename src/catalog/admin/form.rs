//! The product page: create and edit form (per-field messages, typed values kept, nothing
//! saved unless every field is valid), delete (refused for a product in orders, which is
//! archived instead) and archive. The edit page also carries images and stock.

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes};
use serde_json::{json, Value};

use super::product::{self, Errors, Product, ProductInput};
use crate::clock::shown_time;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::staff::guard::StaffUser;
use crate::staff::perm::{CreateProducts, DeleteProducts, ReadProducts, UpdateProducts};
use crate::staff::{nav, Can};
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

type Answer = Result<Flash<Redirect>, status::Custom<RawHtml<String>>>;

/// What the edit page shows besides the form.
struct Extras {
    product: Product,
    images: Vec<Value>,
    movements: Vec<Value>,
    in_orders: i64,
}

fn extras(c: &rusqlite::Connection, id: i64) -> AppResult<Extras> {
    let product = product::must_get(c, id)?;
    let mut stmt = c.prepare_cached(
        "SELECT delta, reason, note, actor, at FROM stock_movements
         WHERE product_id = ?1 ORDER BY id DESC LIMIT 20",
    )?;
    let movements = stmt
        .query_map([id], |r| {
            let delta: i64 = r.get(0)?;
            Ok(json!({
                "change": if delta > 0 { format!("+{delta}") } else { delta.to_string() },
                "positive": delta > 0,
                "reason": r.get::<_, String>(1)?, "note": r.get::<_, String>(2)?,
                "actor": r.get::<_, String>(3)?, "at": shown_time(&r.get::<_, String>(4)?),
            }))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Extras {
        images: super::images::for_page(c, id)?,
        in_orders: product::order_lines(c, id)?,
        product,
        movements,
    })
}

#[allow(clippy::too_many_arguments)]
fn render(
    page: &Page,
    staff: &StaffUser,
    tpl: &Templates,
    cats: &[(i64, String, String)],
    input: &ProductInput,
    errors: &Errors,
    extras: Option<&Extras>,
    stock_form: &Value,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, staff, "products");
    ctx.insert("values", input);
    ctx.insert("errors", errors);
    let mut opts = vec![
        json!({ "value": "", "label": "No category", "selected": input.category_id.is_empty() }),
    ];
    for (id, _, label) in cats {
        opts.push(json!({ "value": id.to_string(), "label": label, "selected": input.category_id == id.to_string() }));
    }
    ctx.insert("category_options", &opts);
    let statuses: Vec<Value> = [
        ("draft", "Draft — not in the shop yet"),
        ("active", "Active — on sale in the shop"),
        ("archived", "Archived — kept for old orders, not sold"),
    ]
    .iter()
    .map(|(v, l)| json!({ "value": v, "label": l, "selected": input.status == *v }))
    .collect();
    ctx.insert("status_options", &statuses);
    ctx.insert("currency", &page.shop.currency.code);
    ctx.insert("stock_form", stock_form);
    match extras {
        None => {
            ctx.insert("is_new", &true);
            ctx.insert("page_title", "New product");
            ctx.insert("action", "/admin/products");
        }
        Some(x) => {
            let p = &x.product;
            ctx.insert("is_new", &false);
            ctx.insert("page_title", &p.name);
            ctx.insert("action", &format!("/admin/products/{}", p.id));
            ctx.insert(
                "product",
                &json!({
                    "id": p.id, "name": p.name, "status": p.status, "stock": p.stock,
                    "low": p.stock <= p.low_stock_threshold,
                    "shop_url": if p.status == "active" { format!("/products/{}", p.slug) } else { String::new() },
                    "in_orders": x.in_orders,
                }),
            );
            ctx.insert("images", &x.images);
            ctx.insert(
                "image_count",
                &x.images.iter().filter(|i| i["status"] != "failed").count(),
            );
            ctx.insert("max_images", &super::images::MAX_IMAGES);
            ctx.insert("movements", &x.movements);
        }
    }
    tpl.page("backoffice/product.html.tera", &ctx)
}

#[get("/admin/products/new")]
async fn new_form(me: Can<CreateProducts>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let cats = cx.db.read(super::categories).await?;
    let input = ProductInput {
        status: "draft".into(),
        stock: "0".into(),
        low_stock_threshold: "5".into(),
        ..Default::default()
    };
    render(
        &page,
        &me.staff,
        cx.tpl,
        &cats,
        &input,
        &Errors::new(),
        None,
        &stock_form("", "", &Errors::new()),
    )
}

#[get("/admin/products/<id>")]
pub async fn edit_form(
    id: i64,
    me: Can<ReadProducts>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let (x, cats) = cx
        .db
        .read(move |c| Ok((extras(c, id)?, super::categories(c)?)))
        .await?;
    let input = x.product.as_input(page.shop.currency);
    render(
        &page,
        &me.staff,
        cx.tpl,
        &cats,
        &input,
        &Errors::new(),
        Some(&x),
        &stock_form("", "", &Errors::new()),
    )
}

/// Re-shows the form with the messages (422).
async fn refused(
    page: &Page,
    staff: &StaffUser,
    db: &Db,
    tpl: &Templates,
    id: Option<i64>,
    input: &ProductInput,
    errors: &Errors,
) -> AppResult<Answer> {
    let (x, cats) = db
        .read(move |c| {
            Ok((
                id.map(|id| extras(c, id)).transpose()?,
                super::categories(c)?,
            ))
        })
        .await?;
    let blank = stock_form("", "", &Errors::new());
    let html = render(page, staff, tpl, &cats, input, errors, x.as_ref(), &blank)?;
    Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
}

/// What the stock form shows: the typed change and reason, and a message per field.
pub fn stock_form(change: &str, reason: &str, errors: &Errors) -> Value {
    json!({ "change": change, "reason": reason, "errors": errors })
}

/// The product page again (422) with the stock form's typed values and its messages.
pub async fn stock_refused(
    page: &Page,
    staff: &StaffUser,
    db: &Db,
    tpl: &Templates,
    id: i64,
    form: Value,
) -> AppResult<status::Custom<RawHtml<String>>> {
    let (x, cats) = db
        .read(move |c| Ok((extras(c, id)?, super::categories(c)?)))
        .await?;
    let input = x.product.as_input(page.shop.currency);
    let html = render(
        page,
        staff,
        tpl,
        &cats,
        &input,
        &Errors::new(),
        Some(&x),
        &form,
    )?;
    Ok(status::Custom(Status::UnprocessableEntity, html))
}

#[post("/admin/products", data = "<form>")]
async fn create(
    form: CsrfForm<ProductInput>,
    me: Can<CreateProducts>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let input = form.0;
    let by = me.by(cx.clock);
    match product::create_or_update(cx.db, None, input.clone(), by).await? {
        Ok(id) => Ok(Ok(flash_redirect(
            format!("/admin/products/{id}"),
            "success",
            format!("“{}” was created. Add images below.", input.name.trim()),
        ))),
        Err((errors, input)) => {
            refused(&page, &me.staff, cx.db, cx.tpl, None, &input, &errors).await
        }
    }
}

#[post("/admin/products/<id>", data = "<form>")]
async fn update(
    id: i64,
    form: CsrfForm<ProductInput>,
    me: Can<UpdateProducts>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let input = form.0;
    let by = me.by(cx.clock);
    match product::create_or_update(cx.db, Some(id), input.clone(), by).await? {
        Ok(id) => Ok(Ok(flash_redirect(
            format!("/admin/products/{id}"),
            "success",
            "The product was saved.",
        ))),
        Err((errors, input)) => {
            refused(&page, &me.staff, cx.db, cx.tpl, Some(id), &input, &errors).await
        }
    }
}

/// Deletes the product and then its image files; a product in orders is refused with
/// the advice to archive it (the page offers the button).
#[post("/admin/products/<id>/delete", data = "<_form>")]
async fn delete(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<DeleteProducts>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    match cx.db.write(move |tx| product::delete(tx, id, &by)).await {
        Ok(files) => {
            remove_files(&cx.config.data_dir, &files);
            Ok(flash_redirect(
                "/admin/products".into(),
                "success",
                "The product was deleted.",
            ))
        }
        Err(AppError::Conflict(why)) => Ok(flash_redirect(
            format!("/admin/products/{id}#danger"),
            "error",
            why,
        )),
        Err(e) => Err(e),
    }
}

pub fn remove_files(data_dir: &std::path::Path, files: &[String]) {
    let media = data_dir.join("media");
    for f in files {
        let _ = std::fs::remove_file(media.join(f));
    }
}

#[post("/admin/products/<id>/archive", data = "<_form>")]
async fn archive(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateProducts>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    cx.db.write(move |tx| product::archive(tx, id, &by)).await?;
    Ok(flash_redirect(
        format!("/admin/products/{id}"),
        "success",
        "The product is archived: it is no longer in the shop, and old orders still show it.",
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![new_form, edit_form, create, update, delete, archive]
}
