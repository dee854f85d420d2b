//! Customer accounts on the JSON API: register, log in for a bearer token, log out
//! (revokes it), ask for a password reset, and read one's own account. The same checks
//! and limits as the web forms, through the same functions.

use rocket::http::Status;
use rocket::response::status;
use rocket::serde::json::Json;
use rocket::{get, post, routes, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::guard::ApiCustomer;
use super::login::{authenticate, Login};
use super::register::{self, Deps, Refused};
use super::reset;
use super::store::{self, StoredAddress};
use super::validate::{AddressInput, Errors, ProfileInput, RegisterInput};
use crate::audit::{self};
use crate::auth::api_token::{self, TokenResponse};
use crate::auth::session::Kind;
use crate::captcha::Captchas;
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::web::base_url::BaseUrl;
use crate::web::body::Body;
use crate::web::ctx::Ctx;
use crate::web::json::{FieldErrorBody, Invalid};

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    pub email: String,
    /// 10 to 128 characters; common and trivially weak passwords are refused.
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    /// Calling code like `+359`, or an ISO country code like `BG`.
    pub country_code: String,
    pub phone: String,
    /// `YYYY-MM-DD`, in the past.
    #[serde(default)]
    pub birth_date: Option<String>,
    /// Becomes the default address of the address book.
    #[serde(default)]
    pub address: Option<AddressInput>,
    /// From `GET /api/v1/captcha`, when the shop has the CAPTCHA on.
    #[serde(default)]
    pub captcha_id: Option<String>,
    #[serde(default)]
    pub captcha_answer: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Registered {
    pub id: i64,
    pub email: String,
    pub verified: bool,
    pub message: String,
}

/// A 422 naming the fields by the API's names for the ones the web form calls otherwise.
pub fn field_errors(errors: Errors) -> Invalid {
    crate::web::json::field_errors(errors.into_iter().map(|(k, v)| {
        let k = match k {
            "phone_country" => "country_code".to_string(),
            other => match other.strip_prefix("address_") {
                Some(f) => format!("address.{f}"),
                None => other.to_string(),
            },
        };
        (k, v)
    }))
}

type Answer<T> = Result<T, Result<status::Custom<Json<FieldErrorBody>>, AppError>>;

/// Creates an unverified account and mails its verification link.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "account",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created; verify the address before logging in", body = Registered),
        (status = 422, description = "Fields refused, each with its message", body = FieldErrorBody),
        (status = 429, description = "Too many wrong CAPTCHAs or registrations from this client", body = crate::web::json::ErrorBody),
    )
)]
#[post("/api/v1/auth/register", data = "<body>")]
pub async fn api_register(
    body: Body<RegisterRequest>,
    base: BaseUrl,
    captchas: &State<Captchas>,
    cx: Ctx<'_>,
) -> Answer<status::Created<Json<Registered>>> {
    let b = body.into_inner();
    let input = RegisterInput {
        email: b.email,
        password: b.password,
        profile: ProfileInput {
            first_name: b.first_name,
            last_name: b.last_name,
            phone_country: b.country_code,
            phone: b.phone,
            birth_date: b.birth_date.unwrap_or_default(),
        },
        address: b.address,
    };
    let answer = Some((
        b.captcha_id.unwrap_or_default(),
        b.captcha_answer.unwrap_or_default(),
    ));
    let d = Deps {
        db: cx.db,
        limiter: cx.limiter,
        captchas,
        sink: cx.sink,
        ip: cx.ip,
        now: cx.clock.now(),
        base_url: &base.0,
    };
    match register::register(&d, input, answer).await {
        Ok(c) => Ok(status::Created::new("/api/v1/me").body(Json(Registered {
            id: c.id,
            email: c.email.clone(),
            verified: false,
            message: format!(
                "We sent a verification link to {}; open it, then log in.",
                c.email
            ),
        }))),
        Err(Refused::Fields(errors)) => Err(Ok(field_errors(errors))),
        Err(Refused::Other(e)) => Err(Err(e)),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Logs in and returns a bearer token (valid 7 days, until logout or a password change).
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "account",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Wrong email or password, or the address is not verified yet", body = crate::web::json::ErrorBody),
        (status = 429, description = "Too many attempts from this client, or the account is locked for a while", body = crate::web::json::ErrorBody),
    )
)]
#[post("/api/v1/auth/login", data = "<body>")]
pub async fn api_login(body: Body<LoginRequest>, cx: Ctx<'_>) -> AppResult<Json<TokenResponse>> {
    let now = cx.clock.now();
    let l = Login {
        db: cx.db,
        limiter: cx.limiter,
        sink: cx.sink,
        ip: cx.ip,
        now,
    };
    let c = authenticate(&l, &body.email, &body.password)
        .await
        .map_err(|r| r.into_app_error())?;
    let token = cx
        .db
        .write(move |tx| api_token::create(tx, Kind::Customer, c.id, now))
        .await?;
    Ok(Json(TokenResponse {
        token,
        expires_at: sql_time(api_token::expiry(now)),
    }))
}

/// Revokes the bearer token used for this request.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "account",
    responses(
        (status = 204, description = "The token no longer works"),
        (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/auth/logout")]
pub async fn api_logout(me: ApiCustomer, cx: Ctx<'_>) -> AppResult<Status> {
    cx.db
        .write(move |tx| {
            api_token::revoke(tx, Kind::Customer, &me.token)?;
            audit::record(
                tx,
                &audit::Entry::event("customer", "logout")
                    .actor(super::guard::actor(&me.customer))
                    .ip(Some(cx.ip))
                    .entity("customer", me.customer.id),
            )
        })
        .await?;
    Ok(Status::NoContent)
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct MessageResponse {
    pub message: String,
}

/// Mails a one-time password reset link (valid 1 hour) if the address has an account; the
/// answer is the same either way.
#[utoipa::path(
    post, path = "/api/v1/auth/password-reset", tag = "account",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "Accepted; a link is mailed if the account exists", body = MessageResponse),
        (status = 429, description = "Too many reset mails for this address in the last hour", body = crate::web::json::ErrorBody),
    )
)]
#[post("/api/v1/auth/password-reset", data = "<body>")]
pub async fn api_password_reset(
    body: Body<ResetRequest>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<status::Accepted<Json<MessageResponse>>> {
    reset::request(
        cx.db,
        cx.limiter,
        cx.sink,
        cx.ip,
        &body.email,
        &base.0,
        cx.clock.now(),
    )
    .await?;
    Ok(status::Accepted(Json(MessageResponse {
        message: reset::requested_message(body.email.trim()),
    })))
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// ISO country of the phone number.
    pub phone_country: String,
    /// International form, e.g. `+359 888123456`.
    pub phone: String,
    pub birth_date: Option<String>,
    pub verified: bool,
    pub created_at: String,
    /// News and offers by mail (campaigns); change it with PUT /api/v1/me/marketing.
    pub marketing_mail: bool,
    pub addresses: Vec<ApiAddress>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiAddress {
    pub id: i64,
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postcode: String,
    pub country: String,
    pub is_default: bool,
}

impl From<StoredAddress> for ApiAddress {
    fn from(a: StoredAddress) -> ApiAddress {
        ApiAddress {
            id: a.id,
            name: a.name,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            postcode: a.postcode,
            country: a.country,
            is_default: a.is_default,
        }
    }
}

/// The account the bearer token belongs to, with its address book.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "account",
    responses(
        (status = 200, description = "Your account", body = Me),
        (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/me")]
pub async fn api_me(me: ApiCustomer, cx: Ctx<'_>) -> AppResult<Json<Me>> {
    let c = me.customer;
    let id = c.id;
    let addresses = cx.db.read(move |conn| store::addresses(conn, id)).await?;
    Ok(Json(Me {
        id: c.id,
        email: c.email,
        first_name: c.first_name,
        last_name: c.last_name,
        phone_country: c.phone_country,
        phone: c.phone,
        birth_date: c.birth_date,
        verified: c.verified,
        created_at: c.created_at,
        marketing_mail: !c.marketing_opt_out,
        addresses: addresses.into_iter().map(ApiAddress::from).collect(),
    }))
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(api_register, api_login, api_logout, api_password_reset, api_me))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![
        api_register,
        api_login,
        api_logout,
        api_password_reset,
        api_me
    ]
}
