//! Staff API sign-in: `POST /api/v1/admin/auth/login` gives a staff bearer token, which
//! `ApiCan<P>` checks against the same role permissions as the web back office.

use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{post, routes, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::check_credentials;
use super::guard::ApiStaff;
use crate::audit::{self, Actor};
use crate::auth::api_token;
use crate::auth::api_token::TokenResponse;
use crate::auth::session::Kind;
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::web::body::Body;
use crate::web::ctx::Ctx;

#[derive(Deserialize, ToSchema)]
pub struct StaffLoginRequest {
    pub email: String,
    pub password: String,
    /// The 6-digit code from the authenticator app, when the staff member has two-factor
    /// login on (or a recovery code).
    #[serde(default)]
    pub totp_code: Option<String>,
}

/// Logs a staff member in and returns a bearer token for the staff API (7 days, until
/// logout or deactivation).
#[utoipa::path(
    post, path = "/api/v1/admin/auth/login", tag = "staff",
    request_body = StaffLoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Wrong email, password or two-factor code, or the code is missing", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role requires two-factor login and it is not set up yet", body = crate::web::json::ErrorBody),
        (status = 429, description = "Too many attempts from this client", body = crate::web::json::ErrorBody),
    )
)]
#[post("/api/v1/admin/auth/login", data = "<body>")]
pub async fn api_staff_login(
    body: Body<StaffLoginRequest>,
    secret: &State<crate::secret::Secret>,
    cx: Ctx<'_>,
) -> AppResult<Json<TokenResponse>> {
    let now = cx.clock.now();
    crate::auth::ratelimit::check_login(cx.db, cx.limiter, cx.sink, "staff", cx.ip, now).await?;
    let Some(id) = check_credentials(cx.db, cx.sink, cx.ip, &body.email, &body.password).await?
    else {
        return Err(AppError::LoginFailed(
            "That email and password do not match an active staff account.".into(),
        ));
    };
    let (req_totp, enrolled) = cx
        .db
        .read(move |c| {
            Ok(super::store::get(c, id)?
                .map(|r| (r.require_totp, r.totp_enabled))
                .unwrap_or_default())
        })
        .await?;
    if req_totp && !enrolled {
        cx.sink.send(
            audit::Entry::error("staff", "api.login_refused")
                .ip(Some(cx.ip))
                .entity("staff", id)
                .details(serde_json::json!({ "reason": "two-factor login not set up" })),
        );
        return Err(AppError::Forbidden(super::guard::MUST_ENROL_API.into()));
    }
    let code = body.totp_code.clone().unwrap_or_default();
    if enrolled && code.trim().is_empty() {
        return Err(AppError::LoginFailed(
            "This account has two-factor login on: send the current 6-digit code from the \
             authenticator app (or a recovery code) as totp_code."
                .into(),
        ));
    }
    let email = body.email.clone();
    let key = secret.inner().clone();
    let token = cx
        .db
        .write(move |tx| {
            let proof = if enrolled {
                match super::two_factor::check_code(tx, &key, id, &code, now)? {
                    Some(p) => Some(p),
                    None => return Ok(None),
                }
            } else {
                None
            };
            let token = api_token::create(tx, Kind::Staff, id, now)?;
            let mut entry = audit::Entry::event("staff", "api.login")
                .actor(Actor::Staff { id, label: email })
                .ip(Some(cx.ip))
                .entity("staff", id);
            if let Some(p) = proof {
                entry = entry.details(serde_json::json!({ "two_factor": p.as_str() }));
            }
            audit::record(tx, &entry)?;
            Ok(Some(token))
        })
        .await?;
    let Some(token) = token else {
        cx.sink.send(
            audit::Entry::error("staff", "login.two_factor_failed")
                .ip(Some(cx.ip))
                .entity("staff", id)
                .details(serde_json::json!({ "via": "api" })),
        );
        return Err(AppError::LoginFailed(
            "That two-factor code is not right, or was already used. Send the current code \
             from the authenticator app (or an unused recovery code)."
                .into(),
        ));
    };
    Ok(Json(TokenResponse {
        token,
        expires_at: sql_time(api_token::expiry(now)),
    }))
}

/// Revokes the staff bearer token used for this request.
#[utoipa::path(
    post, path = "/api/v1/admin/auth/logout", tag = "staff",
    responses(
        (status = 204, description = "The token no longer works"),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/auth/logout")]
pub async fn api_staff_logout(me: ApiStaff, cx: Ctx<'_>) -> AppResult<Status> {
    cx.db
        .write(move |tx| {
            api_token::revoke(tx, Kind::Staff, &me.token)?;
            audit::record(
                tx,
                &audit::Entry::event("staff", "api.logout")
                    .actor(me.staff.actor())
                    .ip(Some(cx.ip)),
            )
        })
        .await?;
    Ok(Status::NoContent)
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(api_staff_login, api_staff_logout))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![api_staff_login, api_staff_logout]
}
