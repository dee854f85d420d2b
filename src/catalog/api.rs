//! JSON API for the catalogue: the same query as the shop pages (`q`, `category`,
//! `min_price`, `max_price`, `in_stock`, `sort`, `page`, `per_page`), prices in minor units.

use rocket::http::uri::Origin;
use rocket::serde::json::Json;
use rocket::{get, routes, State};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::cache::{CatalogCache, ProductKey};
use super::model::{media_url, ProductCard};
use super::query::CatalogQuery;
use super::tree::Tree;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::settings;
use crate::web::query;

#[derive(Serialize, ToSchema)]
pub struct CategoryRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// A product as listed.
#[derive(Serialize, ToSchema)]
pub struct ApiProduct {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub sku: String,
    /// What a unit costs now, in minor units of `currency` (cents for EUR): the running
    /// promotion's price when one applies.
    pub price: i64,
    /// The price shown struck through, in minor units, if any: the regular price under a
    /// promotion, else a former price.
    pub compare_at_price: Option<i64>,
    /// The promotion giving `price`, if one runs for this product.
    pub promotion: Option<ApiPromotion>,
    /// ISO 4217 code.
    pub currency: String,
    pub stock: i64,
    pub in_stock: bool,
    pub category: Option<CategoryRef>,
    /// URL of the main image, if any.
    pub image: Option<String>,
    /// The product's page in the shop.
    pub url: String,
}

/// A running promotion as a product shows it.
#[derive(Serialize, ToSchema)]
pub struct ApiPromotion {
    /// `percent` or `amount`.
    pub kind: String,
    /// Percent off (1–100), or minor units off each unit.
    pub value: i64,
    /// What comes off one unit, in minor units.
    pub discount: i64,
    /// When it ends (UTC, RFC 3339).
    pub ends_at: String,
}

/// One page of products.
#[derive(Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ApiProduct>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// A product with its description and all images.
#[derive(Serialize, ToSchema)]
pub struct ApiProductDetail {
    #[serde(flatten)]
    pub product: ApiProduct,
    pub description: String,
    pub images: Vec<String>,
    /// From the top-level category down to the product's own.
    pub category_path: Vec<CategoryRef>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiCategory {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Active products in this category and its subcategories.
    pub product_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<ApiCategory>,
}

/// Query parameters of `GET /api/v1/products` (also accepted by the shop pages).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ProductListParams {
    /// Full-text search over name, description and SKU.
    q: Option<String>,
    /// Category slug or id; includes its subcategories.
    category: Option<String>,
    /// Lowest price, in minor units.
    min_price: Option<i64>,
    /// Highest price, in minor units.
    max_price: Option<i64>,
    /// Only products with stock.
    in_stock: Option<bool>,
    /// relevance (default with q), newest (default without), price_asc, price_desc, name, best_selling.
    sort: Option<String>,
    /// Page number from 1 (up to 10000).
    page: Option<u32>,
    /// Products per page, 1 to 100 (default 24).
    per_page: Option<u32>,
}

fn category_ref(tree: &Tree, id: i64) -> Option<CategoryRef> {
    tree.by_id(id).map(|c| CategoryRef {
        id: c.id,
        slug: c.slug.clone(),
        name: c.name.clone(),
    })
}

fn api_product(p: &ProductCard, tree: &Tree, currency: &str) -> ApiProduct {
    ApiProduct {
        id: p.id,
        slug: p.slug.clone(),
        name: p.name.clone(),
        sku: p.sku.clone(),
        price: p.sale_price,
        compare_at_price: p.was(),
        promotion: p.promotion.as_ref().map(|o| ApiPromotion {
            kind: o.kind.as_str().into(),
            value: o.value,
            discount: p.price - p.sale_price,
            ends_at: o.ends_at.clone(),
        }),
        currency: currency.to_string(),
        stock: p.stock,
        in_stock: p.stock > 0,
        category: p.category_id.and_then(|id| category_ref(tree, id)),
        image: p.image.as_deref().map(media_url),
        url: format!("/products/{}", p.slug),
    }
}

/// List products in the shop.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalogue", params(ProductListParams),
    responses(
        (status = 200, description = "One page of active products", body = ProductPage),
        (status = 400, description = "A parameter has a bad value; the message names it", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such category", body = crate::web::json::ErrorBody),
    ))]
#[get("/api/v1/products")]
pub async fn list_products(
    uri: &Origin<'_>,
    db: &State<Db>,
    catalog: &State<CatalogCache>,
    cache: &State<settings::Cache>,
) -> AppResult<Json<ProductPage>> {
    let shop = cache.shop(db).await?;
    let mut q = CatalogQuery::parse(&query::pairs(uri), None).map_err(AppError::BadRequest)?;
    let tree = catalog.tree(db).await?;
    let ids = match q.category.take() {
        Some(key) => {
            let cat = key
                .parse::<i64>()
                .ok()
                .and_then(|id| tree.by_id(id))
                .or_else(|| tree.by_slug(&key))
                .ok_or_else(|| AppError::NotFound(format!("There is no category '{key}'.")))?;
            Some(tree.with_descendants(cat.id))
        }
        None => None,
    };
    let listing = catalog.list(db, &q, ids).await?;
    let (items, total) = (&listing.items, listing.total);
    Ok(Json(ProductPage {
        items: items
            .iter()
            .map(|p| api_product(p, &tree, shop.currency.code))
            .collect(),
        total,
        page: q.page,
        per_page: q.per_page,
    }))
}

/// One product, by numeric id or slug.
#[utoipa::path(get, path = "/api/v1/products/{id_or_slug}", tag = "catalogue",
    params(("id_or_slug" = String, Path, description = "Product id or URL slug", example = "1")),
    responses(
        (status = 200, description = "The product", body = ApiProductDetail),
        (status = 404, description = "No such product in the shop", body = crate::web::json::ErrorBody),
    ))]
#[get("/api/v1/products/<id_or_slug>")]
pub async fn get_product(
    id_or_slug: &str,
    db: &State<Db>,
    catalog: &State<CatalogCache>,
    cache: &State<settings::Cache>,
) -> AppResult<Json<ApiProductDetail>> {
    let shop = cache.shop(db).await?;
    let tree = catalog.tree(db).await?;
    let lookup = match id_or_slug.parse::<i64>() {
        Ok(id) => ProductKey::Id(id),
        Err(_) => ProductKey::Slug(id_or_slug.to_string()),
    };
    let view = catalog.product(db, lookup).await?.ok_or_else(|| {
        AppError::NotFound(format!("There is no product '{id_or_slug}' in the shop."))
    })?;
    let (d, images) = (&view.detail, &view.images);
    let path = d
        .card
        .category_id
        .map(|id| {
            tree.path(id)
                .iter()
                .filter_map(|c| category_ref(&tree, c.id))
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(ApiProductDetail {
        product: api_product(&d.card, &tree, shop.currency.code),
        description: d.description.clone(),
        images: images.iter().map(|i| media_url(&i.path)).collect(),
        category_path: path,
    }))
}

/// All categories, parents before children.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalogue",
    responses((status = 200, description = "Every category with its product count", body = CategoryList)))]
#[get("/api/v1/categories")]
pub async fn list_categories(
    db: &State<Db>,
    catalog: &State<CatalogCache>,
) -> AppResult<Json<CategoryList>> {
    let tree = catalog.tree(db).await?;
    let mut items = Vec::new();
    for top in tree.children(None) {
        for id in tree.with_descendants(top.id) {
            if let Some(c) = tree.by_id(id) {
                items.push(ApiCategory {
                    id: c.id,
                    parent_id: c.parent_id,
                    slug: c.slug.clone(),
                    name: c.name.clone(),
                    description: c.description.clone(),
                    product_count: tree.count(c.id),
                });
            }
        }
    }
    Ok(Json(CategoryList { items }))
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list_categories, list_products, get_product))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![list_products, get_product, list_categories]
}
