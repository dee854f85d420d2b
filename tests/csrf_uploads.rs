//! The multipart forms (product images, CSV import, a settings image) go through the same
//! CSRF guard as every other form: a forged or missing token is refused with 403, audited,
//! and changes nothing; the page's own form, sent as the browser sends it, is accepted.

mod common;

use common::products::{login_owner, media_files, multipart_raw, png, post_multipart, Part};
use common::{add_product, TestApp};

const CSV: &str = "sku,name,slug,description,price,compare_at_price,stock,low_stock_threshold,category,status\nTEA-1,Sencha,,,4.90,,10,,,active\n";

fn refusals(app: &TestApp) -> i64 {
    app.flush_audit();
    app.count("SELECT count(*) FROM audit_log WHERE action = 'csrf.refused'")
}

#[test]
fn every_upload_form_refuses_a_forged_or_missing_token_and_accepts_its_own() {
    let app = TestApp::ready();
    login_owner(&app);
    let id = add_product(&app, "Blue mug", 1250, 5, None, "active");
    let product = format!("/admin/products/{id}");
    let uploads: Vec<(String, String, Part<'_>)> = vec![
        (
            product.clone(),
            format!("{product}/images"),
            ("images", "a.png", "image/png", png(20, 20)),
        ),
        (
            "/admin/products/import".into(),
            "/admin/products/import".into(),
            ("file", "p.csv", "text/csv", CSV.as_bytes().to_vec()),
        ),
        (
            "/admin/settings/shop".into(),
            "/admin/settings/shop/image".into(),
            ("image", "logo.png", "image/png", png(64, 32)),
        ),
    ];
    let mut refused = 0;
    for (_, action, file) in &uploads {
        for token in [Some("forged"), None] {
            let fields: Vec<(&str, &str)> = token.map(|t| ("_csrf", t)).into_iter().collect();
            let res = multipart_raw(&app, action, &fields, std::slice::from_ref(file));
            assert_eq!(
                res.status, 403,
                "{action} with token {token:?}: {}",
                res.body
            );
            assert!(res.body.contains("did not come from this shop"), "{action}");
            refused += 1;
        }
    }
    assert_eq!(refusals(&app), refused);
    assert!(media_files(&app).is_empty(), "no image stored");
    assert_eq!(app.count("SELECT count(*) FROM product_images"), 0);
    assert_eq!(
        app.count("SELECT count(*) FROM products WHERE sku = 'TEA-1'"),
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM settings WHERE key = 'shop.logo' AND value <> ''"),
        0
    );

    // The pages' own forms carry the right token and are read.
    for (page, action, file) in &uploads {
        let res = post_multipart(&app, page, action, &[], std::slice::from_ref(file));
        assert!(
            matches!(res.status, 200 | 303),
            "{action}: {} {}",
            res.status,
            &res.body[..res.body.len().min(300)]
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM product_images"), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM settings WHERE key = 'shop.logo' AND value <> ''"),
        1
    );
    assert_eq!(
        refusals(&app),
        refused,
        "no refusal for the shop's own forms"
    );
}
