//! Helpers for the settings, system and categories back-office tests: multipart uploads,
//! binary GETs, test images, and the audit rows of setting changes.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageEncoder, Rgb, RgbImage};

use super::products::{multipart_raw, Part};
use super::{Res, TestApp};

/// Submits the multipart form of `form_page` that posts to `path`, read from its HTML,
/// with `fields` filled and one file `(field, file name, bytes)` chosen (none when the
/// file name is empty).
pub fn post_multipart(
    app: &TestApp,
    form_page: &str,
    path: &str,
    fields: &[(&str, &str)],
    (name, filename, bytes): (&str, &str, &[u8]),
) -> Res {
    let files: Vec<Part<'_>> = if filename.is_empty() {
        Vec::new()
    } else {
        vec![(name, filename, "image/png", bytes.to_vec())]
    };
    super::products::post_multipart(app, form_page, path, fields, &files)
}

/// A hand-made multipart POST with `form_page`'s CSRF token, for an upload the page does
/// not offer (a role without the right).
pub fn post_multipart_csrf(
    app: &TestApp,
    form_page: &str,
    path: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
) -> Res {
    let token = app
        .get(form_page)
        .input_value("_csrf")
        .unwrap_or_else(|| panic!("no CSRF token on {form_page}"));
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("_csrf", &token));
    post_multipart_raw(app, path, &all, file)
}

/// Posts a multipart form exactly as given (no CSRF token added).
pub fn post_multipart_raw(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    (name, filename, bytes): (&str, &str, &[u8]),
) -> Res {
    multipart_raw(
        app,
        path,
        fields,
        &[(name, filename, "image/png", bytes.to_vec())],
    )
}

/// A GET whose body is kept as bytes (images); the status and the bytes.
pub fn get_bytes(app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let resp = match app.agent.get(&format!("{}{path}", app.base)).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = resp.status();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).expect("body");
    (status, bytes)
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        if (x / 8 + y / 8) % 2 == 0 {
            Rgb([0, 0, 0])
        } else {
            Rgb([255, 255, 255])
        }
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_with_encoder(PngEncoder::new(&mut out))
        .unwrap();
    out
}

/// A JPEG carrying an EXIF segment with a marker string that must not survive.
pub fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, _| Rgb([(x % 256) as u8, 40, 200]));
    let mut plain = Vec::new();
    JpegEncoder::new_with_quality(&mut plain, 90)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .unwrap();
    let payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0SECRET-GPS-48.85N";
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A stored setting as the database holds it ("" when never set).
pub fn raw_setting(app: &TestApp, key: &str) -> String {
    app.sql(|c| {
        c.query_row(
            "SELECT coalesce((SELECT value FROM settings WHERE key = ?1), '')",
            [key],
            |r| r.get::<_, String>(0),
        )
    })
}

/// The details of the audit rows of `setting.changed` for `key`, oldest first.
pub fn setting_audits(app: &TestApp, key: &str) -> Vec<serde_json::Value> {
    app.flush_audit();
    app.sql(|c| {
        let mut s = c.prepare(
            "SELECT details FROM audit_log WHERE action = 'setting.changed' AND entity_id = ?1
             ORDER BY id",
        )?;
        let rows = s
            .query_map([key], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .map(|d| serde_json::from_str(&d).unwrap())
            .collect())
    })
}

/// Logs this client in as the shop's owner (made by `TestApp::ready`).
pub fn login_owner(app: &TestApp) {
    let res = app.login_staff("owner@shop.test", super::OWNER_PW);
    assert_eq!(res.status, 303, "owner login: {}", res.body);
}
