//! The cart on the JSON API (customers, bearer token): read it priced, add, change and
//! remove lines, apply or remove a voucher code, and the shipping methods on offer. Stock
//! refusals answer 409 with the same sentence as the shop.

use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pricing::{apply_voucher, quote, Quote};
use super::shipping::ShippingMethod;
use super::store::{self, Owner};
use crate::accounts::guard::ApiCustomer;
use crate::db::Db;
use crate::error::AppResult;
use crate::settings;
use crate::web::body::Body;
use crate::web::ctx::Ctx;
use time::OffsetDateTime;

#[derive(Serialize, ToSchema)]
pub struct ApiCartLine {
    pub product_id: i64,
    pub name: String,
    pub sku: String,
    /// Minor units.
    pub unit_price: i64,
    pub quantity: i64,
    pub discount: i64,
    pub line_total: i64,
    /// Units in stock now.
    pub available: i64,
    /// Why this line blocks checkout, if it does.
    pub problem: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiCart {
    pub items: Vec<ApiCartLine>,
    /// The lines at their list prices.
    pub subtotal: i64,
    /// What promotions take off the lines.
    pub discount: i64,
    /// The voucher code applied (normalised); empty for none.
    pub voucher_code: String,
    /// What the voucher takes off the subtotal after promotions.
    pub voucher_discount: i64,
    /// Why the applied voucher cannot be used now, if it cannot (it blocks checkout).
    pub voucher_problem: Option<String>,
    /// What the goods cost: subtotal − discount − voucher_discount (shipping comes on top).
    pub goods_total: i64,
    /// ISO 4217.
    pub currency: String,
    /// Every reason the cart cannot be checked out now.
    pub problems: Vec<String>,
}

fn to_api(q: Quote, currency: &str) -> ApiCart {
    let problems = q.problems();
    ApiCart {
        items: q
            .lines
            .into_iter()
            .map(|l| ApiCartLine {
                product_id: l.product_id,
                name: l.name,
                sku: l.sku,
                unit_price: l.unit_price,
                quantity: l.quantity,
                discount: l.discount,
                line_total: l.line_total,
                available: l.available,
                problem: l.problem,
            })
            .collect(),
        subtotal: q.subtotal,
        discount: q.discount,
        voucher_discount: q.voucher_discount,
        goods_total: q.subtotal - q.discount - q.voucher_discount,
        voucher_code: q.voucher_code,
        voucher_problem: q.voucher_problem,
        currency: currency.to_string(),
        problems,
    }
}

/// The customer's cart priced now, with the shop's currency.
async fn customer_quote(
    db: &Db,
    customer_id: i64,
    now: OffsetDateTime,
) -> AppResult<(Quote, &'static str)> {
    db.read(move |c| {
        let (cur, owner) = (settings::currency(c)?, Owner::Customer(customer_id));
        let money = |m| cur.format(m);
        let mut q = quote(c, &store::items_of(c, &owner)?, None, &money, now)?;
        let code = store::voucher_code(c, &owner)?;
        apply_voucher(c, &mut q, &code, Some(customer_id), &money, now)?;
        Ok((q, cur.code))
    })
    .await
}

/// The customer's cart priced now (also after every change).
pub async fn priced_cart(db: &Db, customer_id: i64, now: OffsetDateTime) -> AppResult<ApiCart> {
    let (q, currency) = customer_quote(db, customer_id, now).await?;
    Ok(to_api(q, currency))
}

/// Your cart, priced from the shop's current prices and stock.
#[utoipa::path(get, path = "/api/v1/cart", tag = "cart",
    responses((status = 200, description = "The cart, priced now", body = ApiCart), (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/cart")]
pub async fn get_cart(me: ApiCustomer, cx: Ctx<'_>) -> AppResult<Json<ApiCart>> {
    Ok(Json(
        priced_cart(cx.db, me.customer.id, cx.clock.now()).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct AddItem {
    pub product_id: i64,
    /// 1 to 999; added to what the cart already has.
    pub quantity: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct SetQuantity {
    /// 1 to 999.
    pub quantity: i64,
}

/// Adds a product (quantities add up); refused with 409 when the stock is short.
#[utoipa::path(post, path = "/api/v1/cart/items", tag = "cart", request_body = AddItem,
    responses((status = 200, description = "The cart with the product added", body = ApiCart), (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
              (status = 404, description = "No such product for sale", body = crate::web::json::ErrorBody),
              (status = 409, description = "Not enough stock, or the cart already has 100 lines", body = crate::web::json::ErrorBody),
              (status = 422, description = "Quantity out of range, or a body that does not fit", body = crate::web::json::FieldErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/cart/items", data = "<body>")]
pub async fn add_item(
    me: ApiCustomer,
    body: Body<AddItem>,
    cx: Ctx<'_>,
) -> AppResult<Json<ApiCart>> {
    let (id, now) = (me.customer.id, cx.clock.now());
    let AddItem {
        product_id,
        quantity,
    } = body.into_inner();
    cx.db
        .write(move |tx| store::add(tx, &Owner::Customer(id), product_id, quantity, now))
        .await?;
    Ok(Json(priced_cart(cx.db, id, now).await?))
}

/// Sets a line's quantity; refused with 409 when the stock is short.
#[utoipa::path(put, path = "/api/v1/cart/items/{product_id}", tag = "cart", request_body = SetQuantity,
    params(("product_id" = i64, Path, description = "Product id", example = 1)),
    responses((status = 200, description = "The cart with the new quantity", body = ApiCart), (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
              (status = 404, description = "No such product for sale", body = crate::web::json::ErrorBody),
              (status = 409, description = "Not enough stock", body = crate::web::json::ErrorBody),
              (status = 422, description = "Quantity out of range, or a body that does not fit", body = crate::web::json::FieldErrorBody)),
    security(("bearer" = [])))]
#[put("/api/v1/cart/items/<product_id>", data = "<body>")]
pub async fn set_item(
    me: ApiCustomer,
    product_id: i64,
    body: Body<SetQuantity>,
    cx: Ctx<'_>,
) -> AppResult<Json<ApiCart>> {
    let (id, now, qty) = (me.customer.id, cx.clock.now(), body.quantity);
    cx.db
        .write(move |tx| store::set_quantity(tx, &Owner::Customer(id), product_id, qty, now))
        .await?;
    Ok(Json(priced_cart(cx.db, id, now).await?))
}

/// Removes a line.
#[utoipa::path(delete, path = "/api/v1/cart/items/{product_id}", tag = "cart",
    params(("product_id" = i64, Path, description = "Product id", example = 1)),
    responses((status = 200, description = "The cart without that line (unchanged if it was not there)", body = ApiCart), (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody)),
    security(("bearer" = [])))]
#[delete("/api/v1/cart/items/<product_id>")]
pub async fn remove_item(
    me: ApiCustomer,
    product_id: i64,
    cx: Ctx<'_>,
) -> AppResult<Json<ApiCart>> {
    let (id, now) = (me.customer.id, cx.clock.now());
    cx.db
        .write(move |tx| store::remove(tx, &Owner::Customer(id), product_id, now))
        .await?;
    Ok(Json(priced_cart(cx.db, id, now).await?))
}

/// The shipping methods on offer, priced for your cart (free delivery above the threshold).
#[utoipa::path(get, path = "/api/v1/shipping-methods", tag = "cart",
    responses((status = 200, description = "The methods on offer, priced for the cart", body = [ShippingMethod]), (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/shipping-methods")]
pub async fn shipping_methods(
    me: ApiCustomer,
    cx: Ctx<'_>,
) -> AppResult<Json<Vec<ShippingMethod>>> {
    let (q, _) = customer_quote(cx.db, me.customer.id, cx.clock.now()).await?;
    Ok(Json(q.shipping_methods))
}

#[derive(Deserialize, ToSchema)]
pub struct ApplyVoucher {
    /// Case, spaces and dashes are ignored.
    pub voucher_code: String,
}

/// Applies a voucher code to your cart once it can be used on it now; 422 with the reason
/// ("This voucher expired on 3 May.", "… already used on order 2026-001042.") when not.
#[utoipa::path(put, path = "/api/v1/cart/voucher", tag = "cart", request_body = ApplyVoucher,
    responses((status = 200, description = "The cart with the voucher", body = ApiCart), (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
              (status = 422, description = "The voucher cannot be used, with the reason, or a body that does not fit", body = crate::web::json::ErrorBody)),
    security(("bearer" = [])))]
#[put("/api/v1/cart/voucher", data = "<body>")]
pub async fn apply_voucher_code(
    me: ApiCustomer,
    body: Body<ApplyVoucher>,
    cx: Ctx<'_>,
) -> AppResult<Json<ApiCart>> {
    let (id, now, code) = (
        me.customer.id,
        cx.clock.now(),
        body.into_inner().voucher_code,
    );
    if code.trim().is_empty() {
        return Err(crate::error::AppError::Invalid(
            "Give the voucher code to apply (DELETE removes one).".into(),
        ));
    }
    cx.db
        .write(move |tx| {
            let cur = settings::currency(tx)?;
            store::apply_voucher(tx, &Owner::Customer(id), &code, &|m| cur.format(m), now)
        })
        .await?;
    Ok(Json(priced_cart(cx.db, id, now).await?))
}

/// Removes the voucher from your cart.
#[utoipa::path(delete, path = "/api/v1/cart/voucher", tag = "cart",
    responses((status = 200, description = "The cart without a voucher", body = ApiCart), (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody)),
    security(("bearer" = [])))]
#[delete("/api/v1/cart/voucher")]
pub async fn remove_voucher(me: ApiCustomer, cx: Ctx<'_>) -> AppResult<Json<ApiCart>> {
    let (id, now) = (me.customer.id, cx.clock.now());
    cx.db
        .write(move |tx| store::set_voucher(tx, &Owner::Customer(id), "", now))
        .await?;
    Ok(Json(priced_cart(cx.db, id, now).await?))
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    get_cart,
    add_item,
    set_item,
    remove_item,
    apply_voucher_code,
    remove_voucher,
    shipping_methods
))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![
        get_cart,
        add_item,
        set_item,
        remove_item,
        apply_voucher_code,
        remove_voucher,
        shipping_methods
    ]
}
