//! Two-factor login for staff: enrolment (QR, key, confirm, recovery codes once), the
//! two-step login (no session before the code), wrong and reused codes refused, recovery
//! codes single use, the half-login's limits, the staff API with and without a code, and
//! a role that requires it forcing enrolment.

mod common;

use common::accounts::Browser;
use common::bo_staff::{code, enrol, key_on_page, member, staff_id, staff_login};
use common::{TestApp, OWNER_PW, STAFF_PW};

fn second_step(b: &Browser, code: &str) -> common::Res {
    let page = b.get("/admin/login/two-factor");
    if page.status == 200 && page.body.contains("action=\"/admin/login/two-factor\"") {
        return b.submit(&page, "/admin/login/two-factor", &[("code", code)]);
    }
    // The half-login is over, so is its form: what the browser still had, sent again,
    // with the token of the login page.
    b.post_csrf("/admin/login", "/admin/login/two-factor", &[("code", code)])
}

fn api_login(app: &TestApp, email: &str, pw: &str, code: Option<&str>) -> common::Res {
    let mut body = serde_json::json!({ "email": email, "password": pw });
    if let Some(c) = code {
        body["totp_code"] = c.into();
    }
    Browser::new(app).json("POST", "/api/v1/admin/auth/login", Some(body), None)
}

#[test]
fn enrolment_shows_the_qr_code_and_recovery_codes_once_and_stores_secrets_safely() {
    let app = TestApp::ready();
    let b = member(&app, "vera@shop.test", "Viewer");
    let id = staff_id(&app, "vera@shop.test");
    let page = b.get("/admin/account/two-factor");
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page
        .body
        .contains("src=\"/admin/account/two-factor/qr.png\""));
    let key = key_on_page(&page);
    assert_eq!(key.len(), 20);
    assert_eq!(
        b.get("/admin/account/two-factor").body,
        page.body,
        "the same key on reload"
    );
    let qr = b
        .agent()
        .get(&format!("{}/admin/account/two-factor/qr.png", b.base))
        .call()
        .unwrap();
    assert_eq!(qr.content_type(), "image/png");

    let wrong = b.submit(
        &page,
        "/admin/account/two-factor/confirm",
        &[("code", "000000")],
    );
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("That code is not right"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM staff WHERE id = {id} AND totp_enabled_at IS NULL"
        )),
        1
    );

    let ok = b.submit(
        &page,
        "/admin/account/two-factor/confirm",
        &[("code", &code(&app, &key))],
    );
    assert_eq!(ok.status, 200);
    let codes = common::bo_staff::recovery_codes(&ok);
    assert_eq!(codes.len(), 10);
    assert!(ok.body.contains("They are shown only now"));

    let (stored, pending): (String, String) = app.sql(|c| {
        c.query_row(
            "SELECT totp_secret, totp_pending FROM staff WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    });
    let b32 = cornershop::staff::totp::base32_encode(&key);
    assert!(
        stored.starts_with("enc1:") && !stored.contains(&b32),
        "sealed at rest"
    );
    assert!(pending.is_empty());
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM staff_recovery_codes WHERE staff_id = {id} AND used_at IS NULL"
        )),
        10
    );
    for c in &codes {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM staff_recovery_codes WHERE code_hash LIKE '%{}%'",
                c.replace('-', "")
            )),
            0
        );
    }
    let again = b.get("/admin/account/two-factor");
    assert!(again
        .body
        .contains("10</strong> of 10 recovery codes are left"));
    assert!(!again.body.contains(&codes[0]), "codes are not shown again");
    assert_eq!(b.get("/admin/account/two-factor/qr.png").status, 404);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'two_factor.enabled'"),
        1
    );
}

#[test]
fn login_needs_the_code_refuses_wrong_and_reused_ones_and_a_recovery_code_works_once() {
    let app = TestApp::ready();
    let b = member(&app, "vera@shop.test", "Viewer");
    let id = staff_id(&app, "vera@shop.test");
    // The confirming code's step is used up; enrol() then moves the clock on 30 s.
    let page = b.get("/admin/account/two-factor");
    let key = key_on_page(&page);
    let confirm_code = code(&app, &key);
    let ok = b.submit(
        &page,
        "/admin/account/two-factor/confirm",
        &[("code", &confirm_code)],
    );
    let recovery = common::bo_staff::recovery_codes(&ok);
    assert_eq!(b.post_form("/admin", "/admin/logout", &[]).status, 303);

    let res = staff_login(&b, "vera@shop.test", STAFF_PW);
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), Some("/admin/login/two-factor"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM sessions WHERE user_id = {id}"
        )),
        0,
        "no session before the code"
    );
    assert_eq!(b.get("/admin").status, 303);
    assert!(b
        .get("/admin/login/two-factor")
        .body
        .contains("Enter your code"));

    let reused = second_step(&b, &confirm_code);
    assert_eq!(reused.status, 401, "the step used to confirm is spent");
    assert!(reused.body.contains("not right (or was already used)"));
    assert_eq!(second_step(&b, "123456").status, 401);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM sessions WHERE user_id = {id}"
        )),
        0
    );

    app.clock.advance(30);
    let now_code = code(&app, &key);
    let res = second_step(&b, &now_code);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin"));
    assert_eq!(b.get("/admin").status, 200);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM staff_login_challenges WHERE staff_id = {id}"
        )),
        0
    );

    // The same code again, at once, in another login: refused.
    assert_eq!(b.post_form("/admin", "/admin/logout", &[]).status, 303);
    assert_eq!(staff_login(&b, "vera@shop.test", STAFF_PW).status, 303);
    assert_eq!(second_step(&b, &now_code).status, 401);

    // A recovery code works once.
    let res = second_step(&b, &recovery[3].to_uppercase());
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin/account/two-factor"));
    assert!(b
        .get("/admin/account/two-factor")
        .body
        .contains("9</strong> of 10"));
    assert_eq!(b.post_form("/admin", "/admin/logout", &[]).status, 303);
    assert_eq!(staff_login(&b, "vera@shop.test", STAFF_PW).status, 303);
    assert_eq!(second_step(&b, &recovery[3]).status, 401);

    app.flush_audit();
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'login' AND details LIKE '%\"two_factor\":\"authenticator\"%'"), 1);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'login' AND details LIKE '%recovery code%'"), 1);
    assert!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'login.two_factor_failed'") >= 4
    );
}

#[test]
fn the_half_login_lasts_five_minutes_and_five_wrong_codes() {
    let app = TestApp::ready();
    let b = member(&app, "vera@shop.test", "Viewer");
    let (key, _) = enrol(&app, &b);
    assert_eq!(b.post_form("/admin", "/admin/logout", &[]).status, 303);

    assert_eq!(staff_login(&b, "vera@shop.test", STAFF_PW).status, 303);
    app.clock.advance(301);
    let late = second_step(&b, &code(&app, &key));
    assert_eq!(late.status, 303);
    assert_eq!(late.header("location"), Some("/admin/login"));
    assert_eq!(b.get("/admin").status, 303);

    assert_eq!(staff_login(&b, "vera@shop.test", STAFF_PW).status, 303);
    for _ in 0..4 {
        assert_eq!(second_step(&b, "000000").status, 401);
    }
    let fifth = second_step(&b, "000000");
    assert_eq!(
        fifth.status, 303,
        "the fifth wrong code ends the half-login"
    );
    let right = second_step(&b, &code(&app, &key));
    assert_eq!(right.status, 303);
    assert_eq!(
        right.header("location"),
        Some("/admin/login"),
        "start again"
    );
    assert_eq!(b.get("/admin").status, 303);
}

#[test]
fn the_staff_api_asks_for_the_code_when_enrolled() {
    let app = TestApp::ready();
    let b = member(&app, "vera@shop.test", "Viewer");
    let (key, recovery) = enrol(&app, &b);

    let none = api_login(&app, "vera@shop.test", STAFF_PW, None);
    assert_eq!(none.status, 401);
    assert!(none.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("send the current 6-digit code"));
    let wrong = api_login(&app, "vera@shop.test", STAFF_PW, Some("000000"));
    assert_eq!(wrong.status, 401);
    assert!(wrong.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not right"));
    let c = code(&app, &key);
    let ok = api_login(&app, "vera@shop.test", STAFF_PW, Some(&c));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.json()["token"].is_string());
    assert_eq!(
        api_login(&app, "vera@shop.test", STAFF_PW, Some(&c)).status,
        401,
        "a code works once"
    );
    assert_eq!(
        api_login(&app, "vera@shop.test", STAFF_PW, Some(&recovery[0])).status,
        200
    );
    assert_eq!(
        api_login(
            &app,
            "vera@shop.test",
            "wrong-password-1",
            Some(&recovery[1])
        )
        .status,
        401
    );
    // Without two-factor login the code is not asked for.
    cornershop::staff::cli::create(&app.db, "carl@shop.test", None, STAFF_PW, "Courier").unwrap();
    assert_eq!(
        api_login(&app, "carl@shop.test", STAFF_PW, None).status,
        200
    );
}

#[test]
fn a_role_that_requires_two_factor_login_forces_enrolment_first() {
    let app = TestApp::ready();
    let b = member(&app, "max@shop.test", "Manager");
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
    // Keep Manager's rights, tick "require two-factor login".
    let rights: Vec<String> = app.sql(|c| {
        let mut s = c.prepare(
            "SELECT area, can_read, can_create, can_update, can_delete FROM role_permissions WHERE role_id = 2",
        )?;
        let rows = s.query_map([], |r| {
            let area: String = r.get(0)?;
            let mut v = Vec::new();
            for (i, act) in ["read", "create", "update", "delete"].iter().enumerate() {
                if r.get::<_, bool>(i + 1)? {
                    v.push(format!("{area}:{act}"));
                }
            }
            Ok(v)
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?.concat())
    });
    // The grid shows no boxes for areas that have not landed (their rights stay stored).
    let rights: Vec<String> = rights
        .into_iter()
        .filter(|r| {
            !cornershop::staff::perm::NOT_LANDED
                .iter()
                .any(|a| r.starts_with(&format!("{a}:")))
        })
        .collect();
    let mut fields: Vec<(&str, &str)> = vec![
        ("name", "Manager"),
        ("description", "Runs the shop"),
        ("require_totp", "true"),
    ];
    for r in &rights {
        fields.push(("rights", r));
    }
    assert_eq!(
        app.post_form("/admin/roles/2", "/admin/roles/2", &fields)
            .status,
        303
    );
    let before =
        app.count("SELECT count(*) FROM role_permissions WHERE role_id = 2 AND can_update = 1");
    assert!(before > 0, "rights kept");

    // The logged-in manager is sent to set it up, from any page.
    for path in ["/admin", "/admin/orders", "/admin/products"] {
        let res = b.get(path);
        assert_eq!(res.status, 303, "{path}");
        assert_eq!(
            res.header("location"),
            Some("/admin/account/two-factor"),
            "{path}"
        );
    }
    let page = b.get("/admin/account/two-factor");
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("Your role (Manager) requires two-factor login"));
    assert!(
        !page.body.contains("href=\"/admin/orders\""),
        "no navigation yet"
    );
    let api = api_login(&app, "max@shop.test", STAFF_PW, None);
    assert_eq!(api.status, 403);
    assert!(api.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("requires two-factor login"));

    // A fresh login lands on the set-up page too.
    assert_eq!(staff_login(&b, "max@shop.test", STAFF_PW).status, 303);
    assert_eq!(
        b.get("/admin").header("location"),
        Some("/admin/account/two-factor")
    );

    let (key, _) = enrol(&app, &b);
    assert_eq!(b.get("/admin/orders").status, 200);
    let page = b.get("/admin/account/two-factor");
    assert!(page
        .body
        .contains("requires two-factor login, so it cannot be turned off"));
    assert!(!page
        .body
        .contains("action=\"/admin/account/two-factor/disable\""));
    // The page has no "turn off" form then: a forged request changes nothing either.
    let res = b.post_csrf(
        "/admin/account/two-factor",
        "/admin/account/two-factor/disable",
        &[("password", STAFF_PW)],
    );
    assert_eq!(res.status, 303);
    assert_eq!(app.count("SELECT count(*) FROM staff WHERE email = 'max@shop.test' AND totp_enabled_at IS NOT NULL"), 1);
    assert_eq!(
        api_login(&app, "max@shop.test", STAFF_PW, Some(&code(&app, &key))).status,
        200
    );
}

#[test]
fn two_factor_login_can_be_turned_off_with_the_password_or_by_an_owner() {
    let app = TestApp::ready();
    let b = member(&app, "vera@shop.test", "Viewer");
    let id = staff_id(&app, "vera@shop.test");
    enrol(&app, &b);
    let page = b.get("/admin/account/two-factor");
    let wrong = b.submit(
        &page,
        "/admin/account/two-factor/disable",
        &[("password", "not-my-password")],
    );
    assert_eq!(wrong.status, 422);
    let res = b.submit(
        &page,
        "/admin/account/two-factor/disable",
        &[("password", STAFF_PW)],
    );
    assert_eq!(res.status, 303);
    assert_eq!(app.count(&format!("SELECT count(*) FROM staff WHERE id = {id} AND totp_enabled_at IS NULL AND totp_secret = ''")), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM staff_recovery_codes WHERE staff_id = {id}"
        )),
        0
    );

    // An owner helps a member who lost their phone.
    enrol(&app, &b);
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
    let path = format!("/admin/staff/{id}");
    assert!(app.get(&path).body.contains("Turn two-factor login off"));
    let res = app.post_form(&path, &format!("{path}/two-factor/off"), &[]);
    assert_eq!(res.status, 303);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM staff WHERE id = {id} AND totp_enabled_at IS NULL"
        )),
        1
    );
    assert_eq!(
        staff_login(&b, "vera@shop.test", STAFF_PW).header("location"),
        Some("/admin")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'two_factor.disabled'"),
        2
    );
}
