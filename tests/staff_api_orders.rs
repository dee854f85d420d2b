//! Staff API: orders (list with the page's filters, detail, status moves with the
//! database's refusal as 409), customers with their figures, and the shop's figures for
//! today and the last 7 days; 401 without a token, 403 without the permission, 404 for
//! nothing there. All in the OpenAPI document.

mod common;

use common::backoffice::{api, customer, order_status, staff_token, OrderRow};
use common::shop::{guest_order, stock, GUEST_PICKUP};
use common::{add_product, TestApp};
use serde_json::json;

#[test]
fn orders_list_get_and_move_with_the_pages_rules() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let (id, _) = guest_order(&app, mug, "2", GUEST_PICKUP);
    let other = OrderRow::new("2026-000701", mug)
        .email("x@y.test")
        .status("paid")
        .total(900)
        .payment("paypal")
        .placed_at("2026-03-10T09:00:00Z")
        .insert(&app);
    let manager = staff_token(&app, "manager@shop.test", "Manager");
    let courier = staff_token(&app, "courier@shop.test", "Courier");
    let viewer = staff_token(&app, "viewer@shop.test", "Viewer");

    assert_eq!(
        api(&app, "GET", "/api/v1/admin/orders", None, None).status,
        401
    );
    assert_eq!(
        api(
            &app,
            "GET",
            "/api/v1/admin/orders",
            None,
            Some("not-a-token")
        )
        .status,
        401
    );
    let res = api(&app, "GET", "/api/v1/admin/orders", None, Some(&courier));
    assert_eq!(res.status, 403);
    assert_eq!(res.json()["error"]["code"], "forbidden", "{}", res.body);

    let res = api(
        &app,
        "GET",
        "/api/v1/admin/orders?payment=paypal",
        None,
        Some(&viewer),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let page = res.json();
    assert_eq!(page["total"], 1);
    assert_eq!(page["orders"][0]["id"], other);
    let res = api(
        &app,
        "GET",
        "/api/v1/admin/orders?q=guest%40tea",
        None,
        Some(&viewer),
    );
    assert_eq!(res.json()["orders"][0]["id"], id);
    assert_eq!(
        api(
            &app,
            "GET",
            "/api/v1/admin/orders?from=13/03/2026",
            None,
            Some(&viewer)
        )
        .status,
        400
    );

    let res = api(
        &app,
        "GET",
        &format!("/api/v1/admin/orders/{id}"),
        None,
        Some(&viewer),
    );
    assert_eq!(res.status, 200);
    let o = res.json();
    assert_eq!(o["status"], "pending_payment");
    assert_eq!(o["lines"][0]["quantity"], 2);
    assert_eq!(
        o["allowed_moves"],
        json!(["paid", "processing", "cancelled"])
    );
    assert_eq!(o["mails"][0]["template"], "order_placed");
    assert_eq!(
        api(
            &app,
            "GET",
            "/api/v1/admin/orders/999999",
            None,
            Some(&viewer)
        )
        .status,
        404
    );

    // Moves: a viewer may not; a refused move is 409 with the database's reason.
    let body = json!({ "to": "processing" });
    assert_eq!(
        api(
            &app,
            "POST",
            &format!("/api/v1/admin/orders/{id}/status"),
            Some(body.clone()),
            Some(&viewer)
        )
        .status,
        403
    );
    let res = api(
        &app,
        "POST",
        &format!("/api/v1/admin/orders/{id}/status"),
        Some(json!({ "to": "delivered" })),
        Some(&manager),
    );
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("That status change is not allowed for this order"));
    assert_eq!(
        api(
            &app,
            "POST",
            "/api/v1/admin/orders/999999/status",
            Some(body.clone()),
            Some(&manager)
        )
        .status,
        404
    );
    assert_eq!(
        api(
            &app,
            "POST",
            &format!("/api/v1/admin/orders/{id}/status"),
            Some(json!({ "to": "lost" })),
            Some(&manager)
        )
        .status,
        422
    );

    let res = api(
        &app,
        "POST",
        &format!("/api/v1/admin/orders/{id}/status"),
        Some(json!({ "to": "paid" })),
        Some(&manager),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(
        res.json()["payments"][0]["status"],
        "succeeded",
        "paid records a payment"
    );
    let res = api(
        &app,
        "POST",
        &format!("/api/v1/admin/orders/{id}/status"),
        Some(json!({ "to": "processing" })),
        Some(&manager),
    );
    assert_eq!(res.json()["status"], "processing");
    let res = api(
        &app,
        "POST",
        &format!("/api/v1/admin/orders/{id}/status"),
        Some(json!({ "to": "shipped" })),
        Some(&manager),
    );
    assert_eq!(res.status, 422, "tracking number needed");
    let res = api(
        &app,
        "POST",
        &format!("/api/v1/admin/orders/{id}/status"),
        Some(json!({ "to": "shipped", "tracking_number": "TRK-1" })),
        Some(&manager),
    );
    assert_eq!(res.json()["tracking_number"], "TRK-1");
    assert_eq!(order_status(&app, id), "shipped");

    // Cancelling through the API restocks like the page.
    let (id2, _) = guest_order(&app, mug, "1", GUEST_PICKUP);
    assert_eq!(stock(&app, mug), 2);
    let res = api(
        &app,
        "POST",
        &format!("/api/v1/admin/orders/{id2}/status"),
        Some(json!({ "to": "cancelled" })),
        Some(&manager),
    );
    assert_eq!(res.status, 200);
    assert_eq!(stock(&app, mug), 3);

    app.flush_audit();
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'order.status' AND actor_kind = 'staff'"
        ),
        3
    );
}

#[test]
fn customers_with_figures_and_the_shops_stats() {
    let app = TestApp::ready();
    let p = add_product(&app, "Thing", 1000, 50, None, "active");
    let mira = customer(
        &app,
        "mira@buyers.test",
        "Mira",
        "Ivanova",
        "+359 888123456",
    );
    let now = app.clock.now();
    let today = cornershop::clock::sql_time(now);
    let three_days = cornershop::clock::sql_time(now - time::Duration::days(3));
    let old = cornershop::clock::sql_time(now - time::Duration::days(20));
    app.sql(|c| {
        c.execute(
            "UPDATE customers SET created_at = ?2 WHERE id = ?1",
            rusqlite::params![mira, old],
        )
    });
    customer(&app, "new@buyers.test", "Nia", "Novak", "+359 877000111");
    OrderRow::new("2026-000801", p)
        .customer(mira)
        .email("mira@buyers.test")
        .status("paid")
        .total(1500)
        .payment("bank_transfer")
        .placed_at(&today)
        .insert(&app);
    OrderRow::new("2026-000802", p)
        .customer(mira)
        .email("mira@buyers.test")
        .status("cancelled")
        .total(9000)
        .payment("cod")
        .placed_at(&today)
        .insert(&app);
    OrderRow::new("2026-000803", p)
        .customer(mira)
        .email("mira@buyers.test")
        .status("delivered")
        .total(2500)
        .payment("cod")
        .placed_at(&three_days)
        .insert(&app);
    OrderRow::new("2026-000804", p)
        .email("g@x.test")
        .status("draft")
        .total(7000)
        .payment("cod")
        .placed_at(&today)
        .insert(&app);
    OrderRow::new("2026-000805", p)
        .email("g@x.test")
        .status("delivered")
        .total(4000)
        .payment("cod")
        .placed_at(&old)
        .insert(&app);

    let viewer = staff_token(&app, "viewer@shop.test", "Viewer");
    let courier = staff_token(&app, "courier@shop.test", "Courier");
    assert_eq!(
        api(&app, "GET", "/api/v1/admin/customers", None, None).status,
        401
    );
    assert_eq!(
        api(&app, "GET", "/api/v1/admin/customers", None, Some(&courier)).status,
        403
    );
    let res = api(
        &app,
        "GET",
        "/api/v1/admin/customers?has_orders=yes",
        None,
        Some(&viewer),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["total"], 1);
    let res = api(
        &app,
        "GET",
        &format!("/api/v1/admin/customers/{mira}"),
        None,
        Some(&viewer),
    );
    let c = res.json();
    assert_eq!(c["orders_count"], 3, "the draft is not an order yet");
    assert_eq!(
        c["total_spent"], 4000,
        "paid + delivered; not the cancelled one"
    );
    assert_eq!(c["last_order_at"], today);
    assert_eq!(
        api(
            &app,
            "GET",
            "/api/v1/admin/customers/999999",
            None,
            Some(&viewer)
        )
        .status,
        404
    );

    // The courier's role reads the dashboard, so may read the figures too.
    let res = api(&app, "GET", "/api/v1/admin/stats", None, Some(&courier));
    assert_eq!(res.status, 200, "{}", res.body);
    let s = res.json();
    assert_eq!(s["today"]["orders"], 2, "{s}");
    assert_eq!(s["today"]["revenue"], 1500);
    assert_eq!(s["today"]["new_customers"], 1);
    assert_eq!(s["last_7_days"]["orders"], 3);
    assert_eq!(s["last_7_days"]["revenue"], 4000);
    assert_eq!(s["last_7_days"]["new_customers"], 1);
    assert_eq!(s["currency"], "EUR");
    assert_eq!(
        api(&app, "GET", "/api/v1/admin/stats", None, None).status,
        401
    );
    app.sql(|c| {
        c.execute(
            "UPDATE role_permissions SET can_read = 0 WHERE role_id = 4 AND area = 'dashboard'",
            [],
        )
    });
    assert_eq!(
        api(&app, "GET", "/api/v1/admin/stats", None, Some(&courier)).status,
        403
    );

    let doc = app.get("/api/openapi.json").json();
    for path in [
        "/api/v1/admin/orders",
        "/api/v1/admin/orders/{id}",
        "/api/v1/admin/orders/{id}/status",
        "/api/v1/admin/customers",
        "/api/v1/admin/customers/{id}",
        "/api/v1/admin/stats",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
}
