//! What every HTML page needs, gathered by one request guard: the shop's name and
//! currency, this page's CSRF token and the flash message.

use rocket::http::Status;
use rocket::request::{FlashMessage, FromRequest, Outcome, Request};
use rocket::response::{Flash, Redirect};
use serde_json::json;

use crate::db::Db;
use crate::settings::{self, Shop};
use crate::web::csrf::CsrfToken;

pub struct Page {
    pub shop: Shop,
    pub csrf: String,
    pub flash: Option<(String, String)>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Page {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let (Some(cache), Some(db)) = (
            req.rocket().state::<settings::Cache>(),
            req.rocket().state::<Db>(),
        ) else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let Ok(shop) = cache.shop(db).await else {
            return Outcome::Error((Status::ServiceUnavailable, ()));
        };
        let csrf = match req.guard::<CsrfToken>().await {
            Outcome::Success(t) => t.0,
            _ => return Outcome::Error((Status::InternalServerError, ())),
        };
        let flash = req
            .guard::<Option<FlashMessage<'_>>>()
            .await
            .succeeded()
            .flatten()
            .map(|f| (f.kind().to_string(), f.message().to_string()));
        Outcome::Success(Page { shop, csrf, flash })
    }
}

impl Page {
    /// The base context every template extends from.
    pub fn context(&self) -> tera::Context {
        let mut ctx = tera::Context::new();
        ctx.insert(
            "site",
            &json!({
                "name": self.shop.name,
                "currency": self.shop.currency.code,
                "logo": if self.shop.logo.is_empty() { String::new() } else { format!("/media/{}", self.shop.logo) },
                "address": self.shop.address,
                "contact_email": self.shop.contact_email,
                "contact_phone": self.shop.contact_phone,
            }),
        );
        ctx.insert("csrf", &self.csrf);
        if let Some((kind, message)) = &self.flash {
            ctx.insert("flash", &json!({ "kind": kind, "message": message }));
        }
        ctx
    }

    pub fn money(&self, minor: i64) -> String {
        self.shop.currency.format(minor)
    }
}

/// Redirect with a one-time message for the next page ("success", "error" or "info").
pub fn flash_redirect(to: String, kind: &str, message: impl Into<String>) -> Flash<Redirect> {
    Flash::new(Redirect::to(to), kind, message.into())
}
