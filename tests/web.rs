//! The web kernel: security headers, CSRF, assets, error pages, limits.

mod common;
use common::{TestApp, OWNER_PW};

#[test]
fn every_kind_of_response_carries_the_security_headers() {
    let app = TestApp::ready();
    for path in [
        "/",
        "/admin/login",
        "/api/v1/products",
        "/no-such-page",
        "/health",
        "/api/openapi.json",
    ] {
        let res = app.get(path);
        let csp = res
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("CSP on {path}"));
        assert!(
            csp.contains("default-src 'self'")
                && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(res.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(
            res.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(res.header("referrer-policy"), Some("same-origin"), "{path}");
    }
}

#[test]
fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::ready();
    let res = app.post_raw(
        "/admin/login",
        &[("email", "owner@shop.test"), ("password", OWNER_PW)],
    );
    assert_eq!(res.status, 403);
    assert!(res.body.contains("did not come from this shop"));
    assert_eq!(app.count("SELECT count(*) FROM sessions"), 0);

    // A token from another browser does not fit this browser's cookie.
    let other = app.new_client();
    let page = other
        .get(&format!("{}/admin/login", app.base))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let at = page.find("name=\"_csrf\" value=\"").unwrap() + 20;
    let foreign = &page[at..at + page[at..].find('"').unwrap()];
    app.get("/admin/login"); // this browser gets its own cookie
    let res = app.post_raw(
        "/admin/login",
        &[
            ("email", "owner@shop.test"),
            ("password", OWNER_PW),
            ("_csrf", foreign),
        ],
    );
    assert_eq!(res.status, 403);
    assert_eq!(app.count("SELECT count(*) FROM sessions"), 0);
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'csrf.refused'"),
        2
    );
}

#[test]
fn logging_in_replaces_the_csrf_cookie() {
    let app = TestApp::ready();
    let before = app.get("/admin/login").input_value("_csrf").unwrap();
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
    let after = app.get("/admin").input_value("_csrf").unwrap();
    assert_ne!(before, after, "tokens from before the login stop working");
}

#[test]
fn assets_are_versioned_cached_and_revalidated() {
    let app = TestApp::new();
    let home = app.get("/");
    let at = home
        .body
        .find("/assets/css/shop.css?v=")
        .expect("versioned stylesheet link");
    let url = &home.body[at..at + home.body[at..].find('"').unwrap()];
    let css = app.get(url);
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let etag = css.header("etag").unwrap().to_string();

    let plain = app.get("/assets/css/shop.css");
    assert_eq!(
        plain.header("cache-control"),
        Some("no-cache"),
        "an unversioned URL revalidates"
    );
    let again = app.get_with("/assets/css/shop.css", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    assert_eq!(app.get("/assets/css/nope.css").status, 404);
    assert_eq!(
        app.get("/assets/data/currencies.tsv").status,
        404,
        "data files are not served"
    );
}

#[test]
fn pages_load_nothing_from_another_host() {
    let app = TestApp::ready();
    let fresh = TestApp::new();
    let setup = format!("/setup?token={}", fresh.setup_token.clone().unwrap());
    assert!(
        !fresh.get(&setup).body.contains("=\"http"),
        "the set-up page is self-contained"
    );
    for path in [
        "/",
        "/search?q=x",
        "/admin/login",
        "/api/docs",
        "/no-such-page",
    ] {
        let body = app.get(path).body;
        for attr in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "href=\"//",
            "url(http",
            "@import",
        ] {
            assert!(!body.contains(attr), "{path} contains {attr}");
        }
    }
    for css in [
        "/assets/css/base.css",
        "/assets/css/shop.css",
        "/assets/css/admin.css",
        "/assets/js/app.js",
    ] {
        let body = app.get(css).body;
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{css} names another host"
        );
    }
}

#[test]
fn a_missing_page_is_a_finished_404_and_is_audited() {
    let app = TestApp::ready();
    let res = app.get("/no/such/page");
    assert_eq!(res.status, 404);
    assert_eq!(res.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(
        res.body.contains("Page not found") && res.body.contains("shop.css"),
        "styled page"
    );
    app.flush_audit();
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'http.not_found' AND details LIKE '%/no/such/page%'"), 1);
}

#[test]
fn broken_input_never_gives_a_500() {
    let app = TestApp::ready();
    for path in [
        "/categories/%FF%FE",
        "/products/%C0%AF",
        "/?q=%FF",
        "/search?q=%00",
        "/media/..%2F..%2Fshop.db",
        "/media/products/../../shop.db",
        "/assets/..%2Fshop.db",
    ] {
        let res = app.get(path);
        assert!(res.status < 500, "{path} answered {}", res.status);
        assert!(
            !res.body.contains("SQLite format"),
            "{path} leaked the database"
        );
    }
}

#[test]
fn an_oversized_form_is_refused() {
    let app = TestApp::ready();
    let big = "x".repeat(70 * 1024);
    let res = app.post_form(
        "/admin/login",
        "/admin/login",
        &[("email", &big), ("password", "x")],
    );
    assert_eq!(res.status, 413);
}

#[test]
fn the_favicon_and_robots_txt_are_served_not_audited_as_missing() {
    let app = TestApp::new();
    let icon = app.get("/favicon.ico");
    assert_eq!(icon.status, 200);
    assert_eq!(icon.header("content-type"), Some("image/svg+xml"));
    let robots = app.get("/robots.txt");
    assert!(robots.body.contains("Disallow: /admin"));
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'http.not_found'"),
        0
    );
}

/// The value a response sets for `name`.
fn set_cookie(res: &common::Res, name: &str) -> String {
    let prefix = format!("{name}=");
    let line = res.headers["set-cookie"]
        .iter()
        .find(|c| c.starts_with(&prefix))
        .expect("cookie set");
    line[prefix.len()..].split(';').next().unwrap().to_string()
}

#[test]
fn a_cookie_and_token_planted_from_another_browser_do_not_fit_a_logged_in_session() {
    let app = TestApp::ready();
    // The attacker gets an honest cookie/token pair of their own.
    let attacker = app
        .new_client()
        .get(&format!("{}/admin/login", app.base))
        .call()
        .unwrap();
    let attacker_cookie = attacker
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("cs_csrf=")
        .to_string();
    let page = common::Res {
        status: 200,
        headers: Default::default(),
        body: attacker.into_string().unwrap(),
    };
    let attacker_token = page.input_value("_csrf").unwrap();

    // The owner is logged in in their own browser.
    let login = app.login_staff("owner@shop.test", OWNER_PW);
    let session = set_cookie(&login, "cs_staff");

    // Planting the attacker's pair next to the owner's session does not work.
    let planted = app
        .new_client()
        .post(&format!("{}/admin/logout", app.base))
        .set(
            "Cookie",
            &format!("cs_csrf={attacker_cookie}; cs_staff={session}"),
        )
        .send_form(&[("_csrf", &attacker_token)]);
    let status = match planted {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, 403);
    assert_eq!(
        app.count("SELECT count(*) FROM sessions"),
        1,
        "still logged in"
    );

    // The owner's own form still works.
    assert_eq!(app.post_form("/admin", "/admin/logout", &[]).status, 303);
    assert_eq!(app.count("SELECT count(*) FROM sessions"), 0);
}
