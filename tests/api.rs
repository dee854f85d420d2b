//! The JSON API and its OpenAPI document.

mod common;
use common::{add_category, add_product, TestApp};
use serde_json::Value;

fn shop() -> TestApp {
    let app = TestApp::ready();
    let kitchen = add_category(&app, "kitchen", "Kitchen", None);
    let mugs = add_category(&app, "mugs", "Mugs", Some(kitchen));
    add_product(&app, "Blue Mug", 1250, 10, Some(mugs), "active");
    add_product(&app, "Red Mug", 900, 0, Some(mugs), "active");
    add_product(&app, "Kitchen Scale", 2500, 30, Some(kitchen), "active");
    add_product(&app, "Draft Mug", 100, 3, Some(mugs), "draft");
    app
}

fn names(v: &Value) -> Vec<&str> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect()
}

#[test]
fn the_product_list_has_the_documented_shape() {
    let app = shop();
    let res = app.get("/api/v1/products?sort=price_asc&per_page=2");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let v = res.json();
    assert_eq!(
        (
            v["total"].as_u64(),
            v["page"].as_u64(),
            v["per_page"].as_u64()
        ),
        (Some(3), Some(1), Some(2))
    );
    let first = &v["items"][0];
    assert_eq!(first["name"], "Red Mug");
    assert_eq!(first["price"], 900, "integer minor units");
    assert_eq!(first["currency"], "EUR");
    assert_eq!(first["stock"], 0);
    assert_eq!(first["category"]["slug"], "mugs");
    for key in [
        "id", "slug", "name", "sku", "price", "currency", "stock", "category",
    ] {
        assert!(first.get(key).is_some(), "item has {key}");
    }
}

#[test]
fn the_api_takes_the_same_filters_as_the_pages() {
    let app = shop();
    let cases: [(&str, &[&str]); 5] = [
        (
            "category=kitchen&sort=name",
            &["Blue Mug", "Kitchen Scale", "Red Mug"],
        ),
        ("category=mugs&in_stock=true", &["Blue Mug"]),
        ("min_price=1000&max_price=2000", &["Blue Mug"]),
        ("q=mug&sort=price_desc", &["Blue Mug", "Red Mug"]),
        ("sort=price_desc&per_page=1&page=2", &["Blue Mug"]),
    ];
    for (q, want) in cases {
        let v = app.get(&format!("/api/v1/products?{q}")).json();
        assert_eq!(names(&v), want, "{q}");
    }
    let id: i64 = app.sql(|c| {
        c.query_row("SELECT id FROM categories WHERE slug = 'mugs'", [], |r| {
            r.get(0)
        })
    });
    assert_eq!(
        app.get(&format!("/api/v1/products?category={id}")).json()["total"],
        2,
        "category by id"
    );
}

#[test]
fn errors_are_json_with_a_code_and_message() {
    let app = shop();
    let res = app.get("/api/v1/products?sort=random");
    assert_eq!(res.status, 400);
    let v = res.json();
    assert_eq!(v["error"]["code"], "bad_request");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("sort must be one of"));

    let res = app.get("/api/v1/products?category=nope");
    assert_eq!(
        (res.status, res.json()["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let res = app.get("/api/v1/no-such-endpoint");
    assert_eq!(
        (res.status, res.json()["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
}

#[test]
fn one_product_by_id_or_slug_but_never_a_draft() {
    let app = shop();
    let by_slug = app.get("/api/v1/products/blue-mug").json();
    let id = by_slug["id"].as_i64().unwrap();
    let by_id = app.get(&format!("/api/v1/products/{id}")).json();
    assert_eq!(by_slug, by_id);
    assert_eq!(by_id["description"], "A fine Blue Mug.");
    let path: Vec<&str> = by_id["category_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["kitchen", "mugs"]);
    assert_eq!(app.get("/api/v1/products/draft-mug").status, 404);
    let draft: i64 = app.sql(|c| {
        c.query_row(
            "SELECT id FROM products WHERE slug = 'draft-mug'",
            [],
            |r| r.get(0),
        )
    });
    assert_eq!(app.get(&format!("/api/v1/products/{draft}")).status, 404);
}

#[test]
fn categories_count_their_subcategories() {
    let app = shop();
    let v = app.get("/api/v1/categories").json();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items[0]["slug"], "kitchen");
    assert_eq!(items[0]["product_count"], 3);
    assert_eq!(items[1]["slug"], "mugs");
    assert_eq!(items[1]["product_count"], 2, "drafts are not counted");
    assert_eq!(items[1]["parent_id"], items[0]["id"]);
}

/// The document is served with the shop's version, the product list's parameters and no
/// dangling reference (that every route is in it is tests/openapi_routes.rs).
#[test]
fn the_openapi_document_is_served_with_its_version_parameters_and_whole_references() {
    let app = TestApp::ready();
    let doc = app.get("/api/openapi.json").json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    for path in [
        "/api/v1/products",
        "/api/v1/products/{id_or_slug}",
        "/api/v1/categories",
        "/health",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/products"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "q",
        "category",
        "min_price",
        "max_price",
        "in_stock",
        "sort",
        "page",
        "per_page",
    ] {
        assert!(params.contains(&p), "parameter {p} documented");
    }
    for schema in ["ApiProduct", "ProductPage", "ErrorBody"] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}"
        );
    }
    // Every reference points at a schema the document holds.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in &refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or(r);
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} resolves"
        );
    }
    // The staff API's product body carries the stored product's fields and its images.
    let body = serde_json::to_string(&doc["components"]["schemas"]["ProductBody"]).unwrap();
    assert!(body.contains("#/components/schemas/Product\""), "{body}");
    assert!(body.contains("images"), "{body}");
    let product = &doc["components"]["schemas"]["Product"]["properties"];
    for field in ["id", "price", "stock", "status"] {
        assert!(product.get(field).is_some(), "Product.{field}");
    }

    let docs = app.get("/api/docs");
    assert_eq!(docs.status, 200);
    assert!(docs.body.contains("/api/v1/products/{id_or_slug}"));
    assert!(docs.body.contains("min_price"));
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                out.push(r.to_string());
            }
            m.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn health_reports_the_database_and_version() {
    let app = TestApp::new();
    let v = app.get("/health").json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["db"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["schema_version"], cornershop::db::migrate::SCHEMA_VERSION);
}
