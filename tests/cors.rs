//! CORS on /api: off by default (not one header), an allowed origin is echoed with
//! `Vary: Origin`, any other origin gets nothing, preflights answer 204 and say what is
//! allowed, `*` never comes with credentials, and a bad origin in the setting is refused.

mod common;

use common::settings_admin::{login_owner, raw_setting};
use common::{Res, TestApp};

const FRONT: &str = "https://front.example";

/// A shop whose `api.cors_origins` is `value` from the start.
fn shop_with(value: &str) -> TestApp {
    let value = value.to_string();
    TestApp::start(move |db| {
        db.write_blocking(move |tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('api.cors_origins', ?1)",
                [value],
            )?;
            Ok(())
        })
        .expect("setting");
    })
}

fn call(app: &TestApp, method: &str, path: &str, headers: &[(&str, &str)]) -> Res {
    let mut req = app
        .new_client()
        .request(method, &format!("{}{path}", app.base));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    TestApp::collect(req.call())
}

fn preflight(app: &TestApp, origin: &str) -> Res {
    call(
        app,
        "OPTIONS",
        "/api/v1/admin/products",
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
        ],
    )
}

fn cors_headers(res: &Res) -> Vec<&String> {
    let mut names: Vec<&String> = res
        .headers
        .keys()
        .filter(|k| k.starts_with("access-control-"))
        .collect();
    names.sort();
    names
}

#[test]
fn by_default_no_cors_header_is_ever_sent() {
    let app = TestApp::new();
    let res = call(&app, "GET", "/api/v1/categories", &[("Origin", FRONT)]);
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(cors_headers(&res).is_empty(), "{:?}", res.headers);
    assert_eq!(res.header("vary"), None);
    let pre = preflight(&app, FRONT);
    assert_eq!(pre.status, 204);
    assert!(cors_headers(&pre).is_empty(), "{:?}", pre.headers);
    assert_eq!(pre.body, "");
}

#[test]
fn an_allowed_origin_is_echoed_with_vary_and_others_get_nothing() {
    let app = shop_with("https://other.example,https://front.example");
    let res = call(&app, "GET", "/api/v1/categories", &[("Origin", FRONT)]);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), Some(FRONT));
    assert_eq!(res.header("vary"), Some("Origin"));
    assert!(res
        .header("access-control-expose-headers")
        .is_some_and(|h| h.contains("Retry-After")));
    assert_eq!(res.header("access-control-allow-credentials"), None);

    // Errors are readable by the front-end too (it must see the 401 to log in).
    let res = call(&app, "GET", "/api/v1/admin/products", &[("Origin", FRONT)]);
    assert_eq!(res.status, 401);
    assert_eq!(res.header("access-control-allow-origin"), Some(FRONT));

    let res = call(
        &app,
        "GET",
        "/api/v1/categories",
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(res.status, 200);
    assert!(cors_headers(&res).is_empty(), "{:?}", res.headers);
    assert_eq!(res.header("vary"), Some("Origin"), "caches keep them apart");

    // Only /api: the storefront never gets CORS headers.
    let res = call(&app, "GET", "/", &[("Origin", FRONT)]);
    assert_eq!(res.status, 200);
    assert!(cors_headers(&res).is_empty(), "{:?}", res.headers);
    // The security headers are still there beside the CORS ones.
    let res = call(&app, "GET", "/api/v1/categories", &[("Origin", FRONT)]);
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn a_preflight_answers_204_with_what_is_allowed_and_nothing_for_a_stranger() {
    let app = shop_with(FRONT);
    let res = preflight(&app, FRONT);
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(res.header("access-control-allow-origin"), Some(FRONT));
    let methods = res.header("access-control-allow-methods").unwrap_or("");
    for m in ["GET", "POST", "PUT", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = res.header("access-control-allow-headers").unwrap_or("");
    for h in ["Authorization", "Content-Type", "Idempotency-Key"] {
        assert!(headers.contains(h), "{headers}");
    }
    let age: u32 = res
        .header("access-control-max-age")
        .and_then(|a| a.parse().ok())
        .expect("a max age");
    assert!(age > 0);
    assert_eq!(res.header("access-control-allow-credentials"), None);

    let res = preflight(&app, "https://evil.example");
    assert_eq!(res.status, 204);
    assert!(cors_headers(&res).is_empty(), "{:?}", res.headers);
    assert_eq!(res.body, "", "nothing to read for a stranger");
}

#[test]
fn a_star_answers_star_and_never_allows_credentials() {
    let app = shop_with("*");
    let res = call(
        &app,
        "GET",
        "/api/v1/categories",
        &[
            ("Origin", "https://anyone.example"),
            ("Cookie", "cs_session=x"),
        ],
    );
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert_eq!(res.header("access-control-allow-credentials"), None);
    assert_eq!(res.header("vary"), None, "the same answer for every origin");
    let res = preflight(&app, "https://anyone.example");
    assert_eq!(res.status, 204);
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert_eq!(res.header("access-control-allow-credentials"), None);
}

#[test]
fn a_bad_origin_is_refused_with_a_clear_message_and_changes_nothing() {
    let app = TestApp::ready();
    login_owner(&app);
    let url = "/admin/settings/security";
    let page = app.get(url);
    assert!(
        page.body.contains("name=\"cors_origins\""),
        "the field is shown"
    );
    let res = app.post_form(
        url,
        url,
        &[
            ("cors_origins", "https://front.example/app"),
            ("staff_idle", "60"),
        ],
    );
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        common::html_unescape(&res.body).contains("'https://front.example/app' is not an origin"),
        "{}",
        res.body
    );
    assert_eq!(raw_setting(&app, "api.cors_origins"), "");
    // The same rule for `cornershop settings set`.
    let secret = app.secret();
    let err = app
        .db
        .write_blocking(|tx| {
            cornershop::settings::set(tx, &secret, "api.cors_origins", "*, https://a.example")
        })
        .unwrap_err();
    assert!(err.to_string().contains("cannot be combined"), "{err}");
    assert_eq!(raw_setting(&app, "api.cors_origins"), "");
    let res = call(&app, "GET", "/api/v1/categories", &[("Origin", FRONT)]);
    assert!(cors_headers(&res).is_empty());

    // A good value saved in the back office works at once.
    let res = app.post_form(url, url, &[("cors_origins", "HTTPS://Front.example/")]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(raw_setting(&app, "api.cors_origins"), FRONT);
    let res = call(&app, "GET", "/api/v1/categories", &[("Origin", FRONT)]);
    assert_eq!(res.header("access-control-allow-origin"), Some(FRONT));
}
