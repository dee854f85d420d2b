//! Registration at /account/register (and the API's, through `register`), the email
//! verification link and "send the link again".

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm, State};
use serde_json::json;
use time::OffsetDateTime;

use super::countries::{address_countries, phone_countries};
use super::guard::{actor, CustomerUser};
use super::mails;
use super::pages::account_context;
use super::store::{self, Customer};
use super::tokens::{self, Purpose};
use super::validate::{self, AddressInput, Errors, ProfileInput, RegisterInput};
use crate::audit::{self, AuditSink};
use crate::auth::password;
use crate::auth::ratelimit::RateLimiter;
use crate::captcha::{self, CaptchaError, Captchas};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::settings;
use crate::web::base_url::BaseUrl;
use crate::web::client::ClientIp;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};

/// What registering needs from the server.
pub struct Deps<'a> {
    pub db: &'a Db,
    pub limiter: &'a RateLimiter,
    pub captchas: &'a Captchas,
    pub sink: &'a AuditSink,
    pub ip: ClientIp,
    pub now: OffsetDateTime,
    pub base_url: &'a str,
}

#[derive(Debug)]
pub enum Refused {
    /// Field → message; shown next to the fields.
    Fields(Errors),
    /// Locked out, rate limited or a server problem; shown for the whole form.
    Other(AppError),
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Refused {
        Refused::Other(e)
    }
}

/// The CAPTCHA's answer as sent: (challenge id, answer).
pub type CaptchaAnswer = Option<(String, String)>;

/// Seconds left of a CAPTCHA lock-out for this client, when the CAPTCHA is on.
pub async fn captcha_lock(
    db: &Db,
    captchas: &Captchas,
    ip: ClientIp,
    now: OffsetDateTime,
) -> AppResult<Option<i64>> {
    let (enabled, _) = db.read(captcha::settings).await?;
    Ok(enabled
        .then(|| captchas.locked(&ip.to_string(), now))
        .flatten())
}

fn locked_error(retry_after: i64) -> AppError {
    CaptchaError::Locked { retry_after }.into_app_error()
}

/// Checks everything, then creates the unverified account and queues its verification
/// mail in one transaction. Nothing is stored unless all of it succeeds.
pub async fn register(
    d: &Deps<'_>,
    input: RegisterInput,
    answer: CaptchaAnswer,
) -> Result<Customer, Refused> {
    let ((captcha_on, limits), per_hour) =
        d.db.read(|c| {
            Ok((
                captcha::settings(c)?,
                settings::get_i64(c, "security.registrations_per_ip_per_hour")?,
            ))
        })
        .await?;
    let client = d.ip.to_string();
    if captcha_on {
        if let Some(retry_after) = d.captchas.locked(&client, d.now) {
            return Err(locked_error(retry_after).into());
        }
    }
    let today = d.now.date();
    let validated = validate::registration(&input, today);
    let mut errors = validated.as_ref().err().cloned().unwrap_or_default();
    if captcha_on {
        match answer {
            Some((id, answer)) if !id.trim().is_empty() && !answer.trim().is_empty() => {
                match d.captchas.check(&client, &id, &answer, &limits, d.now) {
                    Ok(()) => {}
                    Err(CaptchaError::Locked { retry_after }) => {
                        d.sink
                            .send(audit::Entry::error("customer", "captcha.locked").ip(Some(d.ip)));
                        return Err(locked_error(retry_after).into());
                    }
                    Err(e) => {
                        errors.insert("captcha", e.message());
                    }
                }
            }
            _ => {
                errors.insert(
                    "captcha",
                    "Type the characters shown in the picture.".into(),
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(Refused::Fields(errors));
    }
    let reg = validated.map_err(Refused::Fields)?;
    if let Err(retry_after) = d.limiter.check(
        "register",
        &client,
        per_hour as u32,
        3600,
        d.now.unix_timestamp(),
    ) {
        d.sink
            .send(audit::Entry::error("customer", "register.rate_limited").ip(Some(d.ip)));
        return Err(AppError::TooManyRequests {
            message: format!(
                "Too many registrations from your network. Try again in {} minutes.",
                retry_after.div_ceil(60)
            ),
            retry_after,
        }
        .into());
    }
    let hash = password::hash_off_thread(&reg.password).await?;
    let (ip, now, base_url) = (d.ip, d.now, d.base_url.to_string());
    let created =
        d.db.write(move |tx| {
            let id = store::insert(tx, &reg, &hash)?;
            let c = store::get(tx, id)?.ok_or_else(|| AppError::internal("new customer"))?;
            audit::record(
                tx,
                &audit::Entry::event("customer", "register")
                    .actor(actor(&c))
                    .ip(Some(ip))
                    .entity("customer", id),
            )?;
            mails::verification(tx, &c, &base_url, now)?;
            Ok(c)
        })
        .await;
    match created {
        Ok(c) => Ok(c),
        Err(AppError::Conflict(message)) => {
            Err(Refused::Fields(Errors::from([("email", message)])))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(FromForm, Default)]
pub struct RegisterForm {
    email: String,
    password: String,
    first_name: String,
    last_name: String,
    phone_country: String,
    phone: String,
    #[field(default = String::new())]
    birth_date: String,
    #[field(default = String::new())]
    address_name: String,
    address_line1: String,
    #[field(default = String::new())]
    address_line2: String,
    address_city: String,
    address_postcode: String,
    address_country: String,
    #[field(default = String::new())]
    captcha_id: String,
    #[field(default = String::new())]
    captcha_answer: String,
}

impl RegisterForm {
    fn input(&self) -> RegisterInput {
        RegisterInput {
            email: self.email.clone(),
            password: self.password.clone(),
            profile: ProfileInput {
                first_name: self.first_name.clone(),
                last_name: self.last_name.clone(),
                phone_country: self.phone_country.clone(),
                phone: self.phone.clone(),
                birth_date: self.birth_date.clone(),
            },
            // The web form always asks for an address; the API may leave it out.
            address: Some(AddressInput {
                name: self.address_name.clone(),
                line1: self.address_line1.clone(),
                line2: self.address_line2.clone(),
                city: self.address_city.clone(),
                postcode: self.address_postcode.clone(),
                country: self.address_country.clone(),
            }),
        }
    }
}

/// The registration page with what was typed, the refusals per field and one for the form.
async fn form_page(
    page: &Page,
    cx: &Ctx<'_>,
    captchas: &Captchas,
    f: &RegisterForm,
    errors: &Errors,
    form_error: &str,
) -> AppResult<RawHtml<String>> {
    let (db, ip, now) = (cx.db, cx.ip, cx.clock.now());
    let (captcha_on, _) = db.read(captcha::settings).await?;
    let locked = captcha_lock(db, captchas, ip, now).await?;
    let mut ctx = account_context(page);
    ctx.insert(
        "values",
        &json!({
            "email": f.email, "first_name": f.first_name, "last_name": f.last_name,
            "phone": f.phone, "birth_date": f.birth_date,
            "address_name": f.address_name, "address_line1": f.address_line1,
            "address_line2": f.address_line2, "address_city": f.address_city,
            "address_postcode": f.address_postcode,
        }),
    );
    ctx.insert("errors", errors);
    let form_error = match (form_error, locked) {
        ("", Some(secs)) => locked_error(secs).public_message(),
        (e, _) => e.to_string(),
    };
    ctx.insert("form_error", &form_error);
    ctx.insert("phone_countries", &phone_countries(&f.phone_country));
    let address_country = if f.address_country.is_empty() {
        &f.phone_country
    } else {
        &f.address_country
    };
    ctx.insert("address_countries", &address_countries(address_country));
    let captcha_id = (captcha_on && locked.is_none()).then(|| captchas.issue(now));
    ctx.insert("captcha_id", &captcha_id);
    ctx.insert("today", &now.date().to_string());
    cx.tpl.page("storefront/account/register.html.tera", &ctx)
}

#[get("/account/register")]
async fn register_form(
    me: Option<CustomerUser>,
    page: Page,
    captchas: &State<Captchas>,
    cx: Ctx<'_>,
) -> AppResult<Result<RawHtml<String>, Redirect>> {
    if me.is_some() {
        return Ok(Err(Redirect::to("/account")));
    }
    let f = RegisterForm::default();
    Ok(Ok(
        form_page(&page, &cx, captchas, &f, &Errors::new(), "").await?
    ))
}

#[post("/account/register", data = "<form>")]
async fn register_submit(
    form: CsrfForm<RegisterForm>,
    page: Page,
    base: BaseUrl,
    captchas: &State<Captchas>,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>> {
    let f = form.0;
    let now = cx.clock.now();
    let d = Deps {
        db: cx.db,
        limiter: cx.limiter,
        captchas,
        sink: cx.sink,
        ip: cx.ip,
        now,
        base_url: &base.0,
    };
    let answer = Some((f.captcha_id.clone(), f.captcha_answer.clone()));
    match register(&d, f.input(), answer).await {
        Ok(c) => Ok(Ok(flash_redirect(
            "/account/login".into(),
            "success",
            format!(
                "Welcome, {}! We sent a link to {}. Open it to verify your address, then log in.",
                c.first_name, c.email
            ),
        ))),
        Err(Refused::Fields(errors)) => {
            let html = form_page(&page, &cx, captchas, &f, &errors, "").await?;
            Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
        }
        Err(Refused::Other(e)) => {
            let status = e.status();
            let html = form_page(
                &page,
                &cx,
                captchas,
                &f,
                &Errors::new(),
                &e.public_message(),
            )
            .await?;
            Ok(Err(status::Custom(status, html)))
        }
    }
}

#[get("/account/verify?<token>")]
async fn verify(token: &str, cx: Ctx<'_>) -> AppResult<Flash<Redirect>> {
    let now = cx.clock.now();
    let token = token.to_string();
    let done = cx.db
        .write(move |tx| {
            let t = tokens::consume(tx, &token, Purpose::Verify, now)?;
            store::mark_verified(tx, t.customer_id, now)?;
            let c = store::get(tx, t.customer_id)?
                .ok_or_else(|| AppError::NotFound("This account no longer exists.".into()))?;
            // Orders placed as a guest with this (now proven) address join the account.
            tx.execute(
                "UPDATE orders SET customer_id = ?1 WHERE customer_id IS NULL AND email = ?2 COLLATE NOCASE",
                rusqlite::params![c.id, c.email],
            )?;
            audit::record(
                tx,
                &audit::Entry::event("customer", "email.verified")
                    .actor(actor(&c))
                    .ip(Some(cx.ip))
                    .entity("customer", c.id),
            )?;
            Ok(c)
        })
        .await;
    Ok(match done {
        Ok(c) => flash_redirect(
            "/account/login".into(),
            "success",
            format!("Thank you! {} is verified. You can log in now.", c.email),
        ),
        Err(e @ (AppError::NotFound(_) | AppError::Gone(_))) => flash_redirect(
            "/account/login".into(),
            "error",
            format!(
                "{} If your account is not verified yet, ask for a new link below.",
                e.public_message()
            ),
        ),
        Err(e) => return Err(e),
    })
}

#[derive(FromForm)]
pub struct ResendForm {
    email: String,
}

/// POLICY: 5 verification resends per client per hour.
const RESENDS_PER_HOUR: u32 = 5;

#[post("/account/verify/resend", data = "<form>")]
async fn resend(
    form: CsrfForm<ResendForm>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let now = cx.clock.now();
    if let Err(retry_after) = cx.limiter.check(
        "verify_resend",
        &cx.ip.to_string(),
        RESENDS_PER_HOUR,
        3600,
        now.unix_timestamp(),
    ) {
        cx.sink
            .send(audit::Entry::error("customer", "verify_resend.rate_limited").ip(Some(cx.ip)));
        return Err(AppError::TooManyRequests {
            message: format!(
                "Too many requests for verification links. Try again in {} minutes.",
                retry_after.div_ceil(60)
            ),
            retry_after,
        });
    }
    let email = form.0.email.trim().to_string();
    let lookup = email.clone();
    cx.db
        .write(move |tx| {
            if let Some(c) = store::find_by_email(tx, &lookup)?.filter(|c| !c.verified && c.active)
            {
                mails::verification(tx, &c, &base.0, now)?;
                audit::record(
                    tx,
                    &audit::Entry::event("customer", "verify.resent")
                        .actor(actor(&c))
                        .ip(Some(cx.ip))
                        .entity("customer", c.id),
                )?;
            }
            Ok(())
        })
        .await?;
    // The same answer whether or not the address has an account.
    Ok(flash_redirect(
        "/account/login".into(),
        "info",
        format!("If {email} has an account waiting for verification, we sent a new link to it. It works for 24 hours."),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![register_form, register_submit, verify, resend]
}
