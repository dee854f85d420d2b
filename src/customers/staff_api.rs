//! Staff API: customers, with the back office's filters and figures (`query.rs`).

use rocket::http::uri::Origin;
use rocket::serde::json::Json;
use rocket::{get, routes, State};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::query::{self, CustomerFilter, CustomerSummary};
use crate::db::Db;
use crate::error::AppResult;
use crate::staff::perm::ReadCustomers;
use crate::staff::ApiCan;

/// Query parameters of `GET /api/v1/admin/customers` (the back-office list takes the same).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CustomerListParams {
    /// Name, email or phone (part of).
    q: Option<String>,
    /// yes or no.
    verified: Option<String>,
    /// active or deactivated.
    state: Option<String>,
    /// yes or no: has placed at least one order.
    has_orders: Option<String>,
    /// newest (default), oldest, name, email, spent, orders, last_order.
    sort: Option<String>,
    /// Page number from 1; 50 customers a page.
    page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerPage {
    pub customers: Vec<CustomerSummary>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Lists customers with their figures.
#[utoipa::path(get, path = "/api/v1/admin/customers", tag = "staff", params(CustomerListParams),
    responses(
        (status = 200, description = "One page of customers", body = CustomerPage),
        (status = 400, description = "A parameter has a bad value; the message names it", body = crate::web::json::ErrorBody),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not read customers", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = [])))]
#[get("/api/v1/admin/customers")]
pub async fn api_admin_customers(
    uri: &Origin<'_>,
    _me: ApiCan<ReadCustomers>,
    db: &State<Db>,
) -> AppResult<Json<CustomerPage>> {
    let f = CustomerFilter::parse(&crate::web::query::pairs(uri))?;
    let page = f.page;
    let (customers, total) = db.read(move |c| query::list(c, &f)).await?;
    Ok(Json(CustomerPage {
        customers,
        total,
        page,
        per_page: query::PER_PAGE,
    }))
}

/// One customer with their figures: orders_count (drafts not counted), total_spent (paid,
/// processing, shipped and delivered orders, minor units) and last_order_at.
#[utoipa::path(get, path = "/api/v1/admin/customers/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Customer id", example = 1)),
    responses(
        (status = 200, description = "The customer", body = CustomerSummary),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not read customers", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such customer", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = [])))]
#[get("/api/v1/admin/customers/<id>")]
pub async fn api_admin_customer(
    id: i64,
    _me: ApiCan<ReadCustomers>,
    db: &State<Db>,
) -> AppResult<Json<CustomerSummary>> {
    Ok(Json(db.read(move |c| query::get(c, id)).await?))
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(api_admin_customers, api_admin_customer))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![api_admin_customers, api_admin_customer]
}
