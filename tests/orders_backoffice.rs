//! Back office, orders: filters kept in the URL, buttons equal to the allowed moves, the
//! database's refusal shown, drafts composed → edited → placed with stock and movements,
//! line edits of a placed order moving stock, recording a payment, cancelling with
//! restock, the mails an order caused, and an audit row for each change.

mod common;

use common::backoffice::{allowed_moves, customer, follow, offered_moves, order_status, OrderRow};
use common::shop::{guest_order, stock, GUEST_PICKUP};
use common::{add_product, TestApp};

#[test]
fn the_list_filters_by_status_payment_dates_customer_and_text_and_keeps_them() {
    let app = TestApp::ready();
    let p = add_product(&app, "Thing", 1000, 50, None, "active");
    let mira = customer(
        &app,
        "mira@buyers.test",
        "Mira",
        "Ivanova",
        "+359 888123456",
    );
    OrderRow::new("2026-000101", p)
        .customer(mira)
        .email("mira@buyers.test")
        .status("paid")
        .total(1000)
        .payment("bank_transfer")
        .placed_at("2026-03-10T09:00:00Z")
        .insert(&app);
    OrderRow::new("2026-000102", p)
        .email("guest@other.test")
        .status("pending_payment")
        .total(2500)
        .payment("cod")
        .placed_at("2026-03-12T23:30:00Z")
        .insert(&app);
    OrderRow::new("2026-000103", p)
        .customer(mira)
        .email("mira@buyers.test")
        .status("shipped")
        .total(4000)
        .payment("paypal")
        .placed_at("2026-04-01T10:00:00Z")
        .insert(&app);
    app.login_as("Viewer");

    let shows = |q: &str| -> Vec<&'static str> {
        let res = app.get(&format!("/admin/orders{q}"));
        assert_eq!(res.status, 200, "{q}: {}", res.body);
        ["2026-000101", "2026-000102", "2026-000103"]
            .into_iter()
            .filter(|n| res.body.contains(n))
            .collect()
    };
    assert_eq!(shows(""), ["2026-000101", "2026-000102", "2026-000103"]);
    assert_eq!(shows("?status=paid"), ["2026-000101"]);
    assert_eq!(shows("?payment=cod"), ["2026-000102"]);
    assert_eq!(shows("?customer=ivanova"), ["2026-000101", "2026-000103"]);
    assert_eq!(shows("?customer=guest%40other"), ["2026-000102"]);
    assert_eq!(shows("?q=000103"), ["2026-000103"]);
    assert_eq!(shows("?q=Mira"), ["2026-000101", "2026-000103"]);
    assert_eq!(shows("?from=2026-03-11&to=2026-03-31"), ["2026-000102"]);
    // Shop days: 23:30 UTC on the 12th is already the 13th two hours east of UTC.
    common::accounts::set(&app, "shop.utc_offset_minutes", "120");
    assert_eq!(shows("?from=2026-03-13&to=2026-03-13"), ["2026-000102"]);
    assert_eq!(shows("?from=2026-03-12&to=2026-03-12"), Vec::<&str>::new());

    // Sorting, and the filters kept in the form and in the page links.
    let res = app.get("/admin/orders?sort=total_asc&payment=paypal&q=2026");
    assert!(
        res.body.contains("value=\"total_asc\" selected"),
        "sort kept"
    );
    assert!(
        res.body.contains("value=\"paypal\" selected"),
        "payment kept"
    );
    assert!(res.body.contains("name=\"q\" value=\"2026\""), "text kept");
    let asc = app.get("/admin/orders?sort=total_asc").body;
    assert!(asc.find("2026-000101").unwrap() < asc.find("2026-000103").unwrap());
    let desc = app.get("/admin/orders?sort=total_desc").body;
    assert!(desc.find("2026-000103").unwrap() < desc.find("2026-000101").unwrap());

    assert_eq!(app.get("/admin/orders?from=yesterday").status, 400);
    assert_eq!(app.get("/admin/orders?status=lost").status, 400);
}

#[test]
fn the_buttons_are_exactly_the_moves_the_table_allows_and_only_for_roles_that_may_update() {
    let app = TestApp::ready();
    let p = add_product(&app, "Thing", 1000, 50, None, "active");
    let statuses = [
        "draft",
        "pending_payment",
        "paid",
        "processing",
        "shipped",
        "delivered",
        "cancelled",
        "refunded",
    ];
    let ids: Vec<i64> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            OrderRow::new(&format!("2026-00020{i}"), p)
                .email("a@b.test")
                .status(s)
                .total(1000)
                .payment("bank_transfer")
                .placed_at("2026-03-10T09:00:00Z")
                .insert(&app)
        })
        .collect();
    app.login_as("Manager");
    for (id, s) in ids.iter().zip(statuses) {
        let page = app.get(&format!("/admin/orders/{id}"));
        assert_eq!(page.status, 200);
        assert_eq!(
            offered_moves(&page),
            allowed_moves(&app, s),
            "buttons for {s}"
        );
    }
    // The table is the source: a new row appears as a new button.
    app.sql(|c| {
        c.execute(
            "INSERT INTO order_transitions VALUES ('delivered', 'processing')",
            [],
        )
    });
    assert_eq!(
        offered_moves(&app.get(&format!("/admin/orders/{}", ids[5]))),
        ["processing", "refunded"]
    );

    let v = common::accounts::Browser::new(&app);
    cornershop::staff::cli::create(
        &app.db,
        "viewer@shop.test",
        None,
        common::STAFF_PW,
        "Viewer",
    )
    .unwrap();
    v.post_form(
        "/admin/login",
        "/admin/login",
        &[
            ("email", "viewer@shop.test"),
            ("password", common::STAFF_PW),
        ],
    );
    let page = v.get(&format!("/admin/orders/{}", ids[1]));
    assert_eq!(page.status, 200);
    assert!(
        offered_moves(&page).is_empty(),
        "a read-only role sees no buttons"
    );
    assert!(page.body.contains("may view orders but not change them"));
    let res = v.post_csrf(
        &format!("/admin/orders/{}", ids[2]),
        &format!("/admin/orders/{}/status", ids[1]),
        &[("to", "cancelled")],
    );
    assert_eq!(res.status, 403);
}

#[test]
fn a_refused_move_shows_the_databases_reason_and_changes_nothing() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let (id, _) = guest_order(&app, mug, "2", GUEST_PICKUP);
    app.login_as("Manager");
    let path = format!("/admin/orders/{id}");
    // As if another tab had moved it meanwhile: the form still says "cancelled".
    app.sql(|c| c.execute("UPDATE orders SET status = 'paid' WHERE id = ?1", [id]));
    app.sql(|c| {
        c.execute(
            "UPDATE orders SET status = 'processing' WHERE id = ?1",
            [id],
        )
    });
    app.sql(|c| {
        c.execute(
            "UPDATE orders SET status = 'shipped', tracking_number = 'T1' WHERE id = ?1",
            [id],
        )
    });
    let res = app.post_form(&path, &format!("{path}/status"), &[("to", "cancelled")]);
    let page = follow(&app, &res);
    assert!(
        page.body
            .contains("That status change is not allowed for this order"),
        "{}",
        page.body
    );
    assert_eq!(order_status(&app, id), "shipped");
    assert_eq!(stock(&app, mug), 3, "nothing restocked");
}

#[test]
fn a_draft_is_composed_edited_and_placed_taking_stock_only_when_placed() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let pot = add_product(&app, "Tea Pot", 3000, 2, None, "active");
    let mira = customer(
        &app,
        "mira@buyers.test",
        "Mira",
        "Ivanova",
        "+359 888123456",
    );
    app.login_as("Manager");

    // Bad input: every problem next to its field, nothing saved.
    let res = app.post_form(
        "/admin/orders/new",
        "/admin/orders/new",
        &[
            ("email", "not-an-email"),
            ("shipping_method", "flat"),
            ("payment_method", "bank_transfer"),
            ("lines[0].sku", "NOPE"),
            ("lines[0].quantity", "1"),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(
        res.body.contains("No product has the SKU &#x27;NOPE&#x27;")
            || res.body.contains("No product has the SKU 'NOPE'"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("f-address_line1-error"),
        "address needed for delivery"
    );
    assert!(res.body.contains("f-email-error"));
    assert_eq!(app.count("SELECT count(*) FROM orders"), 0);

    let res = app.post_form(
        &format!("/admin/orders/new?customer={mira}"),
        "/admin/orders/new",
        &[
            ("email", "MIRA@buyers.test"),
            ("shipping_method", "pickup"),
            ("payment_method", "bank_transfer"),
            ("lines[0].sku", "SKU-BLUE-MUG"),
            ("lines[0].quantity", "2"),
            ("lines[1].sku", ""),
            ("lines[1].quantity", ""),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let id: i64 = app.count("SELECT id FROM orders");
    let (status, customer_id, total): (String, Option<i64>, i64) = app.sql(|c| {
        c.query_row(
            "SELECT status, customer_id, total FROM orders WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    });
    assert_eq!(
        (status.as_str(), customer_id, total),
        ("draft", Some(mira), 2500)
    );
    assert_eq!(stock(&app, mug), 5, "a draft reserves nothing");
    assert_eq!(app.count("SELECT count(*) FROM stock_movements"), 0);

    // Edit the draft's lines: prices from the catalogue, totals recomputed.
    let lines = format!("/admin/orders/{id}/lines");
    let res = app.post_form(
        &lines,
        &lines,
        &[
            ("lines[0].sku", "SKU-BLUE-MUG"),
            ("lines[0].quantity", "3"),
            ("lines[1].sku", "sku-tea-pot"),
            ("lines[1].quantity", "2"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        app.count(&format!("SELECT total FROM orders WHERE id = {id}")),
        3 * 1250 + 2 * 3000
    );
    assert_eq!(stock(&app, mug), 5);

    // Placing takes the stock in one go; too little stock refuses it whole.
    app.sql(|c| c.execute("UPDATE products SET stock = 1 WHERE id = ?1", [pot]));
    let page = format!("/admin/orders/{id}");
    let res = app.post_form(
        &page,
        &format!("{page}/status"),
        &[("to", "pending_payment")],
    );
    assert!(
        follow(&app, &res).body.contains("Tea Pot"),
        "names the short product"
    );
    assert_eq!(order_status(&app, id), "draft");
    assert_eq!(stock(&app, mug), 5, "nothing half-taken");

    app.sql(|c| c.execute("UPDATE products SET stock = 2 WHERE id = ?1", [pot]));
    app.sql(|c| c.execute("UPDATE products SET price = 1300 WHERE id = ?1", [mug]));
    let res = app.post_form(
        &page,
        &format!("{page}/status"),
        &[("to", "pending_payment")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(order_status(&app, id), "pending_payment");
    assert_eq!((stock(&app, mug), stock(&app, pot)), (2, 0));
    assert_eq!(
        app.count(&format!("SELECT total FROM orders WHERE id = {id}")),
        3 * 1300 + 2 * 3000,
        "re-priced when placed"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM stock_movements WHERE order_id = {id} AND reason = 'order'"
        )),
        2
    );
    assert_eq!(
        app.count(&format!(
            "SELECT sum(delta) FROM stock_movements WHERE order_id = {id}"
        )),
        -5
    );
    assert_eq!(
        app.count(&format!("SELECT sold_count FROM products WHERE id = {mug}")),
        3
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM mail_outbox WHERE template = 'order_placed' AND order_id = {id}"
        )),
        1
    );

    let history = app.get(&page).body;
    assert!(history.contains("Ready for paying") && history.contains("Draft"));

    app.flush_audit();
    for action in ["order.draft_created", "order.lines_changed", "order.placed"] {
        assert_eq!(
            app.count(&format!("SELECT count(*) FROM audit_log WHERE action = '{action}' AND entity_id = '{id}' AND actor_kind = 'staff'")),
            1,
            "{action}"
        );
    }
}

#[test]
fn editing_a_placed_orders_lines_moves_stock_in_the_same_step() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let (id, _) = guest_order(&app, mug, "2", GUEST_PICKUP);
    assert_eq!(stock(&app, mug), 3);
    app.login_as("Manager");
    let lines = format!("/admin/orders/{id}/lines");
    let form = app.get(&lines);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("value=\"SKU-BLUE-MUG\""));

    let res = app.post_form(
        &lines,
        &lines,
        &[("lines[0].sku", "SKU-BLUE-MUG"), ("lines[0].quantity", "4")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(stock(&app, mug), 1);
    assert_eq!(
        app.count(&format!("SELECT total FROM orders WHERE id = {id}")),
        5000
    );
    let res = app.post_form(
        &lines,
        &lines,
        &[("lines[0].sku", "SKU-BLUE-MUG"), ("lines[0].quantity", "1")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(stock(&app, mug), 4);
    let edits: Vec<i64> = app.sql(|c| {
        let mut s =
            c.prepare("SELECT delta FROM stock_movements WHERE reason = 'edit' ORDER BY id")?;
        let rows = s.query_map([], |r| r.get(0))?;
        rows.collect()
    });
    assert_eq!(edits, [-2, 3]);

    // More than in stock: refused with the reason, nothing changed.
    let res = app.post_form(
        &lines,
        &lines,
        &[("lines[0].sku", "SKU-BLUE-MUG"), ("lines[0].quantity", "9")],
    );
    assert_eq!(res.status, 200);
    assert!(res.body.contains("Only 4 of"), "{}", res.body);
    assert_eq!(stock(&app, mug), 4);
    assert_eq!(
        app.count(&format!(
            "SELECT quantity FROM order_lines WHERE order_id = {id}"
        )),
        1
    );

    // Once paid, the lines are frozen (the page and the database agree).
    app.sql(|c| c.execute("UPDATE orders SET status = 'paid' WHERE id = ?1", [id]));
    let res = app.post_csrf(
        &format!("/admin/orders/{id}"),
        &lines,
        &[("lines[0].sku", "SKU-BLUE-MUG"), ("lines[0].quantity", "2")],
    );
    assert!(
        res.body.contains("can no longer be changed"),
        "{}",
        res.body
    );
    let raw = rusqlite::Connection::open(app.data_dir().join("shop.db")).unwrap();
    let err = raw
        .execute(
            "UPDATE order_lines SET quantity = 3 WHERE order_id = ?1",
            [id],
        )
        .unwrap_err();
    assert!(err.to_string().contains("can no longer be changed"));
}

#[test]
fn recording_a_payment_is_on_the_page_and_audited() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let (id, _) = guest_order(&app, mug, "2", GUEST_PICKUP);
    app.login_as("Manager");
    let page = format!("/admin/orders/{id}");
    assert!(app.get(&page).body.contains("Record payment"));
    let res = app.post_form(
        &page,
        &format!("{page}/mark-paid"),
        &[("reference", "BANK-77")],
    );
    let shown = follow(&app, &res);
    assert_eq!(order_status(&app, id), "paid");
    assert!(shown.body.contains("BANK-77") && shown.body.contains("succeeded"));
    app.flush_audit();
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'payment.succeeded' AND actor_kind = 'staff'"), 1);
    assert_eq!(app.count(&format!("SELECT count(*) FROM payments WHERE order_id = {id} AND status = 'succeeded' AND actor LIKE 'staff:%'")), 1);
}

#[test]
fn cancelling_restocks_a_placed_order_but_not_a_draft_and_the_mails_are_listed() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let (id, _) = guest_order(&app, mug, "2", GUEST_PICKUP);
    app.login_staff("owner@shop.test", common::OWNER_PW);
    let page = format!("/admin/orders/{id}");
    let res = app.post_form(&page, &format!("{page}/status"), &[("to", "cancelled")]);
    assert_eq!(res.status, 303);
    assert_eq!(stock(&app, mug), 5);
    assert_eq!(app.count(&format!("SELECT count(*) FROM stock_movements WHERE order_id = {id} AND reason = 'cancel' AND delta = 2")), 1);

    // The order's page lists the mails it caused, each linking to the outbox.
    let body = app.get(&page).body;
    let mails: Vec<(i64, String)> = app.sql(|c| {
        let mut s =
            c.prepare("SELECT id, subject FROM mail_outbox WHERE order_id = ?1 ORDER BY id")?;
        let rows = s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    });
    assert_eq!(mails.len(), 2, "placed and cancelled");
    for (mail_id, subject) in &mails {
        assert!(body.contains(&format!("/admin/outbox/{mail_id}")), "{body}");
        assert!(common::html_unescape(&body).contains(subject.as_str()));
    }

    // A draft never took stock, so cancelling it returns none.
    let res = app.post_form(
        "/admin/orders/new",
        "/admin/orders/new",
        &[
            ("email", "walk-in@shop.test"),
            ("shipping_method", "pickup"),
            ("payment_method", "cod"),
            ("lines[0].sku", "SKU-BLUE-MUG"),
            ("lines[0].quantity", "1"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let draft: i64 = app.count("SELECT max(id) FROM orders");
    let page = format!("/admin/orders/{draft}");
    app.post_form(&page, &format!("{page}/status"), &[("to", "cancelled")]);
    assert_eq!(order_status(&app, draft), "cancelled");
    assert_eq!(stock(&app, mug), 5);
}

#[test]
fn the_buyer_sees_a_staff_order_only_once_it_is_placed() {
    let app = TestApp::ready();
    common::accounts::no_captcha(&app);
    add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let buyer = common::accounts::verified_customer(&app, "mira@buyers.test");
    app.login_as("Manager");
    let res = app.post_form(
        "/admin/orders/new",
        "/admin/orders/new",
        &[
            ("email", "mira@buyers.test"),
            ("shipping_method", "pickup"),
            ("payment_method", "bank_transfer"),
            ("lines[0].sku", "SKU-BLUE-MUG"),
            ("lines[0].quantity", "1"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let (id, number): (i64, String) = app.sql(|c| {
        c.query_row("SELECT id, number FROM orders", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
    });
    assert_eq!(buyer.get(&format!("/account/orders/{id}")).status, 404);
    assert!(!buyer.get("/account/orders").body.contains(&number));
    let page = format!("/admin/orders/{id}");
    app.post_form(
        &page,
        &format!("{page}/status"),
        &[("to", "pending_payment")],
    );
    assert_eq!(order_status(&app, id), "pending_payment");
    assert_eq!(buyer.get(&format!("/account/orders/{id}")).status, 200);
    assert!(buyer.get("/account/orders").body.contains(&number));
}
