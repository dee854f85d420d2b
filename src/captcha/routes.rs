//! HTTP: the picture of a challenge (for the registration page's `<img>`) and a new
//! challenge for API clients.

use base64::Engine;
use rocket::http::Header;
use rocket::serde::json::Json;
use rocket::{get, routes, Responder, State};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{image_url, CaptchaError, Captchas, LIFETIME_SECS};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::web::client::ClientIp;

#[derive(Responder)]
#[response(content_type = "image/png")]
pub struct Png {
    body: Vec<u8>,
    // A picture must never come back from a cache once its challenge is used.
    cache: Header<'static>,
}

/// Draws the picture on a blocking thread: it is a few milliseconds of arithmetic.
async fn draw(captchas: &Captchas, id: &str, now: OffsetDateTime) -> AppResult<Option<Vec<u8>>> {
    let (captchas, id) = (captchas.clone(), id.to_string());
    rocket::tokio::task::spawn_blocking(move || captchas.png(&id, now))
        .await
        .map_err(AppError::internal)
}

#[get("/captcha/<id>")]
async fn picture(id: &str, captchas: &State<Captchas>, clock: &State<Clock>) -> AppResult<Png> {
    let body = draw(captchas, id, clock.now()).await?.ok_or_else(|| {
        AppError::NotFound(
            "This CAPTCHA has expired or was already used; reload the page for a new one.".into(),
        )
    })?;
    Ok(Png {
        body,
        cache: Header::new("Cache-Control", "no-store"),
    })
}

/// A CAPTCHA challenge: show the picture, send `id` and the typed text with the
/// registration.
#[derive(Serialize, ToSchema)]
pub struct CaptchaChallenge {
    /// Send this back as the challenge id with the answer. Valid once.
    pub id: String,
    /// The same picture as a URL on this shop (no-store).
    pub image_url: String,
    /// The picture itself: a 200×70 PNG, base64.
    pub image_png_base64: String,
    /// Seconds until the challenge expires.
    pub expires_in: i64,
}

/// A new CAPTCHA for `POST /api/v1/auth/register`: 5 characters, case does not matter;
/// valid 10 minutes and for one answer.
#[utoipa::path(get, path = "/api/v1/captcha", tag = "account",
    responses(
        (status = 200, description = "A new challenge", body = CaptchaChallenge),
        (status = 404, description = "The CAPTCHA is switched off in this shop; registration needs no captcha fields", body = crate::web::json::ErrorBody),
        (status = 429, description = "Too many wrong answers from this client; see Retry-After", body = crate::web::json::ErrorBody),
    ))]
#[get("/api/v1/captcha")]
pub async fn new_challenge(
    db: &State<Db>,
    captchas: &State<Captchas>,
    clock: &State<Clock>,
    client: ClientIp,
) -> AppResult<Json<CaptchaChallenge>> {
    let (enabled, _) = db.read(super::settings).await?;
    if !enabled {
        return Err(AppError::NotFound(
            "The CAPTCHA is switched off in this shop, so registration needs no captcha fields."
                .into(),
        ));
    }
    let now = clock.now();
    if let Some(retry_after) = captchas.locked(&client.to_string(), now) {
        return Err(CaptchaError::Locked { retry_after }.into_app_error());
    }
    let id = captchas.issue(now);
    let png = draw(captchas, &id, now)
        .await?
        .ok_or_else(|| AppError::internal("a CAPTCHA vanished right after it was issued"))?;
    Ok(Json(CaptchaChallenge {
        image_url: image_url(&id),
        image_png_base64: base64::engine::general_purpose::STANDARD.encode(png),
        expires_in: LIFETIME_SECS,
        id,
    }))
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(new_challenge))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![picture, new_challenge]
}
