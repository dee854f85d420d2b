//! Checkout and orders on the JSON API (customers, bearer token). `POST /api/v1/checkout`
//! needs an `Idempotency-Key` header: the same key returns the same order. A customer only
//! ever sees their own orders; any other id is 404.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::status;
use rocket::serde::json::Json;
use rocket::{get, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access::{self, OrderHead, Viewer};
use super::place::{self, Checkout};
use super::{cancel, status as order_status};
use crate::accounts::deliver_to::{resolve_address, Book};
use crate::accounts::guard::ApiCustomer;
use crate::accounts::validate::{AddressInput, Errors};
use crate::cart::store::Owner;
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::web::base_url::BaseUrl;
use crate::web::body::Body;
use crate::web::ctx::Ctx;

/// The `Idempotency-Key` request header.
pub struct IdempotencyKey(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyKey {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.headers().get_one("Idempotency-Key") {
            Some(k) if !k.trim().is_empty() => {
                Outcome::Success(IdempotencyKey(k.trim().to_string()))
            }
            _ => {
                req.local_cache(|| {
                    crate::web::errors::FailMessage(
                        "Send an Idempotency-Key header (any unique text, e.g. a UUID) so a retried checkout cannot place two orders.".into(),
                    )
                });
                Outcome::Error((Status::BadRequest, ()))
            }
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CheckoutRequest {
    /// An address to deliver to (or `address_id` from your address book; neither for pickup).
    #[serde(default)]
    pub address: Option<AddressInput>,
    #[serde(default)]
    pub address_id: Option<i64>,
    /// `flat` or `pickup` (see /api/v1/shipping-methods).
    pub shipping_method: String,
    /// `cod`, `bank_transfer`, `bobi` or `paypal` (see /api/v1/payment-methods).
    pub payment_method: String,
    /// A voucher code (case, spaces and dashes ignored); absent for the one applied in the
    /// cart, empty for none. A code that cannot be used refuses the order (409) with the reason.
    #[serde(default)]
    pub voucher_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiOrder {
    pub id: i64,
    pub number: String,
    /// draft, pending_payment, paid, processing, shipped, delivered, cancelled, refunded.
    pub status: String,
    pub currency: String,
    pub subtotal: i64,
    /// All that came off: the promotions' part and `voucher_discount`.
    pub discount: i64,
    /// The voucher the order was charged with; empty for none.
    pub voucher_code: String,
    pub voucher_discount: i64,
    pub shipping: i64,
    pub total: i64,
    pub shipping_method: String,
    pub payment_method: String,
    pub tracking_number: String,
    /// UTC, RFC 3339.
    pub placed_at: String,
    pub lines: Vec<super::query::Line>,
    /// Each status the order has had, oldest first.
    pub history: Vec<ApiStatusChange>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiStatusChange {
    pub status: String,
    pub at: String,
}

pub fn api_order(conn: &rusqlite::Connection, o: OrderHead) -> AppResult<ApiOrder> {
    let lines = super::query::lines(conn, o.id)?;
    let history = super::query::history(conn, o.id)?
        .into_iter()
        .map(|h| ApiStatusChange {
            status: h.to_status,
            at: h.at,
        })
        .collect();
    Ok(ApiOrder {
        id: o.id,
        number: o.number,
        status: o.status,
        currency: o.currency,
        subtotal: o.subtotal,
        discount: o.discount,
        voucher_code: o.voucher_code,
        voucher_discount: o.voucher_discount,
        shipping: o.shipping,
        total: o.total,
        shipping_method: o.shipping_method,
        payment_method: o.payment_method,
        tracking_number: o.tracking_number,
        placed_at: o.placed_at,
        lines,
        history,
    })
}

type FieldRefusal = status::Custom<Json<crate::web::json::FieldErrorBody>>;

/// Places an order from your cart in one transaction; 409 with the reason when stock ran
/// out or the cart has a problem.
#[utoipa::path(post, path = "/api/v1/checkout", tag = "orders", request_body = CheckoutRequest,
    params(("Idempotency-Key" = String, Header, description = "Unique per order attempt; a retry with the same key returns the same order")),
    responses((status = 201, description = "The order", body = ApiOrder),
              (status = 200, description = "The order this key already placed", body = ApiOrder),
              (status = 400, description = "No Idempotency-Key", body = crate::web::json::ErrorBody),
              (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
              (status = 409, description = "Out of stock, or a product no longer sold", body = crate::web::json::ErrorBody),
              (status = 422, description = "A field refused (named in `fields`), or a body that does not fit", body = crate::web::json::FieldErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/checkout", data = "<body>")]
pub async fn checkout(
    me: ApiCustomer,
    key: IdempotencyKey,
    body: Body<CheckoutRequest>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> Result<status::Custom<Json<ApiOrder>>, Result<FieldRefusal, AppError>> {
    let b = body.into_inner();
    let cid = me.customer.id;
    // Neither given: the default address of the address book, if there is one.
    let book = b.address_id.map_or(Book::Default, Book::Entry);
    let (customer, pickup, typed) = (
        me.customer.clone(),
        b.shipping_method == "pickup",
        b.address.clone(),
    );
    let address = cx
        .db
        .read(move |c| {
            let mut errors = Errors::new();
            let a = resolve_address(
                c,
                Some(&customer),
                pickup,
                book,
                typed.as_ref(),
                &mut errors,
            )?;
            Ok((a, errors))
        })
        .await
        .map_err(Err)?;
    let (address, errors) = address;
    if !errors.is_empty() {
        return Err(Ok(crate::accounts::api::field_errors(errors)));
    }
    let c = Checkout {
        owner: Owner::Customer(cid),
        email: me.customer.email.clone(),
        address,
        shipping_method: b.shipping_method,
        payment_method: b.payment_method,
        voucher_code: b.voucher_code,
        idempotency_key: key.0,
        ip: Some(cx.ip),
    };
    let (s, now) = (Secret::clone(cx.secret), cx.clock.now());
    let (placed, order) = cx
        .db
        .write(move |tx| {
            let p = place::place(tx, &s, &c, &base.0, now)?;
            crate::payments::after_placed(tx, &s, p.id, &base.0, now)?;
            let o = api_order(tx, access::get(tx, p.id)?)?;
            Ok((p, o))
        })
        .await
        .map_err(Err)?;
    let code = if placed.repeated {
        Status::Ok
    } else {
        Status::Created
    };
    Ok(status::Custom(code, Json(order)))
}

/// Your orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    responses((status = 200, description = "Up to 200 orders, newest first; drafts are not listed", body = [ApiOrder]), (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/orders")]
pub async fn list(me: ApiCustomer, cx: Ctx<'_>) -> AppResult<Json<Vec<ApiOrder>>> {
    let id = me.customer.id;
    let orders = cx
        .db
        .read(move |c| {
            access::of_customer(c, id)?
                .into_iter()
                .map(|o| api_order(c, o))
                .collect::<AppResult<Vec<_>>>()
        })
        .await?;
    Ok(Json(orders))
}

/// One of your orders; 404 for any other.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path, description = "Order id", example = 1)),
    responses((status = 200, description = "The order", body = ApiOrder), (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
              (status = 404, description = "No such order of yours", body = crate::web::json::ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/orders/<id>")]
pub async fn get_order(me: ApiCustomer, id: i64, cx: Ctx<'_>) -> AppResult<Json<ApiOrder>> {
    let (viewer, s) = (Viewer::Customer(me.customer.id), Secret::clone(cx.secret));
    Ok(Json(
        cx.db
            .read(move |c| api_order(c, access::find(c, &s, id, &viewer)?))
            .await?,
    ))
}

/// Cancels your order while the cancel window is open and it is unpaid or paid; stock
/// returns. 409 with the reason otherwise.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", params(("id" = i64, Path, description = "Order id", example = 1)),
    responses((status = 200, description = "The cancelled order", body = ApiOrder), (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
              (status = 404, description = "No such order of yours", body = crate::web::json::ErrorBody),
              (status = 409, description = "The cancel window has closed, or the order is past cancelling", body = crate::web::json::ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/orders/<id>/cancel")]
pub async fn cancel_order(
    me: ApiCustomer,
    id: i64,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Json<ApiOrder>> {
    let cid = me.customer.id;
    let (s, now) = (Secret::clone(cx.secret), cx.clock.now());
    let order = cx
        .db
        .write(move |tx| {
            let o = cancel::by_buyer(
                tx,
                &s,
                id,
                &Viewer::Customer(cid),
                &order_status::actor_customer(cid),
                &base.0,
                now,
            )?;
            api_order(tx, o)
        })
        .await?;
    Ok(Json(order))
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(checkout, list, get_order, cancel_order))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![checkout, list, get_order, cancel_order]
}
