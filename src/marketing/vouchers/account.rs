//! A customer's vouchers: the page `/account/vouchers` and `GET /api/v1/me/vouchers`,
//! each voucher with what it gives, its conditions and where it stands.

use rocket::response::content::RawHtml;
use rocket::serde::json::Json;
use rocket::{get, routes};
use serde::Serialize;
use serde_json::json;
use utoipa::{OpenApi, ToSchema};

use super::rule::{shop_day, Voucher};
use super::store;
use crate::accounts::guard::{ApiCustomer, CustomerUser};
use crate::accounts::pages::member_context;
use crate::clock::sql_time;
use crate::error::AppResult;
use crate::settings;
use crate::web::ctx::Ctx;
use crate::web::page::Page;

#[derive(Serialize, ToSchema)]
pub struct ApiVoucher {
    pub code: String,
    /// `percent` or `amount`.
    pub kind: String,
    /// A percent (1–100) or minor units off the subtotal after promotions.
    pub value: i64,
    /// The subtotal after promotions must be at least this (minor units).
    pub min_subtotal: i64,
    /// UTC, RFC 3339; valid from `valid_from` up to (not including) `valid_to`.
    pub valid_from: String,
    pub valid_to: String,
    /// `usable`, `scheduled` (not valid yet), `used` or `expired`.
    pub state: String,
    /// The order that used it, if one did.
    pub used_on_order: Option<String>,
}

fn to_api(v: Voucher, now: &str) -> ApiVoucher {
    ApiVoucher {
        state: v.state(now).into(),
        code: v.code,
        kind: v.kind.as_str().into(),
        value: v.value,
        min_subtotal: v.min_subtotal,
        valid_from: v.valid_from,
        valid_to: v.valid_to,
        used_on_order: v.order_number,
    }
}

fn state_label(state: &str) -> &'static str {
    match state {
        "usable" => "Ready to use",
        "scheduled" => "Not valid yet",
        "used" => "Used",
        _ => "Expired",
    }
}

#[get("/account/vouchers")]
async fn page(me: CustomerUser, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let (id, now) = (me.id(), sql_time(cx.clock.now()));
    let n = now.clone();
    let (vouchers, offset) = cx
        .db
        .read(move |c| {
            Ok((
                store::of_customer(c, id, &n)?,
                settings::get_i64(c, "shop.utc_offset_minutes")?,
            ))
        })
        .await?;
    let shown: Vec<_> = vouchers
        .iter()
        .map(|v| {
            let state = v.state(&now);
            json!({
                "code": v.code, "badge": v.badge(&|m| page.money(m)),
                "min_subtotal": (v.min_subtotal > 0).then(|| page.money(v.min_subtotal)),
                "from": shop_day(&v.valid_from, false, &now, offset),
                "until": shop_day(&v.valid_to, true, &now, offset),
                "state": state, "state_label": state_label(state), "order": v.order_number,
            })
        })
        .collect();
    let mut ctx = member_context(&page, &me, "vouchers");
    ctx.insert("vouchers", &shown);
    cx.tpl.page("storefront/account/vouchers.html.tera", &ctx)
}

/// Your vouchers: the usable first, then newest first.
#[utoipa::path(get, path = "/api/v1/me/vouchers", tag = "account",
    responses((status = 200, description = "The vouchers given to you", body = [ApiVoucher]),
              (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/me/vouchers")]
pub async fn api_list(me: ApiCustomer, cx: Ctx<'_>) -> AppResult<Json<Vec<ApiVoucher>>> {
    let (id, now) = (me.customer.id, sql_time(cx.clock.now()));
    let n = now.clone();
    let list = cx.db.read(move |c| store::of_customer(c, id, &n)).await?;
    Ok(Json(list.into_iter().map(|v| to_api(v, &now)).collect()))
}

#[derive(OpenApi)]
#[openapi(paths(api_list), components(schemas(ApiVoucher)))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![page, api_list]
}
