//! The cart page at /cart and its forms: add (from product pages), change quantity,
//! remove, empty, apply or remove a voucher code. Every change is checked against stock; a refusal comes back as a
//! message naming the product and what is left, never an error page.

use rocket::http::CookieJar;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm, State};
use serde_json::{json, Value};

use super::owner;
use super::store;
use super::view::{priced, quote_json};
use crate::accounts::guard::CustomerUser;
use crate::accounts::pages::account_context;
use crate::clock::Clock;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::web::client::Https;
use crate::web::csrf::CsrfForm;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

/// A quantity as typed: a whole number from 1 to 999, or a sentence saying so.
pub fn parse_quantity(typed: &str) -> AppResult<i64> {
    let q = typed.trim().parse::<i64>().map_err(|_| {
        AppError::Invalid("A quantity must be a whole number from 1 to 999.".into())
    })?;
    store::check_quantity(q)?;
    Ok(q)
}

#[get("/cart")]
async fn cart(
    me: Option<CustomerUser>,
    jar: &CookieJar<'_>,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
    clock: &State<Clock>,
) -> AppResult<RawHtml<String>> {
    let q = priced(
        db,
        &page,
        owner::current(me.as_ref(), jar),
        None,
        None,
        clock.now(),
    )
    .await?;
    let mut ctx = account_context(&page);
    ctx.insert("cart", &quote_json(&page, &q));
    let methods: Vec<Value> = q
        .shipping_methods
        .iter()
        .map(|m| json!({ "label": m.label, "price": if m.price == 0 { "Free".to_string() } else { page.money(m.price) }, "note": m.note }))
        .collect();
    ctx.insert("shipping_methods", &methods);
    tpl.page("storefront/cart.html.tera", &ctx)
}

/// A cart change's answer: its message on success, and the refusal (stock, quantity,
/// product not for sale) as a message rather than an error page.
fn answer(done: AppResult<()>, to: String, ok: &str) -> AppResult<Flash<Redirect>> {
    match done {
        Ok(()) => Ok(flash_redirect(to, "success", ok)),
        Err(e @ (AppError::Conflict(_) | AppError::NotFound(_) | AppError::Invalid(_))) => {
            Ok(flash_redirect(to, "error", e.public_message()))
        }
        Err(e) => Err(e),
    }
}

/// Only paths on this shop are followed back to.
fn back_to(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_string(),
        _ => "/cart".into(),
    }
}

#[derive(FromForm)]
pub struct AddForm {
    product_id: i64,
    #[field(default = String::from("1"))]
    quantity: String,
    back: Option<String>,
}

#[post("/cart/add", data = "<form>")]
async fn add(
    form: CsrfForm<AddForm>,
    me: Option<CustomerUser>,
    jar: &CookieJar<'_>,
    https: Https,
    db: &State<Db>,
    clock: &State<Clock>,
) -> AppResult<Flash<Redirect>> {
    let f = form.0;
    let back = back_to(f.back.as_deref());
    let qty = match parse_quantity(&f.quantity) {
        Ok(q) => q,
        Err(e) => return Ok(flash_redirect(back, "error", e.public_message())),
    };
    let owner = owner::current_or_new(me.as_ref(), jar, https.0);
    let now = clock.now();
    let pid = f.product_id;
    let done = db
        .write(move |tx| store::add(tx, &owner, pid, qty, now))
        .await;
    answer(done, back, "Added to your cart.")
}

#[derive(FromForm)]
pub struct LineForm {
    product_id: i64,
    #[field(default = String::new())]
    quantity: String,
}

#[post("/cart/update", data = "<form>")]
async fn update(
    form: CsrfForm<LineForm>,
    me: Option<CustomerUser>,
    jar: &CookieJar<'_>,
    db: &State<Db>,
    clock: &State<Clock>,
) -> AppResult<Flash<Redirect>> {
    let Some(owner) = owner::current(me.as_ref(), jar) else {
        return Ok(flash_redirect(
            "/cart".into(),
            "error",
            "Your cart is empty.",
        ));
    };
    let f = form.0;
    let qty = match parse_quantity(&f.quantity) {
        Ok(q) => q,
        Err(e) => return Ok(flash_redirect("/cart".into(), "error", e.public_message())),
    };
    let now = clock.now();
    let done = db
        .write(move |tx| store::set_quantity(tx, &owner, f.product_id, qty, now))
        .await;
    answer(done, "/cart".into(), "Your cart is updated.")
}

#[post("/cart/remove", data = "<form>")]
async fn remove(
    form: CsrfForm<LineForm>,
    me: Option<CustomerUser>,
    jar: &CookieJar<'_>,
    db: &State<Db>,
    clock: &State<Clock>,
) -> AppResult<Flash<Redirect>> {
    if let Some(owner) = owner::current(me.as_ref(), jar) {
        let (pid, now) = (form.0.product_id, clock.now());
        db.write(move |tx| store::remove(tx, &owner, pid, now))
            .await?;
    }
    Ok(flash_redirect(
        "/cart".into(),
        "success",
        "Removed from your cart.",
    ))
}

#[post("/cart/empty", data = "<_form>")]
async fn empty(
    _form: CsrfForm<crate::web::csrf::Csrf>,
    me: Option<CustomerUser>,
    jar: &CookieJar<'_>,
    db: &State<Db>,
    clock: &State<Clock>,
) -> AppResult<Flash<Redirect>> {
    if let Some(owner) = owner::current(me.as_ref(), jar) {
        let now = clock.now();
        db.write(move |tx| store::empty(tx, &owner, now)).await?;
    }
    Ok(flash_redirect(
        "/cart".into(),
        "success",
        "Your cart is empty now.",
    ))
}

#[derive(FromForm)]
pub struct VoucherForm {
    #[field(default = String::new())]
    voucher_code: String,
}

/// Applies a voucher code to the cart once it can be used on it now; a refusal says why
/// and keeps nothing.
#[post("/cart/voucher", data = "<form>")]
async fn apply_voucher(
    form: CsrfForm<VoucherForm>,
    me: Option<CustomerUser>,
    jar: &CookieJar<'_>,
    https: Https,
    page: Page,
    db: &State<Db>,
    clock: &State<Clock>,
) -> AppResult<Flash<Redirect>> {
    if form.0.voucher_code.trim().is_empty() {
        return Ok(flash_redirect(
            "/cart".into(),
            "error",
            "Enter the voucher code to apply it.",
        ));
    }
    let owner = owner::current_or_new(me.as_ref(), jar, https.0);
    let (currency, now) = (page.shop.currency, clock.now());
    let done = db
        .write(move |tx| {
            store::apply_voucher(
                tx,
                &owner,
                &form.0.voucher_code,
                &|m| currency.format(m),
                now,
            )
        })
        .await;
    answer(done.map(|_| ()), "/cart".into(), "The voucher is applied.")
}

#[post("/cart/voucher/remove", data = "<_form>")]
async fn remove_voucher(
    _form: CsrfForm<crate::web::csrf::Csrf>,
    me: Option<CustomerUser>,
    jar: &CookieJar<'_>,
    db: &State<Db>,
    clock: &State<Clock>,
) -> AppResult<Flash<Redirect>> {
    if let Some(owner) = owner::current(me.as_ref(), jar) {
        let now = clock.now();
        db.write(move |tx| store::set_voucher(tx, &owner, "", now))
            .await?;
    }
    Ok(flash_redirect(
        "/cart".into(),
        "success",
        "The voucher is removed from your cart.",
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        cart,
        add,
        update,
        remove,
        empty,
        apply_voucher,
        remove_voucher
    ]
}
