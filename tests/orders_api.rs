//! Cart, checkout and orders on the JSON API, the auto-advance job, and guest orders
//! joining the account their address proves.

mod common;

use common::accounts::{
    link_in_mail, no_captcha, register, registration, verified_customer, Browser, CUSTOMER_PW,
};
use common::{add_product, TestApp};
use serde_json::json;

fn token(b: &Browser, email: &str) -> String {
    let res = b.json(
        "POST",
        "/api/v1/auth/login",
        Some(json!({ "email": email, "password": CUSTOMER_PW })),
        None,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    res.json()["token"].as_str().unwrap().to_string()
}

fn checkout(b: &Browser, t: &str, key: Option<&str>, body: serde_json::Value) -> common::Res {
    let mut req = ureq::post(&format!("{}/api/v1/checkout", b.base))
        .set("Authorization", &format!("Bearer {t}"));
    if let Some(k) = key {
        req = req.set("Idempotency-Key", k);
    }
    common::TestApp::collect(req.send_json(body))
}

#[test]
fn the_api_cart_checks_stock_and_the_checkout_is_idempotent() {
    let app = TestApp::ready();
    no_captcha(&app);
    let mug = add_product(&app, "Blue Mug", 1250, 3, None, "active");
    let b = verified_customer(&app, "api@tea.test");
    let t = token(&b, "api@tea.test");

    let res = b.json(
        "POST",
        "/api/v1/cart/items",
        Some(json!({ "product_id": mug, "quantity": 5 })),
        Some(&t),
    );
    assert_eq!(res.status, 409);
    assert_eq!(
        res.json()["error"]["message"],
        "Only 3 of 'Blue Mug' left — your cart has 5."
    );
    for q in [0, -1, 1000] {
        let res = b.json(
            "POST",
            "/api/v1/cart/items",
            Some(json!({ "product_id": mug, "quantity": q })),
            Some(&t),
        );
        assert_eq!(res.status, 422, "{q}");
    }
    let res = b.json(
        "POST",
        "/api/v1/cart/items",
        Some(json!({ "product_id": mug, "quantity": "two" })),
        Some(&t),
    );
    assert!(
        res.status == 422 || res.status == 400,
        "non-numeric: {}",
        res.status
    );
    let res = b.json(
        "POST",
        "/api/v1/cart/items",
        Some(json!({ "product_id": 999999, "quantity": 1 })),
        Some(&t),
    );
    assert_eq!(res.status, 404);

    let cart = b.json(
        "POST",
        "/api/v1/cart/items",
        Some(json!({ "product_id": mug, "quantity": 2 })),
        Some(&t),
    );
    assert_eq!(cart.status, 200);
    assert_eq!(cart.json()["subtotal"], 2500);
    let cart = b.json(
        "PUT",
        &format!("/api/v1/cart/items/{mug}"),
        Some(json!({ "quantity": 3 })),
        Some(&t),
    );
    assert_eq!(cart.json()["items"][0]["quantity"], 3);
    let methods = b
        .json("GET", "/api/v1/shipping-methods", None, Some(&t))
        .json();
    assert_eq!(methods[0]["code"], "flat");
    assert_eq!(methods[0]["price"], 490);

    let body = json!({ "shipping_method": "flat", "payment_method": "bank_transfer" });
    assert_eq!(
        checkout(&b, &t, None, body.clone()).status,
        400,
        "no Idempotency-Key"
    );
    let first = checkout(&b, &t, Some("k-1"), body.clone());
    assert_eq!(first.status, 201, "{}", first.body);
    let order = first.json();
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["total"], 3750 + 490);
    assert_eq!(order["lines"][0]["name"], "Blue Mug");
    let again = checkout(&b, &t, Some("k-1"), body);
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], order["id"]);
    assert_eq!(app.count("SELECT count(*) FROM orders"), 1);
    assert_eq!(app.count("SELECT stock FROM products"), 0);

    let list = b.json("GET", "/api/v1/orders", None, Some(&t)).json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let id = order["id"].as_i64().unwrap();
    let other = verified_customer(&app, "other@tea.test");
    let t2 = token(&other, "other@tea.test");
    assert_eq!(
        other
            .json("GET", &format!("/api/v1/orders/{id}"), None, Some(&t2))
            .status,
        404
    );
    assert_eq!(
        other
            .json(
                "POST",
                &format!("/api/v1/orders/{id}/cancel"),
                None,
                Some(&t2)
            )
            .status,
        404
    );

    let cancelled = b.json(
        "POST",
        &format!("/api/v1/orders/{id}/cancel"),
        None,
        Some(&t),
    );
    assert_eq!(cancelled.status, 200);
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(app.count("SELECT stock FROM products"), 3);
    let twice = b.json(
        "POST",
        &format!("/api/v1/orders/{id}/cancel"),
        None,
        Some(&t),
    );
    assert_eq!(twice.status, 409);
}

#[test]
fn paid_orders_move_to_processing_after_the_delay() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 3, None, "active");
    let b = Browser::new(&app);
    common::shop::add(&b, mug, "1");
    let page = b.get("/checkout");
    let key = page.input_value("idempotency_key").unwrap();
    let res = b.submit(
        &page,
        "/checkout",
        &[
            ("email", "g@tea.test"),
            ("shipping_method", "pickup"),
            ("payment_method", "bank_transfer"),
            ("idempotency_key", &key),
        ],
    );
    assert_eq!(res.status, 303);
    let id = app.count("SELECT id FROM orders");
    let now = app.clock.now();
    app.db
        .write_blocking(|tx| cornershop::orders::status::transition(tx, id, "paid", "staff:1", now))
        .unwrap();
    assert_eq!(
        cornershop::orders::jobs::advance_paid(&app.db, app.clock.now()).unwrap(),
        0
    );
    app.clock.advance(5 * 60);
    assert_eq!(
        cornershop::orders::jobs::advance_paid(&app.db, app.clock.now()).unwrap(),
        1
    );
    let (status, actor): (String, String) = app.sql(|c| {
        c.query_row("SELECT o.status, h.actor FROM orders o JOIN order_status_history h ON h.order_id = o.id ORDER BY h.id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
    });
    assert_eq!((status.as_str(), actor.as_str()), ("processing", "system"));
}

#[test]
fn a_guest_order_joins_the_account_made_with_its_address() {
    let app = TestApp::ready();
    no_captcha(&app);
    let mug = add_product(&app, "Blue Mug", 1250, 3, None, "active");
    let b = Browser::new(&app);
    common::shop::add(&b, mug, "1");
    let page = b.get("/checkout");
    let key = page.input_value("idempotency_key").unwrap();
    b.submit(
        &page,
        "/checkout",
        &[
            ("email", "later@tea.test"),
            ("shipping_method", "pickup"),
            ("payment_method", "bank_transfer"),
            ("idempotency_key", &key),
        ],
    );
    assert_eq!(register(&b, &registration("later@tea.test")).status, 303);
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE customer_id IS NULL"),
        1,
        "not before the address is proven"
    );
    b.get(&link_in_mail(&app, "later@tea.test", "/account/verify"));
    assert_eq!(b.login("later@tea.test", CUSTOMER_PW).status, 303);
    let orders = b.get("/account/orders");
    assert!(orders.body.contains("Ready for paying"), "{}", orders.body);
}
