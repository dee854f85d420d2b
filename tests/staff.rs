//! Staff login, logout, sessions and the permission guard.

mod common;
use common::{TestApp, OWNER_PW};

#[test]
fn the_owner_logs_in_sees_the_back_office_and_logs_out() {
    let app = TestApp::ready();
    let anon = app.get("/admin");
    assert_eq!(anon.status, 303);
    assert_eq!(anon.header("location"), Some("/admin/login?next=%2Fadmin"));

    let res = app.login_staff("OWNER@shop.test", OWNER_PW);
    assert_eq!(res.status, 303, "email is case-insensitive: {}", res.body);
    let cookie = res.headers["set-cookie"]
        .iter()
        .find(|c| c.starts_with("cs_staff="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/admin"),
        "{cookie}"
    );

    let home = app.get("/admin");
    assert_eq!(home.status, 200);
    for link in [
        "/admin/products",
        "/admin/audit",
        "/admin/settings",
        "/admin/system",
    ] {
        assert!(
            home.body.contains(&format!("href=\"{link}\"")),
            "owner sees {link}"
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM sessions WHERE kind = 'staff'"),
        1
    );
    let hash: String =
        app.sql(|c| c.query_row("SELECT token_hash FROM sessions", [], |r| r.get(0)));
    assert!(
        !cookie.contains(&hash),
        "only a hash of the token is stored"
    );

    let out = app.post_form("/admin", "/admin/logout", &[]);
    assert_eq!(out.status, 303);
    assert_eq!(app.count("SELECT count(*) FROM sessions"), 0);
    assert_eq!(app.get("/admin").status, 303, "logged out");
    app.flush_audit();
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action IN ('login', 'logout') AND actor_kind = 'staff'"), 2);
}

#[test]
fn a_wrong_password_and_an_unknown_email_get_the_same_answer_and_are_audited() {
    let app = TestApp::ready();
    let wrong = app.login_staff("owner@shop.test", "not-the-password");
    let unknown = app.login_staff("nobody@shop.test", "not-the-password");
    assert_eq!((wrong.status, unknown.status), (401, 401));
    let msg = "That email and password do not match an active staff account.";
    assert!(wrong.body.contains(msg) && unknown.body.contains(msg));
    assert_eq!(app.count("SELECT count(*) FROM sessions"), 0);
    app.flush_audit();
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND outcome = 'error'"
        ),
        2
    );
}

#[test]
fn logins_from_one_address_are_rate_limited_with_retry_after() {
    let app = TestApp::ready();
    app.sql(|c| {
        c.execute(
            "INSERT INTO settings (key, value) VALUES ('security.logins_per_ip_per_minute', '3')",
            [],
        )
    });
    for _ in 0..3 {
        assert_eq!(
            app.login_staff("owner@shop.test", "wrong-password-here")
                .status,
            401
        );
    }
    let limited = app.login_staff("owner@shop.test", OWNER_PW);
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(
        limited
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            <= 60
    );
    assert!(limited.body.contains("Too many login attempts"));

    app.clock.advance(61);
    assert_eq!(
        app.login_staff("owner@shop.test", OWNER_PW).status,
        303,
        "allowed again after a minute"
    );
}

#[test]
fn a_role_without_the_permission_is_refused_and_the_refusal_is_audited() {
    let app = TestApp::ready();
    app.login_as("Courier");
    let home = app.get("/admin");
    assert_eq!(home.status, 200, "couriers have the dashboard");
    assert!(
        !home.body.contains("href=\"/admin/products\""),
        "navigation hides what the role cannot read"
    );

    let res = app.get("/admin/products");
    assert_eq!(res.status, 403);
    assert!(
        res.body
            .contains("Your role (Courier) may not view products"),
        "{}",
        res.body
    );
    app.flush_audit();
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'permission.refused' AND actor_label = 'courier@shop.test'"), 1);
}

#[test]
fn every_back_office_page_checks_its_permission() {
    // (path, area): a role without read on the area is refused, the Viewer is let in.
    let pages = [
        ("/admin", "dashboard"),
        ("/admin/products", "products"),
        ("/admin/audit", "audit"),
        ("/admin/settings", "settings"),
        ("/admin/system", "system"),
        ("/admin/outbox", "outbox"),
    ];
    let app = TestApp::ready();
    app.sql(|c| c.execute_batch("INSERT INTO roles (id, name) VALUES (10, 'Nobody')"));
    app.login_as("Nobody");
    for (path, _) in pages {
        assert_eq!(
            app.get(path).status,
            403,
            "{path} refused without permission"
        );
    }
    let viewer = TestApp::ready();
    viewer.login_as("Viewer");
    for (path, area) in pages {
        assert_eq!(
            viewer.get(path).status,
            200,
            "{path} open to a role that may read {area}"
        );
    }
    let anonymous = TestApp::ready();
    for (path, _) in pages {
        assert_eq!(
            anonymous.get(path).status,
            303,
            "{path} sends strangers to the login"
        );
    }
}

#[test]
fn a_session_ends_after_the_idle_time() {
    let app = TestApp::ready();
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
    app.clock.advance(119 * 60);
    assert_eq!(
        app.get("/admin").status,
        200,
        "used within two hours: still in, and extended"
    );
    app.clock.advance(119 * 60);
    assert_eq!(app.get("/admin").status, 200, "the expiry slid forward");
    app.clock.advance(121 * 60);
    assert_eq!(
        app.get("/admin").status,
        303,
        "two hours without use end the session"
    );
}

#[test]
fn login_only_follows_back_office_paths() {
    let app = TestApp::ready();
    let res = app.post_form(
        "/admin/login",
        "/admin/login",
        &[
            ("email", "owner@shop.test"),
            ("password", OWNER_PW),
            ("next", "https://evil.test/"),
        ],
    );
    assert_eq!(res.header("location"), Some("/admin"));
}

fn login_cookie_behind_proxy(trusted: &str) -> String {
    let app = TestApp::ready();
    app.sql(|c| {
        c.execute(
            "INSERT INTO settings (key, value) VALUES ('security.trusted_proxies', ?1)",
            [trusted],
        )
    });
    let token = app.get("/admin/login").input_value("_csrf").unwrap();
    let res = app.post_raw_with(
        "/admin/login",
        &[
            ("email", "owner@shop.test"),
            ("password", OWNER_PW),
            ("_csrf", &token),
        ],
        &[("X-Forwarded-Proto", "https")],
    );
    assert_eq!(res.status, 303);
    res.headers["set-cookie"]
        .iter()
        .find(|c| c.starts_with("cs_staff="))
        .unwrap()
        .clone()
}

#[test]
fn cookies_are_secure_when_a_trusted_proxy_says_https() {
    assert!(login_cookie_behind_proxy("127.0.0.1").contains("Secure"));
    assert!(
        !login_cookie_behind_proxy("").contains("Secure"),
        "the header of an untrusted peer is ignored"
    );
}

#[test]
fn back_office_lists_answer_a_bad_filter_or_page_with_a_clear_400() {
    let app = TestApp::ready();
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
    for (path, message) in [
        (
            "/admin/products?status=sold",
            "status must be one of active, draft, archived",
        ),
        (
            "/admin/audit?outcome=maybe",
            "outcome must be one of event, error",
        ),
        (
            "/admin/outbox?status=lost",
            "status must be one of queued, sent, failed",
        ),
        (
            "/admin/audit?page=0",
            "page must be a whole number from 1 to 100000",
        ),
    ] {
        let res = app.get(path);
        assert_eq!(res.status, 400, "{path}");
        assert!(res.body.contains(message), "{path}: {}", res.body);
    }
    assert_eq!(
        app.get("/admin/products?status=draft&q=mug&utm_source=x")
            .status,
        200
    );
}
