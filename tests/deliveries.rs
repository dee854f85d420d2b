//! Deliveries: a courier sees only the shipped orders assigned to them, marks them
//! delivered (history, audit, cash collected for COD), cannot touch another courier's
//! delivery and cannot reach the orders area; staff who read orders see every delivery
//! with a courier filter; only a role that may update deliveries can be a courier.

mod common;

use common::accounts::Browser;
use common::backoffice::{order_status, staff_id, OrderRow};
use common::{add_product, TestApp, STAFF_PW};

fn courier(app: &TestApp, email: &str) -> (i64, Browser) {
    cornershop::staff::cli::create(&app.db, email, Some(email), STAFF_PW, "Courier").unwrap();
    let b = Browser::new(app);
    let res = b.post_form(
        "/admin/login",
        "/admin/login",
        &[("email", email), ("password", STAFF_PW)],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    (staff_id(app, email), b)
}

fn shipped_to(
    app: &TestApp,
    number: &str,
    payment: &str,
    courier: Option<i64>,
    product: i64,
) -> i64 {
    let id = OrderRow::new(number, product)
        .email("buyer@x.test")
        .status("shipped")
        .total(2000)
        .payment(payment)
        .placed_at("2026-03-10T09:00:00Z")
        .insert(app);
    app.sql(|c| {
        c.execute(
            "UPDATE orders SET courier_id = ?2, tracking_number = 'TRK' WHERE id = ?1",
            rusqlite::params![id, courier],
        )
    });
    id
}

#[test]
fn a_courier_sees_and_completes_only_their_own_deliveries() {
    let app = TestApp::ready();
    let p = add_product(&app, "Thing", 2000, 50, None, "active");
    let (ann_id, ann) = courier(&app, "ann@couriers.test");
    let (bob_id, _bob) = courier(&app, "bob@couriers.test");
    let mine = shipped_to(&app, "2026-000301", "cod", Some(ann_id), p);
    let bobs = shipped_to(&app, "2026-000302", "bank_transfer", Some(bob_id), p);
    let nobodys = shipped_to(&app, "2026-000303", "paypal", None, p);
    let processing = OrderRow::new("2026-000304", p)
        .email("b@x.test")
        .status("processing")
        .total(2000)
        .payment("cod")
        .placed_at("2026-03-10T09:00:00Z")
        .insert(&app);
    app.sql(|c| {
        c.execute(
            "UPDATE orders SET courier_id = ?2 WHERE id = ?1",
            rusqlite::params![processing, ann_id],
        )
    });

    let list = ann.get("/admin/deliveries");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("2026-000301"));
    assert!(
        list.body.contains("Collect"),
        "cash on delivery says what to collect"
    );
    for other in ["2026-000302", "2026-000303", "2026-000304"] {
        assert!(!list.body.contains(other), "{other} is not Ann's delivery");
    }
    // The courier filter cannot widen a courier's view.
    assert!(!ann
        .get(&format!("/admin/deliveries?courier={bob_id}"))
        .body
        .contains("2026-000302"));

    // No way into the orders area.
    assert_eq!(ann.get("/admin/orders").status, 403);
    assert_eq!(ann.get(&format!("/admin/orders/{mine}")).status, 403);

    // Another courier's delivery, or nobody's: 404, unchanged.
    for other in [bobs, nobodys] {
        let res = ann.post_csrf(
            "/admin/deliveries",
            &format!("/admin/deliveries/{other}/delivered"),
            &[],
        );
        assert_eq!(res.status, 404, "{}", res.body);
        assert_eq!(order_status(&app, other), "shipped");
    }

    let res = ann.post_form(
        "/admin/deliveries",
        &format!("/admin/deliveries/{mine}/delivered"),
        &[],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(order_status(&app, mine), "delivered");
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM order_status_history WHERE order_id = {mine} AND to_status = 'delivered' AND actor = 'staff:{ann_id}'")),
        1
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM payments WHERE order_id = {mine} AND method = 'cod' AND status = 'succeeded' AND amount = 2000")),
        1,
        "the cash collected is on record"
    );
    assert!(
        !ann.get("/admin/deliveries").body.contains("2026-000301"),
        "done, off the list"
    );
    // Twice is refused, and records nothing more.
    ann.post_csrf(
        "/admin/deliveries",
        &format!("/admin/deliveries/{mine}/delivered"),
        &[],
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM payments WHERE order_id = {mine}"
        )),
        1
    );
    // An assigned order that is not shipped is refused by the workflow.
    let res = ann.post_csrf(
        "/admin/deliveries",
        &format!("/admin/deliveries/{processing}/delivered"),
        &[],
    );
    assert_eq!(res.status, 303);
    assert_eq!(order_status(&app, processing), "processing");

    app.flush_audit();
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM audit_log WHERE action = 'delivery.delivered' AND entity_id = '{mine}' AND actor_id = {ann_id}")),
        1
    );
    // The built-in "order delivered" mail goes to the buyer.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM mail_outbox WHERE order_id = {mine} AND template = 'order_delivered'"
        )),
        1
    );
}

#[test]
fn staff_who_read_orders_see_every_delivery_and_assign_couriers_when_shipping() {
    let app = TestApp::ready();
    let p = add_product(&app, "Thing", 2000, 50, None, "active");
    let (ann_id, ann) = courier(&app, "ann@couriers.test");
    let (bob_id, _) = courier(&app, "bob@couriers.test");
    shipped_to(&app, "2026-000401", "bank_transfer", Some(ann_id), p);
    shipped_to(&app, "2026-000402", "bank_transfer", Some(bob_id), p);
    let to_ship = OrderRow::new("2026-000403", p)
        .email("b@x.test")
        .status("processing")
        .total(2000)
        .payment("bank_transfer")
        .placed_at("2026-03-10T09:00:00Z")
        .insert(&app);

    app.login_as("Manager");
    let all = app.get("/admin/deliveries").body;
    assert!(all.contains("2026-000401") && all.contains("2026-000402"));
    let bobs = app.get(&format!("/admin/deliveries?courier={bob_id}")).body;
    assert!(bobs.contains("2026-000402") && !bobs.contains("2026-000401"));

    // Shipping with a courier: only someone whose role updates deliveries.
    let page = format!("/admin/orders/{to_ship}");
    assert!(
        app.get(&page).body.contains("ann@couriers.test"),
        "couriers offered"
    );
    let viewer = {
        cornershop::staff::cli::create(&app.db, "vera@shop.test", None, STAFF_PW, "Viewer")
            .unwrap();
        staff_id(&app, "vera@shop.test")
    };
    let res = app.post_csrf(
        &page,
        &format!("{page}/status"),
        &[
            ("to", "shipped"),
            ("tracking_number", "TRK-9"),
            ("courier_id", &viewer.to_string()),
        ],
    );
    assert!(common::backoffice::follow(&app, &res)
        .body
        .contains("may update deliveries"));
    assert_eq!(order_status(&app, to_ship), "processing");
    let res = app.post_form(
        &page,
        &format!("{page}/status"),
        &[
            ("to", "shipped"),
            ("tracking_number", "TRK-9"),
            ("courier_id", &ann_id.to_string()),
        ],
    );
    assert_eq!(res.status, 303);
    assert_eq!(order_status(&app, to_ship), "shipped");
    assert_eq!(
        app.count(&format!(
            "SELECT courier_id FROM orders WHERE id = {to_ship}"
        )),
        ann_id
    );
    assert!(ann.get("/admin/deliveries").body.contains("2026-000403"));

    // Reassigning is its own audited change.
    let res = app.post_form(
        &page,
        &format!("{page}/courier"),
        &[("courier_id", &bob_id.to_string())],
    );
    assert_eq!(res.status, 303);
    assert!(!ann.get("/admin/deliveries").body.contains("2026-000403"));
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'order.courier'"),
        1
    );

    // Staff who may change orders may complete any delivery.
    let res = app.post_form(
        "/admin/deliveries",
        &format!("/admin/deliveries/{to_ship}/delivered"),
        &[],
    );
    assert_eq!(res.status, 303);
    assert_eq!(order_status(&app, to_ship), "delivered");
}

#[test]
fn a_delivered_mail_goes_out_with_the_built_in_template_and_follows_the_owners_edit() {
    let app = TestApp::ready();
    let p = add_product(&app, "Thing", 2000, 50, None, "active");
    let (ann_id, ann) = courier(&app, "ann@couriers.test");
    let first = shipped_to(&app, "2026-000501", "bank_transfer", Some(ann_id), p);
    let second = shipped_to(&app, "2026-000502", "bank_transfer", Some(ann_id), p);
    let subject_of = |id: i64| -> String {
        app.sql(|c| {
            c.query_row(
                "SELECT subject FROM mail_outbox WHERE order_id = ?1",
                [id],
                |r| r.get(0),
            )
        })
    };

    // A fresh shop has the template: nothing to add before the mail goes out.
    let res = ann.post_form(
        "/admin/deliveries",
        &format!("/admin/deliveries/{first}/delivered"),
        &[],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(subject_of(first), "Your order 2026-000501 has arrived");

    // The owner edits it in the back office like any other template.
    common::products::login_owner(&app);
    let page = "/admin/mail-templates/order_delivered";
    let form = app.form(page, page);
    let html = form
        .controls
        .iter()
        .find(|c| c.name == "html")
        .map(|c| c.value.clone())
        .expect("the html part is editable");
    let text = form
        .controls
        .iter()
        .find(|c| c.name == "text")
        .map(|c| c.value.clone())
        .expect("the text part is editable");
    let res = app.post_form(
        page,
        page,
        &[
            ("subject", "Delivered: {{ order.number }}"),
            ("html", &html),
            ("text", &text),
        ],
    );
    assert!(res.status < 400, "{}: {}", res.status, res.body);
    let res = ann.post_form(
        "/admin/deliveries",
        &format!("/admin/deliveries/{second}/delivered"),
        &[],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(subject_of(second), "Delivered: 2026-000502");
}

#[test]
fn cash_on_delivery_is_recorded_however_the_order_is_marked_delivered() {
    let app = TestApp::ready();
    let p = add_product(&app, "Thing", 2000, 50, None, "active");
    let id = shipped_to(&app, "2026-000601", "cod", None, p);
    app.login_as("Manager");
    let page = format!("/admin/orders/{id}");
    let res = app.post_form(&page, &format!("{page}/status"), &[("to", "delivered")]);
    assert_eq!(res.status, 303);
    assert_eq!(order_status(&app, id), "delivered");
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM payments WHERE order_id = {id} AND status = 'succeeded' AND message = 'Cash collected on delivery.'")),
        1
    );
}
