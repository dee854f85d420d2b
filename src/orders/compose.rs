//! Back office: composing an order for a customer (phone or counter sale) as a draft, and
//! editing the lines of a draft or pending-payment order. Lines are typed as SKU +
//! quantity (no JavaScript, no product drop-down thousands long); every problem is shown
//! next to its field with what was typed kept. The rules live in `draft.rs`.

use std::collections::BTreeMap;

use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Value};

use super::draft::{self, NewDraft, Staff};
use super::{access, query, status};
use crate::accounts::countries::address_countries;
use crate::accounts::validate::{self, AddressInput};
use crate::cart::pricing::Item;
use crate::error::{AppError, AppResult};
use crate::staff::perm::{CreateOrders, UpdateOrders};
use crate::staff::{nav, Can};
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

/// Blank line rows offered for adding products.
const BLANK_ROWS: usize = 4;

type Errors = BTreeMap<String, String>;

#[derive(FromForm, Debug, Clone, Default, serde::Serialize)]
pub struct LineRow {
    #[field(default = String::new())]
    pub sku: String,
    #[field(default = String::new())]
    pub quantity: String,
}

/// Rows → items; an empty row (or quantity 0) is skipped, anything else wrong is an error
/// under `lines_<i>`.
fn items_from_rows(c: &Connection, rows: &[LineRow], errors: &mut Errors) -> AppResult<Vec<Item>> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let sku = r.sku.trim();
        let qty = r.quantity.trim();
        if sku.is_empty() && (qty.is_empty() || qty == "0") {
            continue;
        }
        let key = format!("lines_{i}");
        let quantity: i64 = match qty.parse() {
            Ok(0) if !sku.is_empty() => continue,
            Ok(n) if (1..=999).contains(&n) => n,
            _ => {
                errors.insert(
                    key,
                    "Enter a quantity from 1 to 999 (0 removes the line).".into(),
                );
                continue;
            }
        };
        if sku.is_empty() {
            errors.insert(key, "Enter the product's SKU.".into());
            continue;
        }
        let found: Option<(i64, String)> = c
            .prepare_cached("SELECT id, status FROM products WHERE sku = ?1")?
            .query_row([sku], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match found {
            None => {
                errors.insert(key, format!("No product has the SKU '{sku}'."));
            }
            Some((_, st)) if st != "active" => {
                errors.insert(key, format!("The product '{sku}' is not for sale ({st})."));
            }
            Some((id, _)) => out.push(Item {
                product_id: id,
                quantity,
            }),
        }
    }
    Ok(out)
}

fn rows_with_blanks(mut rows: Vec<LineRow>) -> Vec<LineRow> {
    rows.retain(|r| !(r.sku.trim().is_empty() && r.quantity.trim().is_empty()));
    rows.extend(std::iter::repeat_n(LineRow::default(), BLANK_ROWS));
    rows
}

fn rows_json(rows: &[LineRow], errors: &Errors) -> Vec<Value> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| json!({ "i": i, "sku": r.sku, "quantity": r.quantity, "error": errors.get(&format!("lines_{i}")) }))
        .collect()
}

#[derive(FromForm, Debug, Clone, Default)]
pub struct NewOrderForm {
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    shipping_method: String,
    #[field(default = String::new())]
    payment_method: String,
    #[field(default = String::new())]
    address_name: String,
    #[field(default = String::new())]
    address_line1: String,
    #[field(default = String::new())]
    address_line2: String,
    #[field(default = String::new())]
    address_city: String,
    #[field(default = String::new())]
    address_postcode: String,
    #[field(default = String::new())]
    address_country: String,
    #[field(default = Vec::new())]
    lines: Vec<LineRow>,
}

fn render_new(
    page: &Page,
    me: &crate::staff::StaffUser,
    tpl: &Templates,
    f: &NewOrderForm,
    customer: Option<Value>,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, me, "orders");
    ctx.insert(
        "form",
        &json!({
            "email": f.email, "address_name": f.address_name, "address_line1": f.address_line1,
            "address_line2": f.address_line2, "address_city": f.address_city,
            "address_postcode": f.address_postcode,
        }),
    );
    ctx.insert("customer", &customer);
    ctx.insert("errors", errors);
    ctx.insert("rows", &rows_json(&f.lines, errors));
    ctx.insert(
        "shipping_methods",
        &super::admin::options(
            &["flat", "pickup"],
            &f.shipping_method,
            crate::cart::shipping::label,
        ),
    );
    ctx.insert(
        "payment_methods",
        &super::admin::options(
            query::PAYMENT_METHODS,
            &f.payment_method,
            crate::payments::label,
        ),
    );
    ctx.insert("countries", &address_countries(&f.address_country));
    tpl.page("backoffice/order_new.html.tera", &ctx)
}

fn customer_json(c: &crate::accounts::store::Customer) -> Value {
    json!({ "id": c.id, "name": c.full_name(), "email": c.email, "active": c.active })
}

#[get("/admin/orders/new?<customer>")]
async fn new_form(
    customer: Option<i64>,
    me: Can<CreateOrders>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let found = match customer {
        Some(id) => {
            cx.db
                .read(move |c| {
                    let Some(cust) = crate::accounts::store::get(c, id)? else {
                        return Ok(None);
                    };
                    let addr = crate::accounts::store::addresses(c, id)?.into_iter().next();
                    Ok(Some((cust, addr)))
                })
                .await?
        }
        None => None,
    };
    let mut f = NewOrderForm {
        shipping_method: "flat".into(),
        payment_method: "bank_transfer".into(),
        ..Default::default()
    };
    let mut shown = None;
    if let Some((c, addr)) = &found {
        f.email = c.email.clone();
        if let Some(a) = addr {
            let v = serde_json::to_value(a).unwrap_or_default();
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            f.address_name = s("name");
            f.address_line1 = s("line1");
            f.address_line2 = s("line2");
            f.address_city = s("city");
            f.address_postcode = s("postcode");
            f.address_country = s("country");
        }
        shown = Some(customer_json(c));
    }
    f.lines = rows_with_blanks(Vec::new());
    render_new(&page, &me.staff, cx.tpl, &f, shown, &Errors::new())
}

#[post("/admin/orders/new", data = "<form>")]
async fn create(
    form: CsrfForm<NewOrderForm>,
    me: Can<CreateOrders>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, RawHtml<String>>> {
    let f = form.0;
    let now = cx.clock.now();
    let staff = me.staff.clone();
    let f2 = f.clone();
    let outcome = cx.db
        .write(move |tx| {
            let mut errors = Errors::new();
            let mut e2 = validate::Errors::new();
            let email = validate::email(&f2.email, &mut e2);
            let customer = if email.is_empty() {
                None
            } else {
                crate::accounts::store::find_by_email(tx, &email)?
            };
            if let Some(c) = &customer {
                if !c.active {
                    e2.insert("email", "This customer's account is deactivated; reactivate it first or use another address.".into());
                }
            }
            if !["flat", "pickup"].contains(&f2.shipping_method.as_str()) {
                errors.insert("shipping_method".into(), "Choose a shipping method.".into());
            }
            if !query::PAYMENT_METHODS.contains(&f2.payment_method.as_str()) {
                errors.insert("payment_method".into(), "Choose a payment method.".into());
            }
            let address = if f2.shipping_method == "pickup" {
                None
            } else {
                let input = AddressInput {
                    name: f2.address_name.clone(),
                    line1: f2.address_line1.clone(),
                    line2: f2.address_line2.clone(),
                    city: f2.address_city.clone(),
                    postcode: f2.address_postcode.clone(),
                    country: f2.address_country.clone(),
                };
                let default_name = customer.as_ref().map(|c| c.full_name()).unwrap_or_default();
                validate::address(&input, &default_name, &mut e2)
            };
            let items = items_from_rows(tx, &f2.lines, &mut errors)?;
            if items.is_empty() && !errors.keys().any(|k| k.starts_with("lines_")) {
                errors.insert("lines".into(), "Add at least one product (SKU and quantity).".into());
            }
            for (k, v) in e2 {
                errors.insert(k.to_string(), v);
            }
            if !errors.is_empty() {
                return Ok(Err((errors, customer.map(|c| customer_json(&c)))));
            }
            let d = NewDraft {
                customer_id: customer.map(|c| c.id),
                email,
                address,
                shipping_method: f2.shipping_method.clone(),
                payment_method: f2.payment_method.clone(),
                items,
            };
            let by = Staff { id: staff.id, actor: staff.actor(), ip: Some(cx.ip) };
            // An error here rolls the whole transaction back (nothing half-saved).
            draft::create(tx, &d, &by, now).map(Ok)
        })
        .await;
    let outcome = match outcome {
        Err(AppError::Invalid(m) | AppError::Conflict(m)) => {
            let mut errors = Errors::new();
            errors.insert("lines".into(), m);
            Err((errors, None))
        }
        other => other?,
    };
    match outcome {
        Ok((id, number)) => Ok(Ok(flash_redirect(
            format!("/admin/orders/{id}"),
            "success",
            format!("Draft order {number} saved. Check it, then place it."),
        ))),
        Err((errors, customer)) => {
            let mut f = f;
            f.lines = rows_with_blanks(f.lines);
            Ok(Err(render_new(
                &page, &me.staff, cx.tpl, &f, customer, &errors,
            )?))
        }
    }
}

#[derive(FromForm, Debug, Clone, Default)]
pub struct LinesForm {
    #[field(default = Vec::new())]
    lines: Vec<LineRow>,
}

fn render_lines(
    page: &Page,
    me: &crate::staff::StaffUser,
    tpl: &Templates,
    order: &access::OrderHead,
    rows: &[LineRow],
    names: &BTreeMap<String, String>,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, me, "orders");
    ctx.insert(
        "order",
        &json!({ "id": order.id, "number": order.number, "status": order.status,
                 "status_label": status::label(&order.status), "total": order.formatter()(order.total) }),
    );
    let rows: Vec<Value> = rows_json(rows, errors)
        .into_iter()
        .map(|mut r| {
            let sku = r["sku"].as_str().unwrap_or("").to_lowercase();
            r["name"] = json!(names.get(&sku));
            r
        })
        .collect();
    ctx.insert("rows", &rows);
    ctx.insert("errors", errors);
    tpl.page("backoffice/order_lines.html.tera", &ctx)
}

fn line_names(c: &Connection, order_id: i64) -> AppResult<BTreeMap<String, String>> {
    Ok(query::lines(c, order_id)?
        .into_iter()
        .map(|l| (l.sku.to_lowercase(), l.name))
        .collect())
}

#[get("/admin/orders/<id>/lines")]
async fn lines_form(
    id: i64,
    me: Can<UpdateOrders>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let (o, lines, names) = cx
        .db
        .read(move |c| {
            Ok((
                access::get(c, id)?,
                query::lines(c, id)?,
                line_names(c, id)?,
            ))
        })
        .await?;
    let rows: Vec<LineRow> = lines
        .into_iter()
        .map(|l| LineRow {
            sku: l.sku,
            quantity: l.quantity.to_string(),
        })
        .collect();
    render_lines(
        &page,
        &me.staff,
        cx.tpl,
        &o,
        &rows_with_blanks(rows),
        &names,
        &Errors::new(),
    )
}

#[post("/admin/orders/<id>/lines", data = "<form>")]
async fn lines_save(
    id: i64,
    form: CsrfForm<LinesForm>,
    me: Can<UpdateOrders>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, RawHtml<String>>> {
    let rows = form.0.lines;
    let now = cx.clock.now();
    let staff = me.staff.clone();
    let r2 = rows.clone();
    let outcome = cx
        .db
        .write(move |tx| {
            let o = access::get(tx, id)?;
            let mut errors = Errors::new();
            let items = items_from_rows(tx, &r2, &mut errors)?;
            if errors.is_empty() {
                let by = Staff {
                    id: staff.id,
                    actor: staff.actor(),
                    ip: Some(cx.ip),
                };
                // An error rolls back every stock move made so far.
                draft::set_lines(tx, id, &items, &by, now)?;
                return Ok(Ok(()));
            }
            Ok(Err((o, line_names(tx, id)?, errors)))
        })
        .await;
    let outcome = match outcome {
        Err(AppError::Invalid(m) | AppError::Conflict(m)) => {
            let (o, names) = cx
                .db
                .read(move |c| Ok((access::get(c, id)?, line_names(c, id)?)))
                .await?;
            let mut errors = Errors::new();
            errors.insert("lines".into(), m);
            Err((o, names, errors))
        }
        other => other?,
    };
    match outcome {
        Ok(()) => Ok(Ok(flash_redirect(
            format!("/admin/orders/{id}"),
            "success",
            "The lines are saved and the totals recomputed.",
        ))),
        Err((o, names, errors)) => Ok(Err(render_lines(
            &page,
            &me.staff,
            cx.tpl,
            &o,
            &rows_with_blanks(rows),
            &names,
            &errors,
        )?)),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![new_form, create, lines_form, lines_save]
}
