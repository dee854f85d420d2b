//! The address book at /account/addresses: several addresses, one of them the default
//! (the database allows only one), add, edit, delete, make default.

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm, State};
use serde_json::{json, Value};

use super::countries::{address_countries, country_name};
use super::guard::CustomerUser;
use super::pages::member_context;
use super::store::{self, StoredAddress};
use super::validate::{self, AddressInput, Errors};
use crate::audit;
use crate::db::Db;
use crate::error::AppResult;
use crate::web::client::ClientIp;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

fn shown(a: &StoredAddress) -> Value {
    json!({
        "id": a.id, "name": a.name, "line1": a.line1, "line2": a.line2, "city": a.city,
        "postcode": a.postcode, "country": country_name(&a.country), "is_default": a.is_default,
    })
}

#[derive(FromForm, Default, Clone)]
pub struct AddressForm {
    #[field(default = String::new())]
    name: String,
    line1: String,
    #[field(default = String::new())]
    line2: String,
    city: String,
    postcode: String,
    country: String,
    make_default: bool,
}

impl AddressForm {
    fn input(&self) -> AddressInput {
        AddressInput {
            name: self.name.clone(),
            line1: self.line1.clone(),
            line2: self.line2.clone(),
            city: self.city.clone(),
            postcode: self.postcode.clone(),
            country: self.country.clone(),
        }
    }

    fn from_stored(a: &StoredAddress) -> AddressForm {
        AddressForm {
            name: a.name.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postcode: a.postcode.clone(),
            country: a.country.clone(),
            make_default: a.is_default,
        }
    }
}

/// Field errors come back keyed `address_<field>`; the form's fields have plain names.
fn plain_keys(errors: Errors) -> Errors {
    errors
        .into_iter()
        .map(|(k, v)| (k.strip_prefix("address_").unwrap_or(k), v))
        .collect()
}

fn list_page(
    page: &Page,
    tpl: &Templates,
    me: &CustomerUser,
    book: &[StoredAddress],
    f: &AddressForm,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = member_context(page, me, "addresses");
    ctx.insert("addresses", &book.iter().map(shown).collect::<Vec<_>>());
    ctx.insert("full", &(book.len() as i64 >= store::MAX_ADDRESSES));
    ctx.insert("values", &json!({ "name": f.name, "line1": f.line1, "line2": f.line2, "city": f.city, "postcode": f.postcode, "make_default": f.make_default }));
    ctx.insert("countries", &address_countries(&f.country));
    ctx.insert("errors", errors);
    tpl.page("storefront/account/addresses.html.tera", &ctx)
}

#[get("/account/addresses")]
async fn list(
    me: CustomerUser,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let id = me.id();
    let book = db.read(move |c| store::addresses(c, id)).await?;
    let country = book
        .iter()
        .find(|a| a.is_default)
        .map(|a| a.country.clone())
        .unwrap_or_else(|| me.customer.phone_country.clone());
    let f = AddressForm {
        country,
        ..AddressForm::default()
    };
    list_page(&page, tpl, &me, &book, &f, &Errors::new())
}

fn audit_entry(me: &CustomerUser, ip: ClientIp, action: &'static str, id: i64) -> audit::Entry {
    audit::Entry::event("customer", action)
        .actor(me.actor())
        .ip(Some(ip))
        .entity("customer_address", id)
}

#[post("/account/addresses", data = "<form>")]
async fn add(
    form: CsrfForm<AddressForm>,
    me: CustomerUser,
    page: Page,
    ip: ClientIp,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>> {
    let f = form.0;
    let mut errors = Errors::new();
    let Some(address) = validate::address(&f.input(), &me.customer.full_name(), &mut errors) else {
        let id = me.id();
        let book = db.read(move |c| store::addresses(c, id)).await?;
        let html = list_page(&page, tpl, &me, &book, &f, &plain_keys(errors))?;
        return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
    };
    let (who, make_default) = (me.clone(), f.make_default);
    db.write(move |tx| {
        let id = store::add_address(tx, who.id(), &address, make_default)?;
        audit::record(tx, &audit_entry(&who, ip, "address.create", id))
    })
    .await?;
    Ok(Ok(flash_redirect(
        "/account/addresses".into(),
        "success",
        "The address is added to your address book.",
    )))
}

fn edit_page(
    page: &Page,
    tpl: &Templates,
    me: &CustomerUser,
    id: i64,
    f: &AddressForm,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = member_context(page, me, "addresses");
    ctx.insert("id", &id);
    ctx.insert("values", &json!({ "name": f.name, "line1": f.line1, "line2": f.line2, "city": f.city, "postcode": f.postcode }));
    ctx.insert("countries", &address_countries(&f.country));
    ctx.insert("errors", errors);
    tpl.page("storefront/account/address_edit.html.tera", &ctx)
}

#[get("/account/addresses/<id>")]
async fn edit_form(
    id: i64,
    me: CustomerUser,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let owner = me.id();
    let a = db.read(move |c| store::address(c, owner, id)).await?;
    edit_page(
        &page,
        tpl,
        &me,
        id,
        &AddressForm::from_stored(&a),
        &Errors::new(),
    )
}

#[post("/account/addresses/<id>", data = "<form>")]
async fn update(
    id: i64,
    form: CsrfForm<AddressForm>,
    me: CustomerUser,
    page: Page,
    ip: ClientIp,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>> {
    let f = form.0;
    let mut errors = Errors::new();
    let Some(address) = validate::address(&f.input(), &me.customer.full_name(), &mut errors) else {
        let html = edit_page(&page, tpl, &me, id, &f, &plain_keys(errors))?;
        return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
    };
    let who = me.clone();
    db.write(move |tx| {
        store::update_address(tx, who.id(), id, &address)?;
        audit::record(tx, &audit_entry(&who, ip, "address.update", id))
    })
    .await?;
    Ok(Ok(flash_redirect(
        "/account/addresses".into(),
        "success",
        "The address is saved.",
    )))
}

#[post("/account/addresses/<id>/default", data = "<_form>")]
async fn make_default(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: CustomerUser,
    ip: ClientIp,
    db: &State<Db>,
) -> AppResult<Flash<Redirect>> {
    db.write(move |tx| {
        store::set_default_address(tx, me.id(), id)?;
        audit::record(tx, &audit_entry(&me, ip, "address.default", id))
    })
    .await?;
    Ok(flash_redirect(
        "/account/addresses".into(),
        "success",
        "That is now your default address.",
    ))
}

#[post("/account/addresses/<id>/delete", data = "<_form>")]
async fn delete(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: CustomerUser,
    ip: ClientIp,
    db: &State<Db>,
) -> AppResult<Flash<Redirect>> {
    db.write(move |tx| {
        store::delete_address(tx, me.id(), id)?;
        audit::record(tx, &audit_entry(&me, ip, "address.delete", id))
    })
    .await?;
    Ok(flash_redirect(
        "/account/addresses".into(),
        "success",
        "The address is deleted.",
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, add, edit_form, update, make_default, delete]
}
