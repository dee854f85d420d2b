//! Back office: orders list and page, status moves along the allowed transitions only,
//! shipping with a tracking number, cancelling with restock, and roles.

mod common;

use common::shop::{guest_order, stock, GUEST_PICKUP};
use common::{add_product, TestApp};

#[test]
fn staff_move_an_order_along_the_allowed_transitions_only() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let (id, _) = guest_order(&app, mug, "2", GUEST_PICKUP);
    app.login_as("Manager");
    let list = app.get("/admin/orders?status=pending_payment");
    assert!(list.body.contains("guest@tea.test"), "{}", list.body);
    let page_path = format!("/admin/orders/{id}");
    let page = app.get(&page_path);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Mark being prepared") && page.body.contains("Mark cancelled"));
    assert!(
        !page.body.contains("Mark shipped"),
        "only moves the table allows are offered"
    );

    // A move the table forbids is refused with the reason, even when posted by hand.
    let res = app.post_form(
        &page_path,
        &format!("{page_path}/status"),
        &[("to", "delivered")],
    );
    assert_eq!(res.status, 303);
    assert!(app.get(&page_path).body.contains("cannot become delivered"));

    let res = app.post_form(
        &page_path,
        &format!("{page_path}/status"),
        &[("to", "processing")],
    );
    assert_eq!(res.status, 303);
    let res = app.post_form(
        &page_path,
        &format!("{page_path}/status"),
        &[("to", "shipped")],
    );
    assert!(app
        .get(res.header("location").unwrap())
        .body
        .contains("tracking number"));
    let res = app.post_form(
        &page_path,
        &format!("{page_path}/status"),
        &[("to", "shipped"), ("tracking_number", "TRK-42")],
    );
    assert_eq!(res.status, 303);
    let (status, tracking): (String, String) = app.sql(|c| {
        c.query_row("SELECT status, tracking_number FROM orders", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    });
    assert_eq!((status.as_str(), tracking.as_str()), ("shipped", "TRK-42"));
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE template = 'order_shipped'"),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM order_status_history WHERE actor LIKE 'staff:%'"),
        2
    );
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'order.status'"),
        2
    );
}

#[test]
fn cancelling_in_the_back_office_restocks() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let (id, _) = guest_order(&app, mug, "3", GUEST_PICKUP);
    assert_eq!(stock(&app, mug), 2);
    assert_eq!(
        app.login_staff("owner@shop.test", common::OWNER_PW).status,
        303
    );
    let path = format!("/admin/orders/{id}");
    assert_eq!(
        app.post_form(&path, &format!("{path}/status"), &[("to", "cancelled")])
            .status,
        303
    );
    assert_eq!(stock(&app, mug), 5);
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE template = 'order_cancelled'"),
        1
    );
}

#[test]
fn a_viewer_sees_orders_but_cannot_change_them() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let (id, _) = guest_order(&app, mug, "1", GUEST_PICKUP);
    app.login_as("Viewer");
    let path = format!("/admin/orders/{id}");
    let page = app.get(&path);
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("Mark cancelled")
            && page.body.contains("may view orders but not change them")
    );
    let res = app.post_csrf(&path, &format!("{path}/status"), &[("to", "cancelled")]);
    assert_eq!(res.status, 403);
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE status = 'pending_payment'"),
        1
    );
}

#[test]
fn staff_record_a_bank_transfer_from_the_order_page() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let (id, _) = guest_order(&app, mug, "1", GUEST_PICKUP);
    app.login_as("Manager");
    let path = format!("/admin/orders/{id}");
    assert!(app.get(&path).body.contains("Record payment"));
    let res = app.post_form(
        &path,
        &format!("{path}/mark-paid"),
        &[("reference", "BANK-7")],
    );
    assert_eq!(res.status, 303);
    let page = app.get(&path);
    assert!(page.body.contains("BANK-7") && !page.body.contains("Record payment"));
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE status = 'paid'"),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM payments WHERE status = 'succeeded' AND amount = 1250"),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE template = 'order_paid'"),
        1
    );
}
