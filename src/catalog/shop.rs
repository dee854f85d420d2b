//! Storefront pages: the catalogue (home, category, search) and the product page.

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::{get, routes, State};
use serde_json::{json, Value};

use super::model::{media_url, stock_status, ProductCard};
use super::query::{CatalogQuery, Sort, PER_PAGE_CHOICES};
use std::sync::Arc;

use super::cache::{fill_holes, CatalogCache, Offers, ProductKey, CSRF_HOLE};
use super::tree::Tree;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::web::page::Page;
use crate::web::templates::Templates;
use crate::web::{pagination, query};

/// Category navigation for every storefront page: top level with their children.
pub fn nav(tree: &Tree, active: &[i64]) -> Vec<Value> {
    tree.children(None)
        .map(|c| {
            let children: Vec<Value> = tree
                .children(Some(c.id))
                .map(|s| json!({ "name": s.name, "url": format!("/categories/{}", s.slug), "count": tree.count(s.id), "active": active.contains(&s.id) }))
                .collect();
            json!({ "name": c.name, "url": format!("/categories/{}", c.slug), "count": tree.count(c.id), "active": active.contains(&c.id), "children": children })
        })
        .collect()
}

/// The storefront's base context: page basics plus category navigation and search box.
pub fn context(page: &Page, tree: &Tree, active: &[i64], q: &str) -> tera::Context {
    let mut ctx = page.context();
    ctx.insert("nav", &nav(tree, active));
    ctx.insert("q", q);
    ctx.insert("account_url", "/account");
    ctx
}

/// The banners of the running promotions that have one (oldest first).
fn banners(offers: &Offers) -> Vec<String> {
    offers
        .list
        .iter()
        .filter(|o| !o.banner.is_empty())
        .map(|o| o.banner.clone())
        .collect()
}

pub fn card_json(page: &Page, tree: &Tree, p: &ProductCard) -> Value {
    let (stock_label, stock_class) = stock_status(p.stock, p.low_stock_threshold);
    json!({
        "name": p.name,
        "url": format!("/products/{}", p.slug),
        "image_url": p.thumb.as_deref().map(media_url).unwrap_or_default(),
        "price_label": page.money(p.sale_price),
        "compare_label": p.was().map(|c| page.money(c)).unwrap_or_default(),
        "badge": p.badge(&|m| page.money(m)).unwrap_or_default(),
        "stock_label": stock_label,
        "stock_class": stock_class,
        "category_name": p.category_id.and_then(|id| tree.by_id(id)).map(|c| c.name.clone()).unwrap_or_default(),
    })
}

/// The page cache key: what the page shows, the shop settings every page shows, and the
/// template files (which change under a debug build). None when the page carries
/// something for this visitor only (a flash message).
fn cache_key(page: &Page, what: &str) -> Option<String> {
    page.flash.is_none().then(|| {
        let files = crate::web::templates::fingerprint();
        format!(
            "{what}|{}|{}|{files:x}",
            page.shop.name, page.shop.currency.code
        )
    })
}

async fn cached(
    page: &Page,
    db: &Db,
    catalog: &CatalogCache,
    key: &Option<String>,
) -> AppResult<Option<RawHtml<String>>> {
    let Some(key) = key else { return Ok(None) };
    Ok(catalog
        .page(db, key)
        .await?
        .map(|html| RawHtml(fill_holes(&html, &page.csrf))))
}

/// Renders the page; keeps it for the next visitor when it has nothing personal, with the
/// CSRF token left as a hole.
fn finish(
    page: &Page,
    catalog: &CatalogCache,
    tpl: &Templates,
    name: &str,
    mut ctx: tera::Context,
    key: Option<String>,
    revs: &[i64],
) -> AppResult<RawHtml<String>> {
    let Some(key) = key else {
        return tpl.page(name, &ctx);
    };
    ctx.insert("csrf", CSRF_HOLE);
    let html = Arc::new(tpl.render(name, &ctx)?);
    catalog.store_page(key, revs, html.clone());
    Ok(RawHtml(fill_holes(&html, &page.csrf)))
}

fn breadcrumbs(tree: &Tree, category: Option<i64>) -> Vec<Value> {
    let mut crumbs = vec![json!({ "name": "Home", "url": "/" })];
    if let Some(id) = category {
        crumbs.extend(
            tree.path(id)
                .iter()
                .map(|c| json!({ "name": c.name, "url": format!("/categories/{}", c.slug) })),
        );
    }
    crumbs
}

async fn catalog_page(
    path: &str,
    category_slug: Option<&str>,
    uri: &Origin<'_>,
    page: Page,
    db: &Db,
    catalog: &CatalogCache,
    tpl: &Templates,
) -> AppResult<RawHtml<String>> {
    let q = CatalogQuery::parse(&query::pairs(uri), Some(page.shop.currency))
        .map_err(AppError::BadRequest)?;
    let key = cache_key(&page, &format!("{path}|{category_slug:?}|{q:?}"));
    if let Some(html) = cached(&page, db, catalog, &key).await? {
        return Ok(html);
    }
    let tree = catalog.tree(db).await?;
    let slug = category_slug.map(String::from).or(q.category.clone());
    let category = match &slug {
        Some(s) => Some(tree.by_slug(s).ok_or_else(|| {
            AppError::NotFound(format!("There is no category '{s}' in this shop."))
        })?),
        None => None,
    };
    let ids = category.map(|c| tree.with_descendants(c.id));
    let listing = catalog.list(db, &q, ids).await?;
    let offers = catalog.offers(db).await?;
    let (items, total) = (&listing.items, listing.total);

    let base = path.to_string();
    let active: Vec<i64> = category
        .map(|c| tree.path(c.id).iter().map(|x| x.id).collect())
        .unwrap_or_default();
    let mut ctx = context(&page, &tree, &active, &q.q);
    ctx.insert("banners", &banners(&offers));

    let heading = match (category, q.q.is_empty()) {
        (_, false) => format!("Results for “{}”", q.q),
        (Some(c), true) => c.name.clone(),
        (None, true) if path == "/search" => "Search".to_string(),
        (None, true) => "All products".to_string(),
    };
    ctx.insert("heading", &heading);
    ctx.insert(
        "intro",
        &category.map(|c| c.description.clone()).unwrap_or_default(),
    );
    ctx.insert(
        "breadcrumbs",
        &if category.is_some() || !q.q.is_empty() {
            breadcrumbs(&tree, category.map(|c| c.id))
        } else {
            Vec::new()
        },
    );
    let cards: Vec<Value> = items.iter().map(|p| card_json(&page, &tree, p)).collect();
    ctx.insert("products", &cards);

    let first = q.offset() as u64 + 1;
    let last = q.offset() as u64 + items.len() as u64;
    ctx.insert(
        "range_label",
        &match total {
            0 => "No products found".to_string(),
            1 => "1 product".to_string(),
            _ if items.is_empty() => format!("{total} products"),
            _ => format!("Showing {first}–{last} of {total} products"),
        },
    );
    let pages = total.div_ceil(q.per_page as u64);
    let notice = match (total > 0 && items.is_empty(), pages) {
        (false, _) => String::new(),
        (true, 1) => "That page is past the end of the results: there is only 1 page.".to_string(),
        (true, n) => format!("That page is past the end of the results: there are only {n} pages."),
    };
    ctx.insert("notice", &notice);
    let empty = if !items.is_empty() {
        String::new()
    } else if total > 0 {
        "Use the page links below to go back.".to_string()
    } else if !q.q.is_empty() && super::query::fts_expression(&q.q).is_none() {
        "Type a word to search for — punctuation alone matches nothing.".to_string()
    } else if path == "/search" && q.q.is_empty() {
        "Type what you are looking for in the search box above.".to_string()
    } else if q.min_price.is_some() || q.max_price.is_some() || q.in_stock || !q.q.is_empty() {
        "No products match these filters. Try clearing some of them.".to_string()
    } else {
        "There are no products here yet.".to_string()
    };
    ctx.insert("empty_message", &empty);

    let cur = page.shop.currency;
    ctx.insert(
        "form",
        &json!({
            "action": base,
            "q": q.q,
            "category": q.category.clone().unwrap_or_default(),
            "min": q.min_price.map(|v| cur.to_major(v)).unwrap_or_default(),
            "max": q.max_price.map(|v| cur.to_major(v)).unwrap_or_default(),
            "in_stock": q.in_stock,
            "sort": q.sort.as_str(),
            "per_page": q.per_page,
        }),
    );
    let sorts: Vec<Value> = Sort::ALL
        .iter()
        .filter(|s| **s != Sort::Relevance || !q.q.is_empty())
        .map(|s| json!({ "value": s.as_str(), "label": s.label(), "selected": *s == q.sort }))
        .collect();
    ctx.insert("sort_options", &sorts);
    let per: Vec<Value> = PER_PAGE_CHOICES
        .iter()
        .map(|n| json!({ "value": n, "selected": *n == q.per_page }))
        .collect();
    ctx.insert("per_page_options", &per);
    ctx.insert("sidebar_categories", &nav(&tree, &active));
    ctx.insert(
        "clear_url",
        &query::url(
            &base,
            &[
                ("q", q.q.clone()),
                ("category", q.category.clone().unwrap_or_default()),
            ],
        ),
    );
    ctx.insert(
        "pagination",
        &pagination::build(q.page, q.per_page, total, |n| {
            query::url(&base, &q.link_params(Some(n)))
        }),
    );
    finish(
        &page,
        catalog,
        tpl,
        "storefront/catalog.html.tera",
        ctx,
        key,
        &[tree.rev, listing.rev, offers.rev],
    )
}

#[get("/")]
async fn home(
    uri: &Origin<'_>,
    page: Page,
    db: &State<Db>,
    catalog: &State<CatalogCache>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    catalog_page("/", None, uri, page, db, catalog, tpl).await
}

#[get("/search")]
async fn search(
    uri: &Origin<'_>,
    page: Page,
    db: &State<Db>,
    catalog: &State<CatalogCache>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    catalog_page("/search", None, uri, page, db, catalog, tpl).await
}

#[get("/categories/<slug>")]
async fn category(
    slug: &str,
    uri: &Origin<'_>,
    page: Page,
    db: &State<Db>,
    catalog: &State<CatalogCache>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let path = format!("/categories/{slug}");
    catalog_page(&path, Some(slug), uri, page, db, catalog, tpl).await
}

#[get("/products/<slug>?<image>")]
async fn product(
    slug: &str,
    image: Option<usize>,
    page: Page,
    db: &State<Db>,
    catalog: &State<CatalogCache>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let key = cache_key(&page, &format!("product|{slug}|{image:?}"));
    if let Some(html) = cached(&page, db, catalog, &key).await? {
        return Ok(html);
    }
    let tree = catalog.tree(db).await?;
    let view = catalog
        .product(db, ProductKey::Slug(slug.to_string()))
        .await?
        .ok_or_else(|| AppError::NotFound("This product is not in the shop (any more). It may have been renamed or taken off sale.".into()))?;
    let (d, images) = (&view.detail, &view.images);
    let p = &d.card;
    let active: Vec<i64> = p
        .category_id
        .map(|id| tree.path(id).iter().map(|c| c.id).collect())
        .unwrap_or_default();
    let offers = catalog.offers(db).await?;
    let mut ctx = context(&page, &tree, &active, "");
    ctx.insert("banners", &banners(&offers));
    let mut crumbs = breadcrumbs(&tree, p.category_id);
    crumbs.push(json!({ "name": p.name, "url": format!("/products/{}", p.slug) }));
    ctx.insert("breadcrumbs", &crumbs);
    let (stock_label, stock_class) = stock_status(p.stock, p.low_stock_threshold);
    let category = p.category_id.and_then(|id| tree.by_id(id));
    let paragraphs: Vec<&str> = d
        .description
        .split("\n\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    ctx.insert(
        "product",
        &json!({
            "id": p.id,
            "slug": p.slug,
            "name": p.name,
            "sku": p.sku,
            "paragraphs": paragraphs,
            "price_label": page.money(p.sale_price),
            "compare_label": p.was().map(|c| page.money(c)).unwrap_or_default(),
            "badge": p.badge(&|m| page.money(m)).unwrap_or_default(),
            "stock_label": stock_label,
            "stock_class": stock_class,
            "in_stock": p.stock > 0,
            "category_name": category.map(|c| c.name.clone()).unwrap_or_default(),
            "category_url": category.map(|c| format!("/categories/{}", c.slug)).unwrap_or_default(),
        }),
    );
    let chosen = image.filter(|&i| i < images.len()).unwrap_or(0);
    let gallery: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, im)| {
            json!({
                "url": media_url(&im.path),
                "alt": if im.alt.is_empty() { &p.name } else { &im.alt },
                "select_url": format!("/products/{}?image={i}", p.slug),
                "active": i == chosen,
            })
        })
        .collect();
    if let Some(main) = images.get(chosen) {
        ctx.insert("main_image", &json!({ "url": media_url(&main.path), "alt": if main.alt.is_empty() { &p.name } else { &main.alt } }));
    }
    ctx.insert("images", &gallery);
    finish(
        &page,
        catalog,
        tpl,
        "storefront/product.html.tera",
        ctx,
        key,
        &[tree.rev, view.rev, offers.rev],
    )
}

pub fn routes() -> Vec<rocket::Route> {
    routes![home, search, category, product]
}
