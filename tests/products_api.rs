//! Staff API for products: list with filters and paging, get, create (201), update,
//! delete (409 "archive instead" for a product in orders), stock adjustments; 422 with
//! per-field messages; 401 without a token, 403 for a role without the right; audit rows.

mod common;

use common::products::{api, api_token};
use common::{add_category, add_product, shop, TestApp};
use serde_json::json;

#[test]
fn products_are_created_read_updated_and_deleted_over_the_api() {
    let app = TestApp::ready();
    let token = api_token(&app, "Owner");
    let t = Some(token.as_str());
    let cat = add_category(&app, "tea", "Tea", None);

    let res = api(
        &app,
        "POST",
        "/api/v1/admin/products",
        Some(
            json!({ "name": "Green tea", "sku": "TEA-1", "price": 490, "stock": 12, "category_id": cat, "status": "active" }),
        ),
        t,
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let p = res.json();
    let id = p["id"].as_i64().unwrap();
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/admin/products/{id}").as_str())
    );
    assert_eq!(
        (p["slug"].as_str(), p["price"].as_i64(), p["stock"].as_i64()),
        (Some("green-tea"), Some(490), Some(12))
    );

    let res = api(
        &app,
        "PUT",
        &format!("/api/v1/admin/products/{id}"),
        Some(json!({ "price": 550, "compare_at_price": 700 })),
        t,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(
        (res.json()["price"].as_i64(), res.json()["name"].as_str()),
        (Some(550), Some("Green tea")),
        "absent fields keep"
    );
    let res = api(
        &app,
        "PUT",
        &format!("/api/v1/admin/products/{id}"),
        Some(json!({ "compare_at_price": null, "category_id": null })),
        t,
    );
    assert!(res.json()["compare_at_price"].is_null() && res.json()["category_id"].is_null());

    let res = api(
        &app,
        "GET",
        &format!("/api/v1/admin/products/{id}"),
        None,
        t,
    );
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["sku"], "TEA-1");
    assert_eq!(
        api(&app, "GET", "/api/v1/admin/products/9999", None, t).status,
        404
    );

    let res = api(
        &app,
        "DELETE",
        &format!("/api/v1/admin/products/{id}"),
        None,
        t,
    );
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(app.count("SELECT count(*) FROM products"), 0);
    for action in ["product.created", "product.updated", "product.deleted"] {
        assert!(app.count(&format!("SELECT count(*) FROM audit_log WHERE action = '{action}' AND actor_label = 'api-owner@shop.test'")) >= 1, "{action}");
    }
}

#[test]
fn refused_fields_answer_422_with_a_message_per_field() {
    let app = TestApp::ready();
    let token = api_token(&app, "Owner");
    let t = Some(token.as_str());
    add_product(&app, "Green tea", 490, 10, None, "active");
    let res = api(
        &app,
        "POST",
        "/api/v1/admin/products",
        Some(
            json!({ "name": "", "sku": "sku-green-tea", "price": -5, "stock": -1, "status": "sold", "category_id": 999 }),
        ),
        t,
    );
    assert_eq!(res.status, 422, "{}", res.body);
    let f = &res.json()["error"]["fields"];
    for field in ["name", "sku", "price", "stock", "status", "category_id"] {
        assert!(f[field].is_string(), "{field} in {f}");
    }
    assert!(f["sku"]
        .as_str()
        .unwrap()
        .contains("already used by “Green tea”"));
    assert_eq!(res.json()["error"]["code"], "invalid");
    assert_eq!(app.count("SELECT count(*) FROM products"), 1);

    // A value of the wrong JSON type is named with its field too.
    let res = api(
        &app,
        "POST",
        "/api/v1/admin/products",
        Some(json!({ "name": "Tea", "sku": "T-1", "price": 490, "stock": "many" })),
        t,
    );
    assert_eq!(res.status, 422, "{}", res.body);
    let message = res.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        message.starts_with("stock: invalid type: string \"many\""),
        "{message}"
    );
    assert_eq!(app.count("SELECT count(*) FROM products"), 1);
}

#[test]
fn the_list_filters_and_pages() {
    let app = TestApp::ready();
    let token = api_token(&app, "Viewer");
    let t = Some(token.as_str());
    for i in 0..5 {
        add_product(&app, &format!("Tea {i}"), 100 * (i + 1), 10, None, "active");
    }
    add_product(&app, "Low one", 100, 1, None, "draft");
    let res = api(
        &app,
        "GET",
        "/api/v1/admin/products?per_page=2&page=2&sort=price",
        None,
        t,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let j = res.json();
    assert_eq!(
        (j["total"].as_u64(), j["items"].as_array().unwrap().len()),
        (Some(6), 2)
    );
    assert_eq!(j["items"][0]["price"], 200);
    let low = api(
        &app,
        "GET",
        "/api/v1/admin/products?low_stock=true",
        None,
        t,
    )
    .json();
    assert_eq!(low["total"], 1);
    assert_eq!(low["items"][0]["name"], "Low one");
    assert_eq!(
        api(&app, "GET", "/api/v1/admin/products?status=draft", None, t).json()["total"],
        1
    );
    assert_eq!(
        api(&app, "GET", "/api/v1/admin/products?q=tea%203", None, t).json()["total"],
        1
    );
    assert_eq!(
        api(&app, "GET", "/api/v1/admin/products?status=bogus", None, t).status,
        400
    );
}

#[test]
fn a_product_in_orders_answers_409_and_stock_changes_are_movements() {
    let app = TestApp::ready();
    common::accounts::no_captcha(&app);
    let id = add_product(&app, "Green tea", 490, 10, None, "active");
    shop::guest_order(&app, id, "2", shop::GUEST_PICKUP);
    let token = api_token(&app, "Owner");
    let t = Some(token.as_str());

    let res = api(
        &app,
        "DELETE",
        &format!("/api/v1/admin/products/{id}"),
        None,
        t,
    );
    assert_eq!(res.status, 409);
    assert!(res.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("archive it instead"));
    let res = api(
        &app,
        "PUT",
        &format!("/api/v1/admin/products/{id}"),
        Some(json!({ "status": "archived" })),
        t,
    );
    assert_eq!(res.json()["status"], "archived");

    let path = format!("/api/v1/admin/products/{id}/stock");
    let res = api(
        &app,
        "POST",
        &path,
        Some(json!({ "change": 5, "reason": "delivery from supplier" })),
        t,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["stock"], 13);
    assert_eq!(app.count(&format!("SELECT count(*) FROM stock_movements WHERE product_id = {id} AND reason = 'adjust' AND delta = 5")), 1);
    let res = api(
        &app,
        "POST",
        &path,
        Some(json!({ "change": -14, "reason": "broken" })),
        t,
    );
    assert_eq!(res.status, 409);
    assert!(res.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("below zero"));
    let res = api(
        &app,
        "POST",
        &path,
        Some(json!({ "change": 0, "reason": "" })),
        t,
    );
    assert_eq!(res.status, 422);
    assert!(
        res.json()["error"]["fields"]["change"].is_string()
            && res.json()["error"]["fields"]["reason"].is_string()
    );
    assert_eq!(shop::stock(&app, id), 13);
}

#[test]
fn no_token_is_401_and_a_viewer_may_read_but_not_write() {
    let app = TestApp::ready();
    let id = add_product(&app, "Green tea", 490, 10, None, "active");
    assert_eq!(
        api(&app, "GET", "/api/v1/admin/products", None, None).status,
        401
    );
    assert_eq!(
        api(
            &app,
            "GET",
            "/api/v1/admin/products",
            None,
            Some("not-a-token")
        )
        .status,
        401
    );
    let token = api_token(&app, "Viewer");
    let t = Some(token.as_str());
    assert_eq!(
        api(
            &app,
            "GET",
            &format!("/api/v1/admin/products/{id}"),
            None,
            t
        )
        .status,
        200
    );
    let refused = [
        api(
            &app,
            "POST",
            "/api/v1/admin/products",
            Some(json!({ "name": "X", "sku": "X", "price": 1, "stock": 1 })),
            t,
        ),
        api(
            &app,
            "PUT",
            &format!("/api/v1/admin/products/{id}"),
            Some(json!({ "price": 1 })),
            t,
        ),
        api(
            &app,
            "DELETE",
            &format!("/api/v1/admin/products/{id}"),
            None,
            t,
        ),
        api(
            &app,
            "POST",
            &format!("/api/v1/admin/products/{id}/stock"),
            Some(json!({ "change": 1, "reason": "x" })),
            t,
        ),
    ];
    for r in &refused {
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "forbidden");
    }
    assert_eq!(shop::stock(&app, id), 10);
    assert_eq!(app.count("SELECT price FROM products"), 490);
    let doc = app.get("/api/openapi.json").json();
    assert_eq!(
        doc["paths"]["/api/v1/admin/products/{id}/stock"]["post"]["tags"][0],
        "staff"
    );
}
