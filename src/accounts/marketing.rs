//! Whether a customer wants news and offers by mail (`customers.marketing_opt_out_at`):
//! the switch on the account page and on the API. Campaigns pass over whoever said no;
//! the one-click link in campaign mails (`marketing::campaigns::unsubscribe`) records the
//! same choice through `choose`.

use rocket::response::{Flash, Redirect};
use rocket::serde::json::Json;
use rocket::{post, put, routes, FromForm};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::guard::{ApiCustomer, CustomerUser};
use crate::audit::{self, Actor};
use crate::error::AppResult;
use crate::web::body::Body;
use crate::web::client::ClientIp;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::flash_redirect;

/// Records whether customer `id` wants marketing mail, audited with `how` the choice was
/// made; whether it changed anything.
pub fn choose(
    tx: &Connection,
    id: i64,
    wanted: bool,
    actor: Actor,
    ip: Option<ClientIp>,
    how: &str,
    now: &str,
) -> AppResult<bool> {
    let changed = if wanted {
        tx.prepare_cached(
            "UPDATE customers SET marketing_opt_out_at = NULL WHERE id = ?1 AND marketing_opt_out_at IS NOT NULL",
        )?
        .execute([id])?
    } else {
        tx.prepare_cached(
            "UPDATE customers SET marketing_opt_out_at = ?2 WHERE id = ?1 AND marketing_opt_out_at IS NULL",
        )?
        .execute(params![id, now])?
    };
    if changed == 1 {
        audit::record(
            tx,
            &audit::Entry::event(
                "customer",
                if wanted {
                    "marketing.opted_in"
                } else {
                    "marketing.opted_out"
                },
            )
            .actor(actor)
            .ip(ip)
            .entity("customer", id)
            .details(json!({ "how": how })),
        )?;
    }
    Ok(changed == 1)
}

#[derive(FromForm)]
pub struct MarketingForm {
    /// The checkbox: present when ticked.
    #[field(default = false)]
    news: bool,
}

#[post("/account/marketing", data = "<form>")]
async fn save(
    form: CsrfForm<MarketingForm>,
    me: CustomerUser,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let wanted = form.0.news;
    let (id, actor, ip, now) = (me.customer.id, me.actor(), cx.ip, cx.clock.now_sql());
    cx.db
        .write(move |tx| choose(tx, id, wanted, actor, Some(ip), "the account page", &now))
        .await?;
    Ok(flash_redirect(
        "/account".into(),
        "success",
        if wanted {
            "You will get our news and offers by mail."
        } else {
            "You will get no more news and offers by mail. Mails about your orders and account still arrive."
        },
    ))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketingChoice {
    /// True: news and offers by mail (campaigns); false: none.
    pub marketing_mail: bool,
}

/// Whether the account gets news and offers by mail (order and account mails always
/// arrive).
#[utoipa::path(
    put, path = "/api/v1/me/marketing", tag = "account",
    request_body = MarketingChoice,
    responses(
        (status = 200, description = "The choice, as stored", body = MarketingChoice),
        (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
        (status = 422, description = "The body is not a choice", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/api/v1/me/marketing", data = "<body>")]
pub async fn api_choose(
    body: Body<MarketingChoice>,
    me: ApiCustomer,
    cx: Ctx<'_>,
) -> AppResult<Json<MarketingChoice>> {
    let wanted = body.marketing_mail;
    let c = me.customer;
    let (id, ip, now) = (c.id, cx.ip, cx.clock.now_sql());
    let actor = super::guard::actor(&c);
    cx.db
        .write(move |tx| choose(tx, id, wanted, actor, Some(ip), "the API", &now))
        .await?;
    Ok(Json(MarketingChoice {
        marketing_mail: wanted,
    }))
}

/// This file's operations in the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(api_choose))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![save, api_choose]
}
