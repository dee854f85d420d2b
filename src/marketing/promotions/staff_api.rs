//! The staff API for promotions (`/api/v1/admin/promotions`), with the back office's
//! permissions and checks: a request is laid over the promotion's form (times in UTC,
//! amounts in minor units, products by id) and checked by the same `form::check`.

use rocket::http::Status;
use rocket::response::status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::form::{check, Errors, PromotionForm};
use super::store::{self, Promotion, Removed};
use crate::clock::to_shop_time;
use crate::error::{AppError, AppResult};
use crate::settings;
use crate::staff::perm::{CreatePromotions, DeletePromotions, ReadPromotions, UpdatePromotions};
use crate::staff::{ApiCan, By};
use crate::web::body::Body;
use crate::web::ctx::Ctx;
use crate::web::json::{field_errors, FieldErrorBody, Invalid};

/// A promotion as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct PromotionBody {
    pub id: i64,
    pub name: String,
    /// `percent` or `amount`.
    pub kind: String,
    /// Percent off (1–100), or minor units off each unit.
    pub value: i64,
    /// `shop`, `category` (with its subcategories) or `products`.
    pub scope: String,
    pub category_id: Option<i64>,
    pub product_ids: Vec<i64>,
    /// UTC, RFC 3339: it runs from `starts_at` up to `ends_at`.
    pub starts_at: String,
    pub ends_at: String,
    pub enabled: bool,
    /// `scheduled`, `active`, `ended` or `disabled` (moved by a job every minute; prices
    /// follow the times themselves).
    pub status: String,
    pub banner: String,
    /// Set when it was deleted while orders named it: it no longer applies.
    pub archived_at: Option<String>,
}

impl From<Promotion> for PromotionBody {
    fn from(p: Promotion) -> Self {
        PromotionBody {
            id: p.id,
            name: p.name,
            kind: p.kind,
            value: p.value,
            scope: p.scope,
            category_id: p.category_id,
            product_ids: p.product_ids,
            starts_at: p.starts_at,
            ends_at: p.ends_at,
            enabled: p.enabled,
            status: p.status,
            banner: p.banner,
            archived_at: p.archived_at,
        }
    }
}

/// A promotion to create, or the fields to change (PUT: absent fields keep their value).
#[derive(Deserialize, ToSchema, Default)]
pub struct PromotionRequest {
    pub name: Option<String>,
    /// `percent` or `amount`.
    pub kind: Option<String>,
    /// Percent off (1–100), or minor units off each unit.
    pub value: Option<i64>,
    /// `shop`, `category` or `products`.
    pub scope: Option<String>,
    /// With scope `category`.
    pub category_id: Option<i64>,
    /// With scope `products`.
    pub product_ids: Option<Vec<i64>>,
    /// UTC, RFC 3339, e.g. "2026-12-24T00:00:00Z".
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
    pub banner: Option<String>,
}

type Refusal = Result<Invalid, AppError>;

/// The request over `base` (the stored promotion's form, or a blank one), as the form's
/// text; errors for what cannot even be laid over (an unknown product id, a bad time).
fn overlay(
    c: &Connection,
    req: &PromotionRequest,
    mut f: PromotionForm,
) -> AppResult<Result<PromotionForm, Errors>> {
    let cur = settings::currency(c)?;
    let offset = settings::get_i64(c, "shop.utc_offset_minutes")?;
    let mut errors = Errors::new();
    if let Some(v) = &req.name {
        f.name = v.clone();
    }
    if let Some(v) = &req.kind {
        f.kind = v.clone();
    }
    if let Some(v) = req.value {
        f.value = if f.kind == "amount" {
            if v < 0 {
                v.to_string()
            } else {
                cur.to_major(v)
            }
        } else {
            v.to_string()
        };
    }
    if let Some(v) = &req.scope {
        f.scope = v.clone();
    }
    if let Some(v) = req.category_id {
        f.category_id = v.to_string();
    }
    if let Some(ids) = &req.product_ids {
        let mut skus = Vec::new();
        for id in ids {
            match c
                .prepare_cached("SELECT sku FROM products WHERE id = ?1")?
                .query_row([id], |r| r.get::<_, String>(0))
            {
                Ok(sku) => skus.push(sku),
                Err(_) => {
                    errors.insert("product_ids", format!("There is no product {id}."));
                }
            }
        }
        f.products = skus.join(", ");
    }
    for (field, given, slot) in [
        ("starts_at", &req.starts_at, &mut f.starts_at),
        ("ends_at", &req.ends_at, &mut f.ends_at),
    ] {
        if let Some(t) = given {
            let shop = to_shop_time(t.trim(), offset);
            if shop.is_empty() {
                errors.insert(field, "Give a UTC time like 2026-12-24T00:00:00Z.".into());
            }
            *slot = shop;
        }
    }
    if let Some(v) = req.enabled {
        f.enabled = v;
    }
    if let Some(v) = &req.banner {
        f.banner = v.clone();
    }
    Ok(if errors.is_empty() {
        Ok(f)
    } else {
        Err(errors)
    })
}

/// Checks and saves in one write transaction; the saved promotion or the refusals.
async fn write(
    cx: &Ctx<'_>,
    id: Option<i64>,
    req: PromotionRequest,
    by: By,
) -> AppResult<Result<Promotion, Errors>> {
    let now = cx.clock.now_sql();
    cx.db
        .write(move |tx| {
            let cur = settings::currency(tx)?;
            let offset = settings::get_i64(tx, "shop.utc_offset_minutes")?;
            let before = id.map(|id| store::must_get(tx, id)).transpose()?;
            let base = match &before {
                Some(p) => {
                    let skus = skus(tx, &p.product_ids)?;
                    PromotionForm::of(p, &skus, cur, offset)
                }
                None => PromotionForm::blank(),
            };
            let f = match overlay(tx, &req, base)? {
                Ok(f) => f,
                Err(e) => return Ok(Err(e)),
            };
            match check(tx, &f, cur, offset)? {
                Err(mut errors) => {
                    // The API names products by id.
                    if errors.remove("products").is_some() {
                        errors.insert(
                            "product_ids",
                            "Give the ids of the products it is for.".into(),
                        );
                    }
                    Ok(Err(errors))
                }
                Ok((draft, _warnings)) => {
                    let id = store::save(tx, before.as_ref(), &draft, &by, &now)?;
                    Ok(Ok(store::must_get(tx, id)?))
                }
            }
        })
        .await
}

fn skus(c: &Connection, ids: &[i64]) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    for id in ids {
        out.push(c.query_row("SELECT sku FROM products WHERE id = ?1", [id], |r| r.get(0))?);
    }
    Ok(out)
}

/// Promotions of one status (`scheduled`, `active`, `ended`, `disabled`, `archived`), or
/// all but the archived ones.
#[utoipa::path(
    get, path = "/api/v1/admin/promotions", tag = "staff",
    params(("status" = Option<String>, Query, description = "scheduled, active, ended, disabled or archived")),
    responses(
        (status = 200, description = "The promotions, running and scheduled first", body = [PromotionBody]),
        (status = 400, description = "An unknown status", body = crate::web::json::ErrorBody),
        (status = 401, description = "No valid bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not read promotions", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/promotions?<status>")]
pub async fn api_list_promotions(
    status: Option<&str>,
    _me: ApiCan<ReadPromotions>,
    cx: Ctx<'_>,
) -> AppResult<Json<Vec<PromotionBody>>> {
    let status = status.unwrap_or("").to_string();
    if !["", "scheduled", "active", "ended", "disabled", "archived"].contains(&status.as_str()) {
        return Err(AppError::BadRequest(format!(
            "'{status}' is not a status: use scheduled, active, ended, disabled or archived."
        )));
    }
    let list = cx.db.read(move |c| store::list(c, &status)).await?;
    Ok(Json(list.into_iter().map(PromotionBody::from).collect()))
}

/// One promotion.
#[utoipa::path(
    get, path = "/api/v1/admin/promotions/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Promotion id", example = 1)),
    responses(
        (status = 200, description = "The promotion", body = PromotionBody),
        (status = 404, description = "No such promotion", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/promotions/<id>")]
pub async fn api_get_promotion(
    id: i64,
    _me: ApiCan<ReadPromotions>,
    cx: Ctx<'_>,
) -> AppResult<Json<PromotionBody>> {
    let p = cx.db.read(move |c| store::must_get(c, id)).await?;
    Ok(Json(p.into()))
}

/// Creates a promotion (enabled unless `enabled` is false).
#[utoipa::path(
    post, path = "/api/v1/admin/promotions", tag = "staff",
    request_body = PromotionRequest,
    responses(
        (status = 201, description = "Created", body = PromotionBody),
        (status = 403, description = "The role may not create promotions", body = crate::web::json::ErrorBody),
        (status = 422, description = "Fields refused, each with its message", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/promotions", data = "<req>")]
pub async fn api_create_promotion(
    req: Body<PromotionRequest>,
    me: ApiCan<CreatePromotions>,
    cx: Ctx<'_>,
) -> Result<status::Created<Json<PromotionBody>>, Refusal> {
    let by = me.by(cx.clock);
    match write(&cx, None, req.into_inner(), by).await.map_err(Err)? {
        Ok(p) => Ok(
            status::Created::new(format!("/api/v1/admin/promotions/{}", p.id)).body(Json(p.into())),
        ),
        Err(errors) => Err(Ok(field_errors(errors))),
    }
}

/// Changes the fields given; the others keep their value.
#[utoipa::path(
    put, path = "/api/v1/admin/promotions/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Promotion id", example = 1)),
    request_body = PromotionRequest,
    responses(
        (status = 200, description = "Saved", body = PromotionBody),
        (status = 404, description = "No such promotion", body = crate::web::json::ErrorBody),
        (status = 422, description = "Fields refused, each with its message", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/api/v1/admin/promotions/<id>", data = "<req>")]
pub async fn api_update_promotion(
    id: i64,
    req: Body<PromotionRequest>,
    me: ApiCan<UpdatePromotions>,
    cx: Ctx<'_>,
) -> Result<Json<PromotionBody>, Refusal> {
    let by = me.by(cx.clock);
    match write(&cx, Some(id), req.into_inner(), by)
        .await
        .map_err(Err)?
    {
        Ok(p) => Ok(Json(p.into())),
        Err(errors) => Err(Ok(field_errors(errors))),
    }
}

/// Deletes a promotion (204); one that orders were charged with is archived instead and
/// returned (200): it no longer applies, and those orders keep it.
#[utoipa::path(
    delete, path = "/api/v1/admin/promotions/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Promotion id", example = 1)),
    responses(
        (status = 200, description = "Archived (orders name it)", body = PromotionBody),
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such promotion", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/admin/promotions/<id>")]
pub async fn api_delete_promotion(
    id: i64,
    me: ApiCan<DeletePromotions>,
    cx: Ctx<'_>,
) -> AppResult<Result<Json<PromotionBody>, Status>> {
    let (by, now) = (me.by(cx.clock), cx.clock.now_sql());
    let (done, p) = cx
        .db
        .write(move |tx| {
            let done = store::remove(tx, id, &by, &now)?;
            Ok((done, store::get(tx, id)?))
        })
        .await?;
    Ok(match (done, p) {
        (Removed::Archived, Some(p)) => Ok(Json(p.into())),
        _ => Err(Status::NoContent),
    })
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    api_list_promotions,
    api_get_promotion,
    api_create_promotion,
    api_update_promotion,
    api_delete_promotion
))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![
        api_list_promotions,
        api_get_promotion,
        api_create_promotion,
        api_update_promotion,
        api_delete_promotion
    ]
}
