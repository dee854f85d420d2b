//! Back office, products: create/edit/delete through the forms, slug and SKU rules,
//! delete refused for a product in orders (archive instead), stock adjustments, the list's
//! filters, a read-only role, and the audit rows every change writes.

mod common;

use common::{add_category, add_product, shop, TestApp};

fn product_id(location: &str) -> i64 {
    location
        .trim_start_matches("/admin/products/")
        .split(['#', '?'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

const FIELDS: &[(&str, &str)] = &[
    ("name", "Blue mug"),
    ("slug", ""),
    ("sku", "MUG-1"),
    ("description", "A sturdy mug."),
    ("price", "12.50"),
    ("compare_at_price", "15"),
    ("stock", "7"),
    ("low_stock_threshold", "3"),
    ("category_id", ""),
    ("status", "active"),
];

fn with(over: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    FIELDS
        .iter()
        .map(|(k, v)| {
            (
                *k,
                over.iter().find(|(o, _)| o == k).map_or(*v, |(_, n)| *n),
            )
        })
        .collect()
}

fn audit_count(app: &TestApp, action: &str, id: i64) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM audit_log WHERE action = '{action}' AND entity_type = 'product' AND entity_id = '{id}'"
    ))
}

#[test]
fn a_product_is_created_edited_and_deleted_and_each_change_is_audited() {
    let app = TestApp::ready();
    common::products::login_owner(&app);
    let cat = add_category(&app, "kitchen", "Kitchen", None);
    let cat_s = cat.to_string();
    let mut fields = with(&[]);
    fields.retain(|(k, _)| *k != "category_id");
    fields.push(("category_id", &cat_s));
    let res = app.post_form("/admin/products/new", "/admin/products", &fields);
    assert_eq!(res.status, 303, "{}", res.body);
    let id = product_id(res.header("location").unwrap());
    let row: (String, String, i64, Option<i64>, i64, i64, Option<i64>, String) = app.sql(|c| {
        c.query_row(
            "SELECT name, slug, price, compare_at_price, stock, low_stock_threshold, category_id, status FROM products WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
        )
    });
    assert_eq!(
        row,
        (
            "Blue mug".into(),
            "blue-mug".into(),
            1250,
            Some(1500),
            7,
            3,
            Some(cat),
            "active".into()
        )
    );
    assert_eq!(audit_count(&app, "product.created", id), 1);
    assert_eq!(app.count(&format!("SELECT count(*) FROM stock_movements WHERE product_id = {id} AND delta = 7 AND reason = 'edit'")), 1);

    let page = app.get(&format!("/admin/products/{id}"));
    assert_eq!(page.status, 200);
    assert_eq!(page.input_value("price").as_deref(), Some("12.50"));

    let edit = with(&[("price", "9.99"), ("slug", "blue-mug"), ("stock", "7")]);
    let res = app.post_form(
        &format!("/admin/products/{id}"),
        &format!("/admin/products/{id}"),
        &edit,
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        app.count(&format!("SELECT price FROM products WHERE id = {id}")),
        999
    );
    let details: String = app.sql(|c| {
        c.query_row(
            "SELECT details FROM audit_log WHERE action = 'product.updated' AND entity_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
    });
    let d: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(d["old"]["price"], 1250);
    assert_eq!(d["new"]["price"], 999);
    assert!(d["old"].get("name").is_none(), "only changed fields: {d}");

    let res = app.post_form(
        &format!("/admin/products/{id}"),
        &format!("/admin/products/{id}/delete"),
        &[],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM products WHERE id = {id}")),
        0
    );
    assert_eq!(audit_count(&app, "product.deleted", id), 1);
}

#[test]
fn slugs_are_made_from_names_and_slugs_and_skus_must_be_unique_with_typed_values_kept() {
    let app = TestApp::ready();
    common::products::login_owner(&app);
    let res = app.post_form("/admin/products/new", "/admin/products", &with(&[]));
    assert_eq!(res.status, 303);
    let res = app.post_form(
        "/admin/products/new",
        "/admin/products",
        &with(&[("sku", "MUG-2")]),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let second = product_id(res.header("location").unwrap());
    assert_eq!(
        app.sql(
            |c| c.query_row("SELECT slug FROM products WHERE id = ?1", [second], |r| {
                r.get::<_, String>(0)
            })
        ),
        "blue-mug-2"
    );

    // The SKU index ignores case; the message says who has it, and what was typed stays.
    let res = app.post_form(
        "/admin/products/new",
        "/admin/products",
        &with(&[("sku", "mug-1"), ("name", "Red mug")]),
    );
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("already used by “Blue mug”"),
        "{}",
        res.body
    );
    assert!(res.body.contains("Nothing was saved"));
    assert_eq!(res.input_value("name").as_deref(), Some("Red mug"));
    assert_eq!(res.input_value("sku").as_deref(), Some("mug-1"));

    let res = app.post_form(
        "/admin/products/new",
        "/admin/products",
        &with(&[("sku", "MUG-3"), ("slug", "blue-mug")]),
    );
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("The slug “blue-mug” is already used"),
        "{}",
        res.body
    );

    let res = app.post_csrf(
        "/admin/products/new",
        "/admin/products",
        &with(&[
            ("sku", "MUG-4"),
            ("slug", "Bad Slug"),
            ("price", "12.345"),
            ("stock", "-1"),
            ("compare_at_price", "1"),
            ("status", "gone"),
        ]),
    );
    assert_eq!(res.status, 422);
    for needle in [
        "lower-case letters",
        "is not an amount",
        "the stock as a whole number",
        "Choose draft, active or archived",
    ] {
        assert!(res.body.contains(needle), "missing {needle:?}");
    }
    assert_eq!(res.input_value("price").as_deref(), Some("12.345"));
    let res = app.post_form(
        "/admin/products/new",
        "/admin/products",
        &with(&[("sku", "MUG-5"), ("compare_at_price", "1")]),
    );
    assert!(res.body.contains("higher than the price"), "{}", res.body);
    assert_eq!(
        app.count("SELECT count(*) FROM products"),
        2,
        "nothing half-saved"
    );
}

#[test]
fn a_product_in_orders_is_not_deleted_and_can_be_archived_instead() {
    let app = TestApp::ready();
    common::accounts::no_captcha(&app);
    let id = add_product(&app, "Green tea", 490, 10, None, "active");
    shop::guest_order(&app, id, "1", shop::GUEST_PICKUP);
    common::products::login_owner(&app);

    let page = app.get(&format!("/admin/products/{id}"));
    assert!(
        page.body.contains("cannot be deleted: archive it instead"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Delete product"));
    let res = app.post_csrf(
        &format!("/admin/products/{id}"),
        &format!("/admin/products/{id}/delete"),
        &[],
    );
    assert_eq!(res.status, 303);
    let shown = app.get(res.header("location").unwrap());
    assert!(shown.body.contains("archive it instead"), "{}", shown.body);
    assert!(shown
        .body
        .contains(&format!("/admin/products/{id}/archive")));
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM products WHERE id = {id}")),
        1
    );

    let res = app.post_form(
        &format!("/admin/products/{id}"),
        &format!("/admin/products/{id}/archive"),
        &[],
    );
    assert_eq!(res.status, 303);
    assert_eq!(
        app.sql(
            |c| c.query_row("SELECT status FROM products WHERE id = ?1", [id], |r| {
                r.get::<_, String>(0)
            })
        ),
        "archived"
    );
    assert_eq!(audit_count(&app, "product.updated", id), 1);
}

#[test]
fn stock_adjustments_are_movements_with_reasons_and_never_go_below_zero() {
    let app = TestApp::ready();
    common::products::login_owner(&app);
    let id = add_product(&app, "Teapot", 2500, 3, None, "active");
    let page = format!("/admin/products/{id}");
    let path = format!("/admin/products/{id}/stock");

    let res = app.post_form(
        &page,
        &path,
        &[("change", "+10"), ("reason", "delivery from supplier")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(shop::stock(&app, id), 13);
    let mv: (i64, String, String, String) = app.sql(|c| {
        c.query_row(
            "SELECT delta, reason, note, actor FROM stock_movements WHERE product_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    });
    assert_eq!(
        (mv.0, mv.1.as_str(), mv.2.as_str()),
        (10, "adjust", "delivery from supplier")
    );
    assert!(mv.3.starts_with("staff:"));
    assert_eq!(audit_count(&app, "product.stock_adjusted", id), 1);

    // Refusals come back on the product page, next to the field, with what was typed.
    let res = app.post_form(&page, &path, &[("change", "-20"), ("reason", "broken")]);
    assert_eq!(res.status, 422);
    let error = |res: &common::Res, field: &str| -> String {
        let at = res
            .body
            .find(&format!("id=\"f-{field}-error\""))
            .unwrap_or_else(|| panic!("no message at {field}: {}", res.body));
        let rest = &res.body[at..];
        common::html_unescape(&rest[..rest.find("</p>").unwrap()])
    };
    assert!(
        error(&res, "change").contains("Only 13 in stock"),
        "{}",
        error(&res, "change")
    );
    assert_eq!(res.input_value("reason").as_deref(), Some("broken"));
    assert_eq!(res.input_value("change").as_deref(), Some("-20"));
    assert_eq!(shop::stock(&app, id), 13);

    let res = app.post_form(&page, &path, &[("change", "0"), ("reason", "")]);
    assert_eq!(res.status, 422);
    assert!(error(&res, "change").contains("not 0"));
    assert!(error(&res, "reason").contains("Say why"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM stock_movements WHERE product_id = {id}"
        )),
        1
    );

    let res = app.post_form(&page, &path, &[("change", "-13"), ("reason", "broken")]);
    assert_eq!(res.status, 303);
    assert_eq!(shop::stock(&app, id), 0);
}

#[test]
fn the_list_searches_filters_by_status_category_and_low_stock_and_sorts() {
    let app = TestApp::ready();
    common::products::login_owner(&app);
    let top = add_category(&app, "drinks", "Drinks", None);
    let sub = add_category(&app, "tea", "Tea", Some(top));
    add_product(&app, "Green tea", 490, 100, Some(sub), "active");
    add_product(&app, "Black tea", 390, 2, Some(sub), "draft");
    add_product(&app, "Toaster", 4900, 50, None, "archived");

    let body = app.get("/admin/products?low_stock=1").body;
    assert!(body.contains("Black tea") && !body.contains("Green tea") && !body.contains("Toaster"));
    let body = app.get("/admin/products?q=SKU-TOASTER").body;
    assert!(body.contains("Toaster") && !body.contains("Green tea"));
    let body = app.get("/admin/products?status=draft").body;
    assert!(body.contains("Black tea") && !body.contains("Green tea"));
    let body = app.get(&format!("/admin/products?category={top}")).body;
    assert!(
        body.contains("Green tea") && body.contains("Black tea") && !body.contains("Toaster"),
        "subcategories count"
    );
    let body = app.get("/admin/products?sort=price_desc").body;
    let (a, b) = (
        body.find("Toaster").unwrap(),
        body.find("Black tea").unwrap(),
    );
    assert!(a < b, "dearest first");
    assert_eq!(app.get("/admin/products?sort=evil").status, 400);
}

#[test]
fn a_viewer_reads_products_but_cannot_change_them() {
    let app = TestApp::ready();
    let id = add_product(&app, "Green tea", 490, 10, None, "active");
    app.login_as("Viewer");
    assert_eq!(app.get("/admin/products").status, 200);
    let page = app.get(&format!("/admin/products/{id}"));
    assert_eq!(page.status, 200);
    for hidden in [
        "Save changes",
        "Adjust stock",
        "New product",
        "Upload",
        "Delete product",
    ] {
        assert!(!page.body.contains(hidden), "{hidden} shown to a viewer");
    }
    let res = app.post_csrf(
        &format!("/admin/products/{id}"),
        &format!("/admin/products/{id}"),
        &with(&[("name", "Changed")]),
    );
    assert_eq!(res.status, 403);
    let res = app.post_csrf(
        &format!("/admin/products/{id}"),
        &format!("/admin/products/{id}/stock"),
        &[("change", "5"), ("reason", "x")],
    );
    assert_eq!(res.status, 403);
    assert_eq!(app.get("/admin/products/new").status, 403);
    assert_eq!(shop::stock(&app, id), 10);
    app.flush_audit();
    assert!(app.count("SELECT count(*) FROM audit_log WHERE action = 'permission.refused'") >= 2);
}

#[test]
fn saving_a_form_opened_before_a_sale_never_undoes_the_sale() {
    let app = TestApp::ready();
    common::accounts::no_captcha(&app);
    let id = add_product(&app, "Green tea", 490, 10, None, "active");
    common::products::login_owner(&app);
    let page = app.get(&format!("/admin/products/{id}"));
    assert_eq!(page.input_value("stock_was").as_deref(), Some("10"));
    let token = page.input_value("_csrf").unwrap();
    shop::guest_order(&app, id, "2", shop::GUEST_PICKUP);
    assert_eq!(shop::stock(&app, id), 8);

    // The form as it was shown, with only the price changed: the sale stays.
    let mut fields: Vec<(&str, String)> = [
        "name",
        "slug",
        "sku",
        "compare_at_price",
        "stock",
        "low_stock_threshold",
        "stock_was",
    ]
    .iter()
    .map(|f| (*f, page.input_value(f).unwrap_or_default()))
    .collect();
    fields.push(("price", "5.20".into()));
    fields.push(("status", "active".into()));
    fields.push(("_csrf", token.clone()));
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.post_raw(&format!("/admin/products/{id}"), &borrowed);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(shop::stock(&app, id), 8);
    assert_eq!(
        app.count(&format!("SELECT price FROM products WHERE id = {id}")),
        520
    );

    // A typed stock on a stale form is refused with the new number; shown again, it saves.
    let mut stale = with(&[
        ("name", "Green tea"),
        ("sku", "SKU-GREEN-TEA"),
        ("stock", "30"),
    ]);
    stale.push(("stock_was", "10"));
    let res = app.post_form(
        &format!("/admin/products/{id}"),
        &format!("/admin/products/{id}"),
        &stale,
    );
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("The stock changed from 10 to 8"),
        "{}",
        res.body
    );
    assert_eq!(res.input_value("stock_was").as_deref(), Some("8"));
    assert_eq!(shop::stock(&app, id), 8);
    let mut fresh = with(&[
        ("name", "Green tea"),
        ("sku", "SKU-GREEN-TEA"),
        ("stock", "30"),
    ]);
    fresh.push(("stock_was", "8"));
    let res = app.post_form(
        &format!("/admin/products/{id}"),
        &format!("/admin/products/{id}"),
        &fresh,
    );
    assert_eq!(res.status, 303);
    assert_eq!(shop::stock(&app, id), 30);
}
