//! Every route of the orders, deliveries and customers back office against the roles:
//! a role lacking the permission gets 403 (and the refusal is audited), one having it
//! does not.

mod common;

use common::accounts::Browser;
use common::backoffice::{customer, OrderRow};
use common::{add_product, TestApp, STAFF_PW};

fn staff(app: &TestApp, email: &str, role: &str) -> Browser {
    cornershop::staff::cli::create(&app.db, email, None, STAFF_PW, role).unwrap();
    let b = Browser::new(app);
    let res = b.post_form(
        "/admin/login",
        "/admin/login",
        &[("email", email), ("password", STAFF_PW)],
    );
    assert_eq!(res.status, 303);
    b
}

#[test]
fn each_route_needs_its_permission() {
    let app = TestApp::ready();
    let p = add_product(&app, "Thing", 1000, 50, None, "active");
    let c = customer(
        &app,
        "mira@buyers.test",
        "Mira",
        "Ivanova",
        "+359 888123456",
    );
    let o = OrderRow::new("2026-000901", p)
        .customer(c)
        .email("mira@buyers.test")
        .status("pending_payment")
        .total(1000)
        .payment("cod")
        .placed_at("2026-03-10T09:00:00Z")
        .insert(&app);
    let courier = staff(&app, "courier@shop.test", "Courier");
    let viewer = staff(&app, "viewer@shop.test", "Viewer");
    let manager = staff(&app, "manager@shop.test", "Manager");

    let reads = [
        "/admin/orders".to_string(),
        format!("/admin/orders/{o}"),
        "/admin/customers".to_string(),
        format!("/admin/customers/{c}"),
    ];
    for path in &reads {
        assert_eq!(courier.get(path).status, 403, "courier GET {path}");
        assert_eq!(viewer.get(path).status, 200, "viewer GET {path}");
    }
    let writes_pages = [
        "/admin/orders/new".to_string(),
        format!("/admin/orders/{o}/lines"),
        "/admin/customers/new".to_string(),
    ];
    for path in &writes_pages {
        assert_eq!(viewer.get(path).status, 403, "viewer GET {path}");
        assert_eq!(manager.get(path).status, 200, "manager GET {path}");
    }
    assert_eq!(viewer.get("/admin/deliveries").status, 200);
    assert_eq!(courier.get("/admin/deliveries").status, 200);

    let posts = [
        "/admin/orders/new".to_string(),
        format!("/admin/orders/{o}/lines"),
        format!("/admin/orders/{o}/status"),
        format!("/admin/orders/{o}/courier"),
        format!("/admin/orders/{o}/mark-paid"),
        format!("/admin/deliveries/{o}/delivered"),
        format!("/admin/customers/{c}"),
        format!("/admin/customers/{c}/deactivate"),
        format!("/admin/customers/{c}/reactivate"),
        format!("/admin/customers/{c}/resend-verification"),
        format!("/admin/customers/{c}/set-password-mail"),
        "/admin/customers/new".to_string(),
    ];
    for path in &posts {
        // A viewer's pages have none of these forms: forged requests.
        let res = viewer.post_csrf("/admin/orders", path, &[("to", "cancelled")]);
        assert_eq!(res.status, 403, "viewer POST {path}");
    }
    app.flush_audit();
    assert!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'permission.refused'")
            >= (reads.len() + writes_pages.len() + posts.len()) as i64
    );
    assert_eq!(
        app.count(&format!(
            "SELECT status = 'pending_payment' FROM orders WHERE id = {o}"
        )),
        1,
        "nothing changed"
    );
}
