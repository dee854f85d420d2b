//! The registration CAPTCHA over HTTP: the API, the picture URL, expiry, the switch and
//! the lock-out as a client sees them.

mod common;
use std::io::Read;

use base64::Engine;
use common::TestApp;
use cornershop::captcha::Limits;

/// Status, headers we care about, and the raw body (a PNG is not text).
fn get_bytes(app: &TestApp, path: &str) -> (u16, Option<String>, Option<String>, Vec<u8>) {
    let resp = match ureq::get(&format!("{}{path}", app.base)).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = resp.status();
    let ct = resp.header("content-type").map(String::from);
    let cache = resp.header("cache-control").map(String::from);
    let mut body = Vec::new();
    resp.into_reader().read_to_end(&mut body).unwrap();
    (status, ct, cache, body)
}

fn new_challenge(app: &TestApp) -> (String, Vec<u8>) {
    let res = app.get("/api/v1/captcha");
    assert_eq!(res.status, 200, "{}", res.body);
    let v = res.json();
    let id = v["id"].as_str().unwrap().to_string();
    let png = base64::engine::general_purpose::STANDARD
        .decode(v["image_png_base64"].as_str().unwrap())
        .expect("base64");
    (id, png)
}

#[test]
fn the_api_gives_a_png_that_its_url_serves_uncached() {
    let app = TestApp::ready();
    let v = app.get("/api/v1/captcha").json();
    let id = v["id"].as_str().unwrap();
    assert!(id.len() >= 40, "a random token: {id}");
    assert_eq!(v["image_url"], format!("/captcha/{id}"));
    assert_eq!(v["expires_in"], 600);
    let png = base64::engine::general_purpose::STANDARD
        .decode(v["image_png_base64"].as_str().unwrap())
        .unwrap();
    let img = image::load_from_memory(&png).expect("a decodable picture");
    assert_eq!((img.width(), img.height()), (200, 70));
    let answer = app.captchas.peek_answer(id).expect("the challenge is live");
    assert_eq!(answer.len(), 5);

    let (status, ct, cache, body) = get_bytes(&app, &format!("/captcha/{id}"));
    assert_eq!(status, 200);
    assert_eq!(ct.as_deref(), Some("image/png"));
    assert_eq!(cache.as_deref(), Some("no-store"));
    assert_eq!(body, png, "the same picture every time for one challenge");
}

#[test]
fn two_challenges_differ_in_picture_and_answer() {
    let app = TestApp::ready();
    let (a, png_a) = new_challenge(&app);
    let (b, png_b) = new_challenge(&app);
    assert_ne!(a, b);
    assert_ne!(png_a, png_b);
    assert_ne!(app.captchas.peek_answer(&a), app.captchas.peek_answer(&b));
}

#[test]
fn expired_used_and_unknown_pictures_are_404() {
    let app = TestApp::ready();
    let (used, _) = new_challenge(&app);
    let (old, _) = new_challenge(&app);
    let answer = app.captchas.peek_answer(&used).unwrap();
    app.captchas
        .check(
            "127.0.0.1",
            &used,
            &answer,
            &Limits::default(),
            app.clock.now(),
        )
        .expect("the right answer passes");
    assert_eq!(get_bytes(&app, &format!("/captcha/{used}")).0, 404);
    assert_eq!(get_bytes(&app, &format!("/captcha/{old}")).0, 200);
    app.clock.advance(11 * 60);
    assert_eq!(get_bytes(&app, &format!("/captcha/{old}")).0, 404);
    assert_eq!(get_bytes(&app, "/captcha/no-such-id").0, 404);
}

#[test]
fn switched_off_the_api_says_so_as_a_json_404() {
    let app = TestApp::ready();
    app.sql(|c| {
        c.execute(
            "INSERT INTO settings (key, value) VALUES ('captcha.enabled', 'false')
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [],
        )
    });
    let res = app.get("/api/v1/captcha");
    assert_eq!(res.status, 404);
    let v = res.json();
    assert_eq!(v["error"]["code"], "not_found");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("switched off"), "{msg}");
}

#[test]
fn a_locked_out_client_gets_429_with_retry_after_until_the_lock_ends() {
    let app = TestApp::ready();
    let limits = Limits::default();
    for _ in 0..limits.max_attempts {
        let (id, _) = new_challenge(&app);
        let _ = app
            .captchas
            .check("127.0.0.1", &id, "wrong", &limits, app.clock.now());
    }
    let res = app.get("/api/v1/captcha");
    assert_eq!(res.status, 429, "{}", res.body);
    assert_eq!(res.header("retry-after"), Some("300"));
    assert_eq!(
        res.json()["error"]["message"],
        "Too many wrong answers. Try again in 5 minutes."
    );
    app.clock.advance(limits.lockout_seconds);
    assert_eq!(app.get("/api/v1/captcha").status, 200);
}

#[test]
fn the_openapi_document_lists_the_captcha_endpoint() {
    let app = TestApp::ready();
    let doc = app.get("/api/openapi.json").json();
    let op = &doc["paths"]["/api/v1/captcha"]["get"];
    assert!(op.is_object(), "GET /api/v1/captcha is documented");
    for status in ["200", "404", "429"] {
        assert!(op["responses"][status].is_object(), "{status} documented");
    }
    let fields = &doc["components"]["schemas"]["CaptchaChallenge"]["properties"];
    for f in ["id", "image_url", "image_png_base64", "expires_in"] {
        assert!(fields[f].is_object(), "CaptchaChallenge.{f}");
    }
}
