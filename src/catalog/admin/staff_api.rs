//! Staff API for products (tag "staff"): list with the back office's filters, get,
//! create, update, delete (409 for a product in orders: archive it instead) and stock
//! adjustments. The same validation and storage as the web form (`product`), the same
//! permissions (`ApiCan`). Money in minor units.

use rocket::http::Status;
use rocket::response::status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::images_staff_api::ImageBody;
use super::list::{self, Filter, Row};
use super::product::{self, Errors, Product, ProductInput};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::staff::perm::{CreateProducts, DeleteProducts, ReadProducts, UpdateProducts};
use crate::staff::ApiCan;
use crate::web::body::Body;
use crate::web::ctx::Ctx;
use crate::web::json::{field_errors, FieldErrorBody, Invalid};

/// One page of the staff product list.
#[derive(Serialize, ToSchema)]
pub struct StaffProductPage {
    pub items: Vec<Row>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Serialize, ToSchema)]
pub struct ProductBody {
    #[serde(flatten)]
    pub product: Product,
    /// Ready images first, in order (the first is the main image).
    pub images: Vec<ImageBody>,
}

/// A product to create, or the fields to change (PUT: absent fields keep their value;
/// `null` clears `compare_at_price` or `category_id`).
#[derive(Deserialize, ToSchema, Default)]
pub struct ProductRequest {
    pub name: Option<String>,
    /// Empty or absent on create: made from the name.
    pub slug: Option<String>,
    pub sku: Option<String>,
    pub description: Option<String>,
    /// Minor units.
    pub price: Option<i64>,
    #[schema(value_type = Option<i64>)]
    #[serde(default, deserialize_with = "present")]
    pub compare_at_price: Option<Value>,
    pub stock: Option<i64>,
    pub low_stock_threshold: Option<i64>,
    #[schema(value_type = Option<i64>)]
    #[serde(default, deserialize_with = "present")]
    pub category_id: Option<Value>,
    /// draft (default), active or archived.
    pub status: Option<String>,
}

/// Keeps an explicit `null` apart from an absent field (serde folds both into None).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
pub struct StockRequest {
    /// Added to the stock: 10 for a delivery, -2 for breakage. Not 0.
    pub change: i64,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct StockBody {
    pub id: i64,
    pub stock: i64,
}

type Refusal = Result<Invalid, AppError>;

fn body(c: &rusqlite::Connection, p: Product) -> AppResult<ProductBody> {
    let images = super::images_staff_api::list(c, p.id)?;
    Ok(ProductBody { product: p, images })
}

/// An optional number field: absent keeps `old`, null clears, a number sets.
fn nullable(
    v: &Option<Value>,
    old: String,
    field: &'static str,
    errors: &mut Errors,
) -> Option<String> {
    match v {
        None => Some(old),
        Some(Value::Null) => Some(String::new()),
        Some(Value::Number(n)) if n.is_i64() => n.as_i64().map(|n| n.to_string()),
        Some(_) => {
            errors.insert(field, "Must be a whole number or null.".into());
            None
        }
    }
}

/// The request laid over `base` (the stored product, or defaults for a new one), as text
/// for `product::validate`.
fn overlay(
    req: &ProductRequest,
    base: ProductInput,
    cur: &crate::money::Currency,
) -> Result<ProductInput, Errors> {
    let mut errors = Errors::new();
    let money = |m: i64| {
        if m < 0 {
            m.to_string()
        } else {
            cur.to_major(m)
        }
    };
    let compare = nullable(
        &req.compare_at_price,
        base.compare_at_price.clone(),
        "compare_at_price",
        &mut errors,
    )
    .map(|t| match t.parse::<i64>() {
        Ok(m) if req.compare_at_price.is_some() => money(m),
        _ => t,
    });
    let category = nullable(
        &req.category_id,
        base.category_id.clone(),
        "category_id",
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ProductInput {
        name: req.name.clone().unwrap_or(base.name),
        slug: req.slug.clone().unwrap_or(base.slug),
        sku: req.sku.clone().unwrap_or(base.sku),
        description: req.description.clone().unwrap_or(base.description),
        price: req.price.map(money).unwrap_or(base.price),
        compare_at_price: compare.unwrap_or_default(),
        stock: req.stock.map(|s| s.to_string()).unwrap_or(base.stock),
        low_stock_threshold: req
            .low_stock_threshold
            .map(|s| s.to_string())
            .unwrap_or(base.low_stock_threshold),
        category_id: category.unwrap_or_default(),
        status: req.status.clone().unwrap_or(base.status),
        stock_was: base.stock_was,
    })
}

/// Products with the back office's filters, 50 a page by default (at most 200).
#[utoipa::path(
    get, path = "/api/v1/admin/products", tag = "staff",
    params(
        ("q" = Option<String>, Query, description = "Name or SKU contains"),
        ("status" = Option<String>, Query, description = "draft, active or archived"),
        ("category" = Option<i64>, Query, description = "Category id (with its subcategories)"),
        ("low_stock" = Option<bool>, Query, description = "Only stock at or below the product's threshold"),
        ("sort" = Option<String>, Query, description = "updated (default), newest, name, sku, price, price_desc, stock"),
        ("page" = Option<u32>, Query, description = "From 1"),
        ("per_page" = Option<u32>, Query, description = "1 to 200"),
    ),
    responses(
        (status = 200, description = "A page of products", body = StaffProductPage),
        (status = 400, description = "A bad filter value", body = crate::web::json::ErrorBody),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not read products", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[allow(clippy::too_many_arguments)]
#[get("/api/v1/admin/products?<q>&<status>&<category>&<low_stock>&<sort>&<page>&<per_page>")]
pub async fn api_list_products(
    q: Option<String>,
    status: Option<String>,
    category: Option<i64>,
    low_stock: Option<bool>,
    sort: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
    _me: ApiCan<ReadProducts>,
    cx: Ctx<'_>,
) -> AppResult<Json<StaffProductPage>> {
    let status = status.unwrap_or_default();
    if !status.is_empty() && !product::STATUSES.contains(&status.as_str()) {
        return Err(AppError::BadRequest(
            "status must be draft, active or archived".into(),
        ));
    }
    let sort = sort.unwrap_or_default();
    if !sort.is_empty() && !list::SORTS.iter().any(|s| s.0 == sort) {
        return Err(AppError::BadRequest("sort has an unknown value".into()));
    }
    let (page, per_page) = (
        page.unwrap_or(1).max(1),
        per_page.unwrap_or(list::PER_PAGE).clamp(1, 200),
    );
    let f = Filter {
        q: q.unwrap_or_default().trim().chars().take(200).collect(),
        status,
        category,
        low_stock: low_stock.unwrap_or(false),
        sort,
    };
    let (items, total) = cx
        .db
        .read(move |c| list::search(c, &f, page, Some(per_page)))
        .await?;
    Ok(Json(StaffProductPage {
        items,
        total,
        page,
        per_page,
    }))
}

/// One product, any status, with its images.
#[utoipa::path(
    get, path = "/api/v1/admin/products/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Product id", example = 1)),
    responses(
        (status = 200, description = "The product", body = ProductBody),
        (status = 404, description = "No such product", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/products/<id>")]
pub async fn api_get_product(
    id: i64,
    _me: ApiCan<ReadProducts>,
    cx: Ctx<'_>,
) -> AppResult<Json<ProductBody>> {
    Ok(Json(
        cx.db
            .read(move |c| body(c, product::must_get(c, id)?))
            .await?,
    ))
}

async fn write(
    db: &Db,
    id: Option<i64>,
    req: ProductRequest,
    by: product::By,
) -> AppResult<Result<ProductBody, Errors>> {
    let base = match id {
        Some(id) => {
            let (p, cur) = db
                .read(move |c| Ok((product::must_get(c, id)?, crate::settings::currency(c)?)))
                .await?;
            (p.as_input(cur), cur)
        }
        None => {
            let cur = db.read(crate::settings::currency).await?;
            let base = ProductInput {
                status: "draft".into(),
                stock: "0".into(),
                ..Default::default()
            };
            (base, cur)
        }
    };
    let input = match overlay(&req, base.0, base.1) {
        Ok(i) => i,
        Err(e) => return Ok(Err(e)),
    };
    match product::create_or_update(db, id, input, by).await? {
        Ok(id) => Ok(Ok(db
            .read(move |c| body(c, product::must_get(c, id)?))
            .await?)),
        Err((e, _)) => Ok(Err(e)),
    }
}

/// Creates a product (draft unless `status` says otherwise).
#[utoipa::path(
    post, path = "/api/v1/admin/products", tag = "staff",
    request_body = ProductRequest,
    responses(
        (status = 201, description = "Created", body = ProductBody),
        (status = 422, description = "Fields refused, each with its message", body = FieldErrorBody),
        (status = 403, description = "The role may not create products", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/products", data = "<req>")]
pub async fn api_create_product(
    req: Body<ProductRequest>,
    me: ApiCan<CreateProducts>,
    cx: Ctx<'_>,
) -> Result<status::Created<Json<ProductBody>>, Refusal> {
    let by = me.by(cx.clock);
    match write(cx.db, None, req.into_inner(), by)
        .await
        .map_err(Err)?
    {
        Ok(b) => Ok(
            status::Created::new(format!("/api/v1/admin/products/{}", b.product.id)).body(Json(b)),
        ),
        Err(errors) => Err(Ok(field_errors(errors))),
    }
}

/// Changes the fields given; the others keep their value.
#[utoipa::path(
    put, path = "/api/v1/admin/products/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Product id", example = 1)),
    request_body = ProductRequest,
    responses(
        (status = 200, description = "Saved", body = ProductBody),
        (status = 404, description = "No such product", body = crate::web::json::ErrorBody),
        (status = 422, description = "Fields refused, each with its message", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/api/v1/admin/products/<id>", data = "<req>")]
pub async fn api_update_product(
    id: i64,
    req: Body<ProductRequest>,
    me: ApiCan<UpdateProducts>,
    cx: Ctx<'_>,
) -> Result<Json<ProductBody>, Refusal> {
    let by = me.by(cx.clock);
    match write(cx.db, Some(id), req.into_inner(), by)
        .await
        .map_err(Err)?
    {
        Ok(b) => Ok(Json(b)),
        Err(errors) => Err(Ok(field_errors(errors))),
    }
}

/// Deletes a product no order names; one in orders answers 409: archive it instead
/// (`PUT` with `"status": "archived"`).
#[utoipa::path(
    delete, path = "/api/v1/admin/products/{id}", tag = "staff",
    params(("id" = i64, Path, description = "Product id", example = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such product", body = crate::web::json::ErrorBody),
        (status = 409, description = "The product is in orders: archive it instead", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/admin/products/<id>")]
pub async fn api_delete_product(
    id: i64,
    me: ApiCan<DeleteProducts>,
    cx: Ctx<'_>,
) -> AppResult<Status> {
    let by = me.by(cx.clock);
    let files = cx.db.write(move |tx| product::delete(tx, id, &by)).await?;
    super::form::remove_files(&cx.config.data_dir, &files);
    Ok(Status::NoContent)
}

/// Adds `change` to the stock with a reason (a stock movement); never below zero (409).
#[utoipa::path(
    post, path = "/api/v1/admin/products/{id}/stock", tag = "staff",
    params(("id" = i64, Path, description = "Product id", example = 1)),
    request_body = StockRequest,
    responses(
        (status = 200, description = "The new stock", body = StockBody),
        (status = 409, description = "It would go below zero", body = crate::web::json::ErrorBody),
        (status = 422, description = "Change 0 or no reason", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/products/<id>/stock", data = "<req>")]
pub async fn api_adjust_stock(
    id: i64,
    req: Body<StockRequest>,
    me: ApiCan<UpdateProducts>,
    cx: Ctx<'_>,
) -> Result<Json<StockBody>, Refusal> {
    let (delta, reason) = super::stock::check(&req.change.to_string(), &req.reason)
        .map_err(|e| Ok(field_errors(e)))?;
    let by = me.by(cx.clock);
    let stock = cx
        .db
        .write(move |tx| product::adjust_stock(tx, id, delta, &reason, &by))
        .await
        .map_err(Err)?;
    Ok(Json(StockBody { id, stock }))
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    api_list_products,
    api_get_product,
    api_create_product,
    api_update_product,
    api_delete_product,
    api_adjust_stock
))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![
        api_list_products,
        api_get_product,
        api_create_product,
        api_update_product,
        api_delete_product,
        api_adjust_stock
    ]
}
