//! Customer accounts on the web: registration, verification, login and lock-out, reset,
//! and the account area, against a real server and database.

mod common;

use common::accounts::{
    last_mail, link_in_mail, no_captcha, register, registration, set, verified_customer, Browser,
    CUSTOMER_PW,
};
use common::{Res, TestApp};

fn customers(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM customers")
}

#[test]
fn a_new_customer_registers_verifies_and_logs_in() {
    let app = TestApp::ready();
    no_captcha(&app);
    let b = Browser::new(&app);

    let form = b.get("/account/register");
    assert_eq!(form.status, 200);
    let options = form.body.matches("<option value=\"").count();
    assert!(
        options > 2 * 240,
        "both country lists are complete: {options}"
    );
    assert!(form.body.contains("Bulgaria (+359)"));

    let res = register(&b, &registration("Mira@Tea.test"));
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(b
        .follow(&res)
        .body
        .contains("We sent a link to Mira@Tea.test"));
    let (verified, phone, addresses): (Option<String>, String, i64) = app.sql(|c| {
        c.query_row(
            "SELECT verified_at, phone, (SELECT count(*) FROM customer_addresses WHERE is_default = 1) FROM customers",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    });
    assert_eq!(
        (verified, phone.as_str(), addresses),
        (None, "+359 888123456", 1)
    );
    let (template, _, _) = last_mail(&app, "Mira@Tea.test").expect("verification mail queued");
    assert_eq!(template, "verification");
    assert_eq!(
        app.count("SELECT count(*) FROM customer_tokens WHERE purpose = 'verify' AND length(token_hash) = 64"),
        1,
        "only the token's hash is stored"
    );

    // Before verifying, login explains and offers a new link.
    let res = b.login("mira@tea.test", CUSTOMER_PW);
    assert_eq!(res.status, 403);
    assert!(
        res.body.contains("verify your email address"),
        "{}",
        res.body
    );
    assert!(res
        .body
        .contains("<details class=\"card form-card resend-card\" open"));

    let link = link_in_mail(&app, "Mira@Tea.test", "/account/verify");
    let res = b.get(&link);
    assert_eq!(res.status, 303);
    assert!(b.follow(&res).body.contains("is verified"));
    let again = b.get(&link);
    assert!(
        b.follow(&again).body.contains("already been used"),
        "the link works once"
    );

    let res = b.login("MIRA@tea.test", CUSTOMER_PW);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/account"));
    let page = b.get("/account");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Mira@Tea.test") && page.body.contains("value=\"888123456\""));
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE subsystem = 'customer' AND action IN ('register', 'email.verified', 'login')"),
        3
    );
}

#[test]
fn bad_registrations_explain_each_field_and_store_nothing() {
    let app = TestApp::ready();
    no_captcha(&app);
    let b = Browser::new(&app);
    let mut fields = registration("not-an-email");
    fields[1].1 = "password123".into();
    fields[2].1 = "x".repeat(101);
    fields[5].1 = "12".into();
    fields[6].1 = "2999-01-01".into();
    fields[8].1 = String::new();
    let res = register(&b, &fields);
    assert_eq!(res.status, 422);
    for id in [
        "f-email-error",
        "f-password-error",
        "f-first_name-error",
        "f-phone-error",
        "f-birth_date-error",
        "f-address_city-error",
    ] {
        assert!(res.body.contains(id), "{id} is shown");
    }
    assert!(
        res.body.contains("Bulgaria"),
        "the phone message names the country"
    );
    assert_eq!(res.input_value("last_name").as_deref(), Some("Ivanova"));
    assert!(
        !res.body.contains("password123"),
        "the password is never echoed"
    );
    assert_eq!(customers(&app), 0);
    assert_eq!(app.count("SELECT count(*) FROM mail_outbox"), 0);

    // A line break in a name would become a header of the mail: refused at the field.
    let mut injected = registration("inject@tea.test");
    injected[3].1 = "Ivanova\r\nBcc: all@evil.test".into();
    let res = register(&b, &injected);
    assert_eq!(res.status, 422);
    assert!(res.body.contains("f-last_name-error") && res.body.contains("control characters"));
    assert_eq!(customers(&app), 0);

    assert_eq!(register(&b, &registration("mira@tea.test")).status, 303);
    let res = register(&b, &registration("MIRA@TEA.TEST"));
    assert_eq!(res.status, 422);
    assert!(res.body.contains("already exists"), "{}", res.body);
    assert_eq!(customers(&app), 1);
}

#[test]
fn markup_in_names_is_shown_as_text() {
    let app = TestApp::ready();
    no_captcha(&app);
    let b = Browser::new(&app);
    let mut fields = registration("xss@tea.test");
    fields[2].1 = "<script>alert(1)</script>".into();
    assert_eq!(register(&b, &fields).status, 303);
    let html: String = app.sql(|c| {
        c.query_row(
            "SELECT html_body FROM mail_outbox WHERE to_address = 'xss@tea.test'",
            [],
            |r| r.get(0),
        )
    });
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script>alert"),
        "the mail escapes it too"
    );
    assert_eq!(
        b.get(&link_in_mail(&app, "xss@tea.test", "/account/verify"))
            .status,
        303
    );
    assert_eq!(b.login("xss@tea.test", CUSTOMER_PW).status, 303);
    let page = b.get("/account");
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;"));
}

#[test]
fn five_wrong_passwords_lock_the_account_for_fifteen_minutes() {
    let app = TestApp::ready();
    no_captcha(&app);
    verified_customer(&app, "lock@tea.test");
    let b = Browser::new(&app);
    for _ in 0..4 {
        let res = b.login("lock@tea.test", "wrong-password-here");
        assert_eq!(res.status, 401);
        assert!(res.body.contains("do not match"));
    }
    let res = b.login("lock@tea.test", "wrong-password-here");
    assert_eq!(res.status, 429);
    assert!(res.body.contains("Try again in 15 minutes"), "{}", res.body);
    let res = b.login("lock@tea.test", CUSTOMER_PW);
    assert_eq!(res.status, 429, "even the right password waits");

    // An unknown address answers the same way.
    for _ in 0..4 {
        assert_eq!(b.login("ghost@tea.test", "wrong-password-here").status, 401);
    }
    let ghost = b.login("ghost@tea.test", "wrong-password-here");
    assert_eq!(ghost.status, 429);
    assert!(ghost.body.contains("Try again in 15 minutes"));

    app.clock.advance(15 * 60 + 1);
    assert_eq!(b.login("lock@tea.test", CUSTOMER_PW).status, 303);
    app.flush_audit();
    assert!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND outcome = 'error'"
        ) >= 9
    );
}

#[test]
fn logins_and_registrations_are_rate_limited_per_client() {
    let app = TestApp::ready();
    no_captcha(&app);
    set(&app, "security.logins_per_ip_per_minute", "3");
    set(&app, "security.registrations_per_ip_per_hour", "2");
    let b = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(b.login("a@tea.test", "wrong-password-here").status, 401);
    }
    let res = b.login("a@tea.test", "wrong-password-here");
    assert_eq!(res.status, 429);
    assert!(res.body.contains("Too many login attempts"));

    assert_eq!(register(&b, &registration("one@tea.test")).status, 303);
    assert_eq!(register(&b, &registration("two@tea.test")).status, 303);
    let res = register(&b, &registration("three@tea.test"));
    assert_eq!(res.status, 429);
    assert!(res.body.contains("Too many registrations"));
    assert_eq!(customers(&app), 2);
    app.clock.advance(3601);
    assert_eq!(register(&b, &registration("three@tea.test")).status, 303);
}

#[test]
fn a_password_reset_ends_every_session_and_unlocks_the_account() {
    let app = TestApp::ready();
    no_captcha(&app);
    let other_device = verified_customer(&app, "reset@tea.test");
    assert_eq!(other_device.get("/account").status, 200);
    let b = Browser::new(&app);
    for _ in 0..5 {
        b.login("reset@tea.test", "wrong-password-here");
    }
    assert_eq!(b.login("reset@tea.test", CUSTOMER_PW).status, 429);

    let known = b.post_form(
        "/account/forgot",
        "/account/forgot",
        &[("email", "reset@tea.test")],
    );
    assert_eq!(known.status, 303);
    assert!(b
        .follow(&known)
        .body
        .contains("If reset@tea.test has an account"));
    let unknown = b.post_form(
        "/account/forgot",
        "/account/forgot",
        &[("email", "nobody@tea.test")],
    );
    assert_eq!(
        unknown.status, 303,
        "the same answer for an unknown address"
    );
    assert!(b
        .follow(&unknown)
        .body
        .contains("If nobody@tea.test has an account"));
    assert!(last_mail(&app, "nobody@tea.test").is_none());
    let link = link_in_mail(&app, "reset@tea.test", "/account/reset");
    let token = link.split("token=").nth(1).unwrap().to_string();

    let form = b.get(&link);
    assert_eq!(form.status, 200);
    let weak = b.post_form(
        &link,
        "/account/reset",
        &[
            ("token", &token),
            ("password", "password1234"),
            ("password2", "password1234"),
        ],
    );
    assert_eq!(weak.status, 422);
    let new_pw = "harbour-lantern-violet-3";
    let res = b.post_form(
        &link,
        "/account/reset",
        &[
            ("token", &token),
            ("password", new_pw),
            ("password2", new_pw),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        app.count("SELECT count(*) FROM sessions WHERE kind = 'customer'"),
        0
    );
    assert_eq!(
        other_device.get("/account").status,
        303,
        "the other device is logged out"
    );
    assert!(b.follow(&b.get(&link)).body.contains("already been used"));
    assert_eq!(
        b.login("reset@tea.test", new_pw).status,
        303,
        "the lock-out is lifted"
    );
}

#[test]
fn reset_links_expire_after_an_hour_and_forged_ones_never_work() {
    let app = TestApp::ready();
    no_captcha(&app);
    let b = verified_customer(&app, "late@tea.test");
    b.post_form(
        "/account/forgot",
        "/account/forgot",
        &[("email", "late@tea.test")],
    );
    let link = link_in_mail(&app, "late@tea.test", "/account/reset");
    app.clock.advance(3601);
    assert!(b.follow(&b.get(&link)).body.contains("has expired"));
    let forged = b.get("/account/reset?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert!(b.follow(&forged).body.contains("is not valid"));
    let stranger = Browser::new(&app);
    let verify = stranger.get("/account/verify?token=forged");
    assert!(stranger.follow(&verify).body.contains("is not valid"));
}

#[test]
fn reset_mails_and_verification_resends_are_rate_limited() {
    let app = TestApp::ready();
    no_captcha(&app);
    verified_customer(&app, "busy@tea.test");
    let b = Browser::new(&app);
    for _ in 0..3 {
        assert_eq!(
            b.post_form(
                "/account/forgot",
                "/account/forgot",
                &[("email", "busy@tea.test")]
            )
            .status,
            303
        );
    }
    let res = b.post_form(
        "/account/forgot",
        "/account/forgot",
        &[("email", "busy@tea.test")],
    );
    assert_eq!(res.status, 429);
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE template = 'password_reset'"),
        3
    );

    for _ in 0..5 {
        assert_eq!(
            b.post_form(
                "/account/login",
                "/account/verify/resend",
                &[("email", "x@tea.test")]
            )
            .status,
            303
        );
    }
    let res = b.post_form(
        "/account/login",
        "/account/verify/resend",
        &[("email", "x@tea.test")],
    );
    assert_eq!(res.status, 429);
    assert!(res.header("retry-after").is_some());
}

#[test]
fn the_account_area_edits_profile_password_and_addresses() {
    let app = TestApp::ready();
    no_captcha(&app);
    let b = verified_customer(&app, "area@tea.test");
    let other = Browser::new(&app);
    assert_eq!(other.login("area@tea.test", CUSTOMER_PW).status, 303);

    let bad = b.post_form(
        "/account",
        "/account/profile",
        &[
            ("first_name", "Mira"),
            ("last_name", "Petrova"),
            ("phone_country", "DE"),
            ("phone", "1"),
            ("birth_date", ""),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Germany"));
    let ok = b.post_form(
        "/account",
        "/account/profile",
        &[
            ("first_name", "Mira"),
            ("last_name", "Petrova"),
            ("phone_country", "DE"),
            ("phone", "030 1234567"),
            ("birth_date", ""),
        ],
    );
    assert_eq!(ok.status, 303);
    let (last, phone, birth): (String, String, Option<String>) = app.sql(|c| {
        c.query_row(
            "SELECT last_name, phone, birth_date FROM customers",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    });
    assert_eq!(
        (last.as_str(), phone.as_str(), birth),
        ("Petrova", "+49 301234567", None)
    );

    let wrong = b.post_form(
        "/account/password",
        "/account/password",
        &[
            ("current_password", "not-my-password"),
            ("password", "harbour-lantern-violet-3"),
            ("password2", "harbour-lantern-violet-3"),
        ],
    );
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("not your current password"));
    let changed = b.post_form(
        "/account/password",
        "/account/password",
        &[
            ("current_password", CUSTOMER_PW),
            ("password", "harbour-lantern-violet-3"),
            ("password2", "harbour-lantern-violet-3"),
        ],
    );
    assert_eq!(changed.status, 303);
    assert_eq!(
        b.get("/account").status,
        200,
        "this browser stays logged in"
    );
    assert_eq!(
        other.get("/account").status,
        303,
        "other devices are logged out"
    );

    let add = b.post_form(
        "/account/addresses",
        "/account/addresses",
        &[
            ("line1", "2 Oak St"),
            ("city", "Plovdiv"),
            ("postcode", "4000"),
            ("country", "BG"),
            ("make_default", "true"),
        ],
    );
    assert_eq!(add.status, 303);
    let defaults: Vec<String> = app.sql(|c| {
        let mut s = c.prepare("SELECT line1 FROM customer_addresses WHERE is_default = 1")?;
        let rows = s.query_map([], |r| r.get(0))?;
        rows.collect()
    });
    assert_eq!(defaults, ["2 Oak St"]);
    // A country the select does not offer: only a hand-made request sends it.
    let bad = b.post_csrf(
        "/account/addresses",
        "/account/addresses",
        &[
            ("line1", ""),
            ("city", "Plovdiv"),
            ("postcode", "4000"),
            ("country", "XX"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("f-line1-error") && bad.body.contains("f-country-error"));
    let oak: i64 = app.sql(|c| {
        c.query_row(
            "SELECT id FROM customer_addresses WHERE line1 = '2 Oak St'",
            [],
            |r| r.get(0),
        )
    });
    let del = b.post_form(
        "/account/addresses",
        &format!("/account/addresses/{oak}/delete"),
        &[],
    );
    assert_eq!(del.status, 303);
    assert_eq!(
        app.count("SELECT count(*) FROM customer_addresses WHERE is_default = 1 AND line1 = '1 Vitosha Blvd'"),
        1,
        "the remaining address becomes the default"
    );
}

#[test]
fn nobody_edits_another_customers_address() {
    let app = TestApp::ready();
    no_captcha(&app);
    let _a = verified_customer(&app, "a@tea.test");
    let b = verified_customer(&app, "b@tea.test");
    let a_address: i64 = app.sql(|c| c.query_row("SELECT a.id FROM customer_addresses a JOIN customers c ON c.id = a.customer_id WHERE c.email = 'a@tea.test'", [], |r| r.get(0)));
    assert_eq!(
        b.get(&format!("/account/addresses/{a_address}")).status,
        404
    );
    // b's pages have no form for a's address: a forged request.
    let res = b.post_csrf(
        "/account/addresses",
        &format!("/account/addresses/{a_address}/delete"),
        &[],
    );
    assert_eq!(res.status, 404);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM customer_addresses WHERE id = {a_address}"
        )),
        1
    );
}

#[test]
fn an_email_change_takes_effect_from_the_new_address() {
    let app = TestApp::ready();
    no_captcha(&app);
    let b = verified_customer(&app, "old@tea.test");
    let res = b.post_form(
        "/account/email",
        "/account/email",
        &[("email", "new@tea.test"), ("current_password", CUSTOMER_PW)],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        app.count("SELECT count(*) FROM customers WHERE email = 'old@tea.test'"),
        1,
        "nothing changes before the link"
    );
    let link = link_in_mail(&app, "new@tea.test", "/account/email/confirm");
    let res = b.get(&link);
    assert!(b.follow(&res).body.contains("now new@tea.test"));
    let fresh = Browser::new(&app);
    assert_eq!(fresh.login("old@tea.test", CUSTOMER_PW).status, 401);
    assert_eq!(fresh.login("new@tea.test", CUSTOMER_PW).status, 303);
}

#[test]
fn deleting_an_account_erases_the_person_and_logs_out_everywhere() {
    let app = TestApp::ready();
    no_captcha(&app);
    let b = verified_customer(&app, "gone@tea.test");
    let other = Browser::new(&app);
    assert_eq!(other.login("gone@tea.test", CUSTOMER_PW).status, 303);
    let wrong = b.post_form(
        "/account/delete",
        "/account/delete",
        &[("current_password", "nope-nope-nope")],
    );
    assert_eq!(wrong.status, 422);
    let res = b.post_form(
        "/account/delete",
        "/account/delete",
        &[("current_password", CUSTOMER_PW)],
    );
    assert_eq!(res.status, 303);
    let (email, first, phone, deleted): (String, String, String, Option<String>) = app.sql(|c| {
        c.query_row(
            "SELECT email, first_name, phone, deleted_at FROM customers",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    });
    assert!(email.ends_with("@deleted.invalid"));
    assert_eq!((first.as_str(), phone.as_str()), ("Deleted", ""));
    assert!(deleted.is_some());
    assert_eq!(app.count("SELECT count(*) FROM customer_addresses"), 0);
    assert_eq!(
        app.count("SELECT count(*) FROM sessions WHERE kind = 'customer'"),
        0
    );
    assert_eq!(other.get("/account").status, 303);
    assert_eq!(
        Browser::new(&app)
            .login("gone@tea.test", CUSTOMER_PW)
            .status,
        401
    );
    // The address is free for a new account.
    assert_eq!(
        register(&Browser::new(&app), &registration("gone@tea.test")).status,
        303
    );
}

#[test]
fn log_out_everywhere_ends_every_session() {
    let app = TestApp::ready();
    no_captcha(&app);
    let b = verified_customer(&app, "many@tea.test");
    let other = Browser::new(&app);
    assert_eq!(other.login("many@tea.test", CUSTOMER_PW).status, 303);
    let res = b.post_form("/account", "/account/logout", &[("everywhere", "true")]);
    assert_eq!(res.status, 303);
    assert_eq!(other.get("/account").status, 303);
    assert_eq!(b.get("/account").status, 303);
    assert_eq!(
        b.get("/account").header("location"),
        Some("/account/login?next=%2Faccount")
    );
}

/// The registration form with its CAPTCHA answered `answer` (None: the right answer).
fn register_with_captcha(app: &TestApp, b: &Browser, email: &str, answer: Option<&str>) -> Res {
    let page = b.get("/account/register");
    let shown = page.input_value("captcha_id");
    let id = shown.clone().unwrap_or_else(|| "no-challenge-shown".into());
    let right = app.captchas.peek_answer(&id).unwrap_or_default();
    let answer = answer.unwrap_or(&right).to_string();
    let mut fields: Vec<(&str, String)> = registration(email);
    fields.push(("captcha_id", id));
    fields.push(("captcha_answer", answer));
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match shown {
        Some(_) => b.submit(&page, "/account/register", &f),
        // A locked-out client gets no challenge; it still posts the one it had, by hand.
        None => b.post_csrf("/account/register", "/account/register", &f),
    }
}

#[test]
fn the_captcha_locks_registration_after_three_wrong_answers() {
    let app = TestApp::ready();
    let b = Browser::new(&app);
    let page = b.get("/account/register");
    let id = page
        .input_value("captcha_id")
        .expect("CAPTCHA is on by default");
    assert!(page.body.contains(&format!("src=\"/captcha/{id}\"")));
    assert_eq!(
        b.get(&format!("/captcha/{id}")).header("content-type"),
        Some("image/png")
    );

    for left in ["2 attempts left", "1 attempt left"] {
        let res = register_with_captcha(&app, &b, "cap@tea.test", Some("WRONG"));
        assert_eq!(res.status, 422);
        assert!(
            res.body.contains("f-captcha_answer-error") && res.body.contains(left),
            "{left}"
        );
        assert_eq!(res.input_value("email").as_deref(), Some("cap@tea.test"));
    }
    let res = register_with_captcha(&app, &b, "cap@tea.test", Some("WRONG"));
    assert_eq!(res.status, 429);
    assert!(res.body.contains("Try again in 5 minutes"), "{}", res.body);
    let res = register_with_captcha(&app, &b, "cap@tea.test", None);
    assert_eq!(res.status, 429, "a right answer waits too");
    assert!(b.get("/account/register").body.contains("Try again in"));
    assert_eq!(customers(&app), 0);

    app.clock.advance(5 * 60 + 1);
    let res = register_with_captcha(&app, &b, "cap@tea.test", None);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(customers(&app), 1);
}

#[test]
fn a_captcha_works_once() {
    let app = TestApp::ready();
    let b = Browser::new(&app);
    let page = b.get("/account/register");
    let id = page.input_value("captcha_id").unwrap();
    let right = app.captchas.peek_answer(&id).unwrap();
    let mut fields = registration("first@tea.test");
    fields.push(("captcha_id", id.clone()));
    fields.push(("captcha_answer", right.clone()));
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.submit(&page, "/account/register", &f).status, 303);

    let page = b.get("/account/register");
    let mut fields = registration("second@tea.test");
    fields.push(("captcha_id", id));
    fields.push(("captcha_answer", right));
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = b.submit(&page, "/account/register", &f);
    assert_eq!(res.status, 422);
    assert!(res.body.contains("already used"), "{}", res.body);
    assert_eq!(customers(&app), 1);
}
