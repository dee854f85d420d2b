//! Staff API: orders and the shop's figures. Same permissions, same filters and the same
//! moves as the back-office pages (`query.rs`, `moves::staff_move`).

use rocket::http::uri::Origin;
use rocket::serde::json::Json;
use rocket::{get, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::moves::{staff_move, MoveRequest, Mover};
use super::query::{self, OrderDetail, OrderFilter, OrderSummary};
use super::stats::{self, Stats};
use crate::error::AppResult;
use crate::secret::Secret;
use crate::staff::perm::{ReadDashboard, ReadOrders, UpdateOrders};
use crate::staff::ApiCan;
use crate::web::base_url::BaseUrl;
use crate::web::body::Body;
use crate::web::ctx::Ctx;

/// Query parameters of `GET /api/v1/admin/orders` (the back-office list takes the same).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OrderListParams {
    /// Order number, email or name (part of).
    q: Option<String>,
    /// draft, pending_payment, paid, processing, shipped, delivered, cancelled, refunded.
    status: Option<String>,
    /// Customer name or email (part of).
    customer: Option<String>,
    /// One customer account's orders.
    customer_id: Option<i64>,
    /// cod, bank_transfer, bobi, paypal.
    payment: Option<String>,
    /// First shop day (YYYY-MM-DD), inclusive.
    from: Option<String>,
    /// Last shop day (YYYY-MM-DD), inclusive.
    to: Option<String>,
    /// Staff id of the courier.
    courier: Option<i64>,
    /// newest (default), oldest, total_desc, total_asc, status.
    sort: Option<String>,
    /// Page number from 1; 50 orders a page.
    page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderPage {
    pub orders: Vec<OrderSummary>,
    /// How many orders match in all.
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Lists orders with the back office's filters.
#[utoipa::path(get, path = "/api/v1/admin/orders", tag = "staff", params(OrderListParams),
    responses(
        (status = 200, description = "One page of orders", body = OrderPage),
        (status = 400, description = "A parameter has a bad value; the message names it", body = crate::web::json::ErrorBody),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not read orders", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = [])))]
#[get("/api/v1/admin/orders")]
pub async fn api_admin_orders(
    uri: &Origin<'_>,
    _me: ApiCan<ReadOrders>,
    cx: Ctx<'_>,
) -> AppResult<Json<OrderPage>> {
    let f = OrderFilter::parse(&crate::web::query::pairs(uri))?;
    let page = f.page;
    let (orders, total) = cx.db.read(move |c| query::list(c, &f)).await?;
    Ok(Json(OrderPage {
        orders,
        total,
        page,
        per_page: query::PER_PAGE,
    }))
}

/// One order with its lines, status history, payment attempts, mails and allowed moves.
#[utoipa::path(get, path = "/api/v1/admin/orders/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Order id", example = 1)),
    responses(
        (status = 200, description = "The order", body = OrderDetail),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not read orders", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such order", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = [])))]
#[get("/api/v1/admin/orders/<id>")]
pub async fn api_admin_order(
    id: i64,
    _me: ApiCan<ReadOrders>,
    cx: Ctx<'_>,
) -> AppResult<Json<OrderDetail>> {
    Ok(Json(
        cx.db.read(move |c| Ok(query::detail(c, id)?.1)).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct StatusChange {
    /// The new status; only moves listed in the order's `allowed_moves` succeed.
    pub to: String,
    /// Required when `to` is `shipped`.
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// Staff id of the courier, when `to` is `shipped` (their role must update deliveries).
    #[serde(default)]
    pub courier_id: Option<i64>,
}

/// Moves an order to another status, as the order page does: `paid` records a payment,
/// `pending_payment` places a draft (stock taken), `cancelled` returns stock, `shipped`
/// needs a tracking number. A move the workflow refuses answers 409 with the reason.
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/status", tag = "staff",
    params(("id" = i64, Path, description = "Order id", example = 1)),
    request_body = StatusChange,
    responses(
        (status = 200, description = "Moved; the order as it is now", body = OrderDetail),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not change orders", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such order", body = crate::web::json::ErrorBody),
        (status = 409, description = "The move is not allowed from the order's status (the database's reason), or stock is short", body = crate::web::json::ErrorBody),
        (status = 422, description = "A value is missing or wrong (unknown status, no tracking number)", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = [])))]
#[post("/api/v1/admin/orders/<id>/status", data = "<body>")]
pub async fn api_admin_order_status(
    id: i64,
    body: Body<StatusChange>,
    me: ApiCan<UpdateOrders>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Json<OrderDetail>> {
    let b = body.into_inner();
    let m = MoveRequest {
        to: b.to,
        tracking_number: b.tracking_number.unwrap_or_default(),
        courier_id: b.courier_id,
    };
    let staff = me.staff.clone();
    let (s, now) = (Secret::clone(cx.secret), cx.clock.now());
    cx.db
        .write(move |tx| staff_move(tx, &s, id, &m, &Mover::new(&staff, cx.ip), &base.0, now))
        .await?;
    Ok(Json(
        cx.db.read(move |c| Ok(query::detail(c, id)?.1)).await?,
    ))
}

/// Today's and the last 7 days' orders, revenue and new customers.
#[utoipa::path(get, path = "/api/v1/admin/stats", tag = "staff",
    responses(
        (status = 200, description = "The figures", body = Stats),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not read the dashboard", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = [])))]
#[get("/api/v1/admin/stats")]
pub async fn api_admin_stats(_me: ApiCan<ReadDashboard>, cx: Ctx<'_>) -> AppResult<Json<Stats>> {
    let now = cx.clock.now();
    Ok(Json(cx.db.read(move |c| stats::compute(c, now)).await?))
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    api_admin_orders,
    api_admin_order,
    api_admin_order_status,
    api_admin_stats
))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![
        api_admin_orders,
        api_admin_order,
        api_admin_order_status,
        api_admin_stats
    ]
}
