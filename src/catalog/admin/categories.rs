//! Back office: the category tree editor (`/admin/categories`, area `categories`).
//! The tree is shown indented with each category's products; a category is created with a
//! name, slug and parent, renamed and moved under another parent on its own page, and
//! deleted only when no product and no subcategory is in it (the page says which blocks
//! it; the schema's `ON DELETE RESTRICT` keys refuse it anyway). A move under itself or one
//! of its subcategories is refused by the `categories_no_cycle` trigger, whose message is
//! shown next to the parent field. Every change is audited in its transaction; the
//! catalogue cache notices through the `catalog_revision` triggers. The reads and writes
//! are `category_store.rs`; this file is the pages.

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes};
use serde_json::json;

use super::category_store::{self, blockers, find, tree, CategoryForm, Errors, Node};
use crate::error::AppResult;
use crate::staff::guard::StaffUser;
use crate::staff::perm::{CreateCategories, DeleteCategories, ReadCategories, UpdateCategories};
use crate::staff::{nav, Can};
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

const URL: &str = "/admin/categories";

fn options(nodes: &[Node]) -> Vec<serde_json::Value> {
    nodes
        .iter()
        .map(|n| {
            json!({
                "value": n.id.to_string(),
                "label": format!("{}{}", "\u{2014} ".repeat(n.depth), n.name),
            })
        })
        .collect()
}

fn render_list(
    page: &Page,
    staff: &StaffUser,
    tpl: &Templates,
    nodes: &[Node],
    form: &CategoryForm,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, staff, "categories");
    let rows: Vec<_> = nodes
        .iter()
        .map(|n| json!({ "node": n, "blockers": blockers(n) }))
        .collect();
    ctx.insert("rows", &rows);
    ctx.insert(
        "total_products",
        &nodes.iter().map(|n| n.products).sum::<i64>(),
    );
    ctx.insert("options", &options(nodes));
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    tpl.page("backoffice/categories.html.tera", &ctx)
}

#[get("/admin/categories")]
async fn list(me: Can<ReadCategories>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let nodes = cx.db.read(tree).await?;
    render_list(
        &page,
        &me.staff,
        cx.tpl,
        &nodes,
        &CategoryForm::default(),
        &Errors::new(),
    )
}

type Answer = Result<Flash<Redirect>, status::Custom<RawHtml<String>>>;

#[post("/admin/categories", data = "<form>")]
async fn create(
    form: CsrfForm<CategoryForm>,
    me: Can<CreateCategories>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    let by = me.by(cx.clock);
    let typed = f.clone();
    let outcome = cx
        .db
        .write(move |tx| category_store::create(tx, &typed, &by))
        .await?;
    match outcome {
        Ok(name) => Ok(Ok(flash_redirect(
            URL.into(),
            "success",
            format!("Category “{name}” created."),
        ))),
        Err(errors) => {
            let nodes = cx.db.read(tree).await?;
            let html = render_list(&page, &me.staff, cx.tpl, &nodes, &f, &errors)?;
            Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
        }
    }
}

fn render_edit(
    page: &Page,
    staff: &StaffUser,
    tpl: &Templates,
    nodes: &[Node],
    node: &Node,
    form: &CategoryForm,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, staff, "categories");
    ctx.insert("node", node);
    ctx.insert("blockers", &blockers(node));
    ctx.insert("options", &options(nodes));
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert(
        "subcategories",
        &nodes
            .iter()
            .filter(|n| n.parent_id == Some(node.id))
            .collect::<Vec<_>>(),
    );
    tpl.page("backoffice/category.html.tera", &ctx)
}

fn form_of(n: &Node) -> CategoryForm {
    CategoryForm {
        name: n.name.clone(),
        slug: n.slug.clone(),
        parent: n.parent_id.map(|p| p.to_string()).unwrap_or_default(),
    }
}

#[get("/admin/categories/<id>")]
async fn edit(
    id: i64,
    me: Can<ReadCategories>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let nodes = cx.db.read(tree).await?;
    let node = find(&nodes, id)?;
    render_edit(
        &page,
        &me.staff,
        cx.tpl,
        &nodes,
        node,
        &form_of(node),
        &Errors::new(),
    )
}

#[post("/admin/categories/<id>", data = "<form>")]
async fn update(
    id: i64,
    form: CsrfForm<CategoryForm>,
    me: Can<UpdateCategories>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    let by = me.by(cx.clock);
    let typed = f.clone();
    let outcome = cx
        .db
        .write(move |tx| category_store::update(tx, id, &typed, &by))
        .await?;
    match outcome {
        Ok((_, "unchanged")) => Ok(Ok(flash_redirect(
            format!("{URL}/{id}"),
            "success",
            "Nothing to save: the category was already like this.",
        ))),
        Ok((name, what)) => Ok(Ok(flash_redirect(
            URL.into(),
            "success",
            format!("Category “{name}” {what}."),
        ))),
        Err(errors) => {
            let nodes = cx.db.read(tree).await?;
            let node = find(&nodes, id)?;
            let html = render_edit(&page, &me.staff, cx.tpl, &nodes, node, &f, &errors)?;
            Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
        }
    }
}

#[post("/admin/categories/<id>/delete", data = "<_form>")]
async fn delete(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<DeleteCategories>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    let outcome = cx
        .db
        .write(move |tx| category_store::delete(tx, id, &by))
        .await?;
    Ok(match outcome {
        Ok(name) => flash_redirect(URL.into(), "success", format!("Category “{name}” deleted.")),
        Err((name, why)) => flash_redirect(
            format!("{URL}/{id}"),
            "error",
            format!("“{name}” cannot be deleted: {why}"),
        ),
    })
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, create, edit, update, delete]
}
