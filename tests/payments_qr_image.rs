//! The payment QR image (issue 4's "or an uploaded QR image"): the owner uploads it on the
//! payments settings page through the media pipeline, buyers paying by transfer see it,
//! a lying file is refused without changing anything, and removing it falls back.

mod common;

use common::settings_admin::{
    get_bytes, jpeg_with_exif, login_owner, png, post_multipart, post_multipart_csrf,
    post_multipart_raw, raw_setting, setting_audits,
};
use common::{add_product, shop, TestApp};

const PAGE: &str = "/admin/settings/payments";
const UPLOAD: &str = "/admin/settings/payments/image";
const KEY: &str = "payments.bank_transfer.qr_image";

fn bank_details(app: &TestApp) {
    let res = app.post_form(
        PAGE,
        PAGE,
        &[
            ("cod_enabled", "true"),
            ("bank_transfer_enabled", "true"),
            ("bobi_enabled", "true"),
            ("holder", "Corner Shop GmbH"),
            ("iban", "DE89 3704 0044 0532 0130 00"),
            ("bic", "COBADEFFXXX"),
            ("upi_id", ""),
            ("qr", "epc"),
            ("paypal_base_url", "https://api-m.sandbox.paypal.com"),
            ("paypal_client_id", ""),
            ("paypal_client_secret", ""),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
}

fn files_under(app: &TestApp, folder: &str) -> Vec<String> {
    match std::fs::read_dir(app.data_dir().join("media").join(folder)) {
        Ok(d) => {
            let mut v: Vec<String> = d
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        }
        Err(_) => Vec::new(),
    }
}

/// The `src` of the payment panel's QR picture on an order page.
fn qr_src(body: &str) -> Option<String> {
    let at = body.find("class=\"pay-qr\"")?;
    let img = at + body[at..].find("src=\"")? + 5;
    let end = body[img..].find('"')?;
    Some(common::html_unescape(&body[img..img + end]))
}

#[test]
fn an_uploaded_qr_image_is_shown_to_transfer_buyers_clean_and_can_be_replaced_and_removed() {
    let app = TestApp::ready();
    login_owner(&app);
    bank_details(&app);
    assert_eq!(
        raw_setting(&app, "payments.bank_transfer.iban"),
        "DE89370400440532013000"
    );
    let product = add_product(&app, "Green Tea", 450, 20, None, "active");

    // Before: the generated SEPA code.
    let (_, order_page) = shop::guest_order(&app, product, "1", shop::GUEST_PICKUP);
    let before = app.get(&order_page);
    assert!(
        qr_src(&before.body).unwrap().contains("/payment-qr.png"),
        "generated code first"
    );

    // Upload a photo of a QR code that carries EXIF.
    let upload = jpeg_with_exif(300, 300);
    let res = post_multipart(&app, PAGE, UPLOAD, &[], ("image", "my-qr.jpg", &upload));
    assert_eq!(res.status, 303, "{}", res.body);
    let path = raw_setting(&app, KEY);
    assert!(
        path.starts_with("payments/") && path.ends_with(".jpg"),
        "{path}"
    );
    assert!(!path.contains("my-qr"), "the shop names the file");
    assert_eq!(raw_setting(&app, "payments.bank_transfer.qr"), "image");
    assert_eq!(
        files_under(&app, "payments").len(),
        2,
        "the image and its thumbnail"
    );
    let audits = setting_audits(&app, KEY);
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0]["old"], "");
    assert_eq!(audits[0]["new"], path.as_str());
    assert_eq!(
        setting_audits(&app, "payments.bank_transfer.qr")
            .last()
            .unwrap()["new"],
        "image"
    );

    // A buyer paying by transfer sees it; the file is a clean re-encoded JPEG.
    let (_, order_page) = shop::guest_order(&app, product, "1", shop::GUEST_PICKUP);
    let page = app.get(&order_page);
    assert_eq!(page.status, 200);
    let src = qr_src(&page.body).expect("a QR picture");
    assert_eq!(src, format!("/media/{path}"));
    assert!(
        page.body.contains("enter the amount and the reference"),
        "{}",
        page.body
    );
    let (status, bytes) = get_bytes(&app, &src);
    assert_eq!(status, 200);
    let img = image::load_from_memory(&bytes).expect("decodes");
    assert_eq!((img.width(), img.height()), (300, 300));
    assert_eq!(
        image::guess_format(&bytes).unwrap(),
        image::ImageFormat::Jpeg
    );
    assert!(
        !bytes.windows(10).any(|w| w == b"SECRET-GPS"),
        "metadata stripped"
    );
    assert!(!bytes.windows(4).any(|w| w == b"Exif"));
    // The generated code's address answers nothing for such an order.
    let id = order_page
        .trim_start_matches("/orders/")
        .split('?')
        .next()
        .unwrap();
    let key = order_page.split("key=").nth(1).unwrap();
    assert_eq!(
        get_bytes(&app, &format!("/orders/{id}/payment-qr.png?key={key}")).0,
        404
    );

    // The settings page shows it, and saving the form with the image chosen keeps it.
    let settings = app.get(PAGE);
    assert!(settings.body.contains(&format!("/media/{path}")));
    let res = app.post_form(
        PAGE,
        PAGE,
        &[
            ("cod_enabled", "true"),
            ("bank_transfer_enabled", "true"),
            ("holder", "Corner Shop GmbH"),
            ("iban", "DE89370400440532013000"),
            ("bic", "COBADEFFXXX"),
            ("qr", "image"),
            ("paypal_base_url", "https://api-m.sandbox.paypal.com"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(raw_setting(&app, "payments.bank_transfer.qr"), "image");

    // Replacing it deletes the old file.
    let res = post_multipart(&app, PAGE, UPLOAD, &[], ("image", "qr.png", &png(64, 64)));
    assert_eq!(res.status, 303, "{}", res.body);
    let new_path = raw_setting(&app, KEY);
    assert!(new_path.ends_with(".png") && new_path != path);
    assert!(
        !app.data_dir().join("media").join(&path).exists(),
        "old image deleted"
    );
    assert_eq!(files_under(&app, "payments").len(), 2);
    let (status, bytes) = get_bytes(&app, &format!("/media/{new_path}"));
    assert_eq!(status, 200);
    assert_eq!(
        image::guess_format(&bytes).unwrap(),
        image::ImageFormat::Png
    );
    assert_eq!(get_bytes(&app, &format!("/media/{path}")).0, 404);

    // Removing it deletes the file and falls back to the generated SEPA code.
    let res = app.post_form(PAGE, &format!("{UPLOAD}/remove"), &[]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(raw_setting(&app, KEY), "");
    assert_eq!(raw_setting(&app, "payments.bank_transfer.qr"), "epc");
    assert!(files_under(&app, "payments").is_empty());
    let page = app.get(&order_page);
    assert!(
        qr_src(&page.body).unwrap().contains("/payment-qr.png"),
        "falls back"
    );
    let audits = setting_audits(&app, KEY);
    assert_eq!(audits.len(), 3);
    assert_eq!(audits[2]["old"], new_path.as_str());
    assert_eq!(audits[2]["new"], "");
}

#[test]
fn a_lying_or_oversized_file_is_refused_with_the_reason_and_changes_nothing() {
    let app = TestApp::ready();
    login_owner(&app);
    bank_details(&app);
    let res = post_multipart(&app, PAGE, UPLOAD, &[], ("image", "qr.png", &png(40, 40)));
    assert_eq!(res.status, 303);
    let path = raw_setting(&app, KEY);
    let files = files_under(&app, "payments");

    // A script named .png, then a GIF: refused by content, with the reason on the page.
    let fake = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    let res = post_multipart(&app, PAGE, UPLOAD, &[], ("image", "qr.png", fake));
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("not a JPEG, PNG or WebP"), "{}", res.body);
    assert!(res.body.contains("Nothing was changed"));
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    let res = post_multipart(&app, PAGE, UPLOAD, &[], ("image", "qr.jpg", gif));
    assert_eq!(res.status, 422);

    // Larger than the media limit (lowered to 1 MB): refused before decoding.
    app.set_setting("media.max_upload_mb", "1");
    let big = vec![0x89u8; 1024 * 1024 + 10];
    let res = post_multipart(&app, PAGE, UPLOAD, &[], ("image", "big.png", &big));
    assert_eq!(res.status, 422);
    assert!(res.body.contains("1 MB"), "{}", res.body);

    assert_eq!(raw_setting(&app, KEY), path, "nothing changed");
    assert_eq!(files_under(&app, "payments"), files, "no file left behind");
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'image.refused'"),
        2
    );

    // Without the form's token: refused.
    let res = post_multipart_raw(
        &app,
        UPLOAD,
        &[("_csrf", "nope")],
        ("image", "qr.png", &png(8, 8)),
    );
    assert_eq!(res.status, 403);
    assert_eq!(raw_setting(&app, KEY), path);
}

#[test]
fn choosing_the_image_before_uploading_one_is_refused_at_the_qr_field() {
    let app = TestApp::ready();
    login_owner(&app);
    let res = app.post_form(
        PAGE,
        PAGE,
        &[
            ("bank_transfer_enabled", "true"),
            ("holder", ""),
            ("iban", "DE89370400440532013000"),
            ("qr", "image"),
            ("paypal_base_url", "https://api-m.sandbox.paypal.com"),
        ],
    );
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("Upload a QR image below first"),
        "{}",
        res.body
    );
    assert!(
        res.body.contains("id=\"f-holder-error\""),
        "every message at once"
    );
    assert_eq!(raw_setting(&app, "payments.bank_transfer.qr"), "");
}

#[test]
fn a_viewer_sees_the_payments_page_but_cannot_upload_or_remove() {
    let app = TestApp::ready();
    app.login_as("Viewer");
    let page = app.get(PAGE);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        !page.body.contains("enctype=\"multipart/form-data\""),
        "no upload form"
    );
    let res = post_multipart_csrf(&app, PAGE, UPLOAD, &[], ("image", "qr.png", &png(8, 8)));
    assert_eq!(res.status, 403);
    let res = app.post_csrf(PAGE, &format!("{UPLOAD}/remove"), &[]);
    assert_eq!(res.status, 403);
    assert_eq!(raw_setting(&app, KEY), "");
}
