//! Payments end to end on a real server: every method, refusals recorded, the QR code only
//! for the order's owner, PayPal against the stand-in, staff marking paid.

mod common;

use common::accounts::{verified_customer, Browser, CUSTOMER_PW};
use common::paypal::{CaptureMode, PayPalStandIn, CLIENT_ID, CLIENT_SECRET};
use common::{add_product, Res, TestApp};
use cornershop::cart::store::{self as cart, Owner};
use cornershop::orders::access::{self, Viewer};
use cornershop::orders::place::{place, Checkout};
use serde_json::{json, Value};

/// 12.34 in the shop's currency: one unit of the test product, picked up (free).
const TOTAL: i64 = 1234;

fn shop() -> (TestApp, i64) {
    let app = TestApp::ready();
    common::accounts::no_captcha(&app);
    let product = add_product(&app, "Blue Mug", TOTAL, 1000, None, "active");
    (app, product)
}

/// Places an order of one Blue Mug for `owner`, paid by `method`, as the checkout does
/// (with `after_placed` in the same transaction).
fn order(app: &TestApp, product: i64, owner: Owner, email: &str, method: &str) -> i64 {
    let secret = app.secret();
    let now = app.clock.now();
    let key = format!("k-{}", cornershop::secret::random_token());
    app.db
        .write_blocking(|tx| {
            cart::add(tx, &owner, product, 1, now)?;
            let placed = place(
                tx,
                &secret,
                &Checkout {
                    owner: owner.clone(),
                    email: email.into(),
                    address: None,
                    shipping_method: "pickup".into(),
                    payment_method: method.into(),
                    voucher_code: None,
                    idempotency_key: key.clone(),
                    ip: None,
                },
                &app.base,
                now,
            )?;
            cornershop::payments::after_placed(tx, &secret, placed.id, &app.base, now)?;
            Ok(placed.id)
        })
        .unwrap_or_else(|e| panic!("order by {method}: {e}"))
}

fn customer_id(app: &TestApp, email: &str) -> i64 {
    app.sql(|c| {
        c.query_row("SELECT id FROM customers WHERE email = ?1", [email], |r| {
            r.get(0)
        })
    })
}

fn status(app: &TestApp, order: i64) -> String {
    app.sql(|c| {
        c.query_row("SELECT status FROM orders WHERE id = ?1", [order], |r| {
            r.get(0)
        })
    })
}

/// (method, amount, status, reference, message, actor) of each payment row of `order`.
fn payments(app: &TestApp, order: i64) -> Vec<(String, i64, String, String, String, String)> {
    app.sql(|c| {
        let mut s = c.prepare(
            "SELECT method, amount, status, reference, message, actor FROM payments WHERE order_id = ?1 ORDER BY id",
        )?;
        let rows = s.query_map([order], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?;
        rows.collect()
    })
}

fn statuses(app: &TestApp, order: i64) -> Vec<String> {
    payments(app, order).into_iter().map(|p| p.2).collect()
}

fn mails(app: &TestApp, template: &str, to: &str) -> i64 {
    app.sql(|c| {
        c.query_row(
            "SELECT count(*) FROM mail_outbox WHERE template = ?1 AND to_address = ?2",
            [template, to],
            |r| r.get(0),
        )
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 3 <= b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The one-time message a redirect carries (Rocket's `_flash` cookie: "len:kind" + text).
fn flash(res: &Res) -> String {
    let cookies = res.headers.get("set-cookie").cloned().unwrap_or_default();
    let c = cookies
        .iter()
        .find(|c| c.starts_with("_flash="))
        .unwrap_or_else(|| panic!("no flash message in {cookies:?}"));
    let value = c["_flash=".len()..].split(';').next().unwrap_or("");
    percent_decode(value)
}

fn api_token(b: &Browser, email: &str) -> String {
    let res = b.json(
        "POST",
        "/api/v1/auth/login",
        Some(json!({ "email": email, "password": CUSTOMER_PW })),
        None,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    res.json()["token"].as_str().unwrap().to_string()
}

fn codes(res: &Res) -> Vec<String> {
    res.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_methods_on_offer_follow_the_settings_and_are_in_the_openapi_document() {
    let (app, _) = shop();
    let res = app.get("/api/v1/payment-methods");
    assert_eq!(res.status, 200);
    assert_eq!(
        codes(&res),
        ["cod", "bank_transfer", "bobi"],
        "PayPal is off by default"
    );
    let bobi = &res.json()[2];
    assert_eq!(bobi["label"], "Bobi");
    assert!(bobi["description"]
        .as_str()
        .unwrap()
        .contains("exact amount"));

    // PayPal switched on without credentials offers nothing that works: not listed, and a
    // checkout cannot choose it.
    app.set_setting("payments.paypal.enabled", "true");
    assert!(!codes(&app.get("/api/v1/payment-methods")).contains(&"paypal".to_string()));
    app.set_setting("payments.paypal.client_id", CLIENT_ID);
    app.set_setting("payments.paypal.client_secret", CLIENT_SECRET);
    app.set_setting("payments.cod.enabled", "false");
    assert_eq!(
        codes(&app.get("/api/v1/payment-methods")),
        ["bank_transfer", "bobi", "paypal"]
    );
    // The client secret is stored sealed, never in the clear.
    let raw: String = app.sql(|c| {
        c.query_row(
            "SELECT value FROM settings WHERE key = 'payments.paypal.client_secret'",
            [],
            |r| r.get(0),
        )
    });
    assert!(!raw.contains(CLIENT_SECRET), "{raw}");

    let doc = app.get("/api/openapi.json").json();
    assert!(doc["paths"]["/api/v1/payment-methods"]["get"].is_object());
    let pay = &doc["paths"]["/api/v1/orders/{id}/pay"]["post"];
    assert_eq!(pay["tags"][0], "payments");
    for code in ["200", "404", "409", "422"] {
        assert!(pay["responses"][code].is_object(), "{code}");
    }
}

#[test]
fn bobi_refuses_a_wrong_amount_and_the_exact_amount_pays_the_order() {
    let (app, product) = shop();
    let b = verified_customer(&app, "mira@tea.test");
    let me = customer_id(&app, "mira@tea.test");
    let id = order(&app, product, Owner::Customer(me), "mira@tea.test", "bobi");
    let path = format!("/orders/{id}/pay");

    let res = b.post_form(
        &format!("/account/orders/{id}"),
        &path,
        &[("method", "bobi"), ("amount", "12.00")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location"),
        Some(format!("/account/orders/{id}").as_str())
    );
    assert_eq!(
        flash(&res),
        "5:errorThat is not the amount of this order: type exactly 12.34 €."
    );
    assert_eq!(status(&app, id), "pending_payment");
    let refused = &payments(&app, id)[0];
    assert_eq!(
        (refused.0.as_str(), refused.1, refused.2.as_str()),
        ("bobi", 1200, "refused")
    );
    assert_eq!(refused.5, format!("customer:{me}"));

    // Not even an amount: refused the same way, and recorded.
    let res = b.post_form(
        &format!("/account/orders/{id}"),
        &path,
        &[("method", "bobi"), ("amount", "twelve")],
    );
    assert!(flash(&res).contains("type exactly 12.34"));
    assert_eq!(statuses(&app, id), ["refused", "refused"]);
    assert_eq!(mails(&app, "order_paid", "mira@tea.test"), 0);

    let res = b.post_form(
        &format!("/account/orders/{id}"),
        &path,
        &[("method", "bobi"), ("amount", "12.34")],
    );
    assert_eq!(res.status, 303);
    assert!(flash(&res).starts_with("7:success"), "{}", flash(&res));
    assert_eq!(status(&app, id), "paid");
    assert_eq!(statuses(&app, id), ["refused", "refused", "succeeded"]);
    assert_eq!(mails(&app, "order_paid", "mira@tea.test"), 1);
    let history: (String, String, String) = app.sql(|c| {
        c.query_row(
            "SELECT from_status, to_status, actor FROM order_status_history WHERE order_id = ?1 ORDER BY id DESC LIMIT 1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    });
    assert_eq!(
        history,
        (
            "pending_payment".into(),
            "paid".into(),
            format!("customer:{me}")
        )
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE subsystem = 'payments' AND action = 'payment.succeeded'"),
        1
    );

    // Paying again: refused with the reason, and that attempt is recorded too.
    let res = b.post_csrf(
        &format!("/account/orders/{id}"),
        &path,
        &[("method", "bobi"), ("amount", "12.34")],
    );
    assert_eq!(flash(&res), "5:errorThis order is already paid.");
    assert_eq!(
        statuses(&app, id),
        ["refused", "refused", "succeeded", "refused"]
    );
    assert_eq!(payments(&app, id)[3].4, "This order is already paid.");
    assert_eq!(mails(&app, "order_paid", "mira@tea.test"), 1);
}

#[test]
fn the_api_pays_with_the_same_rules_and_answers_409_422_and_404() {
    let (app, product) = shop();
    let b = verified_customer(&app, "ana@tea.test");
    let token = api_token(&b, "ana@tea.test");
    let me = customer_id(&app, "ana@tea.test");
    let id = order(&app, product, Owner::Customer(me), "ana@tea.test", "bobi");
    let path = format!("/api/v1/orders/{id}/pay");

    let res = b.json(
        "POST",
        &path,
        Some(json!({"method": "bobi", "amount": 1233})),
        Some(&token),
    );
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(
        res.json()["error"]["message"],
        "That is not the amount of this order: type exactly 12.34 €."
    );
    let res = b.json("POST", &path, Some(json!({"method": "bobi"})), Some(&token));
    assert_eq!(res.status, 422);
    let res = b.json(
        "POST",
        &path,
        Some(json!({"method": "paypal"})),
        Some(&token),
    );
    assert_eq!(res.status, 422);
    assert_eq!(
        res.json()["error"]["message"],
        "This order is to be paid by Bobi; choose that method to pay it."
    );
    assert_eq!(statuses(&app, id), ["refused", "refused", "refused"]);

    let res = b.json(
        "POST",
        &path,
        Some(json!({"method": "bobi", "amount": TOTAL})),
        Some(&token),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let body = res.json();
    assert_eq!(body["status"], "paid");
    assert_eq!(body["order_id"], id);
    assert!(body["approve_url"].is_null() && body["bank_transfer"].is_null());

    let res = b.json(
        "POST",
        &path,
        Some(json!({"method": "bobi", "amount": TOTAL})),
        Some(&token),
    );
    assert_eq!(res.status, 409);
    assert_eq!(
        res.json()["error"]["message"],
        "This order is already paid."
    );

    // A cancelled order cannot be paid: 409 with the reason, and a refused row.
    let other = order(&app, product, Owner::Customer(me), "ana@tea.test", "bobi");
    let now = app.clock.now();
    let secret = app.secret();
    app.db
        .write_blocking(|tx| {
            cornershop::orders::cancel::by_buyer(
                tx,
                &secret,
                other,
                &Viewer::Customer(me),
                "customer",
                &app.base,
                now,
            )
        })
        .unwrap();
    let res = b.json(
        "POST",
        &format!("/api/v1/orders/{other}/pay"),
        Some(json!({"method": "bobi", "amount": TOTAL})),
        Some(&token),
    );
    assert_eq!(res.status, 409);
    assert_eq!(
        res.json()["error"]["message"],
        "This order was cancelled, so it cannot be paid."
    );
    let p = payments(&app, other);
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].2.as_str(), p[0].4.as_str()),
        ("refused", "This order was cancelled, so it cannot be paid.")
    );
    assert_eq!(status(&app, other), "cancelled");

    // Another customer can neither pay nor learn about it; nothing is recorded for them.
    let eve = verified_customer(&app, "eve@tea.test");
    let eve_token = api_token(&eve, "eve@tea.test");
    let third = order(&app, product, Owner::Customer(me), "ana@tea.test", "bobi");
    let res = eve.json(
        "POST",
        &format!("/api/v1/orders/{third}/pay"),
        Some(json!({"method": "bobi", "amount": TOTAL})),
        Some(&eve_token),
    );
    assert_eq!(res.status, 404);
    assert_eq!(res.json()["error"]["code"], "not_found");
    let res = eve.post_csrf(
        "/account/password",
        &format!("/orders/{third}/pay"),
        &[("method", "bobi"), ("amount", "12.34")],
    );
    assert_eq!(res.status, 404);
    assert!(payments(&app, third).is_empty());
    assert_eq!(status(&app, third), "pending_payment");

    // No token: 401.
    let res = b.json(
        "POST",
        &format!("/api/v1/orders/{third}/pay"),
        Some(json!({"method": "bobi", "amount": TOTAL})),
        None,
    );
    assert_eq!(res.status, 401);
}

#[test]
fn a_guest_pays_with_the_key_of_their_order_link_and_nobody_else_can() {
    let (app, product) = shop();
    let guest = Browser::new(&app);
    let id = order(
        &app,
        product,
        Owner::Guest("guest-cart-1".into()),
        "gus@tea.test",
        "bobi",
    );
    let key = access::guest_key(&app.secret(), id);
    let path = format!("/orders/{id}/pay");

    // No key and not logged in, or a key of another order: 404, nothing recorded.
    let res = guest.post_csrf(
        "/account/login",
        &path,
        &[("method", "bobi"), ("amount", "12.34")],
    );
    assert_eq!(res.status, 404);
    let wrong = access::guest_key(&app.secret(), id + 1);
    let res = guest.post_csrf(
        "/account/login",
        &path,
        &[("method", "bobi"), ("amount", "12.34"), ("key", &wrong)],
    );
    assert_eq!(res.status, 404);
    assert!(payments(&app, id).is_empty());

    let res = guest.post_form(
        &format!("/orders/{id}?key={key}"),
        &path,
        &[("method", "bobi"), ("amount", "12,34"), ("key", &key)],
    );
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location"),
        Some(format!("/orders/{id}?key={key}").as_str())
    );
    assert_eq!(status(&app, id), "paid");
    assert_eq!(payments(&app, id)[0].5, "guest");
    assert_eq!(mails(&app, "order_paid", "gus@tea.test"), 1);

    // Without the CSRF token nothing happens.
    let res = TestApp::collect(
        ureq::AgentBuilder::new()
            .redirects(0)
            .build()
            .post(&format!("{}{path}", app.base))
            .send_form(&[("method", "bobi"), ("amount", "12.34"), ("key", &key)]),
    );
    assert_eq!(res.status, 403);
    assert_eq!(payments(&app, id).len(), 1);
}

#[test]
fn cash_on_delivery_goes_to_processing_at_checkout_and_is_not_paid_online() {
    let (app, product) = shop();
    let b = verified_customer(&app, "cod@tea.test");
    let token = api_token(&b, "cod@tea.test");
    let me = customer_id(&app, "cod@tea.test");
    let id = order(&app, product, Owner::Customer(me), "cod@tea.test", "cod");
    assert_eq!(status(&app, id), "processing");
    let p = payments(&app, id);
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].0.as_str(), p[0].1, p[0].2.as_str()),
        ("cod", TOTAL, "started")
    );
    assert_eq!(p[0].5, format!("customer:{me}"));

    // A repeated call (a repeated confirm) changes nothing.
    let secret = app.secret();
    let now = app.clock.now();
    app.db
        .write_blocking(|tx| cornershop::payments::after_placed(tx, &secret, id, &app.base, now))
        .unwrap();
    assert_eq!(payments(&app, id).len(), 1);

    let res = b.json(
        "POST",
        &format!("/api/v1/orders/{id}/pay"),
        Some(json!({"method": "cod"})),
        Some(&token),
    );
    assert_eq!(res.status, 409);
    assert_eq!(
        res.json()["error"]["message"],
        "This order is paid in cash on delivery, so there is nothing to pay online."
    );
    assert_eq!(statuses(&app, id), ["started", "refused"]);

    // after_placed leaves other methods waiting for payment.
    let bank = order(
        &app,
        product,
        Owner::Customer(me),
        "cod@tea.test",
        "bank_transfer",
    );
    assert_eq!(status(&app, bank), "pending_payment");
    assert!(payments(&app, bank).is_empty());
}

const IBAN: &str = "DE89 3704 0044 0532 0130 00";

fn bank_settings(app: &TestApp) {
    app.set_setting("payments.bank_transfer.holder", "Corner Shop Ltd");
    app.set_setting("payments.bank_transfer.iban", IBAN);
    app.set_setting("payments.bank_transfer.bic", "COBADEFFXXX");
}

/// (status, body, content type) of a GET whose body may be binary; checks that a PNG is
/// never kept by caches.
fn get_bytes(agent: &ureq::Agent, url: &str) -> (u16, Vec<u8>, Option<String>) {
    let resp = match agent.get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    let status = resp.status();
    let ct = resp.header("content-type").map(String::from);
    if status == 200 {
        assert!(resp
            .header("cache-control")
            .unwrap_or("")
            .contains("no-store"));
    }
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut body).unwrap();
    (status, body, ct)
}

#[test]
fn bank_transfer_shows_the_details_and_a_qr_code_only_to_the_orders_owner() {
    let (app, product) = shop();
    bank_settings(&app);
    let b = verified_customer(&app, "bank@tea.test");
    let token = api_token(&b, "bank@tea.test");
    let me = customer_id(&app, "bank@tea.test");
    let id = order(
        &app,
        product,
        Owner::Customer(me),
        "bank@tea.test",
        "bank_transfer",
    );
    let number: String = app.sql(|c| {
        c.query_row("SELECT number FROM orders WHERE id = ?1", [id], |r| {
            r.get(0)
        })
    });

    // The API gives the details and the exact EPC payload.
    let res = b.json(
        "POST",
        &format!("/api/v1/orders/{id}/pay"),
        Some(json!({"method": "bank_transfer"})),
        Some(&token),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let bt = &res.json()["bank_transfer"];
    assert_eq!(bt["iban"], "DE89370400440532013000");
    assert_eq!(bt["amount"], TOTAL);
    assert_eq!(bt["reference"], format!("Order {number}"));
    assert_eq!(
        bt["qr_payload"],
        format!("BCD\n002\n1\nSCT\nCOBADEFFXXX\nCorner Shop Ltd\nDE89370400440532013000\nEUR12.34\n\n\nOrder {number}")
    );
    assert_eq!(res.json()["status"], "pending_payment");
    assert_eq!(statuses(&app, id), ["started"]);

    // The QR image: for the owner's browser, as a PNG of the QR code.
    let qr = format!("{}/orders/{id}/payment-qr.png", app.base);
    let owner_agent = b.agent();
    let (code, png, ct) = get_bytes(owner_agent, &qr);
    assert_eq!((code, ct.as_deref()), (200, Some("image/png")));
    let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .unwrap()
        .to_luma8();
    assert!(img.width() >= 200 && img.width() == img.height());
    assert_eq!(img.get_pixel(0, 0).0, [255]);
    assert!(img.pixels().any(|p| p.0 == [0]));

    // Anyone else: 404 — another customer, a stranger, a key of another order.
    let eve = verified_customer(&app, "eve@tea.test");
    assert_eq!(get_bytes(eve.agent(), &qr).0, 404);
    let stranger = ureq::AgentBuilder::new().redirects(0).build();
    assert_eq!(get_bytes(&stranger, &qr).0, 404);
    let wrong = access::guest_key(&app.secret(), id + 1);
    assert_eq!(get_bytes(&stranger, &format!("{qr}?key={wrong}")).0, 404);
    // The order's own link key works (the guest rule).
    let key = access::guest_key(&app.secret(), id);
    assert_eq!(get_bytes(&stranger, &format!("{qr}?key={key}")).0, 200);

    // A guest's order, with its key.
    let gid = order(
        &app,
        product,
        Owner::Guest("g-bank".into()),
        "gus@tea.test",
        "bank_transfer",
    );
    let gkey = access::guest_key(&app.secret(), gid);
    let gqr = format!("{}/orders/{gid}/payment-qr.png", app.base);
    assert_eq!(get_bytes(&stranger, &gqr).0, 404);
    assert_eq!(
        get_bytes(owner_agent, &gqr).0,
        404,
        "a customer is not the guest"
    );
    assert_eq!(get_bytes(&stranger, &format!("{gqr}?key={gkey}")).0, 200);

    // A Bobi order has no QR code; nor has a paid order.
    let bobi = order(&app, product, Owner::Customer(me), "bank@tea.test", "bobi");
    assert_eq!(
        get_bytes(
            owner_agent,
            &format!("{}/orders/{bobi}/payment-qr.png", app.base)
        )
        .0,
        404
    );
    let secret = app.secret();
    let now = app.clock.now();
    app.db
        .write_blocking(|tx| {
            cornershop::payments::pay::mark_paid(
                tx,
                &secret,
                id,
                &cornershop::payments::store::Who::provider("test", None),
                "",
                &app.base,
                now,
            )
        })
        .unwrap();
    assert_eq!(get_bytes(owner_agent, &qr).0, 404);
}

#[test]
fn a_upi_shop_gets_a_upi_qr_code() {
    let (app, product) = shop();
    app.set_setting("shop.currency", "INR");
    app.set_setting("payments.bank_transfer.holder", "Corner Shop");
    app.set_setting("payments.bank_transfer.upi_id", "cornershop@okbank");
    app.set_setting("payments.bank_transfer.qr", "upi");
    let id = order(
        &app,
        product,
        Owner::Guest("g-upi".into()),
        "upi@tea.test",
        "bank_transfer",
    );
    let key = access::guest_key(&app.secret(), id);
    let res = app.get(&format!("/orders/{id}/payment-qr.png?key={key}"));
    assert_eq!(res.status, 200);

    let secret = app.secret();
    let o = app.db.read_blocking(|c| access::get(c, id)).unwrap();
    let bank = app
        .db
        .read_blocking(cornershop::payments::offline::BankDetails::load)
        .unwrap();
    let (_, payload) = bank.qr_payload(&o).unwrap();
    assert_eq!(
        payload,
        format!(
            "upi://pay?pa=cornershop@okbank&pn=Corner%20Shop&am=12.34&tn=Order%20{}&cu=INR",
            o.number
        )
    );

    // The panel shows the UPI details and the image; it renders in its template.
    let panel = app
        .db
        .read_blocking(|c| {
            cornershop::payments::panel(c, &secret, &o, None, &app.base, &|m| format!("₹{m}"))
        })
        .unwrap();
    assert_eq!(panel["payable"], true);
    assert_eq!(panel["bank"]["upi_id"], "cornershop@okbank");
    assert_eq!(
        panel["bank"]["qr_url"],
        format!("/orders/{id}/payment-qr.png?key={key}")
    );
    let html = render_panel(&panel);
    assert!(html.contains("cornershop@okbank"), "{html}");
    assert!(
        html.contains(&format!("src=\"/orders/{id}/payment-qr.png?key={key}\"")),
        "{html}"
    );
    assert!(html.contains(&format!("Order {}", o.number)));
}

fn render_panel(panel: &Value) -> String {
    let tpl = cornershop::web::templates::Templates::load().unwrap();
    let mut ctx = tera::Context::new();
    ctx.insert("payment", panel);
    ctx.insert("csrf", "TOKEN");
    tpl.render("storefront/payments/panel.html.tera", &ctx)
        .unwrap()
}

#[test]
fn the_panel_offers_the_way_to_pay_or_says_why_not() {
    let (app, product) = shop();
    let secret = app.secret();
    let money = |m: i64| format!("€{}.{:02}", m / 100, m % 100);
    let panel_of = |id: i64, key: Option<&str>| {
        let o = app.db.read_blocking(|c| access::get(c, id)).unwrap();
        app.db
            .read_blocking(|c| cornershop::payments::panel(c, &secret, &o, key, &app.base, &money))
            .unwrap()
    };

    let bobi = order(
        &app,
        product,
        Owner::Guest("g-1".into()),
        "p@tea.test",
        "bobi",
    );
    let key = access::guest_key(&secret, bobi);
    let p = panel_of(bobi, Some(&key));
    assert_eq!(p["payable"], true);
    assert_eq!(p["amount"], "€12.34");
    let html = render_panel(&p);
    assert!(html.contains(&format!("action=\"/orders/{bobi}/pay\"")));
    assert!(html.contains("name=\"amount\""));
    assert!(html.contains(&format!("name=\"key\" value=\"{key}\"")));
    assert!(html.contains("name=\"_csrf\" value=\"TOKEN\""));
    // A guest's order carries its key even when the page did not pass it.
    assert_eq!(panel_of(bobi, None)["key"], key);

    let cod = order(
        &app,
        product,
        Owner::Guest("g-2".into()),
        "p@tea.test",
        "cod",
    );
    let p = panel_of(cod, None);
    assert_eq!(p["payable"], false);
    let html = render_panel(&p);
    assert!(
        html.contains("You pay €12.34 in cash to the courier"),
        "{html}"
    );
    assert!(!html.contains("<form"));

    // Bank transfer before the shop entered its details: says so, no QR.
    let bank = order(
        &app,
        product,
        Owner::Guest("g-3".into()),
        "p@tea.test",
        "bank_transfer",
    );
    let html = render_panel(&panel_of(bank, None));
    assert!(html.contains("has not entered its bank details"), "{html}");
    bank_settings(&app);
    let p = panel_of(bank, None);
    assert_eq!(p["bank"]["iban"], "DE89 3704 0044 0532 0130 00");
    let html = render_panel(&p);
    assert!(html.contains("<img src=\"/orders/"), "{html}");
    assert!(html.contains("SEPA QR code"));

    // PayPal not set up: no button.
    app.set_setting("payments.paypal.enabled", "true");
    app.set_setting("payments.paypal.client_id", CLIENT_ID);
    app.set_setting("payments.paypal.client_secret", CLIENT_SECRET);
    let pp = order(
        &app,
        product,
        Owner::Guest("g-4".into()),
        "p@tea.test",
        "paypal",
    );
    assert!(render_panel(&panel_of(pp, None)).contains("with PayPal</button>"));
    app.set_setting("payments.paypal.client_id", "");
    assert!(!render_panel(&panel_of(pp, None)).contains("<button"));

    // A paid order shows its state.
    let secret2 = app.secret();
    let now = app.clock.now();
    app.db
        .write_blocking(|tx| {
            cornershop::payments::pay::attempt(
                tx,
                &secret2,
                bobi,
                &Viewer::Guest(key.clone()),
                &cornershop::payments::pay::PayRequest {
                    method: "bobi".into(),
                    amount: cornershop::payments::pay::Amount::Minor(TOTAL),
                },
                &cornershop::payments::store::Who::guest(None),
                &app.base,
                now,
            )
        })
        .unwrap();
    let p = panel_of(bobi, Some(&key));
    assert_eq!(p["state_message"], "This order is already paid.");
    assert!(render_panel(&p).contains("pay-state-paid"));
}

#[test]
fn staff_mark_a_transfer_paid_only_with_the_orders_update_permission() {
    let (app, product) = shop();
    bank_settings(&app);
    let id = order(
        &app,
        product,
        Owner::Guest("g-staff".into()),
        "st@tea.test",
        "bank_transfer",
    );
    let path = format!("/admin/orders/{id}/mark-paid");

    app.login_as("Viewer");
    let res = app.post_csrf("/admin", &path, &[("reference", "BANK-1")]);
    assert_eq!(res.status, 403);
    assert_eq!(status(&app, id), "pending_payment");
    assert!(payments(&app, id).is_empty());
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'permission.refused'"),
        1
    );
    assert_eq!(app.post_form("/admin", "/admin/logout", &[]).status, 303);

    assert_eq!(
        app.login_staff("owner@shop.test", common::OWNER_PW).status,
        303
    );
    let res = app.post_form(
        &format!("/admin/orders/{id}"),
        &path,
        &[("reference", "STMT 2026-11-22 #41")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location"),
        Some(format!("/admin/orders/{id}").as_str())
    );
    assert_eq!(flash(&res), "7:successThe order is marked paid.");
    assert_eq!(status(&app, id), "paid");
    let p = &payments(&app, id)[0];
    assert_eq!(
        (p.2.as_str(), p.3.as_str(), p.1),
        ("succeeded", "STMT 2026-11-22 #41", TOTAL)
    );
    let owner: i64 = app.sql(|c| {
        c.query_row(
            "SELECT id FROM staff WHERE email = 'owner@shop.test'",
            [],
            |r| r.get(0),
        )
    });
    assert_eq!(p.5, format!("staff:{owner}"));
    assert_eq!(mails(&app, "order_paid", "st@tea.test"), 1);
    let audited: (String, String) = app.sql(|c| {
        c.query_row(
            "SELECT actor_kind, ip FROM audit_log WHERE action = 'payment.succeeded' AND entity_id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    });
    assert_eq!(audited.0, "staff");
    assert_eq!(audited.1, "127.0.0.1");

    // Again: refused with the reason (recorded), the order stays paid once.
    let res = app.post_csrf("/admin", &path, &[("reference", "again")]);
    assert_eq!(flash(&res), "5:errorThis order is already paid.");
    assert_eq!(statuses(&app, id), ["succeeded", "refused"]);
    assert_eq!(mails(&app, "order_paid", "st@tea.test"), 1);

    // An unknown order is 404; a reference with a line break is refused at its field.
    assert_eq!(
        app.post_csrf("/admin", "/admin/orders/999/mark-paid", &[])
            .status,
        404
    );
    let other = order(
        &app,
        product,
        Owner::Guest("g-staff2".into()),
        "st@tea.test",
        "bank_transfer",
    );
    let res = app.post_csrf(
        "/admin",
        &format!("/admin/orders/{other}/mark-paid"),
        &[("reference", "a\nb")],
    );
    assert!(flash(&res).contains("one line"), "{}", flash(&res));
    assert_eq!(status(&app, other), "pending_payment");
}

fn paypal_shop() -> (TestApp, i64, PayPalStandIn) {
    let (app, product) = shop();
    let pp = PayPalStandIn::start();
    app.set_setting("payments.paypal.enabled", "true");
    app.set_setting("payments.paypal.base_url", &pp.base);
    app.set_setting("payments.paypal.client_id", CLIENT_ID);
    app.set_setting("payments.paypal.client_secret", CLIENT_SECRET);
    (app, product, pp)
}

/// The buyer at PayPal: opens the approve link, PayPal sends them back (the Location).
fn approve_at_paypal(approve_url: &str) -> String {
    let at_paypal = ureq::AgentBuilder::new().redirects(0).build();
    let res = TestApp::collect(at_paypal.get(approve_url).call());
    assert_eq!(res.status, 302, "{}", res.body);
    res.header("location")
        .expect("back to the shop")
        .to_string()
}

/// Starts a PayPal payment from the web form; returns the approve URL.
fn start_paypal(b: &Browser, id: i64) -> String {
    let res = b.post_form(
        &format!("/account/orders/{id}"),
        &format!("/orders/{id}/pay"),
        &[("method", "paypal")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    res.header("location").unwrap().to_string()
}

#[test]
fn paypal_approve_return_and_a_verified_capture_pay_the_order() {
    let (app, product, pp) = paypal_shop();
    let b = verified_customer(&app, "pp@tea.test");
    let me = customer_id(&app, "pp@tea.test");
    let id = order(&app, product, Owner::Customer(me), "pp@tea.test", "paypal");
    let number: String = app.sql(|c| {
        c.query_row("SELECT number FROM orders WHERE id = ?1", [id], |r| {
            r.get(0)
        })
    });

    let approve = start_paypal(&b, id);
    assert!(
        approve.starts_with(&format!("{}/checkoutnow?token=", pp.base)),
        "{approve}"
    );
    let created = pp.requests_to("POST", "/v2/checkout/orders");
    assert_eq!(created.len(), 1);
    let body = created[0].json();
    assert_eq!(body["intent"], "CAPTURE");
    assert_eq!(body["purchase_units"][0]["reference_id"], number.as_str());
    assert_eq!(
        body["purchase_units"][0]["amount"],
        json!({"currency_code": "EUR", "value": "12.34"})
    );
    assert!(created[0].headers["authorization"].starts_with("Bearer A21AA"));
    let token_req = &pp.requests_to("POST", "/v1/oauth2/token")[0];
    assert_eq!(token_req.body, "grant_type=client_credentials");
    assert_eq!(statuses(&app, id), ["started"]);
    let paypal_id = payments(&app, id)[0].3.clone();
    assert_eq!(
        pp.order(&paypal_id).unwrap().return_url,
        format!("{}/orders/{id}/paypal/return", app.base)
    );

    // Coming back before approving: PayPal refuses the capture, nothing is paid.
    let early = b.get(&format!("/orders/{id}/paypal/return?token={paypal_id}"));
    assert_eq!(early.status, 303);
    assert!(
        flash(&early).contains("ORDER_NOT_APPROVED"),
        "{}",
        flash(&early)
    );
    assert_eq!(status(&app, id), "pending_payment");

    let back = approve_at_paypal(&approve);
    assert!(
        back.starts_with(&format!(
            "{}/orders/{id}/paypal/return?token={paypal_id}&PayerID=",
            app.base
        )),
        "{back}"
    );
    let res = b.get(back.strip_prefix(&app.base).unwrap());
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location"),
        Some(format!("/account/orders/{id}").as_str())
    );
    assert!(flash(&res).starts_with("7:success"), "{}", flash(&res));
    assert_eq!(status(&app, id), "paid");
    assert_eq!(statuses(&app, id), ["started", "refused", "succeeded"]);
    let ok = &payments(&app, id)[2];
    assert_eq!(
        (ok.3.as_str(), ok.5.as_str()),
        (paypal_id.as_str(), "paypal")
    );
    assert!(ok.4.contains("3C679366HH908993F"));
    assert_eq!(mails(&app, "order_paid", "pp@tea.test"), 1);
    let captures = pp.requests_to("POST", &format!("/v2/checkout/orders/{paypal_id}/capture"));
    assert_eq!(captures.len(), 2);
    assert_eq!(
        captures[1].headers["paypal-request-id"],
        format!("cornershop-capture-{paypal_id}")
    );

    // A reload of the return page does not capture again.
    let again = b.get(back.strip_prefix(&app.base).unwrap());
    assert_eq!(again.status, 303);
    assert_eq!(
        pp.requests_to("POST", &format!("/v2/checkout/orders/{paypal_id}/capture"))
            .len(),
        2
    );
    assert_eq!(statuses(&app, id), ["started", "refused", "succeeded"]);

    // A token the shop never started is 404, and so is another order's token.
    assert_eq!(
        b.get(&format!("/orders/{id}/paypal/return?token=FAKE123"))
            .status,
        404
    );
    let other = order(&app, product, Owner::Customer(me), "pp@tea.test", "paypal");
    assert_eq!(
        b.get(&format!("/orders/{other}/paypal/return?token={paypal_id}"))
            .status,
        404
    );
    assert!(payments(&app, other).is_empty());
}

#[test]
fn a_declined_or_wrong_amount_capture_does_not_pay_the_order() {
    let (app, product, pp) = paypal_shop();
    let b = verified_customer(&app, "dd@tea.test");
    let me = customer_id(&app, "dd@tea.test");

    for (mode, expect) in [
        (CaptureMode::Declined, "status DECLINED"),
        (CaptureMode::InstrumentDeclined, "INSTRUMENT_DECLINED"),
        (
            CaptureMode::WrongAmount,
            "PayPal took 1.00 EUR instead of this order's 12.34 EUR",
        ),
    ] {
        pp.capture_as(mode);
        let id = order(&app, product, Owner::Customer(me), "dd@tea.test", "paypal");
        let back = approve_at_paypal(&start_paypal(&b, id));
        let res = b.get(back.strip_prefix(&app.base).unwrap());
        assert_eq!(res.status, 303);
        assert!(
            flash(&res).starts_with("5:error"),
            "{mode:?}: {}",
            flash(&res)
        );
        assert!(flash(&res).contains(expect), "{mode:?}: {}", flash(&res));
        assert_eq!(status(&app, id), "pending_payment", "{mode:?}");
        assert_eq!(statuses(&app, id), ["started", "refused"], "{mode:?}");
        assert_eq!(mails(&app, "order_paid", "dd@tea.test"), 0);
    }
}

#[test]
fn paypal_through_the_api_cancel_at_paypal_and_wrong_credentials() {
    let (app, product, pp) = paypal_shop();
    let b = verified_customer(&app, "api@tea.test");
    let token = api_token(&b, "api@tea.test");
    let me = customer_id(&app, "api@tea.test");
    let id = order(&app, product, Owner::Customer(me), "api@tea.test", "paypal");

    let res = b.json(
        "POST",
        &format!("/api/v1/orders/{id}/pay"),
        Some(json!({"method": "paypal"})),
        Some(&token),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.json()["status"], "pending_payment");
    let approve = res.json()["approve_url"].as_str().unwrap().to_string();
    assert!(approve.starts_with(&pp.base));

    // The buyer cancels at PayPal: recorded, the order still waits.
    let back = approve_at_paypal(&format!("{approve}&cancel=1"));
    assert!(
        back.contains(&format!("/orders/{id}/paypal/cancel?token=")),
        "{back}"
    );
    let res = b.get(back.strip_prefix(&app.base).unwrap());
    assert_eq!(res.status, 303);
    assert!(flash(&res).contains("cancelled the payment at PayPal"));
    assert_eq!(status(&app, id), "pending_payment");
    assert_eq!(statuses(&app, id), ["started", "refused"]);

    // Then pays (a new PayPal order) and the return completes it.
    let res = b.json(
        "POST",
        &format!("/api/v1/orders/{id}/pay"),
        Some(json!({"method": "paypal"})),
        Some(&token),
    );
    let approve = res.json()["approve_url"].as_str().unwrap().to_string();
    let back = approve_at_paypal(&approve);
    assert_eq!(b.get(back.strip_prefix(&app.base).unwrap()).status, 303);
    assert_eq!(status(&app, id), "paid");

    // Credentials PayPal refuses: a failed attempt with PayPal's reason, 503 on the API.
    app.set_setting("payments.paypal.client_secret", "wrong");
    let other = order(&app, product, Owner::Customer(me), "api@tea.test", "paypal");
    let res = b.json(
        "POST",
        &format!("/api/v1/orders/{other}/pay"),
        Some(json!({"method": "paypal"})),
        Some(&token),
    );
    assert_eq!(res.status, 503, "{}", res.body);
    let msg = res.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("invalid_client"), "{msg}");
    assert_eq!(statuses(&app, other), ["failed"]);
    assert_eq!(status(&app, other), "pending_payment");
    // …and on the web, a message back on the order page.
    let res = b.post_form(
        &format!("/account/orders/{other}"),
        &format!("/orders/{other}/pay"),
        &[("method", "paypal")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(
        res.header("location"),
        Some(format!("/account/orders/{other}").as_str())
    );
    assert!(flash(&res).contains("could not be started at PayPal"));
}
