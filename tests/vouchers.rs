//! Vouchers end to end: made through the back-office form, applied in the cart and at
//! checkout the way a shopper does, charged on top of a promotion and redeemed by the
//! order, refused with the exact reason, raced for by concurrent checkouts (exactly one
//! order gets it), guarded by a trigger against raw SQL, and given back when an unpaid
//! order is cancelled. The shop's clock is moved by the tests.

mod common;

use common::accounts::{no_captcha, verified_customer, Browser, CUSTOMER_PW};
use common::products::{api, api_token, login_owner};
use common::shop::{add, checkout};
use common::{add_category, add_product, Res, TestApp};
use cornershop::clock::{sql_time, to_shop_time};
use serde_json::json;

/// A shop day (the offset is 0) `days` from the shop's today, as a date field takes it.
fn day(app: &TestApp, days: i64) -> String {
    to_shop_time(&sql_time(app.clock.now() + time::Duration::days(days)), 0)[..10].to_string()
}

/// Creates a voucher through the back-office form as the owner fills it.
fn create(app: &TestApp, fields: &[(&str, &str)]) -> Res {
    app.post_form("/admin/vouchers/new", "/admin/vouchers", fields)
}

fn voucher_id(res: &Res) -> i64 {
    assert_eq!(res.status, 303, "{}", res.body);
    res.header("location")
        .unwrap()
        .trim_start_matches("/admin/vouchers/")
        .parse()
        .unwrap()
}

const PICKUP: &[(&str, &str)] = &[
    ("shipping_method", "pickup"),
    ("payment_method", "bank_transfer"),
];

/// Applies a code with the cart page's form; the flash message it leads to.
fn apply_in_cart(b: &Browser, code: &str) -> String {
    let res = b.post_form("/cart", "/cart/voucher", &[("voucher_code", code)]);
    assert_eq!(res.status, 303, "{}", res.body);
    b.follow(&res).body
}

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

fn api_checkout(base: &str, t: &str, key: &str, body: serde_json::Value) -> Res {
    TestApp::collect(
        ureq::post(&format!("{base}/api/v1/checkout"))
            .set("Authorization", &format!("Bearer {t}"))
            .set("Idempotency-Key", key)
            .send_json(body),
    )
}

/// A shop with tea on a 20 % promotion (€10.41 → €8.33), a mug at €20.00, Mira (a
/// verified customer) and the owner logged in.
struct Shop {
    app: TestApp,
    sencha: i64,
    mug: i64,
    mira: Browser,
}

fn shop() -> Shop {
    let app = TestApp::ready();
    no_captcha(&app);
    let tea = add_category(&app, "tea", "Tea", None);
    let sencha = add_product(&app, "Sencha", 1041, 50, Some(tea), "active");
    let mug = add_product(&app, "Mug", 2000, 50, None, "active");
    let mira = verified_customer(&app, "mira@tea.test");
    login_owner(&app);
    let start = to_shop_time(&sql_time(app.clock.now() - time::Duration::minutes(5)), 0);
    let end = to_shop_time(&sql_time(app.clock.now() + time::Duration::days(60)), 0);
    let res = app.post_form(
        "/admin/promotions/new",
        "/admin/promotions",
        &[
            ("name", "Tea sale"),
            ("kind", "percent"),
            ("value", "20"),
            ("scope", "category"),
            ("category_id", &tea.to_string()),
            ("starts_at", &start),
            ("ends_at", &end),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    Shop {
        app,
        sencha,
        mug,
        mira,
    }
}

#[test]
fn a_voucher_applies_on_top_of_a_promotion_and_the_order_keeps_both_discounts() {
    let s = shop();
    let app = &s.app;
    let (from, until) = (day(app, 0), day(app, 30));
    let id = voucher_id(&create(
        app,
        &[
            ("code", " welcome-10 "),
            ("customer", "mira@tea.test"),
            ("kind", "percent"),
            ("value", "10"),
            ("min_subtotal", "20.00"),
            ("valid_from", &from),
            ("valid_until", &until),
        ],
    ));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE action = 'voucher.created' AND entity_id = '{id}'"
        )),
        1
    );
    assert!(app.get("/admin/vouchers").body.contains("WELCOME10"));

    // Three promoted teas: 3 × 8.33 = 24.99 after the promotion; 10 % of that is 2.499,
    // rounded half up to 2.50; the goods cost 22.49.
    add(&s.mira, s.sencha, "3");
    let cart = apply_in_cart(&s.mira, "Welcome 10");
    assert!(cart.contains("The voucher is applied."), "{cart}");
    assert!(cart.contains("Voucher WELCOME10"), "{cart}");
    assert!(cart.contains("−€2.50") && cart.contains("−€6.24"), "{cart}");

    let page = s.mira.get("/checkout");
    assert!(page.body.contains("€22.49"), "{}", page.body);
    assert_eq!(
        page.input_value("voucher_code").as_deref(),
        Some("WELCOME10")
    );
    let res = checkout(&s.mira, PICKUP);
    assert_eq!(res.status, 303, "{}", res.body);
    let order: i64 = res
        .header("location")
        .unwrap()
        .trim_start_matches("/account/orders/")
        .parse()
        .unwrap();
    let (number, subtotal, discount, voucher, total): (String, i64, i64, i64, i64) = app.sql(|c| {
        c.query_row(
            "SELECT number, subtotal, discount, voucher_discount, total FROM orders WHERE id = ?1",
            [order],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
    });
    assert_eq!(
        (subtotal, discount, voucher, total),
        (3123, 624 + 250, 250, 2249)
    );
    assert_eq!(
        app.count(&format!("SELECT order_id FROM vouchers WHERE id = {id}")),
        order
    );

    // The order page and the mail show both discounts, each on its own line.
    let shown = s.mira.get(&format!("/account/orders/{order}")).body;
    assert!(
        shown.contains("Promotions") && shown.contains("−€6.24"),
        "{shown}"
    );
    assert!(shown.contains("Voucher WELCOME10") && shown.contains("−€2.50"));
    assert!(shown.contains("€22.49"));
    let mail: String = app.sql(|c| {
        c.query_row(
            "SELECT text_body FROM mail_outbox WHERE template = 'order_placed' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
    });
    assert!(mail.contains("Tea sale −€6.24"), "{mail}");
    assert!(mail.contains("Voucher WELCOME10: −€2.50"), "{mail}");
    assert!(mail.contains("Total: €22.49"), "{mail}");
    let bo = app.get(&format!("/admin/orders/{order}")).body;
    assert!(
        bo.contains("<code>WELCOME10</code>") && bo.contains("−€2.50"),
        "{bo}"
    );

    // The customer's list says where it went; the API says the same.
    let mine = s.mira.get("/account/vouchers").body;
    assert!(mine.contains("WELCOME10") && mine.contains(&format!("on order {number}")));
    let t = token(&s.mira, "mira@tea.test");
    let listed = s
        .mira
        .json("GET", "/api/v1/me/vouchers", None, Some(&t))
        .json();
    assert_eq!(listed[0]["code"], "WELCOME10");
    assert_eq!(listed[0]["state"], "used");
    assert_eq!(listed[0]["used_on_order"], number.as_str());
}

#[test]
fn each_refusal_says_exactly_why_and_keeps_nothing() {
    let s = shop();
    let app = &s.app;
    let other = verified_customer(app, "olga@tea.test");
    let make = |code: &str, customer: &str, min: &str, from: i64, until: i64| {
        voucher_id(&create(
            app,
            &[
                ("code", code),
                ("customer", customer),
                ("kind", "amount"),
                ("value", "5.00"),
                ("min_subtotal", min),
                ("valid_from", &day(app, from)),
                ("valid_until", &day(app, until)),
            ],
        ))
    };
    make("MIRAONLY", "mira@tea.test", "", 0, 10);
    make("BIGORDER", "", "30.00", 0, 10);
    make("LATER", "", "", 3, 10);
    let old = make("OLDCODE", "", "", 0, 2);
    add(&other, s.mug, "1");
    let refused = |code: &str| {
        let body = apply_in_cart(&other, code);
        assert!(!body.contains("The voucher is applied."), "{code}: {body}");
        body
    };
    assert!(refused("NOSUCH").contains("No voucher has the code NOSUCH."));
    assert!(refused("miraonly").contains("This voucher belongs to another account."));
    assert!(refused("BIGORDER")
        .contains("For this voucher the order subtotal must be at least €30.00."));
    let later = day(app, 3);
    let (y, m, d) = (&later[..4], &later[5..7], &later[8..10]);
    let month = time::Month::try_from(m.parse::<u8>().unwrap()).unwrap();
    let mut when = format!("{} {month}", d.parse::<u8>().unwrap());
    if y != &day(app, 0)[..4] {
        when = format!("{when} {y}");
    }
    assert!(
        refused("LATER").contains(&format!("This voucher is not valid before {when}.")),
        "{when}"
    );
    // Three days on, the voucher valid for today and two more days has expired.
    app.clock.advance(3 * 86_400);
    let last = day(app, -1);
    let month = time::Month::try_from(last[5..7].parse::<u8>().unwrap()).unwrap();
    let mut when = format!("{} {month}", last[8..10].parse::<u8>().unwrap());
    if last[..4] != day(app, 0)[..4] {
        when = format!("{when} {}", &last[..4]);
    }
    assert!(refused("OLDCODE").contains(&format!("This voucher expired on {when}.")));
    assert_eq!(
        app.count("SELECT count(*) FROM carts WHERE voucher_code <> ''"),
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM vouchers WHERE id = {old} AND order_id IS NULL"
        )),
        1
    );

    // A guest cannot use a customer's voucher; a used one names its order.
    let guest = Browser::new(app);
    add(&guest, s.mug, "1");
    let body = apply_in_cart(&guest, "MIRAONLY");
    assert!(body.contains("This voucher belongs to a customer account: log in to use it."));
    add(&s.mira, s.mug, "1");
    assert!(apply_in_cart(&s.mira, "MIRAONLY").contains("The voucher is applied."));
    let res = checkout(&s.mira, PICKUP);
    assert_eq!(res.status, 303, "{}", res.body);
    let number: String =
        app.sql(|c| c.query_row("SELECT max(number) FROM orders", [], |r| r.get(0)));
    add(&s.mira, s.mug, "1");
    assert!(apply_in_cart(&s.mira, "MIRAONLY")
        .contains(&format!("This voucher was already used on order {number}.")));
}

#[test]
fn a_code_typed_at_checkout_shows_its_total_before_anything_is_placed() {
    let s = shop();
    let app = &s.app;
    voucher_id(&create(
        app,
        &[
            ("code", "FIVEOFF"),
            ("kind", "amount"),
            ("value", "5.00"),
            ("valid_from", &day(app, 0)),
            ("valid_until", &day(app, 5)),
        ],
    ));
    add(&s.mira, s.mug, "1");
    // Typed into the checkout and confirmed: the page comes back with the new total and
    // nothing is placed yet.
    let mut fields = PICKUP.to_vec();
    fields.push(("voucher_code", "five-off"));
    let res = checkout(&s.mira, &fields);
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("check the new total"), "{}", res.body);
    assert!(res.body.contains("€15.00"));
    assert_eq!(app.count("SELECT count(*) FROM orders"), 0);
    // A code that cannot be used stays beside its reason; nothing is placed.
    let mut fields = PICKUP.to_vec();
    fields.push(("voucher_code", "NOPE1234"));
    let res = checkout(&s.mira, &fields);
    assert_eq!(res.status, 422);
    assert!(res.body.contains("No voucher has the code NOPE1234."));
    assert_eq!(app.count("SELECT count(*) FROM orders"), 0);
    // Confirmed as shown, the order is charged what was shown.
    let res = checkout(&s.mira, PICKUP);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(app.count("SELECT total FROM orders"), 1500);
}

#[test]
fn fifty_concurrent_checkouts_with_one_voucher_make_exactly_one_order_that_carries_it() {
    let s = shop();
    let app = &s.app;
    voucher_id(&create(
        app,
        &[
            ("code", "ONCEONLY"),
            ("customer", "mira@tea.test"),
            ("kind", "percent"),
            ("value", "50"),
            ("valid_from", &day(app, 0)),
            ("valid_until", &day(app, 5)),
        ],
    ));
    let t = token(&s.mira, "mira@tea.test");
    let res = s.mira.json(
        "POST",
        "/api/v1/cart/items",
        Some(json!({ "product_id": s.mug, "quantity": 1 })),
        Some(&t),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let base = app.base.clone();
    let results: Vec<Res> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let (base, t) = (&base, &t);
                sc.spawn(move || {
                    api_checkout(
                        base,
                        t,
                        &format!("race-{i}"),
                        json!({ "shipping_method": "pickup", "payment_method": "bank_transfer",
                                "voucher_code": "once only" }),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let placed: Vec<&Res> = results.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        placed.len(),
        1,
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let order = placed[0].json();
    assert_eq!(order["voucher_code"], "ONCEONLY");
    assert_eq!(order["voucher_discount"], 1000);
    assert_eq!(order["total"], 1000);
    let message = format!(
        "This voucher was already used on order {}.",
        order["number"].as_str().unwrap()
    );
    for r in results.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&message),
            "{}",
            r.body
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM orders"), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE voucher_code = 'ONCEONLY'"),
        1
    );
}

#[test]
fn guests_racing_for_an_anyones_voucher_leave_one_order_with_it_and_the_rest_unplaced() {
    let s = shop();
    let app = &s.app;
    voucher_id(&create(
        app,
        &[
            ("code", "FIRSTCOMES"),
            ("kind", "amount"),
            ("value", "3.00"),
            ("valid_from", &day(app, 0)),
            ("valid_until", &day(app, 5)),
        ],
    ));
    let guests: Vec<(Browser, Res)> = (0..20)
        .map(|_| {
            let b = Browser::new(app);
            assert_eq!(add(&b, s.mug, "1").status, 303);
            assert!(apply_in_cart(&b, "FIRSTCOMES").contains("The voucher is applied."));
            let page = b.get("/checkout");
            assert_eq!(page.status, 200);
            (b, page)
        })
        .collect();
    let results: Vec<Res> = std::thread::scope(|sc| {
        let handles: Vec<_> = guests
            .iter()
            .enumerate()
            .map(|(i, (b, page))| {
                sc.spawn(move || {
                    let email = format!("guest{i}@tea.test");
                    let key = page.input_value("idempotency_key").unwrap();
                    let mut fields = PICKUP.to_vec();
                    fields.push(("email", &email));
                    fields.push(("idempotency_key", &key));
                    b.submit(page, "/checkout", &fields)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.status == 303).count(), 1);
    let refused: Vec<&Res> = results.iter().filter(|r| r.status == 409).collect();
    assert_eq!(refused.len(), 19);
    assert!(refused
        .iter()
        .all(|r| r.body.contains("This voucher was already used on order")));
    // One order, charged €17.00; the other carts still hold their mug.
    assert_eq!(app.count("SELECT count(*) FROM orders"), 1);
    assert_eq!(app.count("SELECT total FROM orders"), 1700);
    assert_eq!(app.count("SELECT count(*) FROM cart_items"), 19);
}

#[test]
fn a_second_redemption_is_refused_even_by_raw_sql() {
    let s = shop();
    let app = &s.app;
    voucher_id(&create(
        app,
        &[
            ("code", "RAWSQL01"),
            ("kind", "percent"),
            ("value", "10"),
            ("valid_from", &day(app, 0)),
            ("valid_until", &day(app, 5)),
        ],
    ));
    add(&s.mira, s.mug, "1");
    apply_in_cart(&s.mira, "RAWSQL01");
    assert_eq!(checkout(&s.mira, PICKUP).status, 303);
    let tried = app.db.write_blocking(|tx| {
        tx.execute(
            "UPDATE vouchers SET order_id = order_id, used_at = '2030-01-01T00:00:00Z' WHERE code = 'RAWSQL01'",
            [],
        )?;
        Ok(())
    });
    let err = tried.unwrap_err().to_string();
    assert!(err.contains("already been used"), "{err}");
    let changed = app.db.write_blocking(|tx| {
        tx.execute("UPDATE vouchers SET value = 90 WHERE code = 'RAWSQL01'", [])?;
        Ok(())
    });
    assert!(changed
        .unwrap_err()
        .to_string()
        .contains("cannot be changed"));
    let deleted = app.db.write_blocking(|tx| {
        tx.execute("DELETE FROM vouchers WHERE code = 'RAWSQL01'", [])?;
        Ok(())
    });
    assert!(deleted
        .unwrap_err()
        .to_string()
        .contains("cannot be deleted"));
    assert_eq!(
        app.count("SELECT value FROM vouchers WHERE code = 'RAWSQL01'"),
        10
    );
}

#[test]
fn cancelling_an_unpaid_order_gives_the_voucher_back_and_a_paid_one_keeps_it_used() {
    let s = shop();
    let app = &s.app;
    let id = voucher_id(&create(
        app,
        &[
            ("code", "COMEBACK"),
            ("customer", "mira@tea.test"),
            ("kind", "amount"),
            ("value", "2.00"),
            ("valid_from", &day(app, 0)),
            ("valid_until", &day(app, 5)),
        ],
    ));
    let buy = || {
        add(&s.mira, s.mug, "1");
        apply_in_cart(&s.mira, "COMEBACK");
        let res = checkout(&s.mira, PICKUP);
        assert_eq!(res.status, 303, "{}", res.body);
        res.header("location")
            .unwrap()
            .trim_start_matches("/account/orders/")
            .parse::<i64>()
            .unwrap()
    };
    let first = buy();
    let res = s.mira.post_form(
        &format!("/account/orders/{first}"),
        &format!("/orders/{first}/cancel"),
        &[],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM vouchers WHERE id = {id} AND order_id IS NULL"
        )),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'voucher.returned'"),
        1
    );
    // The cancelled order still shows what it was charged with.
    assert_eq!(
        app.count(&format!(
            "SELECT voucher_discount FROM orders WHERE id = {first}"
        )),
        200
    );

    // Used again, paid, then cancelled by the shop: the voucher stays used.
    let second = buy();
    let page = format!("/admin/orders/{second}");
    let res = app.post_form(
        &page,
        &format!("{page}/mark-paid"),
        &[("reference", "BANK-1")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let form =
        common::form::HtmlForm::find_all(&app.get(&page).body, &page, &format!("{page}/status"))
            .into_iter()
            .find(|f| {
                f.controls
                    .iter()
                    .any(|c| c.name == "to" && c.value == "cancelled")
            })
            .expect("a cancel button");
    assert_eq!(app.submit(&form).status, 303);
    assert_eq!(
        app.count(&format!("SELECT order_id FROM vouchers WHERE id = {id}")),
        second
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'voucher.returned'"),
        1
    );
}

#[test]
fn bad_input_is_refused_with_its_reason_and_saves_nothing() {
    let s = shop();
    let app = &s.app;
    let (from, until) = (day(app, 0), day(app, 5));
    let base = |extra: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, String)> = vec![
            ("kind", "percent".into()),
            ("value", "10".into()),
            ("valid_from", from.clone()),
            ("valid_until", until.clone()),
        ];
        for (k, v) in extra {
            f.retain(|(n, _)| n != k);
            f.push((k, v.to_string()));
        }
        f
    };
    let try_it = |extra: &[(&'static str, &'static str)], message: &str| {
        let f = base(extra);
        let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = create(app, &fields);
        assert_eq!(res.status, 422, "{extra:?}: {}", res.body);
        assert!(
            common::html_unescape(&res.body).contains(message),
            "{extra:?} should say {message:?}"
        );
    };
    try_it(
        &[("value", "0")],
        "A percent off is a whole number from 1 to 100.",
    );
    try_it(
        &[("value", "101")],
        "A percent off is a whole number from 1 to 100.",
    );
    try_it(&[("kind", "amount"), ("value", "-2")], "");
    try_it(
        &[("code", "A%B!")],
        "A code has only the letters A–Z and digits",
    );
    try_it(
        &[("customer", "nobody@tea.test")],
        "No customer has the email nobody@tea.test.",
    );
    try_it(
        &[("valid_from", "2027-02-10"), ("valid_until", "2027-02-01")],
        "The last day cannot be before the first.",
    );
    try_it(
        &[("valid_until", "soon")],
        "Give the last day it can be used.",
    );
    assert_eq!(app.count("SELECT count(*) FROM vouchers"), 0);

    // Codes match ignoring case and spaces: a second "summer 20" is the same code.
    let f = base(&[("code", "SUMMER20")]);
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    voucher_id(&create(app, &fields));
    try_it(
        &[("code", " summer 20 ")],
        "Another voucher has the code SUMMER20.",
    );

    // A deactivated customer's voucher could never be used.
    app.sql(|c| {
        c.execute(
            "UPDATE customers SET active = 0 WHERE email = 'mira@tea.test'",
            [],
        )
    });
    try_it(
        &[("customer", "mira@tea.test")],
        "That customer's account is deactivated",
    );
    assert_eq!(app.count("SELECT count(*) FROM vouchers"), 1);

    // An amount that makes a qualifying order free is saved, with a warning.
    let f = base(&[
        ("kind", "amount"),
        ("value", "25.00"),
        ("min_subtotal", "20.00"),
    ]);
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = create(app, &fields);
    let shown = common::html_unescape(&app.get(res.header("location").unwrap()).body);
    assert!(
        shown.contains("an order of up to €25.00 costs nothing but its shipping"),
        "{shown}"
    );
}

#[test]
fn the_back_office_list_filters_by_state_customer_and_code() {
    let s = shop();
    let app = &s.app;
    for (code, customer, until) in [
        ("UNUSEDA1", "mira@tea.test", 5),
        ("USEDB222", "mira@tea.test", 5),
        ("OLDC3333", "", 1),
    ] {
        voucher_id(&create(
            app,
            &[
                ("code", code),
                ("customer", customer),
                ("kind", "percent"),
                ("value", "10"),
                ("valid_from", &day(app, 0)),
                ("valid_until", &day(app, until)),
            ],
        ));
    }
    add(&s.mira, s.mug, "1");
    apply_in_cart(&s.mira, "USEDB222");
    assert_eq!(checkout(&s.mira, PICKUP).status, 303);
    app.clock.advance(2 * 86_400);
    // Two days on, the back-office session has timed out.
    login_owner(app);
    let codes = |query: &str| -> Vec<&str> {
        let res = app.get(&format!("/admin/vouchers{query}"));
        assert_eq!(res.status, 200, "{}", res.body);
        let body = res.body;
        ["UNUSEDA1", "USEDB222", "OLDC3333"]
            .into_iter()
            .filter(|c| body.contains(&format!("<code>{c}</code>")))
            .collect()
    };
    assert_eq!(codes(""), ["UNUSEDA1", "USEDB222", "OLDC3333"]);
    assert_eq!(codes("?state=unused"), ["UNUSEDA1"]);
    assert_eq!(codes("?state=used"), ["USEDB222"]);
    assert_eq!(codes("?state=expired"), ["OLDC3333"]);
    assert_eq!(codes("?customer=mira%40tea.test"), ["UNUSEDA1", "USEDB222"]);
    assert_eq!(codes("?q=old"), ["OLDC3333"]);
    assert_eq!(app.get("/admin/vouchers?state=lost").status, 400);
    // A used voucher is kept with its order: no delete, and a refusal if asked anyway.
    let used = app.count("SELECT id FROM vouchers WHERE code = 'USEDB222'");
    let page = app.get(&format!("/admin/vouchers/{used}")).body;
    assert!(!page.contains("/delete\""), "{page}");
    let res = app.post_csrf(
        &format!("/admin/vouchers/{used}"),
        &format!("/admin/vouchers/{used}/delete"),
        &[],
    );
    assert_eq!(res.status, 303);
    assert!(app
        .get(res.header("location").unwrap())
        .body
        .contains("kept with that order"));
    assert_eq!(app.count("SELECT count(*) FROM vouchers"), 3);
}

#[test]
fn the_staff_api_makes_lists_changes_and_deletes_vouchers_with_the_same_checks() {
    let s = shop();
    let app = &s.app;
    let owner = api_token(app, "Owner");
    let viewer = api_token(app, "Viewer");
    let mira = app.count("SELECT id FROM customers WHERE email = 'mira@tea.test'");
    let res = api(
        app,
        "POST",
        "/api/v1/admin/vouchers",
        Some(json!({ "customer_id": mira, "kind": "amount", "value": 500, "min_subtotal": 2000 })),
        Some(&owner),
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let v = res.json();
    let code = v["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 10);
    assert_eq!(
        (v["value"].as_i64(), v["min_subtotal"].as_i64()),
        (Some(500), Some(2000))
    );
    assert_eq!(v["state"], "usable");
    let id = v["id"].as_i64().unwrap();

    let bad = api(
        app,
        "POST",
        "/api/v1/admin/vouchers",
        Some(json!({ "kind": "percent", "value": 150, "customer_id": 9999 })),
        Some(&owner),
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("There is no customer 9999."));
    let dup = api(
        app,
        "POST",
        "/api/v1/admin/vouchers",
        Some(json!({ "kind": "percent", "value": 10, "code": code.to_lowercase() })),
        Some(&owner),
    );
    assert_eq!(dup.status, 422);
    assert!(dup
        .body
        .contains(&format!("Another voucher has the code {code}.")));

    let changed = api(
        app,
        "PUT",
        &format!("/api/v1/admin/vouchers/{id}"),
        Some(json!({ "customer_id": null, "note": "for the fair" })),
        Some(&owner),
    );
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.json()["customer_id"], serde_json::Value::Null);
    assert_eq!(changed.json()["value"], 500);

    let list = api(
        app,
        "GET",
        "/api/v1/admin/vouchers?state=unused",
        None,
        Some(&viewer),
    );
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["total"], 1);
    assert_eq!(
        api(
            app,
            "POST",
            "/api/v1/admin/vouchers",
            Some(json!({ "kind": "percent", "value": 5 })),
            Some(&viewer)
        )
        .status,
        403
    );
    assert_eq!(
        api(
            app,
            "DELETE",
            &format!("/api/v1/admin/vouchers/{id}"),
            None,
            Some(&viewer)
        )
        .status,
        403
    );
    assert_eq!(
        api(
            app,
            "DELETE",
            &format!("/api/v1/admin/vouchers/{id}"),
            None,
            Some(&owner)
        )
        .status,
        204
    );
    assert_eq!(app.count("SELECT count(*) FROM vouchers"), 0);
}
