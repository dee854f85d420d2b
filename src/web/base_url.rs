//! `BaseUrl`: the shop's own address, for links in mails and payment return URLs.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use crate::db::Db;
use crate::settings;

/// The shop's absolute address for links in mails: setting `shop.base_url`, else the
/// address this server listens on. Never the request's Host header, which a client
/// chooses (a reset link must not be pointed at someone else's site).
pub struct BaseUrl(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for BaseUrl {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(db) = req.rocket().state::<Db>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let configured = db
            .read(|c| settings::get(c, "shop.base_url"))
            .await
            .unwrap_or_default();
        let url = if configured.is_empty() {
            let cfg = req.rocket().config();
            crate::config::url_for(cfg.address, cfg.port)
        } else {
            configured
        };
        Outcome::Success(BaseUrl(url.trim_end_matches('/').to_string()))
    }
}
