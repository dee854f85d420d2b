//! The category tree editor: create, rename, move (a cycle refused with the trigger's
//! message), delete refused while products or subcategories are in it and done when
//! empty; every change audited; a role without the right is refused.

mod common;

use common::settings_admin::login_owner;
use common::{add_category, add_product, TestApp};

fn id_of(app: &TestApp, slug: &str) -> i64 {
    app.count(&format!("SELECT id FROM categories WHERE slug = '{slug}'"))
}

fn audits(app: &TestApp, action: &str) -> Vec<serde_json::Value> {
    app.flush_audit();
    app.sql(|c| {
        let mut s = c.prepare("SELECT details FROM audit_log WHERE action = ?1 ORDER BY id")?;
        let rows = s
            .query_map([action], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .map(|d| serde_json::from_str(&d).unwrap())
            .collect())
    })
}

#[test]
fn create_rename_move_and_a_cycle_refused_with_the_triggers_message() {
    let app = TestApp::ready();
    login_owner(&app);
    let res = app.post_form(
        "/admin/categories",
        "/admin/categories",
        &[("name", "Tea & Herbs"), ("slug", ""), ("parent", "")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let tea = id_of(&app, "tea-herbs");
    assert!(tea > 0, "slug made from the name");
    let res = app.post_form(
        "/admin/categories",
        "/admin/categories",
        &[
            ("name", "Green"),
            ("slug", "green"),
            ("parent", &tea.to_string()),
        ],
    );
    assert_eq!(res.status, 303);
    let green = id_of(&app, "green");
    let res = app.post_form(
        "/admin/categories",
        "/admin/categories",
        &[
            ("name", "Sencha"),
            ("slug", "sencha"),
            ("parent", &green.to_string()),
        ],
    );
    assert_eq!(res.status, 303);
    let sencha = id_of(&app, "sencha");
    let created = audits(&app, "category.created");
    assert_eq!(created.len(), 3);
    assert_eq!(created[1]["new"]["parent_id"], tea);

    // The tree shows them indented under each other.
    let page = app.get("/admin/categories");
    assert_eq!(page.status, 200);
    let (a, b, c) = (
        page.body.find(">Tea &amp; Herbs<").unwrap(),
        page.body.find(">Green<").unwrap(),
        page.body.find(">Sencha<").unwrap(),
    );
    assert!(a < b && b < c, "depth first");
    assert!(page.body.contains("depth-2"));

    // Wrong fields: a message per field, nothing created.
    let res = app.post_csrf(
        "/admin/categories",
        "/admin/categories",
        &[("name", ""), ("slug", "Bad Slug"), ("parent", "999")],
    );
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"f-name-error\"") && res.body.contains("id=\"f-parent-error\""));
    let res = app.post_form(
        "/admin/categories",
        "/admin/categories",
        &[("name", "Green again"), ("slug", "green"), ("parent", "")],
    );
    assert_eq!(res.status, 422);
    assert!(res
        .body
        .contains("Another category already uses that URL slug."));
    assert_eq!(app.count("SELECT count(*) FROM categories"), 3);

    // Rename.
    let url = format!("/admin/categories/{green}");
    let res = app.post_form(
        &url,
        &url,
        &[
            ("name", "Green tea"),
            ("slug", "green-tea"),
            ("parent", &tea.to_string()),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let renamed = audits(&app, "category.renamed");
    assert_eq!(renamed.len(), 1);
    assert_eq!(renamed[0]["old"]["name"], "Green");
    assert_eq!(renamed[0]["new"]["name"], "Green tea");
    assert_eq!(renamed[0]["new"]["slug"], "green-tea");

    // Move Tea under its own grandchild: the trigger refuses, its message shown.
    let url = format!("/admin/categories/{tea}");
    let res = app.post_form(
        &url,
        &url,
        &[
            ("name", "Tea & Herbs"),
            ("slug", "tea-herbs"),
            ("parent", &sencha.to_string()),
        ],
    );
    assert_eq!(res.status, 422);
    assert!(
        res.body
            .contains("A category cannot be moved under itself or one of its subcategories"),
        "{}",
        res.body
    );
    let res = app.post_form(
        &url,
        &url,
        &[
            ("name", "Tea & Herbs"),
            ("slug", "tea-herbs"),
            ("parent", &tea.to_string()),
        ],
    );
    assert_eq!(res.status, 422, "under itself");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM categories WHERE id = {tea} AND parent_id IS NULL"
        )),
        1
    );

    // A real move: Sencha to the top level.
    let url = format!("/admin/categories/{sencha}");
    let res = app.post_form(
        &url,
        &url,
        &[("name", "Sencha"), ("slug", "sencha"), ("parent", "")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM categories WHERE id = {sencha} AND parent_id IS NULL"
        )),
        1
    );
    let moved = audits(&app, "category.moved");
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["old"]["parent"], "Green tea");
    assert_eq!(moved[0]["new"]["parent_id"], serde_json::Value::Null);
    assert!(audits(&app, "category.updated").is_empty());
}

#[test]
fn delete_is_refused_while_not_empty_and_done_when_empty() {
    let app = TestApp::ready();
    login_owner(&app);
    let tea = add_category(&app, "tea", "Tea", None);
    let green = add_category(&app, "green", "Green", Some(tea));
    let product = add_product(&app, "Matcha", 900, 3, Some(green), "archived");

    let page = app.get(&format!("/admin/categories/{tea}"));
    assert!(page.body.contains("It has 1 subcategory"), "{}", page.body);
    assert!(!page
        .body
        .contains(&format!("action=\"/admin/categories/{tea}/delete\"")));

    // Posting anyway: refused, with what blocks it.
    let res = app.post_csrf(
        "/admin/categories",
        &format!("/admin/categories/{tea}/delete"),
        &[],
    );
    assert_eq!(res.status, 303);
    let page = app.get(res.header("location").unwrap());
    assert!(
        page.body
            .contains("cannot be deleted: It has 1 subcategory"),
        "{}",
        page.body
    );
    let res = app.post_csrf(
        "/admin/categories",
        &format!("/admin/categories/{green}/delete"),
        &[],
    );
    assert_eq!(res.status, 303);
    let page = app.get(res.header("location").unwrap());
    assert!(
        page.body.contains("1 product is in it"),
        "even an archived one: {}",
        page.body
    );
    assert_eq!(app.count("SELECT count(*) FROM categories"), 2);
    assert!(audits(&app, "category.deleted").is_empty());

    // Emptied: deleted, child first, then the parent.
    app.sql(|c| {
        c.execute(
            "UPDATE products SET category_id = NULL WHERE id = ?1",
            [product],
        )
    });
    let res = app.post_form(
        &format!("/admin/categories/{green}"),
        &format!("/admin/categories/{green}/delete"),
        &[],
    );
    assert_eq!(res.status, 303);
    assert_eq!(res.header("location"), Some("/admin/categories"));
    let res = app.post_form(
        &format!("/admin/categories/{tea}"),
        &format!("/admin/categories/{tea}/delete"),
        &[],
    );
    assert_eq!(res.status, 303);
    assert_eq!(app.count("SELECT count(*) FROM categories"), 0);
    let deleted = audits(&app, "category.deleted");
    assert_eq!(deleted.len(), 2);
    assert_eq!(deleted[0]["old"]["name"], "Green");
    assert_eq!(deleted[0]["old"]["parent"], "Tea");
    assert_eq!(app.get(&format!("/admin/categories/{tea}")).status, 404);
}

#[test]
fn the_storefront_follows_a_change_and_a_viewer_cannot_change_anything() {
    let app = TestApp::ready();
    let tea = add_category(&app, "tea", "Tea", None);
    add_product(&app, "Assam", 500, 3, Some(tea), "active");
    assert!(app.get("/categories/tea").body.contains("Tea"));
    login_owner(&app);
    let url = format!("/admin/categories/{tea}");
    let res = app.post_form(
        &url,
        &url,
        &[("name", "Black tea"), ("slug", "black-tea"), ("parent", "")],
    );
    assert_eq!(res.status, 303);
    let shop = app.get("/categories/black-tea");
    assert_eq!(shop.status, 200);
    assert!(shop.body.contains("Black tea") && shop.body.contains("Assam"));

    let viewer = TestApp::ready();
    let cat = add_category(&viewer, "tea", "Tea", None);
    viewer.login_as("Viewer");
    let page = viewer.get("/admin/categories");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Create category"));
    let url = format!("/admin/categories/{cat}");
    assert!(!viewer.get(&url).body.contains("Save category"));
    let res = viewer.post_csrf(
        "/admin/categories",
        "/admin/categories",
        &[("name", "X"), ("slug", "x"), ("parent", "")],
    );
    assert_eq!(res.status, 403);
    let res = viewer.post_csrf(&url, &url, &[("name", "X"), ("slug", "x"), ("parent", "")]);
    assert_eq!(res.status, 403);
    let res = viewer.post_csrf(&url, &format!("{url}/delete"), &[]);
    assert_eq!(res.status, 403);
    assert_eq!(
        viewer.count("SELECT count(*) FROM categories WHERE name = 'Tea'"),
        1
    );
}
