//! Cart, checkout and orders on the web: stock checks, the one-transaction order, the
//! idempotent confirm, 100 concurrent buyers for the last 3 units, the cancel window, and
//! who may see an order.

mod common;

use common::accounts::{no_captcha, verified_customer, Browser};
use common::shop::{add, checkout, stock, GUEST_PICKUP};
use common::{add_product, Res, TestApp};

#[test]
fn a_guest_fills_a_cart_checks_out_and_reads_the_order() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 10, None, "active");
    let tea = add_product(&app, "Green Tea", 800, 5, None, "active");
    let b = Browser::new(&app);
    assert_eq!(add(&b, mug, "2").status, 303);
    assert_eq!(add(&b, tea, "1").status, 303);
    let cart = b.get("/cart");
    assert!(
        cart.body.contains("Blue Mug") && cart.body.contains("€25.00"),
        "{}",
        cart.body
    );

    let res = checkout(&b, GUEST_PICKUP);
    assert_eq!(res.status, 303, "{}", res.body);
    let to = res.header("location").unwrap().to_string();
    assert!(to.starts_with("/orders/") && to.contains("?key="), "{to}");
    let page = b.get(&to);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Ready for paying") && page.body.contains("€33.00"));

    assert_eq!((stock(&app, mug), stock(&app, tea)), (8, 4));
    assert_eq!(
        app.count("SELECT count(*) FROM stock_movements WHERE reason = 'order'"),
        2
    );
    assert_eq!(app.count("SELECT sum(delta) FROM stock_movements"), -3);
    assert_eq!(
        app.count("SELECT count(*) FROM cart_items"),
        0,
        "the cart is emptied"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE template = 'order_placed' AND to_address = 'guest@tea.test'"),
        1
    );
    let (subtotal, total, status): (i64, i64, String) = app.sql(|c| {
        c.query_row("SELECT subtotal, total, status FROM orders", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
    });
    assert_eq!(
        (subtotal, total, status.as_str()),
        (3300, 3300, "pending_payment")
    );

    // Without the key, or with another one, the order does not exist.
    let id = to.trim_start_matches("/orders/").split('?').next().unwrap();
    assert_eq!(
        Browser::new(&app)
            .get(&format!("/orders/{id}?key=nope"))
            .status,
        404
    );
}

#[test]
fn asking_for_more_than_the_stock_names_the_product_and_what_is_left() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 3, None, "active");
    let b = Browser::new(&app);
    let res = add(&b, mug, "5");
    let page = b.follow(&res);
    assert!(
        page.body
            .contains("Only 3 of &#x27;Blue Mug&#x27; left — your cart has 5"),
        "{}",
        page.body
    );
    for bad in ["0", "-2", "1000", "abc", ""] {
        let page = b.follow(&add(&b, mug, bad));
        assert!(page.body.contains("from 1 to 999"), "{bad}");
    }
    assert_eq!(app.count("SELECT count(*) FROM cart_items"), 0);

    // A price sent with the form is ignored: prices come from the database.
    let res = b.post_csrf(
        "/account/forgot",
        "/cart/add",
        &[
            ("product_id", &mug.to_string()),
            ("quantity", "1"),
            ("price", "1"),
        ],
    );
    assert_eq!(res.status, 303);
    assert!(b.get("/cart").body.contains("€12.50"));
}

#[test]
fn a_product_gone_from_sale_blocks_checkout_with_a_clear_line() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 3, None, "active");
    let b = Browser::new(&app);
    add(&b, mug, "2");
    app.sql(|c| {
        c.execute(
            "UPDATE products SET status = 'archived' WHERE id = ?1",
            [mug],
        )
    });
    let cart = b.get("/cart");
    assert!(cart.body.contains("is no longer sold"));
    let res = b.get("/checkout");
    assert_eq!(res.status, 303);
    assert!(b.follow(&res).body.contains("is no longer sold"));
}

#[test]
fn confirming_twice_places_one_order() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 3, None, "active");
    let b = Browser::new(&app);
    add(&b, mug, "1");
    let page = b.get("/checkout");
    let key = page.input_value("idempotency_key").unwrap();
    let mut fields: Vec<(&str, &str)> = GUEST_PICKUP.to_vec();
    fields.push(("idempotency_key", &key));
    let first = b.submit(&page, "/checkout", &fields);
    let second = b.submit(&page, "/checkout", &fields);
    assert_eq!(first.status, 303);
    assert_eq!(second.status, 303, "{}", second.body);
    assert_eq!(first.header("location"), second.header("location"));
    assert_eq!(app.count("SELECT count(*) FROM orders"), 1);
    assert_eq!(stock(&app, mug), 2);
}

#[test]
fn a_hundred_buyers_for_the_last_three_units_make_exactly_three_orders() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Last Mug", 1000, 3, None, "active");
    let buyers: Vec<(Browser, Res)> = (0..100)
        .map(|_| {
            let b = Browser::new(&app);
            assert_eq!(add(&b, mug, "1").status, 303);
            let page = b.get("/checkout");
            assert_eq!(page.status, 200);
            (b, page)
        })
        .collect();
    let results: Vec<Res> = std::thread::scope(|s| {
        let handles: Vec<_> = buyers
            .iter()
            .map(|(b, page)| {
                s.spawn(move || {
                    let key = page.input_value("idempotency_key").unwrap();
                    let mut fields: Vec<(&str, &str)> = GUEST_PICKUP.to_vec();
                    fields.push(("idempotency_key", &key));
                    b.submit(page, "/checkout", &fields)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let placed = results.iter().filter(|r| r.status == 303).count();
    let refused: Vec<&Res> = results.iter().filter(|r| r.status == 409).collect();
    assert_eq!(placed, 3);
    assert_eq!(refused.len(), 97);
    assert!(refused.iter().all(|r| r.body.contains("out of stock")));
    assert_eq!(stock(&app, mug), 0);
    assert_eq!(app.count("SELECT count(*) FROM orders"), 3);
    assert_eq!(app.count("SELECT sum(delta) FROM stock_movements"), -3);
}

#[test]
fn a_customer_cancels_within_the_window_and_the_stock_returns() {
    let app = TestApp::ready();
    no_captcha(&app);
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let b = verified_customer(&app, "buyer@tea.test");
    add(&b, mug, "2");
    let res = checkout(
        &b,
        &[
            ("shipping_method", "flat"),
            ("payment_method", "bank_transfer"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let to = res.header("location").unwrap().to_string();
    assert!(to.starts_with("/account/orders/"));
    assert_eq!(stock(&app, mug), 3);
    let total: i64 = app.count("SELECT total FROM orders");
    assert_eq!(total, 2500 + 490, "flat rate below the free threshold");

    let res = b.post_form(&to, &format!("{}/cancel", to.replace("/account", "")), &[]);
    assert!(b.follow(&res).body.contains("is cancelled"));
    assert_eq!(stock(&app, mug), 5);
    assert_eq!(
        app.count("SELECT count(*) FROM stock_movements WHERE reason = 'cancel'"),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE template = 'order_cancelled'"),
        1
    );

    // A second order, past the window, stays.
    add(&b, mug, "1");
    let res = checkout(
        &b,
        &[
            ("shipping_method", "pickup"),
            ("payment_method", "bank_transfer"),
        ],
    );
    let to = res.header("location").unwrap().to_string();
    app.clock.advance(5 * 60 + 1);
    let page = b.get(&to);
    assert!(!page.body.contains("Cancel order"));
    let res = b.post_csrf(&to, &format!("{}/cancel", to.replace("/account", "")), &[]);
    assert!(b.follow(&res).body.contains("within 5 minutes"));
    assert_eq!(stock(&app, mug), 4);
}

#[test]
fn nobody_reads_another_customers_order() {
    let app = TestApp::ready();
    no_captcha(&app);
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let a = verified_customer(&app, "a@tea.test");
    add(&a, mug, "1");
    let to = checkout(
        &a,
        &[
            ("shipping_method", "pickup"),
            ("payment_method", "bank_transfer"),
        ],
    )
    .header("location")
    .unwrap()
    .to_string();
    let b = verified_customer(&app, "b@tea.test");
    assert_eq!(b.get(&to).status, 404);
    let res = b.post_csrf(
        "/account/orders",
        &format!("{}/cancel", to.replace("/account", "")),
        &[],
    );
    assert_eq!(res.status, 404);
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE status = 'pending_payment'"),
        1
    );
}

#[test]
fn logging_in_brings_the_guest_cart_along() {
    let app = TestApp::ready();
    no_captcha(&app);
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let tea = add_product(&app, "Green Tea", 800, 5, None, "active");
    let b = verified_customer(&app, "merge@tea.test");
    add(&b, mug, "1");
    b.post_form("/account", "/account/logout", &[]);
    add(&b, mug, "2");
    add(&b, tea, "1");
    assert_eq!(
        b.login("merge@tea.test", common::accounts::CUSTOMER_PW)
            .status,
        303
    );
    let cart = b.get("/cart");
    assert!(
        cart.body.contains("value=\"3\""),
        "quantities add up: {}",
        cart.body
    );
    assert!(cart.body.contains("Green Tea"));
    assert_eq!(
        app.count("SELECT count(*) FROM carts"),
        1,
        "the guest cart is gone"
    );
}

#[test]
fn a_product_page_shows_the_stock_left_after_an_order() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 3, None, "active");
    let before = app.get("/products/blue-mug");
    assert!(before.body.contains("Add to cart"));
    let b = Browser::new(&app);
    add(&b, mug, "3");
    assert_eq!(checkout(&b, GUEST_PICKUP).status, 303);
    let after = app.get("/products/blue-mug");
    assert!(
        after.body.contains("Out of stock"),
        "the cached page is not shown stale"
    );
    assert!(!after.body.contains("Add to cart"));
}

#[test]
fn the_database_refuses_a_forbidden_status_move_even_by_raw_sql() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 3, None, "active");
    let b = Browser::new(&app);
    add(&b, mug, "1");
    assert_eq!(checkout(&b, GUEST_PICKUP).status, 303);
    let c = rusqlite::Connection::open(app.data_dir().join("shop.db")).unwrap();
    let err = c
        .execute("UPDATE orders SET status = 'shipped'", [])
        .unwrap_err()
        .to_string();
    assert!(err.contains("not allowed"), "{err}");
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE status = 'pending_payment'"),
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM order_status_history"), 1);
    // An allowed move by raw SQL is written to the history by the other trigger.
    c.execute(
        "UPDATE orders SET status = 'cancelled', changed_by = 'sql'",
        [],
    )
    .unwrap();
    assert_eq!(
        app.count("SELECT count(*) FROM order_status_history WHERE actor = 'sql'"),
        1
    );
}
