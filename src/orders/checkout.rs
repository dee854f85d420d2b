//! Checkout at /checkout: address (from the address book, or typed; guests also give an
//! email), shipping method, payment method, the summary, and confirm. The confirm form
//! carries an idempotency key made when the page was shown, so a double click or the back
//! button finds the order already placed instead of placing another. A voucher code
//! typed here is applied to the cart and shown with its new total before anything is
//! placed.

use rocket::http::{CookieJar, Status};
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use serde_json::{json, Value};

use super::access;
use super::place::{self, Checkout, Placed};
use crate::accounts::countries::{address_countries, country_name};
use crate::accounts::deliver_to::{resolve_address, Book};
use crate::accounts::guard::CustomerUser;
use crate::accounts::pages::account_context;
use crate::accounts::store as customers;
use crate::accounts::validate::{self, AddressInput, Errors};
use crate::cart::owner;
use crate::cart::store::{self as cart_store, Owner};
use crate::cart::view::{priced, quote_json};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::marketing::vouchers::code::normalise;
use crate::secret::{random_token, Secret};
use crate::web::base_url::BaseUrl;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};

#[derive(FromForm, Default, Clone)]
pub struct CheckoutForm {
    #[field(default = String::new())]
    email: String,
    /// An address-book id, or "new".
    #[field(default = String::new())]
    address: String,
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
    #[field(default = String::new())]
    shipping_method: String,
    #[field(default = String::new())]
    payment_method: String,
    #[field(default = String::new())]
    idempotency_key: String,
    /// As typed; empty for none.
    #[field(default = String::new())]
    voucher_code: String,
    /// Sent by the voucher's Apply button.
    #[field(default = String::new())]
    apply_voucher: String,
}

/// Where the buyer reads an order: their account, or the guest link.
pub fn order_path(secret: &Secret, id: i64, guest: bool) -> String {
    if guest {
        format!("/orders/{id}?key={}", access::guest_key(secret, id))
    } else {
        format!("/account/orders/{id}")
    }
}

async fn offered_payments(db: &Db) -> AppResult<Vec<Value>> {
    let methods = db.read(crate::payments::offered).await?;
    Ok(methods
        .into_iter()
        .map(|m| json!({ "code": m.code, "label": m.label, "description": m.description }))
        .collect())
}

/// What the checkout page says above its form.
#[derive(Clone, Copy)]
enum Say<'a> {
    Nothing,
    /// Why the order was not placed.
    Refusal(&'a str),
    /// What changed (a voucher applied) before anything is placed.
    Notice(&'a str),
}

/// The checkout page with what was typed, the refusals per field and one for the form.
async fn render(
    page: &Page,
    cx: &Ctx<'_>,
    me: Option<&CustomerUser>,
    owner: Option<Owner>,
    f: &CheckoutForm,
    errors: &Errors,
    say: Say<'_>,
) -> AppResult<RawHtml<String>> {
    let shipping = (!f.shipping_method.is_empty()).then(|| f.shipping_method.clone());
    let q = priced(cx.db, page, owner, shipping, None, cx.clock.now()).await?;
    let mut ctx = account_context(page);
    ctx.insert("cart", &quote_json(page, &q));
    let methods: Vec<Value> = q
        .shipping_methods
        .iter()
        .map(|m| json!({ "code": m.code, "label": m.label, "note": m.note,
                          "price": if m.price == 0 { "Free".to_string() } else { page.money(m.price) },
                          "checked": m.code == f.shipping_method }))
        .collect();
    ctx.insert("shipping_methods", &methods);
    let payments: Vec<Value> = offered_payments(cx.db)
        .await?
        .into_iter()
        .map(|mut p| {
            p["checked"] = json!(p["code"] == f.payment_method.as_str());
            p
        })
        .collect();
    ctx.insert("payment_methods", &payments);
    let book = match me {
        Some(m) => {
            let id = m.id();
            cx.db.read(move |c| customers::addresses(c, id)).await?
        }
        None => Vec::new(),
    };
    let chosen = if f.address.is_empty() {
        book.iter()
            .find(|a| a.is_default)
            .map(|a| a.id.to_string())
            .unwrap_or_else(|| "new".into())
    } else {
        f.address.clone()
    };
    let book: Vec<Value> = book
        .iter()
        .map(|a| json!({ "id": a.id.to_string(), "name": a.name, "line1": a.line1, "line2": a.line2,
                          "city": a.city, "postcode": a.postcode, "country": country_name(&a.country),
                          "checked": a.id.to_string() == chosen }))
        .collect();
    ctx.insert("book", &book);
    ctx.insert("new_address", &(chosen == "new"));
    ctx.insert("guest", &me.is_none());
    ctx.insert("values", &json!({
        "email": f.email, "address_name": f.address_name, "address_line1": f.address_line1,
        "address_line2": f.address_line2, "address_city": f.address_city, "address_postcode": f.address_postcode,
    }));
    let default_country = me
        .map(|m| m.customer.phone_country.clone())
        .unwrap_or_default();
    ctx.insert(
        "countries",
        &address_countries(if f.address_country.is_empty() {
            &default_country
        } else {
            &f.address_country
        }),
    );
    // A refused code stays as typed beside its reason; otherwise the cart's code shows.
    let voucher = if errors.contains_key("voucher_code") {
        f.voucher_code.clone()
    } else {
        q.voucher_code.clone()
    };
    ctx.insert("voucher_code", &voucher);
    ctx.insert("errors", errors);
    let (form_error, notice) = match say {
        Say::Nothing => ("", ""),
        Say::Refusal(m) => (m, ""),
        Say::Notice(m) => ("", m),
    };
    ctx.insert("form_error", form_error);
    ctx.insert("notice", notice);
    let key = if f.idempotency_key.is_empty() {
        random_token()
    } else {
        f.idempotency_key.clone()
    };
    ctx.insert("idempotency_key", &key);
    cx.tpl.page("storefront/checkout.html.tera", &ctx)
}

#[get("/checkout")]
async fn form(
    me: Option<CustomerUser>,
    jar: &CookieJar<'_>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<RawHtml<String>, Flash<Redirect>>> {
    let owner = owner::current(me.as_ref(), jar);
    let q = priced(cx.db, &page, owner.clone(), None, None, cx.clock.now()).await?;
    let problems = q.problems();
    if !problems.is_empty() {
        return Ok(Err(flash_redirect(
            "/cart".into(),
            "error",
            problems.join(" "),
        )));
    }
    let f = CheckoutForm::default();
    Ok(Ok(render(
        &page,
        &cx,
        me.as_ref(),
        owner,
        &f,
        &Errors::new(),
        Say::Nothing,
    )
    .await?))
}

#[post("/checkout", data = "<form>")]
async fn confirm(
    form: CsrfForm<CheckoutForm>,
    me: Option<CustomerUser>,
    jar: &CookieJar<'_>,
    page: Page,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Result<Redirect, status::Custom<RawHtml<String>>>> {
    let f = form.0;
    let Some(owner) = owner::current(me.as_ref(), jar) else {
        let html = render(
            &page,
            &cx,
            me.as_ref(),
            None,
            &f,
            &Errors::new(),
            Say::Refusal("Your cart is empty."),
        )
        .await?;
        return Ok(Err(status::Custom(Status::Conflict, html)));
    };
    // A voucher applied, changed or removed here shows its new total before anything is
    // placed: nobody pays a total they were not shown.
    let typed_code = normalise(&f.voucher_code);
    let (applied, currency, now) = {
        let o = owner.clone();
        let code = cx.db.read(move |c| cart_store::voucher_code(c, &o)).await?;
        (code, page.shop.currency, cx.clock.now())
    };
    if f.apply_voucher == "1" || typed_code != applied {
        let (o, typed) = (owner.clone(), f.voucher_code.clone());
        let done = cx
            .db
            .write(move |tx| {
                cart_store::apply_voucher(tx, &o, &typed, &|m| currency.format(m), now)
            })
            .await;
        let (status, errors, notice) = match done {
            Ok(_) if applied.is_empty() && typed_code.is_empty() => (
                Status::Ok,
                Errors::new(),
                "Type a voucher code to apply it.",
            ),
            Ok(code) if code.is_empty() => (Status::Ok, Errors::new(), "The voucher is removed."),
            Ok(_) => (
                Status::Ok,
                Errors::new(),
                "The voucher is applied: check the new total, then place the order.",
            ),
            Err(AppError::Invalid(why)) => {
                let mut errors = Errors::new();
                errors.insert("voucher_code", why);
                (Status::UnprocessableEntity, errors, "")
            }
            Err(e) => return Err(e),
        };
        let html = render(
            &page,
            &cx,
            me.as_ref(),
            Some(owner),
            &f,
            &errors,
            if notice.is_empty() {
                Say::Nothing
            } else {
                Say::Notice(notice)
            },
        )
        .await?;
        return Ok(Err(status::Custom(status, html)));
    }
    let mut errors = Errors::new();
    let email = match &me {
        Some(m) => m.customer.email.clone(),
        None => validate::email(&f.email, &mut errors),
    };
    // A customer who picks nothing gets their default address.
    let book = match f.address.as_str() {
        "" => Book::Default,
        typed => typed.parse().map_or(Book::Unused, Book::Entry),
    };
    let typed = AddressInput {
        name: f.address_name.clone(),
        line1: f.address_line1.clone(),
        line2: f.address_line2.clone(),
        city: f.address_city.clone(),
        postcode: f.address_postcode.clone(),
        country: f.address_country.clone(),
    };
    let (customer, pickup) = (
        me.as_ref().map(|m| m.customer.clone()),
        f.shipping_method == "pickup",
    );
    let (address, found) = cx
        .db
        .read(move |c| {
            let mut errors = Errors::new();
            let a = resolve_address(
                c,
                customer.as_ref(),
                pickup,
                book,
                Some(&typed),
                &mut errors,
            )?;
            Ok((a, errors))
        })
        .await?;
    errors.extend(found);
    if f.shipping_method.is_empty() {
        errors.insert("shipping_method", "Choose how to get your order.".into());
    }
    if f.payment_method.is_empty() {
        errors.insert("payment_method", "Choose how to pay.".into());
    }
    if !errors.is_empty() {
        let html = render(
            &page,
            &cx,
            me.as_ref(),
            Some(owner),
            &f,
            &errors,
            Say::Nothing,
        )
        .await?;
        return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
    }
    let checkout = Checkout {
        owner: owner.clone(),
        email,
        address,
        shipping_method: f.shipping_method.clone(),
        payment_method: f.payment_method.clone(),
        // The code shown is the cart's (checked above), so the cart's is used.
        voucher_code: None,
        idempotency_key: f.idempotency_key.clone(),
        ip: Some(cx.ip),
    };
    let key_secret = Secret::clone(cx.secret);
    let placed: AppResult<Placed> = cx
        .db
        .write(move |tx| {
            let p = place::place(tx, &key_secret, &checkout, &base.0, now)?;
            crate::payments::after_placed(tx, &key_secret, p.id, &base.0, now)?;
            Ok(p)
        })
        .await;
    match placed {
        Ok(p) => Ok(Ok(Redirect::to(order_path(cx.secret, p.id, me.is_none())))),
        Err(e @ (AppError::Conflict(_) | AppError::Invalid(_) | AppError::BadRequest(_))) => {
            let status = e.status();
            let html = render(
                &page,
                &cx,
                me.as_ref(),
                Some(owner),
                &f,
                &Errors::new(),
                Say::Refusal(&e.public_message()),
            )
            .await?;
            Ok(Err(status::Custom(status, html)))
        }
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![form, confirm]
}
