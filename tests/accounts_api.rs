//! Customer accounts on the JSON API: register with the CAPTCHA, verify, bearer-token
//! login, /me, logout, password reset, and the OpenAPI document.

mod common;

use common::accounts::{link_in_mail, Browser, CUSTOMER_PW};
use common::TestApp;
use serde_json::{json, Value};

fn body(email: &str, captcha: Option<(String, String)>) -> Value {
    let mut b = json!({
        "email": email, "password": CUSTOMER_PW, "first_name": "Ana", "last_name": "Kovač",
        "country_code": "+359", "phone": "888 123 456", "birth_date": "1988-02-29",
        "address": { "line1": "5 Rakovski St", "city": "Sofia", "postcode": "1000", "country": "BG" },
    });
    if let Some((id, answer)) = captcha {
        b["captcha_id"] = json!(id);
        b["captcha_answer"] = json!(answer);
    }
    b
}

fn captcha(app: &TestApp, b: &Browser) -> (String, String) {
    let res = b.json("GET", "/api/v1/captcha", None, None);
    assert_eq!(res.status, 200);
    let id = res.json()["id"].as_str().unwrap().to_string();
    let answer = app.captchas.peek_answer(&id).unwrap();
    (id, answer)
}

#[test]
fn register_verify_login_me_and_logout() {
    let app = TestApp::ready();
    let b = Browser::new(&app);

    let res = b.json(
        "POST",
        "/api/v1/auth/register",
        Some(body("ana@tea.test", None)),
        None,
    );
    assert_eq!(res.status, 422);
    assert!(res.json()["error"]["fields"]["captcha"].is_string());

    let c = captcha(&app, &b);
    let res = b.json(
        "POST",
        "/api/v1/auth/register",
        Some(body("ana@tea.test", Some(c.clone()))),
        None,
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.json()["verified"], json!(false));
    let replay = b.json(
        "POST",
        "/api/v1/auth/register",
        Some(body("other@tea.test", Some(c))),
        None,
    );
    assert_eq!(replay.status, 422);
    assert!(replay.json()["error"]["fields"]["captcha"]
        .as_str()
        .unwrap()
        .contains("already used"));

    let dup = b.json(
        "POST",
        "/api/v1/auth/register",
        Some(body("ANA@tea.test", Some(captcha(&app, &b)))),
        None,
    );
    assert_eq!(dup.status, 422);
    assert!(dup.json()["error"]["fields"]["email"]
        .as_str()
        .unwrap()
        .contains("already exists"));

    let login = json!({ "email": "ana@tea.test", "password": CUSTOMER_PW });
    let res = b.json("POST", "/api/v1/auth/login", Some(login.clone()), None);
    assert_eq!(res.status, 401);
    assert!(res.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("verify your email"));

    assert_eq!(
        b.get(&link_in_mail(&app, "ana@tea.test", "/account/verify"))
            .status,
        303
    );
    let res = b.json("POST", "/api/v1/auth/login", Some(login), None);
    assert_eq!(res.status, 200, "{}", res.body);
    let token = res.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        app.count("SELECT count(*) FROM api_tokens WHERE length(token_hash) = 64"),
        1
    );

    let me = b.json("GET", "/api/v1/me", None, Some(&token));
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(me["email"], "ana@tea.test");
    assert_eq!(me["phone"], "+359 888123456");
    assert_eq!(me["birth_date"], "1988-02-29");
    assert_eq!(me["addresses"][0]["is_default"], json!(true));
    assert_eq!(me["addresses"][0]["name"], "Ana Kovač");

    let anonymous = b.json("GET", "/api/v1/me", None, None);
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.json()["error"]["code"], "unauthorized");
    assert_eq!(
        b.json("GET", "/api/v1/me", None, Some("forged")).status,
        401
    );

    assert_eq!(
        b.json("POST", "/api/v1/auth/logout", None, Some(&token))
            .status,
        204
    );
    assert_eq!(b.json("GET", "/api/v1/me", None, Some(&token)).status, 401);
}

#[test]
fn bad_fields_are_each_named_and_nothing_is_stored() {
    let app = TestApp::ready();
    let b = Browser::new(&app);
    let mut bad = body("nope", Some(captcha(&app, &b)));
    bad["country_code"] = json!("+999");
    bad["birth_date"] = json!("2100-01-01");
    bad["first_name"] = json!("x".repeat(200));
    bad["address"]["country"] = json!("QQ");
    let res = b.json("POST", "/api/v1/auth/register", Some(bad), None);
    assert_eq!(res.status, 422);
    let fields = &res.json()["error"]["fields"];
    for f in [
        "email",
        "country_code",
        "birth_date",
        "first_name",
        "address.country",
    ] {
        assert!(fields[f].is_string(), "{f}: {fields}");
    }
    assert_eq!(app.count("SELECT count(*) FROM customers"), 0);
    assert_eq!(app.count("SELECT count(*) FROM mail_outbox"), 0);
}

#[test]
fn tokens_expire_after_seven_days_and_a_reset_revokes_them() {
    let app = TestApp::ready();
    common::accounts::no_captcha(&app);
    let b = Browser::new(&app);
    let res = b.json(
        "POST",
        "/api/v1/auth/register",
        Some(body("tok@tea.test", None)),
        None,
    );
    assert_eq!(res.status, 201, "{}", res.body);
    b.get(&link_in_mail(&app, "tok@tea.test", "/account/verify"));
    let login = json!({ "email": "tok@tea.test", "password": CUSTOMER_PW });
    let token = |b: &Browser| {
        b.json("POST", "/api/v1/auth/login", Some(login.clone()), None)
            .json()["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let week = token(&b);
    app.clock.advance(7 * 24 * 3600 + 1);
    assert_eq!(b.json("GET", "/api/v1/me", None, Some(&week)).status, 401);

    let live = token(&b);
    assert_eq!(b.json("GET", "/api/v1/me", None, Some(&live)).status, 200);
    for email in ["tok@tea.test", "nobody@tea.test"] {
        let res = b.json(
            "POST",
            "/api/v1/auth/password-reset",
            Some(json!({ "email": email })),
            None,
        );
        assert_eq!(res.status, 202);
        assert!(res.json()["message"]
            .as_str()
            .unwrap()
            .contains(&format!("If {email} has an account")));
    }
    let link = link_in_mail(&app, "tok@tea.test", "/account/reset");
    let t = link.split("token=").nth(1).unwrap().to_string();
    let new_pw = "harbour-lantern-violet-3";
    let res = b.post_form(
        &link,
        "/account/reset",
        &[("token", &t), ("password", new_pw), ("password2", new_pw)],
    );
    assert_eq!(res.status, 303);
    assert_eq!(
        b.json("GET", "/api/v1/me", None, Some(&live)).status,
        401,
        "the reset revoked the token"
    );
}

#[test]
fn the_openapi_document_lists_the_account_endpoints() {
    let app = TestApp::ready();
    let doc = app.get("/api/openapi.json").json();
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/password-reset",
        "/api/v1/me",
        "/api/v1/captcha",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let docs = app.get("/api/docs");
    assert!(docs.body.contains("/api/v1/auth/register"));
}

#[test]
fn a_body_that_does_not_fit_answers_422_naming_the_field_in_fields() {
    let app = TestApp::new();
    let b = Browser::new(&app);
    let res = b.json(
        "POST",
        "/api/v1/auth/register",
        Some(serde_json::json!({ "email": 5 })),
        None,
    );
    assert_eq!(res.status, 422, "{}", res.body);
    let err = &res.json()["error"];
    assert_eq!(err["code"], "invalid");
    assert!(
        err["fields"]["email"]
            .as_str()
            .unwrap()
            .contains("invalid type: integer"),
        "{err}"
    );
    // Not JSON at all: still the one 422 shape, with no field to blame.
    let res = TestApp::collect(
        b.agent()
            .post(&format!("{}/api/v1/auth/register", app.base))
            .set("Content-Type", "application/json")
            .send_string("{not json"),
    );
    assert_eq!(res.status, 422);
    assert_eq!(res.json()["error"]["fields"], serde_json::json!({}));
}
