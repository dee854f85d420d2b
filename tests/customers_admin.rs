//! Back office, customers: search and filters, the figures on a customer's page, editing
//! with per-field messages (a taken email), deactivating (which ends every session and API
//! token) and reactivating, resending the verification mail, and creating a customer who
//! sets their own password from the mail. Every change audited.

mod common;

use common::accounts::{
    last_mail, link_in_mail, no_captcha, verified_customer, Browser, CUSTOMER_PW,
};
use common::backoffice::{customer, follow, OrderRow};
use common::{add_product, TestApp};

#[test]
fn the_list_searches_and_filters_and_the_page_shows_the_figures() {
    let app = TestApp::ready();
    let p = add_product(&app, "Thing", 1000, 50, None, "active");
    let mira = customer(
        &app,
        "mira@buyers.test",
        "Mira",
        "Ivanova",
        "+359 888123456",
    );
    let joe = customer(&app, "joe@buyers.test", "Joe", "Bloggs", "+44 7700900123");
    let unv = customer(&app, "new@buyers.test", "Nia", "Novak", "+359 877000111");
    app.sql(|c| {
        c.execute(
            "UPDATE customers SET verified_at = NULL WHERE id = ?1",
            [unv],
        )
    });
    app.sql(|c| c.execute("UPDATE customers SET active = 0 WHERE id = ?1", [joe]));
    OrderRow::new("2026-000601", p)
        .customer(mira)
        .email("mira@buyers.test")
        .status("paid")
        .total(1500)
        .payment("bank_transfer")
        .placed_at("2026-03-10T09:00:00Z")
        .insert(&app);
    OrderRow::new("2026-000602", p)
        .customer(mira)
        .email("mira@buyers.test")
        .status("delivered")
        .total(2500)
        .payment("cod")
        .placed_at("2026-03-12T09:00:00Z")
        .insert(&app);
    OrderRow::new("2026-000603", p)
        .customer(mira)
        .email("mira@buyers.test")
        .status("cancelled")
        .total(9900)
        .payment("cod")
        .placed_at("2026-03-14T09:00:00Z")
        .insert(&app);
    OrderRow::new("2026-000604", p)
        .customer(mira)
        .email("mira@buyers.test")
        .status("pending_payment")
        .total(700)
        .payment("bank_transfer")
        .placed_at("2026-03-15T09:00:00Z")
        .insert(&app);
    OrderRow::new("2026-000605", p)
        .customer(mira)
        .email("mira@buyers.test")
        .status("draft")
        .total(5000)
        .payment("bank_transfer")
        .placed_at("2026-03-20T09:00:00Z")
        .insert(&app);
    app.login_as("Viewer");

    let shows = |q: &str| -> Vec<&'static str> {
        let res = app.get(&format!("/admin/customers{q}"));
        assert_eq!(res.status, 200, "{q}: {}", res.body);
        ["mira@buyers.test", "joe@buyers.test", "new@buyers.test"]
            .into_iter()
            .filter(|e| res.body.contains(e))
            .collect()
    };
    assert_eq!(shows("?sort=name").len(), 3);
    assert_eq!(shows("?q=ivanova"), ["mira@buyers.test"]);
    assert_eq!(shows("?q=joe%40"), ["joe@buyers.test"]);
    assert_eq!(shows("?q=877000"), ["new@buyers.test"]);
    assert_eq!(shows("?verified=no"), ["new@buyers.test"]);
    assert_eq!(shows("?state=deactivated"), ["joe@buyers.test"]);
    assert_eq!(shows("?has_orders=yes"), ["mira@buyers.test"]);
    assert_eq!(shows("?has_orders=no&state=active"), ["new@buyers.test"]);
    assert_eq!(app.get("/admin/customers?verified=maybe").status, 400);
    let kept = app.get("/admin/customers?q=ivanova&sort=spent").body;
    assert!(kept.contains("value=\"spent\" selected") && kept.contains("value=\"ivanova\""));

    // Figures: 4 placed orders (the draft is not one); spent = paid + delivered only.
    let page = app.get(&format!("/admin/customers/{mira}")).body;
    assert!(page.contains(">4<"), "orders count: {page}");
    assert!(page.contains("40.00"), "total spent 15.00 + 25.00");
    assert!(page.contains("2026-03-15 09:00:00"), "last order");
    assert!(page.contains("unpaid, cancelled and refunded orders do not count"));
    assert!(page.contains("2026-000601"));
    assert!(
        !page.contains("name=\"first_name\""),
        "a viewer gets no form"
    );
}

#[test]
fn editing_checks_each_field_and_refuses_a_taken_email() {
    let app = TestApp::ready();
    let mira = customer(
        &app,
        "mira@buyers.test",
        "Mira",
        "Ivanova",
        "+359 888123456",
    );
    customer(&app, "joe@buyers.test", "Joe", "Bloggs", "+44 7700900123");
    app.login_as("Manager");
    let page = format!("/admin/customers/{mira}");
    let res = app.post_form(
        &page,
        &page,
        &[
            ("first_name", ""),
            ("last_name", "Ivanova"),
            ("email", "JOE@buyers.test"),
            ("phone_country", "BG"),
            ("phone", "888123456"),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(res.body.contains("f-first_name-error"), "{}", res.body);
    let res = app.post_form(
        &page,
        &page,
        &[
            ("first_name", "Mirela"),
            ("last_name", "Ivanova"),
            ("email", "JOE@buyers.test"),
            ("phone_country", "BG"),
            ("phone", "888123456"),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(res
        .body
        .contains("Another customer already uses this email address."));
    assert!(res.body.contains("value=\"Mirela\""), "typed values kept");
    assert_eq!(
        app.count("SELECT count(*) FROM customers WHERE first_name = 'Mirela'"),
        0,
        "nothing half-saved"
    );

    let res = app.post_form(
        &page,
        &page,
        &[
            ("first_name", "Mirela"),
            ("last_name", "Ivanova"),
            ("email", "mirela@buyers.test"),
            ("phone_country", "BG"),
            ("phone", "0899 111 222"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let (name, email, phone, verified): (String, String, String, Option<String>) = app.sql(|c| {
        c.query_row(
            "SELECT first_name, email, phone, verified_at FROM customers WHERE id = ?1",
            [mira],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    });
    assert_eq!(
        (name.as_str(), email.as_str(), phone.as_str()),
        ("Mirela", "mirela@buyers.test", "+359 899111222")
    );
    assert!(verified.is_none(), "a new address must be verified again");
    assert_eq!(
        last_mail(&app, "mirela@buyers.test").unwrap().0,
        "verification"
    );
    app.flush_audit();
    let details: String = app.sql(|c| {
        c.query_row(
            "SELECT details FROM audit_log WHERE action = 'customer.updated' AND entity_id = ?1",
            [mira.to_string()],
            |r| r.get(0),
        )
    });
    assert!(
        details.contains("mira@buyers.test") && details.contains("mirela@buyers.test"),
        "{details}"
    );
}

#[test]
fn deactivating_ends_sessions_and_tokens_and_reactivating_lets_them_back() {
    let app = TestApp::ready();
    no_captcha(&app);
    let b = verified_customer(&app, "mira@buyers.test");
    assert_eq!(b.get("/account").status, 200);
    let api = b.json(
        "POST",
        "/api/v1/auth/login",
        Some(serde_json::json!({"email": "mira@buyers.test", "password": CUSTOMER_PW})),
        None,
    );
    assert_eq!(api.status, 200, "{}", api.body);
    let token = api.json()["token"].as_str().unwrap().to_string();
    let id: i64 = app.count("SELECT id FROM customers WHERE email = 'mira@buyers.test'");

    app.login_as("Manager");
    let page = format!("/admin/customers/{id}");
    let res = app.post_form(&page, &format!("{page}/deactivate"), &[]);
    assert!(follow(&app, &res).body.contains("deactivated"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM sessions WHERE kind = 'customer' AND user_id = {id}"
        )),
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM api_tokens WHERE kind = 'customer' AND user_id = {id}"
        )),
        0
    );
    assert_ne!(b.get("/account").status, 200, "logged out");
    assert_eq!(b.json("GET", "/api/v1/me", None, Some(&token)).status, 401);
    assert_ne!(
        b.login("mira@buyers.test", CUSTOMER_PW).header("location"),
        Some("/account")
    );

    let res = app.post_form(&page, &format!("{page}/reactivate"), &[]);
    assert_eq!(res.status, 303);
    let res = Browser::new(&app).login("mira@buyers.test", CUSTOMER_PW);
    assert_eq!(res.status, 303, "{}", res.body);
    app.flush_audit();
    for action in ["customer.deactivated", "customer.reactivated"] {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}' AND entity_id = '{id}'"
            )),
            1,
            "{action}"
        );
    }
}

#[test]
fn resending_verification_mails_an_unverified_customer_within_the_limit() {
    let app = TestApp::ready();
    let id = customer(&app, "nia@buyers.test", "Nia", "Novak", "+359 877000111");
    app.sql(|c| {
        c.execute(
            "UPDATE customers SET verified_at = NULL WHERE id = ?1",
            [id],
        )
    });
    app.login_as("Manager");
    let page = format!("/admin/customers/{id}");
    assert!(app.get(&page).body.contains("Resend verification mail"));
    for _ in 0..5 {
        let res = app.post_form(&page, &format!("{page}/resend-verification"), &[]);
        assert!(follow(&app, &res)
            .body
            .contains("A new verification link went to nia@buyers.test"));
    }
    let res = app.post_form(&page, &format!("{page}/resend-verification"), &[]);
    assert!(
        follow(&app, &res).body.contains("in the last hour"),
        "POLICY: 5 an hour"
    );
    assert_eq!(app.count("SELECT count(*) FROM mail_outbox WHERE template = 'verification' AND to_address = 'nia@buyers.test'"), 5);
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'customer.verification_resent'"),
        5
    );
    // Nothing to resend to a verified address.
    app.sql(|c| {
        c.execute(
            "UPDATE customers SET verified_at = '2026-01-01T00:00:00Z' WHERE id = ?1",
            [id],
        )
    });
    assert!(!app.get(&page).body.contains("Resend verification mail"));
}

#[test]
fn a_customer_created_by_staff_sets_their_own_password_from_the_mail() {
    let app = TestApp::ready();
    customer(&app, "taken@buyers.test", "Ta", "Ken", "+359 877000111");
    app.login_as("Manager");
    let res = app.post_form(
        "/admin/customers/new",
        "/admin/customers/new",
        &[
            ("first_name", "Pia"),
            ("last_name", "Petrova"),
            ("email", "taken@buyers.test"),
            ("phone_country", "BG"),
            ("phone", "0888 555 666"),
        ],
    );
    assert_eq!(res.status, 200);
    assert!(res
        .body
        .contains("Another customer already uses this email address."));
    let res = app.post_form(
        "/admin/customers/new",
        "/admin/customers/new",
        &[
            ("first_name", "Pia"),
            ("last_name", "Petrova"),
            ("email", "pia@buyers.test"),
            ("phone_country", "BG"),
            ("phone", "0888 555 666"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let (template, _, _) = last_mail(&app, "pia@buyers.test").expect("a mail");
    assert_eq!(template, "password_reset");

    // The link lets her choose a password; that also verifies the address.
    let link = link_in_mail(&app, "pia@buyers.test", "/account/reset");
    let token = link.split("token=").nth(1).unwrap().to_string();
    let b = Browser::new(&app);
    let res = b.post_form(
        &link,
        "/account/reset",
        &[
            ("token", &token),
            ("password", CUSTOMER_PW),
            ("password2", CUSTOMER_PW),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let res = b.login("pia@buyers.test", CUSTOMER_PW);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(b.get("/account").status, 200);
    app.flush_audit();
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'customer.created' AND actor_kind = 'staff'"), 1);

    // A Viewer may not create customers.
    let v = Browser::new(&app);
    cornershop::staff::cli::create(&app.db, "vera@shop.test", None, common::STAFF_PW, "Viewer")
        .unwrap();
    v.post_form(
        "/admin/login",
        "/admin/login",
        &[("email", "vera@shop.test"), ("password", common::STAFF_PW)],
    );
    assert_eq!(v.get("/admin/customers/new").status, 403);
}
