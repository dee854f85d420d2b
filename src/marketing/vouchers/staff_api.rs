//! The staff API for vouchers (`/api/v1/admin/vouchers`), with the back office's
//! permissions and checks: a request is laid over the voucher's form (amounts in minor
//! units, days in shop time, the customer by id) and checked by the same `form::check`.

use rocket::http::Status;
use rocket::response::status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::form::{check, Errors, VoucherForm};
use super::rule::Voucher;
use super::store::{self, Filter};
use crate::error::{AppError, AppResult};
use crate::settings;
use crate::staff::perm::{CreateVouchers, DeleteVouchers, ReadVouchers, UpdateVouchers};
use crate::staff::{ApiCan, By};
use crate::web::body::Body;
use crate::web::ctx::Ctx;
use crate::web::json::{field_errors, FieldErrorBody, Invalid};

/// A voucher as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct VoucherBody {
    pub id: i64,
    pub code: String,
    /// The one customer who may use it; null for anyone.
    pub customer_id: Option<i64>,
    /// `percent` or `amount`.
    pub kind: String,
    /// Percent off (1–100), or minor units off the subtotal after promotions.
    pub value: i64,
    /// Minor units; the subtotal after promotions must reach it.
    pub min_subtotal: i64,
    /// UTC, RFC 3339: valid from `valid_from` up to (not including) `valid_to`.
    pub valid_from: String,
    pub valid_to: String,
    pub note: String,
    /// `usable`, `scheduled`, `used` or `expired`.
    pub state: String,
    /// The order that used it.
    pub order_id: Option<i64>,
    pub order_number: Option<String>,
    pub used_at: Option<String>,
    pub created_at: String,
}

fn body(v: Voucher, now: &str) -> VoucherBody {
    VoucherBody {
        state: v.state(now).into(),
        id: v.id,
        code: v.code,
        customer_id: v.customer_id,
        kind: v.kind.as_str().into(),
        value: v.value,
        min_subtotal: v.min_subtotal,
        valid_from: v.valid_from,
        valid_to: v.valid_to,
        note: v.note,
        order_id: v.order_id,
        order_number: v.order_number,
        used_at: v.used_at,
        created_at: v.created_at,
    }
}

/// Present (even as null) is Some: null sets "anyone", absent keeps.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// A voucher to create, or the fields to change (PUT: absent fields keep their value).
#[derive(Deserialize, ToSchema, Default)]
pub struct VoucherRequest {
    /// Absent or empty on create: one is generated. Case, spaces and dashes are ignored.
    pub code: Option<String>,
    /// The customer who may use it; null for anyone.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub customer_id: Option<Option<i64>>,
    /// `percent` or `amount`.
    pub kind: Option<String>,
    /// Percent off (1–100), or minor units off.
    pub value: Option<i64>,
    /// Minor units; 0 for no minimum.
    pub min_subtotal: Option<i64>,
    /// Shop days, "YYYY-MM-DD", both included (default: today for 30 days).
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub note: Option<String>,
}

type Refusal = Result<Invalid, AppError>;

/// The request over `f` (the stored voucher's form, or a blank one), as the form's text.
fn overlay(
    c: &Connection,
    req: &VoucherRequest,
    mut f: VoucherForm,
) -> AppResult<Result<VoucherForm, Errors>> {
    let cur = settings::currency(c)?;
    let mut errors = Errors::new();
    if let Some(v) = &req.code {
        f.code = v.clone();
    }
    if let Some(customer) = req.customer_id {
        f.customer = match customer {
            None => String::new(),
            Some(id) => {
                let email: Option<String> = c
                    .prepare_cached(
                        "SELECT email FROM customers WHERE id = ?1 AND deleted_at IS NULL",
                    )?
                    .query_row([id], |r| r.get(0))
                    .optional()?;
                match email {
                    Some(e) => e,
                    None => {
                        errors.insert("customer_id", format!("There is no customer {id}."));
                        String::new()
                    }
                }
            }
        };
    }
    if let Some(v) = &req.kind {
        f.kind = v.clone();
    }
    let money = |v: i64| {
        if v < 0 {
            v.to_string()
        } else {
            cur.to_major(v)
        }
    };
    if let Some(v) = req.value {
        f.value = if f.kind == "amount" {
            money(v)
        } else {
            v.to_string()
        };
    }
    if let Some(v) = req.min_subtotal {
        f.min_subtotal = money(v);
    }
    if let Some(v) = &req.valid_from {
        f.valid_from = v.clone();
    }
    if let Some(v) = &req.valid_until {
        f.valid_until = v.clone();
    }
    if let Some(v) = &req.note {
        f.note = v.clone();
    }
    Ok(if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    })
}

/// Checks and saves in one write transaction; the saved voucher or the refusals.
async fn write(
    cx: &Ctx<'_>,
    id: Option<i64>,
    req: VoucherRequest,
    by: By,
) -> AppResult<Result<Voucher, Errors>> {
    let now = cx.clock.now_sql();
    cx.db
        .write(move |tx| {
            let cur = settings::currency(tx)?;
            let offset = settings::get_i64(tx, "shop.utc_offset_minutes")?;
            let before = id.map(|id| store::must_get(tx, id)).transpose()?;
            let base = match &before {
                Some(v) => VoucherForm::of(v, cur, offset),
                None => {
                    let today = crate::clock::to_shop_time(&now, offset);
                    VoucherForm::blank(today.get(..10).unwrap_or(""))
                }
            };
            let f = match overlay(tx, &req, base)? {
                Ok(f) => f,
                Err(e) => return Ok(Err(e)),
            };
            match check(tx, &f, id, cur, offset)? {
                Err(mut errors) => {
                    // The API names the customer by id.
                    if let Some(why) = errors.remove("customer") {
                        errors.insert("customer_id", why);
                    }
                    Ok(Err(errors))
                }
                Ok((draft, _warnings)) => {
                    let id = store::save(tx, before.as_ref(), &draft, &by)?;
                    Ok(Ok(store::must_get(tx, id)?))
                }
            }
        })
        .await
}

#[derive(Serialize, ToSchema)]
pub struct VoucherPage {
    pub vouchers: Vec<VoucherBody>,
    /// How many match the filters.
    pub total: i64,
    pub page: i64,
}

/// Vouchers, newest first, 100 a page, filtered by state, customer and part of the code.
#[utoipa::path(
    get, path = "/api/v1/admin/vouchers", tag = "staff",
    params(
        ("state" = Option<String>, Query, description = "unused, used or expired"),
        ("customer_id" = Option<i64>, Query, description = "Only this customer's"),
        ("code" = Option<String>, Query, description = "Part of the code"),
        ("page" = Option<i64>, Query, description = "From 1"),
    ),
    responses(
        (status = 200, description = "A page of vouchers", body = VoucherPage),
        (status = 400, description = "An unknown state or a bad page", body = crate::web::json::ErrorBody),
        (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not read vouchers", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/vouchers?<state>&<customer_id>&<code>&<page>")]
pub async fn api_list_vouchers(
    state: Option<&str>,
    customer_id: Option<i64>,
    code: Option<&str>,
    page: Option<i64>,
    _me: ApiCan<ReadVouchers>,
    cx: Ctx<'_>,
) -> AppResult<Json<VoucherPage>> {
    let state = state.unwrap_or("").to_string();
    if !["", "unused", "used", "expired"].contains(&state.as_str()) {
        return Err(AppError::BadRequest(format!(
            "'{state}' is not a state: use unused, used or expired."
        )));
    }
    let page = page.unwrap_or(1);
    if !(1..=100_000).contains(&page) {
        return Err(AppError::BadRequest(
            "page is a whole number from 1 to 100000.".into(),
        ));
    }
    let f = Filter {
        state,
        customer_id,
        code: super::code::normalise(code.unwrap_or("")),
    };
    let now = cx.clock.now_sql();
    let n = now.clone();
    let (list, total) = cx
        .db
        .read(move |c| store::list(c, &f, &n, 100, (page - 1) * 100))
        .await?;
    Ok(Json(VoucherPage {
        vouchers: list.into_iter().map(|v| body(v, &now)).collect(),
        total,
        page,
    }))
}

/// One voucher.
#[utoipa::path(
    get, path = "/api/v1/admin/vouchers/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Voucher id", example = 1)),
    responses(
        (status = 200, description = "The voucher", body = VoucherBody),
        (status = 404, description = "No such voucher", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/vouchers/<id>")]
pub async fn api_get_voucher(
    id: i64,
    _me: ApiCan<ReadVouchers>,
    cx: Ctx<'_>,
) -> AppResult<Json<VoucherBody>> {
    let v = cx.db.read(move |c| store::must_get(c, id)).await?;
    Ok(Json(body(v, &cx.clock.now_sql())))
}

/// Creates a voucher (a code is generated when none is given).
#[utoipa::path(
    post, path = "/api/v1/admin/vouchers", tag = "staff",
    request_body = VoucherRequest,
    responses(
        (status = 201, description = "Created", body = VoucherBody),
        (status = 403, description = "The role may not create vouchers", body = crate::web::json::ErrorBody),
        (status = 422, description = "Fields refused, each with its message", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/vouchers", data = "<req>")]
pub async fn api_create_voucher(
    req: Body<VoucherRequest>,
    me: ApiCan<CreateVouchers>,
    cx: Ctx<'_>,
) -> Result<status::Created<Json<VoucherBody>>, Refusal> {
    let by = me.by(cx.clock);
    match write(&cx, None, req.into_inner(), by).await.map_err(Err)? {
        Ok(v) => Ok(
            status::Created::new(format!("/api/v1/admin/vouchers/{}", v.id))
                .body(Json(body(v, &cx.clock.now_sql()))),
        ),
        Err(errors) => Err(Ok(field_errors(errors))),
    }
}

/// Changes the fields given; the others keep their value. A used voucher cannot change.
#[utoipa::path(
    put, path = "/api/v1/admin/vouchers/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Voucher id", example = 1)),
    request_body = VoucherRequest,
    responses(
        (status = 200, description = "Saved", body = VoucherBody),
        (status = 404, description = "No such voucher", body = crate::web::json::ErrorBody),
        (status = 409, description = "The voucher was used", body = crate::web::json::ErrorBody),
        (status = 422, description = "Fields refused, each with its message", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/api/v1/admin/vouchers/<id>", data = "<req>")]
pub async fn api_update_voucher(
    id: i64,
    req: Body<VoucherRequest>,
    me: ApiCan<UpdateVouchers>,
    cx: Ctx<'_>,
) -> Result<Json<VoucherBody>, Refusal> {
    let by = me.by(cx.clock);
    match write(&cx, Some(id), req.into_inner(), by)
        .await
        .map_err(Err)?
    {
        Ok(v) => Ok(Json(body(v, &cx.clock.now_sql()))),
        Err(errors) => Err(Ok(field_errors(errors))),
    }
}

/// Deletes an unused voucher (204); a used one is kept with its order (409).
#[utoipa::path(
    delete, path = "/api/v1/admin/vouchers/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Voucher id", example = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such voucher", body = crate::web::json::ErrorBody),
        (status = 409, description = "The voucher was used", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/admin/vouchers/<id>")]
pub async fn api_delete_voucher(
    id: i64,
    me: ApiCan<DeleteVouchers>,
    cx: Ctx<'_>,
) -> AppResult<Status> {
    let by = me.by(cx.clock);
    cx.db.write(move |tx| store::remove(tx, id, &by)).await?;
    Ok(Status::NoContent)
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    api_list_vouchers,
    api_get_voucher,
    api_create_voucher,
    api_update_voucher,
    api_delete_voucher
))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![
        api_list_vouchers,
        api_get_voucher,
        api_create_voucher,
        api_update_voucher,
        api_delete_voucher
    ]
}
