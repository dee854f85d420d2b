//! Payments on the JSON API: the methods on offer (public) and paying one's own order
//! (bearer token). The same rules as the web forms, through the same functions.

use rocket::serde::json::Json;
use rocket::{get, post, routes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::flow;
use super::offline::BankDetails;
use super::pay::{Amount, Outcome, PayRequest};
use super::store::Who;
use super::{offered, MethodInfo};
use crate::accounts::guard::ApiCustomer;
use crate::error::AppResult;
use crate::orders::access::{OrderHead, Viewer};
use crate::orders::status;
use crate::web::base_url::BaseUrl;
use crate::web::body::Body;
use crate::web::ctx::Ctx;

/// The payment methods the shop offers now; a checkout's `payment_method` is one of
/// their codes.
#[utoipa::path(
    get, path = "/api/v1/payment-methods", tag = "payments",
    responses((status = 200, description = "The methods on offer, in the shop's order", body = [MethodInfo]))
)]
#[get("/api/v1/payment-methods")]
pub async fn api_payment_methods(cx: Ctx<'_>) -> AppResult<Json<Vec<MethodInfo>>> {
    Ok(Json(cx.db.read(offered).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PayBody {
    /// The order's payment method: `cod`, `bank_transfer`, `bobi` or `paypal`.
    pub method: String,
    /// Bobi only: the order's total in minor units, typed by the buyer (1234 for 12.34).
    #[serde(default)]
    pub amount: Option<i64>,
}

/// Where a bank transfer goes.
#[derive(Serialize, ToSchema)]
pub struct BankTransfer {
    pub holder: String,
    pub iban: String,
    pub bic: String,
    pub upi_id: String,
    /// What to write as the transfer's reference.
    pub reference: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// The text of the QR code (SEPA EPC069-12 or a `upi://pay` link), if the shop shows one.
    pub qr_payload: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PayAnswer {
    pub order_id: i64,
    pub number: String,
    /// The order's status now: `paid`; `processing` (cash on delivery); or still
    /// `pending_payment` for a transfer or a PayPal payment to approve.
    pub status: String,
    pub status_label: String,
    pub message: String,
    /// PayPal: send the buyer here to approve the payment; PayPal brings them back to the
    /// shop, which captures it and marks the order paid.
    pub approve_url: Option<String>,
    /// Bank transfer: where to pay; staff mark the order paid when the money arrives.
    pub bank_transfer: Option<BankTransfer>,
}

/// Pays one of your orders with its payment method. Every attempt is recorded, refused
/// ones too. Bobi: `amount` must be exactly the order's total.
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/pay", tag = "payments",
    params(("id" = i64, Path, description = "The order's id", example = 1)),
    request_body = PayBody,
    responses(
        (status = 200, description = "Paid, or the next step to pay", body = PayAnswer),
        (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such order in your account", body = crate::web::json::ErrorBody),
        (status = 409, description = "The order is not waiting for payment (already paid, cancelled)", body = crate::web::json::ErrorBody),
        (status = 422, description = "Not the order's payment method, or not its amount (Bobi)", body = crate::web::json::ErrorBody),
        (status = 503, description = "PayPal could not be reached", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/orders/<id>/pay", data = "<body>")]
pub async fn api_pay(
    id: i64,
    body: Body<PayBody>,
    me: ApiCustomer,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Json<PayAnswer>> {
    let b = body.into_inner();
    let c = &me.customer;
    let req = PayRequest {
        method: b.method,
        amount: b.amount.map_or(Amount::None, Amount::Minor),
    };
    let who = Who::customer(c.id, &c.email, Some(cx.ip));
    let (outcome, order) = flow::pay(
        cx.db,
        cx.secret,
        id,
        Viewer::Customer(c.id),
        req,
        who,
        base.0,
        cx.clock.now(),
    )
    .await?;
    let outcome = outcome.into_error()?;
    let bank = match outcome {
        Outcome::Waiting => {
            let o = order.clone();
            Some(cx.db.read(move |c| bank_transfer(c, &o)).await?)
        }
        _ => None,
    };
    Ok(Json(PayAnswer {
        order_id: order.id,
        number: order.number.clone(),
        status_label: status::label(&order.status).into(),
        status: order.status,
        message: outcome.message(),
        approve_url: match &outcome {
            Outcome::Redirect(url) => Some(url.clone()),
            _ => None,
        },
        bank_transfer: bank,
    }))
}

fn bank_transfer(conn: &rusqlite::Connection, o: &OrderHead) -> AppResult<BankTransfer> {
    let bank = BankDetails::load(conn)?;
    Ok(BankTransfer {
        qr_payload: bank.qr_payload(o).ok().map(|(_, p)| p),
        holder: bank.holder,
        iban: bank.iban,
        bic: bank.bic,
        upi_id: bank.upi_id,
        reference: super::offline::reference(o),
        amount: o.total,
        currency: o.currency.clone(),
    })
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(api_payment_methods, api_pay))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![api_payment_methods, api_pay]
}
