//! Password reset: ask by email (the answer never says whether the address has an
//! account), a one-time link valid one hour, a new password checked like at registration;
//! then every session and API token of the account ends and a lock-out is lifted.

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use time::OffsetDateTime;

use super::guard::actor;
use super::mails;
use super::pages::account_context;
use super::store;
use super::tokens::{self, Purpose};
use super::validate::{self, Errors};
use crate::audit::{self, AuditSink};
use crate::auth::password;
use crate::auth::ratelimit::RateLimiter;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::web::base_url::BaseUrl;
use crate::web::client::ClientIp;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

/// POLICY: 3 password-reset mails per account per hour.
const RESETS_PER_HOUR: u32 = 3;

pub fn requested_message(email: &str) -> String {
    format!(
        "If {email} has an account with us, we sent it a link to choose a new password. The link works for one hour."
    )
}

/// Queues a reset mail when the address has a live account; the same work and answer
/// otherwise. Rate limited per address, whether or not it exists.
pub async fn request(
    db: &Db,
    limiter: &RateLimiter,
    sink: &AuditSink,
    ip: ClientIp,
    email: &str,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    let email = email.trim().to_lowercase();
    if email.is_empty() || email.len() > 254 {
        return Err(AppError::Invalid(
            "Enter the email address of your account.".into(),
        ));
    }
    if let Err(retry_after) = limiter.check(
        "password_reset",
        &email,
        RESETS_PER_HOUR,
        3600,
        now.unix_timestamp(),
    ) {
        sink.send(audit::Entry::error("customer", "password_reset.rate_limited").ip(Some(ip)));
        return Err(AppError::TooManyRequests {
            message: format!(
                "We already sent several reset links to this address in the last hour. Try again in {} minutes.",
                retry_after.div_ceil(60)
            ),
            retry_after,
        });
    }
    let base_url = base_url.to_string();
    db.write(move |tx| {
        if let Some(c) = store::find_by_email(tx, &email)?.filter(|c| c.active) {
            mails::password_reset(tx, &c, &base_url, now)?;
            audit::record(
                tx,
                &audit::Entry::event("customer", "password_reset.requested")
                    .actor(actor(&c))
                    .ip(Some(ip))
                    .entity("customer", c.id),
            )?;
        }
        Ok(())
    })
    .await
}

/// Sets the new password from a reset link, revoking every session and token.
pub async fn complete(
    db: &Db,
    ip: ClientIp,
    token: &str,
    new_password: &str,
    now: OffsetDateTime,
) -> Result<(), (Errors, Option<AppError>)> {
    let t = token.to_string();
    let valid = db
        .read(move |c| tokens::check(c, &t, Purpose::Reset, now))
        .await
        .map_err(|e| (Errors::new(), Some(e)))?;
    let customer = db
        .read(move |c| store::get(c, valid.customer_id))
        .await
        .map_err(|e| (Errors::new(), Some(e)))?
        .ok_or_else(|| {
            (
                Errors::new(),
                Some(AppError::NotFound("This account no longer exists.".into())),
            )
        })?;
    let mut errors = Errors::new();
    let personal = [
        customer.email.as_str(),
        customer.first_name.as_str(),
        customer.last_name.as_str(),
    ];
    if !validate::new_password(new_password, &personal, "password", &mut errors) {
        return Err((errors, None));
    }
    let hash = password::hash_off_thread(new_password)
        .await
        .map_err(|e| (Errors::new(), Some(e)))?;
    let token = token.to_string();
    db.write(move |tx| {
        // Consumed inside the change, so two tabs cannot both use one link.
        let t = tokens::consume(tx, &token, Purpose::Reset, now)?;
        store::set_password(tx, t.customer_id, &hash)?;
        // The link came by mail, so using it proves the address (this is how a customer
        // created in the back office becomes verified when setting their password).
        store::mark_verified(tx, t.customer_id, now)?;
        tokens::revoke_all(tx, t.customer_id, None)?;
        audit::record(
            tx,
            &audit::Entry::event("customer", "password_reset")
                .actor(actor(&customer))
                .ip(Some(ip))
                .entity("customer", t.customer_id),
        )?;
        Ok(())
    })
    .await
    .map_err(|e| (Errors::new(), Some(e)))
}

fn forgot_page(
    page: &Page,
    tpl: &Templates,
    email: &str,
    error: &str,
) -> AppResult<RawHtml<String>> {
    let mut ctx = account_context(page);
    ctx.insert("email", email);
    ctx.insert("error", error);
    tpl.page("storefront/account/forgot.html.tera", &ctx)
}

#[get("/account/forgot")]
fn forgot_form(page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    forgot_page(&page, cx.tpl, "", "")
}

#[derive(FromForm)]
pub struct ForgotForm {
    email: String,
}

#[post("/account/forgot", data = "<form>")]
async fn forgot(
    form: CsrfForm<ForgotForm>,
    page: Page,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>> {
    let email = form.0.email;
    match request(
        cx.db,
        cx.limiter,
        cx.sink,
        cx.ip,
        &email,
        &base.0,
        cx.clock.now(),
    )
    .await
    {
        Ok(()) => Ok(Ok(flash_redirect(
            "/account/login".into(),
            "info",
            requested_message(email.trim()),
        ))),
        Err(e @ (AppError::Invalid(_) | AppError::TooManyRequests { .. })) => {
            let html = forgot_page(&page, cx.tpl, &email, &e.public_message())?;
            Ok(Err(status::Custom(e.status(), html)))
        }
        Err(e) => Err(e),
    }
}

fn reset_page(
    page: &Page,
    tpl: &Templates,
    token: &str,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = account_context(page);
    ctx.insert("token", token);
    ctx.insert("errors", errors);
    tpl.page("storefront/account/reset.html.tera", &ctx)
}

/// A bad link goes back to the "forgot" page with the reason, to ask for a new one.
fn bad_link(e: AppError) -> AppResult<Flash<Redirect>> {
    match e {
        AppError::NotFound(_) | AppError::Gone(_) => Ok(flash_redirect(
            "/account/forgot".into(),
            "error",
            e.public_message(),
        )),
        e => Err(e),
    }
}

#[get("/account/reset?<token>")]
async fn reset_form(
    token: &str,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<RawHtml<String>, Flash<Redirect>>> {
    let now = cx.clock.now();
    let t = token.to_string();
    match cx
        .db
        .read(move |c| tokens::check(c, &t, Purpose::Reset, now))
        .await
    {
        Ok(_) => Ok(Ok(reset_page(&page, cx.tpl, token, &Errors::new())?)),
        Err(e) => Ok(Err(bad_link(e)?)),
    }
}

#[derive(FromForm)]
pub struct ResetForm {
    token: String,
    password: String,
    password2: String,
}

#[post("/account/reset", data = "<form>")]
async fn reset(
    form: CsrfForm<ResetForm>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>> {
    let f = form.0;
    if f.password != f.password2 {
        let errors = Errors::from([("password2", "The two passwords differ.".to_string())]);
        let html = reset_page(&page, cx.tpl, &f.token, &errors)?;
        return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
    }
    match complete(cx.db, cx.ip, &f.token, &f.password, cx.clock.now()).await {
        Ok(()) => Ok(Ok(flash_redirect(
            "/account/login".into(),
            "success",
            "Your password is changed and you are logged out everywhere. Log in with the new password.",
        ))),
        Err((errors, None)) => {
            let html = reset_page(&page, cx.tpl, &f.token, &errors)?;
            Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
        }
        Err((_, Some(e))) => Ok(Ok(bad_link(e)?)),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![forgot_form, forgot, reset_form, reset]
}
