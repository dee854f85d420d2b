//! Helpers for the products tests: real image bytes, multipart uploads through the
//! logged-in browser, the staff API with a bearer token, and the media clean-up job.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::Value;

use super::{Res, TestApp, STAFF_PW};

/// A real PNG of w × h pixels.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, ImageFormat::Png)
}

/// A real JPEG of w × h pixels.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, ImageFormat::Jpeg)
}

fn encode(w: u32, h: u32, f: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, f)
        .expect("encodes");
    out.into_inner()
}

/// A file part: (field, file name, content type, bytes).
pub type Part<'a> = (&'a str, &'a str, &'a str, Vec<u8>);

/// Submits the multipart form of `form_page` that posts to `path`, read from its HTML,
/// filled with `fields` and with `files` chosen, through this app's logged-in client.
pub fn post_multipart(
    app: &TestApp,
    form_page: &str,
    path: &str,
    fields: &[(&str, &str)],
    files: &[Part<'_>],
) -> Res {
    let mut form = app.form(form_page, path);
    assert!(
        form.multipart,
        "the form posting to {path} is not multipart"
    );
    form.fill(fields);
    for (field, name, ct, bytes) in files {
        form.attach(field, name, ct, bytes.clone());
    }
    app.submit(&form)
}

/// A multipart body of `fields` and `files`, with its content type.
pub fn multipart_body(fields: &[(&str, &str)], files: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "----cornershop-test-7d3f";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (field, name, ct, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts a multipart form exactly as given.
pub fn multipart_raw(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    files: &[Part<'_>],
) -> Res {
    let (ct, body) = multipart_body(fields, files);
    TestApp::collect(
        app.agent
            .post(&format!("{}{path}", app.base))
            .set("Content-Type", &ct)
            .send_bytes(&body),
    )
}

/// Posts `files` as multipart to the API with an optional bearer token (no cookies).
pub fn api_multipart(app: &TestApp, path: &str, files: &[Part<'_>], token: Option<&str>) -> Res {
    let (ct, body) = multipart_body(&[], files);
    let mut req = app
        .new_client()
        .post(&format!("{}{path}", app.base))
        .set("Content-Type", &ct);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    TestApp::collect(req.send_bytes(&body))
}

/// A staff member with `role` and a staff API bearer token for them.
pub fn api_token(app: &TestApp, role: &str) -> String {
    let email = format!("api-{}@shop.test", role.to_lowercase());
    cornershop::staff::cli::create(&app.db, &email, None, STAFF_PW, role).expect("staff");
    let res = api(
        app,
        "POST",
        "/api/v1/admin/auth/login",
        Some(serde_json::json!({ "email": email, "password": STAFF_PW })),
        None,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    res.json()["token"].as_str().unwrap().to_string()
}

/// A JSON request with an optional bearer token (no cookies).
pub fn api(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> Res {
    let agent = app.new_client();
    let mut req = agent.request(method, &format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    TestApp::collect(match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    })
}

/// One pass of the `media_cleanup` job at the app's clock; its summary.
pub fn run_media_job(app: &TestApp) -> Option<String> {
    let ctx = cornershop::jobs::JobCtx {
        db: app.db.clone(),
        clock: app.clock.clone(),
        data_dir: app.data_dir(),
        secret: std::sync::Arc::new(app.secret()),
    };
    let job = cornershop::schedule::JOBS
        .iter()
        .find(|j| j.name == "media_cleanup")
        .expect("the media job");
    cornershop::jobs::run_and_record(job, &ctx).expect("recorded");
    app.sql(|c| {
        c.query_row(
            "SELECT summary FROM job_runs WHERE job = 'media_cleanup' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or(Ok(None))
    })
}

/// Every file under the data dir's media/products/, relative to media/.
pub fn media_files(app: &TestApp) -> Vec<String> {
    let root = app.data_dir().join("media");
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(root.join("products")) {
        for e in rd.flatten() {
            out.push(format!("products/{}", e.file_name().to_string_lossy()));
        }
    }
    out.sort();
    out
}

/// Logs this client in as the shop's owner (created by `TestApp::ready`).
pub fn login_owner(app: &TestApp) {
    let res = app.login_staff("owner@shop.test", super::OWNER_PW);
    assert_eq!(res.status, 303, "owner login: {}", res.body);
}
