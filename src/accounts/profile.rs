//! The account area: profile (names, phone, date of birth), email change (confirmed from
//! the new address), password change (needs the current one; other sessions end) and
//! deleting the account (personal data erased, the row kept for the shop's books).

use rocket::http::{CookieJar, Status};
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use serde_json::json;
use time::OffsetDateTime;

use super::countries::phone_countries;
use super::guard::{actor, CustomerUser};
use super::mails;
use super::pages::member_context;
use super::store;
use super::tokens::{self, Purpose};
use super::validate::{self, Errors, ProfileInput};
use crate::audit;
use crate::auth::password;
use crate::auth::session::{self, Kind};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::web::base_url::BaseUrl;
use crate::web::client::{ClientIp, Https};
use crate::web::csrf::{self, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

type FormResult = AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>>;

fn invalid(html: RawHtml<String>) -> FormResult {
    Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
}

/// Checks a typed password against the stored hash, off the async threads.
async fn password_matches(db: &Db, id: i64, typed: &str) -> AppResult<bool> {
    let hash = db.read(move |c| store::password_hash(c, id)).await?;
    let typed = typed.to_string();
    rocket::tokio::task::spawn_blocking(move || password::verify(&typed, &hash))
        .await
        .map_err(AppError::internal)
}

#[derive(FromForm, Default, Clone)]
pub struct ProfileForm {
    first_name: String,
    last_name: String,
    phone_country: String,
    phone: String,
    #[field(default = String::new())]
    birth_date: String,
}

fn overview(
    page: &Page,
    tpl: &Templates,
    me: &CustomerUser,
    f: &ProfileForm,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = member_context(page, me, "profile");
    ctx.insert("values", &json!({ "first_name": f.first_name, "last_name": f.last_name, "phone": f.phone, "birth_date": f.birth_date }));
    ctx.insert("errors", errors);
    ctx.insert("phone_countries", &phone_countries(&f.phone_country));
    tpl.page("storefront/account/profile.html.tera", &ctx)
}

#[get("/account")]
fn account(me: CustomerUser, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let c = &me.customer;
    // The stored phone is "+359 888123456"; the form shows the national part.
    let national = c
        .phone
        .split_once(' ')
        .map(|(_, n)| n)
        .unwrap_or("")
        .to_string();
    let f = ProfileForm {
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        phone_country: c.phone_country.clone(),
        phone: national,
        birth_date: c.birth_date.clone().unwrap_or_default(),
    };
    overview(&page, cx.tpl, &me, &f, &Errors::new())
}

#[post("/account/profile", data = "<form>")]
async fn save_profile(
    form: CsrfForm<ProfileForm>,
    me: CustomerUser,
    page: Page,
    cx: Ctx<'_>,
) -> FormResult {
    let f = form.0;
    let input = ProfileInput {
        first_name: f.first_name.clone(),
        last_name: f.last_name.clone(),
        phone_country: f.phone_country.clone(),
        phone: f.phone.clone(),
        birth_date: f.birth_date.clone(),
    };
    let mut errors = Errors::new();
    let Some(profile) = validate::profile(&input, cx.clock.now().date(), &mut errors) else {
        return invalid(overview(&page, cx.tpl, &me, &f, &errors)?);
    };
    let old = me.customer.clone();
    cx.db.write(move |tx| {
        store::update_profile(tx, old.id, &profile)?;
        audit::record(
            tx,
            &audit::Entry::event("customer", "profile.update")
                .actor(actor(&old))
                .ip(Some(cx.ip))
                .entity("customer", old.id)
                .details(json!({
                    "old": { "first_name": old.first_name, "last_name": old.last_name, "phone": old.phone, "birth_date": old.birth_date },
                    "new": { "first_name": profile.first_name, "last_name": profile.last_name, "phone": profile.phone, "birth_date": profile.birth_date },
                })),
        )
    })
    .await?;
    Ok(Ok(flash_redirect(
        "/account".into(),
        "success",
        "Your details are saved.",
    )))
}

// --- Email change ------------------------------------------------------------------------

fn email_page(
    page: &Page,
    tpl: &Templates,
    me: &CustomerUser,
    new_email: &str,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = member_context(page, me, "email");
    ctx.insert("new_email", new_email);
    ctx.insert("errors", errors);
    tpl.page("storefront/account/email.html.tera", &ctx)
}

#[get("/account/email")]
fn email_form(me: CustomerUser, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    email_page(&page, cx.tpl, &me, "", &Errors::new())
}

#[derive(FromForm)]
pub struct EmailForm {
    email: String,
    current_password: String,
}

#[post("/account/email", data = "<form>")]
async fn change_email(
    form: CsrfForm<EmailForm>,
    me: CustomerUser,
    page: Page,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> FormResult {
    let f = form.0;
    let mut errors = Errors::new();
    let new_email = validate::email(&f.email, &mut errors);
    if errors.is_empty() && new_email.eq_ignore_ascii_case(&me.customer.email) {
        errors.insert("email", "That is already your address.".into());
    }
    if !password_matches(cx.db, me.id(), &f.current_password).await? {
        errors.insert(
            "current_password",
            "That is not your current password.".into(),
        );
    }
    if errors.is_empty() {
        let taken = new_email.clone();
        if cx.db.read(move |c| store::email_taken(c, &taken)).await? {
            errors.insert("email", "Another account already uses this address.".into());
        }
    }
    if !errors.is_empty() {
        return invalid(email_page(&page, cx.tpl, &me, &f.email, &errors)?);
    }
    let now = cx.clock.now();
    let (c, to) = (me.customer.clone(), new_email.clone());
    cx.db
        .write(move |tx| {
            mails::email_change(tx, &c, &to, &base.0, now)?;
            audit::record(
                tx,
                &audit::Entry::event("customer", "email_change.requested")
                    .actor(actor(&c))
                    .ip(Some(cx.ip))
                    .entity("customer", c.id)
                    .details(json!({ "old": c.email, "new": to })),
            )
        })
        .await?;
    Ok(Ok(flash_redirect(
        "/account".into(),
        "info",
        format!("We sent a link to {new_email}. Your address changes when you open it (within 24 hours)."),
    )))
}

#[get("/account/email/confirm?<token>")]
async fn confirm_email(token: &str, cx: Ctx<'_>) -> AppResult<Flash<Redirect>> {
    let now = cx.clock.now();
    let token = token.to_string();
    let done = cx.db.write(move |tx| confirm(tx, &token, cx.ip, now)).await;
    Ok(match done {
        Ok(email) => flash_redirect(
            "/account".into(),
            "success",
            format!("Your email address is now {email}."),
        ),
        Err(e @ (AppError::NotFound(_) | AppError::Gone(_) | AppError::Conflict(_))) => {
            flash_redirect("/account".into(), "error", e.public_message())
        }
        Err(e) => return Err(e),
    })
}

fn confirm(
    tx: &rusqlite::Connection,
    token: &str,
    ip: ClientIp,
    now: OffsetDateTime,
) -> AppResult<String> {
    let t = tokens::consume(tx, token, Purpose::EmailChange, now)?;
    let old = store::get(tx, t.customer_id)?
        .ok_or_else(|| AppError::NotFound("This account no longer exists.".into()))?;
    if store::email_taken(tx, &t.new_email)? {
        return Err(AppError::Conflict(format!(
            "{} is used by another account by now, so your address stays {}.",
            t.new_email, old.email
        )));
    }
    store::set_email(tx, old.id, &t.new_email, now)?;
    audit::record(
        tx,
        &audit::Entry::event("customer", "email.change")
            .actor(actor(&old))
            .ip(Some(ip))
            .entity("customer", old.id)
            .details(json!({ "old": old.email, "new": t.new_email })),
    )?;
    Ok(t.new_email)
}

// --- Password change ---------------------------------------------------------------------

/// A page of the account area whose form has only password fields: nothing to keep but
/// the errors (`section` names both the side-nav entry and the template).
fn section_page(
    page: &Page,
    tpl: &Templates,
    me: &CustomerUser,
    section: &str,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = member_context(page, me, section);
    ctx.insert("errors", errors);
    tpl.page(&format!("storefront/account/{section}.html.tera"), &ctx)
}

#[get("/account/password")]
fn password_form(me: CustomerUser, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    section_page(&page, cx.tpl, &me, "password", &Errors::new())
}

#[derive(FromForm)]
pub struct PasswordForm {
    current_password: String,
    password: String,
    password2: String,
}

#[post("/account/password", data = "<form>")]
async fn change_password(
    form: CsrfForm<PasswordForm>,
    me: CustomerUser,
    page: Page,
    https: Https,
    jar: &CookieJar<'_>,
    cx: Ctx<'_>,
) -> FormResult {
    let f = form.0;
    let mut errors = Errors::new();
    if !password_matches(cx.db, me.id(), &f.current_password).await? {
        errors.insert(
            "current_password",
            "That is not your current password.".into(),
        );
    }
    let c = &me.customer;
    let personal = [
        c.email.as_str(),
        c.first_name.as_str(),
        c.last_name.as_str(),
    ];
    if validate::new_password(&f.password, &personal, "password", &mut errors)
        && f.password != f.password2
    {
        errors.insert("password2", "The two passwords differ.".into());
    }
    if !errors.is_empty() {
        return invalid(section_page(&page, cx.tpl, &me, "password", &errors)?);
    }
    let hash = password::hash_off_thread(&f.password).await?;
    let (c, now) = (me.customer.clone(), cx.clock.now());
    let ip_text = cx.ip.to_string();
    // Every other session and token ends; this browser gets a fresh session id.
    let token = cx
        .db
        .write(move |tx| {
            store::set_password(tx, c.id, &hash)?;
            tokens::revoke_all(tx, c.id, None)?;
            audit::record(
                tx,
                &audit::Entry::event("customer", "password.change")
                    .actor(actor(&c))
                    .ip(Some(cx.ip))
                    .entity("customer", c.id),
            )?;
            session::create(
                tx,
                Kind::Customer,
                c.id,
                &super::guard::lifetime(),
                now,
                &ip_text,
                "",
            )
        })
        .await?;
    session::set_cookie(jar, Kind::Customer, token, https.0);
    csrf::rotate(jar, cx.secret, https);
    Ok(Ok(flash_redirect(
        "/account".into(),
        "success",
        "Your password is changed. Other devices have been logged out.",
    )))
}

// --- Delete ------------------------------------------------------------------------------

#[get("/account/delete")]
fn delete_form(me: CustomerUser, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    section_page(&page, cx.tpl, &me, "delete", &Errors::new())
}

#[derive(FromForm)]
pub struct DeleteForm {
    current_password: String,
}

#[post("/account/delete", data = "<form>")]
async fn delete(
    form: CsrfForm<DeleteForm>,
    me: CustomerUser,
    page: Page,
    https: Https,
    jar: &CookieJar<'_>,
    cx: Ctx<'_>,
) -> FormResult {
    if !password_matches(cx.db, me.id(), &form.0.current_password).await? {
        let errors = Errors::from([(
            "current_password",
            "That is not your current password.".to_string(),
        )]);
        return invalid(section_page(&page, cx.tpl, &me, "delete", &errors)?);
    }
    let (c, now) = (me.customer.clone(), cx.clock.now());
    cx.db
        .write(move |tx| delete_account(tx, &c, cx.ip, now))
        .await?;
    session::remove_cookie(jar, Kind::Customer);
    csrf::rotate(jar, cx.secret, https);
    Ok(Ok(flash_redirect(
        "/".into(),
        "success",
        "Your account is deleted and your personal data erased. Thank you for shopping with us.",
    )))
}

/// Erases the person and ends every way in, in one transaction (shared with the API).
pub fn delete_account(
    tx: &rusqlite::Connection,
    c: &store::Customer,
    ip: ClientIp,
    now: OffsetDateTime,
) -> AppResult<()> {
    store::anonymise(tx, c.id, now)?;
    tokens::revoke_all(tx, c.id, None)?;
    // The audit entry keeps the id only: the address is personal data being erased.
    audit::record(
        tx,
        &audit::Entry::event("customer", "account.delete")
            .actor(audit::Actor::Customer {
                id: c.id,
                label: format!("customer #{}", c.id),
            })
            .ip(Some(ip))
            .entity("customer", c.id),
    )
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        account,
        save_profile,
        email_form,
        change_email,
        confirm_email,
        password_form,
        change_password,
        delete_form,
        delete
    ]
}
