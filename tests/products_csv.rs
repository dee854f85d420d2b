//! CSV import and export of products: a dry run reports every line and writes nothing; the
//! confirmation writes the whole file in one transaction; a file with any refused line is
//! refused whole (wrong headers, bad numbers, duplicate SKUs, unknown categories, formula
//! cells); the export neutralises formulas, honours the list's filters and imports back.

mod common;

use common::products::{login_owner, post_multipart};
use common::{add_category, add_product, TestApp};

const HEAD: &str =
    "sku,name,slug,description,price,compare_at_price,stock,low_stock_threshold,category,status";

fn check(app: &TestApp, csv: &str) -> common::Res {
    post_multipart(
        app,
        "/admin/products/import",
        "/admin/products/import",
        &[],
        &[("file", "products.csv", "text/csv", csv.as_bytes().to_vec())],
    )
}

fn imports_waiting(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir().join("imports"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn a_dry_run_reports_each_line_and_writes_nothing_until_confirmed_then_writes_it_all() {
    let app = TestApp::ready();
    login_owner(&app);
    add_category(&app, "tea", "Tea", None);
    let green = add_product(&app, "Green tea", 490, 10, None, "active");
    let csv = format!(
        "{HEAD}\nSKU-GREEN-TEA,Green tea,,Fresh.,5.20,,25,5,tea,active\nMUG-1,Blue mug,,\"Sturdy, 350 ml\",12.50,15,40,,,\nMUG-2,Blue mug,,,11,,0,2,tea,draft\n"
    );
    let res = check(&app, &csv);
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body.matches("data-outcome=\"created\"").count(), 2);
    assert_eq!(res.body.matches("data-outcome=\"updated\"").count(), 1);
    assert!(res.body.contains("Nothing is written yet"));
    assert_eq!(
        app.count("SELECT count(*) FROM products"),
        1,
        "a dry run writes nothing"
    );
    assert_eq!(
        app.count("SELECT price FROM products WHERE sku = 'SKU-GREEN-TEA'"),
        490
    );
    assert_eq!(imports_waiting(&app), 1);

    let upload = res.input_value("upload").expect("a confirm form");
    let res = app.post_form_on(&res, "/admin/products/import/confirm", &[]);
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("data-import-state=\"written\""));
    assert_eq!(app.count("SELECT count(*) FROM products"), 3);
    assert_eq!(
        app.count("SELECT price FROM products WHERE sku = 'SKU-GREEN-TEA'"),
        520
    );
    assert_eq!(
        app.count("SELECT compare_at_price FROM products WHERE sku = 'MUG-1'"),
        1500
    );
    let slugs: Vec<String> = app.sql(|c| {
        c.prepare("SELECT slug FROM products WHERE sku LIKE 'MUG-%' ORDER BY sku")?
            .query_map([], |r| r.get(0))?
            .collect()
    });
    assert_eq!(
        slugs,
        ["blue-mug", "blue-mug-2"],
        "same name, distinct slugs"
    );
    assert_eq!(app.count("SELECT count(*) FROM products WHERE sku = 'MUG-2' AND category_id = (SELECT id FROM categories WHERE slug = 'tea') AND status = 'draft'"), 1);
    assert_eq!(
        app.count(&format!(
            "SELECT delta FROM stock_movements WHERE product_id = {green} AND reason = 'import'"
        )),
        15
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'products.imported'"),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'product.created'"),
        2
    );
    assert_eq!(imports_waiting(&app), 0, "the waiting file is gone");

    let again = app.post_csrf(
        "/admin/products/import",
        "/admin/products/import/confirm",
        &[("upload", &upload)],
    );
    assert_eq!(again.status, 410, "one confirmation writes once");
    assert_eq!(app.count("SELECT count(*) FROM products"), 3);
}

#[test]
fn a_file_with_any_refused_line_is_refused_whole_with_every_reason() {
    let app = TestApp::ready();
    login_owner(&app);
    let csv = format!(
        "{HEAD}\nOK-1,Fine product,,,3.00,,1,,,active\nBAD-PRICE,Cheap,,,abc,,1,,,\nOK-1,Twin,,,3.00,,1,,,\nCAT-1,Lost,,,3,,1,,nowhere,\nF-1,=HYPERLINK(\"http://x\"),,,3,,1,,,\n@F-2,At sign,,,3,,1,,,\nF-3,Tab,,\tcmd,3,,1,,,\nF-4,Wide,,＝1+1,3,,1,,,\nNEG,Negative,,,3,,-2,,,\n"
    );
    let res = check(&app, &csv);
    assert_eq!(res.status, 422, "{}", res.body);
    assert_eq!(
        res.body.matches("data-outcome=\"refused\"").count(),
        8,
        "{}",
        res.body
    );
    for why in [
        "is not an amount",
        "is also on line 2",
        "no category with the slug “nowhere”",
        "name: begins with “=”",
        "sku: begins with “@”",
        "description: begins with “\\t”",
        "description: begins with “＝”",
        "the stock as a whole number",
        "Nothing was written",
    ] {
        assert!(
            res.body.contains(&common::html_unescape(why))
                || common::html_unescape(&res.body).contains(why),
            "missing {why:?}"
        );
    }
    assert!(
        !res.body.contains("/admin/products/import/confirm"),
        "no confirm button"
    );
    assert_eq!(app.count("SELECT count(*) FROM products"), 0);
    assert_eq!(imports_waiting(&app), 0);
}

#[test]
fn wrong_headers_refuse_the_file_naming_the_expected_columns() {
    let app = TestApp::ready();
    login_owner(&app);
    let res = check(&app, "sku,title,price\nA,B,1\n");
    assert_eq!(res.status, 422);
    let body = common::html_unescape(&res.body);
    assert!(body.contains("must name exactly these columns"), "{body}");
    assert!(body.contains(HEAD.replace(',', ", ").as_str()));
    assert!(body.contains("This file has: sku, title, price"));
    assert_eq!(
        check(&app, &format!("{HEAD}\n")).status,
        422,
        "no product lines"
    );
    let res = post_multipart(
        &app,
        "/admin/products/import",
        "/admin/products/import",
        &[],
        &[("file", "p.csv", "text/csv", vec![0xff, 0xfe, 0x00])],
    );
    assert!(res.body.contains("not UTF-8"));
    assert_eq!(app.count("SELECT count(*) FROM products"), 0);
    let template = app.get("/admin/products/import/template.csv");
    assert_eq!(template.status, 200);
    assert!(template.body.starts_with(HEAD));
}

#[test]
fn the_export_neutralises_formulas_honours_filters_and_imports_back_unchanged() {
    let app = TestApp::ready();
    login_owner(&app);
    let tea = add_category(&app, "tea", "Tea", None);
    add_product(&app, "Green tea", 490, 10, Some(tea), "active");
    add_product(&app, "Draft thing", 100, 1, None, "draft");
    let evil = add_product(&app, "Evil", 100, 1, None, "active");
    app.sql(|c| c.execute("UPDATE products SET name = '=SUM(A1:A9)', description = '@cmd|''/c calc''!A0' WHERE id = ?1", [evil]));

    let res = app.get("/admin/products/export.csv?status=active&sort=name");
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("text/csv"));
    assert!(res
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    assert!(res.body.starts_with(HEAD));
    assert!(res.body.contains("'=SUM(A1:A9)"), "{}", res.body);
    assert!(res.body.contains("'@cmd"), "{}", res.body);
    assert!(
        res.body.contains("Green tea") && !res.body.contains("Draft thing"),
        "filters honoured"
    );
    assert!(res.body.contains(",tea,active"), "category by slug");
    let only_tea = app.get(&format!("/admin/products/export.csv?category={tea}"));
    assert_eq!(only_tea.body.lines().count(), 2);

    // Exported without the formula row, it reads back as "unchanged".
    let clean: String = res
        .body
        .lines()
        .filter(|l| !l.contains("SUM"))
        .map(|l| format!("{l}\n"))
        .collect();
    let back = check(&app, &clean);
    assert!(
        back.body.contains("data-outcome=\"unchanged\""),
        "{}",
        back.body
    );
    assert!(!back.body.contains("data-outcome=\"updated\""));
}

#[test]
fn import_needs_create_and_update_rights() {
    let app = TestApp::ready();
    app.login_as("Viewer");
    assert_eq!(app.get("/admin/products/import").status, 403);
    assert_eq!(
        app.get("/admin/products/export.csv").status,
        200,
        "reading is exporting"
    );
    assert!(!app.get("/admin/products").body.contains("Import CSV"));
}
