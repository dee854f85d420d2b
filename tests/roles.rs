//! Back office: roles. The list with staff counts, create / edit (the rights grid) /
//! delete round trip with audit rows, delete refused while held, the Owner role
//! untouchable (page and raw SQL), and a read-only role seeing no edit controls and
//! being refused on a direct POST.

mod common;

use common::bo_staff::{create_role, member, role_id};
use common::shop::{guest_order, GUEST_PICKUP};
use common::{add_product, TestApp, OWNER_PW};

fn rights(app: &TestApp, role: i64, area: &str) -> (bool, bool, bool, bool) {
    app.sql(|c| {
        c.query_row(
            "SELECT can_read, can_create, can_update, can_delete FROM role_permissions
             WHERE role_id = ?1 AND area = ?2",
            rusqlite::params![role, area],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    })
}

#[test]
fn a_role_is_created_edited_in_the_grid_and_deleted_with_audit_rows() {
    let app = TestApp::ready();
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);

    let list = app.get("/admin/roles");
    assert_eq!(list.status, 200);
    for name in ["Owner", "Manager", "Viewer", "Courier"] {
        assert!(list.body.contains(name), "{name} listed");
    }
    assert!(list.body.contains("href=\"/admin/roles/new\""));

    // The grid has a row per area in the areas' order, four boxes each.
    let form = app.get("/admin/roles/new");
    assert_eq!(form.status, 200);
    let dash = form.body.find("value=\"dashboard:read\"").unwrap();
    let system = form.body.find("value=\"system:delete\"").unwrap();
    assert!(dash < system);
    // Areas whose feature has not landed guard nothing, so the grid does not offer them.
    assert_eq!(form.body.matches("name=\"rights\"").count(), 16 * 4);
    for area in ["promotions", "vouchers", "target_groups"] {
        assert!(
            form.body.contains(&format!("value=\"{area}:delete\"")),
            "{area} has landed: it is in the grid"
        );
    }
    assert!(
        !form.body.contains("value=\"reports:read\""),
        "reports is not in the grid"
    );

    // Update without read still gets read (a page one cannot open is no use).
    let id = create_role(&app, "Packer", &["products:update", "orders:read"]);
    assert_eq!(rights(&app, id, "products"), (true, false, true, false));
    assert_eq!(rights(&app, id, "orders"), (true, false, false, false));
    assert_eq!(rights(&app, id, "system"), (false, false, false, false));
    let page = app.get(&format!("/admin/roles/{id}"));
    assert!(page.body.contains("value=\"products:update\" id=\"r-products-update\" aria-label=\"Products: update\" checked"));

    let res = app.post_form(
        &format!("/admin/roles/{id}"),
        &format!("/admin/roles/{id}"),
        &[
            ("name", "Packers"),
            ("description", "Pack parcels"),
            ("require_totp", "true"),
            ("rights", "orders:read"),
            ("rights", "orders:update"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(rights(&app, id, "products"), (false, false, false, false));
    assert_eq!(rights(&app, id, "orders"), (true, false, true, false));
    let (name, totp): (String, bool) = app.sql(|c| {
        c.query_row(
            "SELECT name, require_totp FROM roles WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    });
    assert_eq!((name.as_str(), totp), ("Packers", true));
    let details: String = app.sql(|c| {
        c.query_row(
            "SELECT details FROM audit_log WHERE action = 'role.updated' AND entity_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
    });
    let d: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(d["old"]["rights"]["products"], "read, update");
    assert_eq!(d["new"]["rights"]["products"], "none");
    assert_eq!(d["new"]["rights"]["orders"], "read, update");
    assert_eq!(d["old"]["name"], "Packer");
    assert_eq!(d["new"]["require_totp"], true);
    assert!(
        d["old"]["rights"].get("system").is_none(),
        "only changed areas"
    );

    // Bad input: a message next to the field, what was typed kept, nothing saved.
    let res = app.post_form(
        &format!("/admin/roles/{id}"),
        &format!("/admin/roles/{id}"),
        &[("name", "  "), ("rights", "customers:read")],
    );
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Enter a name for the role."));
    assert!(res.body.contains(
        "value=\"customers:read\" id=\"r-customers-read\" aria-label=\"Customers: read\" checked"
    ));
    assert_eq!(rights(&app, id, "customers"), (false, false, false, false));
    let dup = app.post_form("/admin/roles/new", "/admin/roles", &[("name", "manager")]);
    assert_eq!(dup.status, 409);
    assert!(dup.body.contains("A role with that name already exists."));

    let res = app.post_form(
        &format!("/admin/roles/{id}"),
        &format!("/admin/roles/{id}/delete"),
        &[],
    );
    assert_eq!(res.status, 303);
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM roles WHERE id = {id}")),
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM role_permissions WHERE role_id = {id}"
        )),
        0
    );
    for action in ["role.created", "role.updated", "role.deleted"] {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}' AND entity_id = '{id}' AND actor_label = 'owner@shop.test'"
            )),
            1,
            "{action}"
        );
    }
}

#[test]
fn a_role_cannot_be_deleted_while_staff_hold_it() {
    let app = TestApp::ready();
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
    let id = create_role(&app, "Packer", &["orders:read"]);
    for email in ["p1@shop.test", "p2@shop.test"] {
        cornershop::staff::cli::create(&app.db, email, None, common::STAFF_PW, "Packer").unwrap();
    }
    let page_path = format!("/admin/roles/{id}");
    assert!(app
        .get(&page_path)
        .body
        .contains("held by 2 staff members, so it cannot be deleted"));
    let res = app.post_csrf(&page_path, &format!("{page_path}/delete"), &[]);
    assert_eq!(res.status, 303);
    let after = app.get(&page_path);
    assert!(
        after
            .body
            .contains("is held by 2 staff members; give each another role first"),
        "{}",
        after.body
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM roles WHERE id = {id}")),
        1
    );
    // The database refuses too.
    let err = rusqlite::Connection::open(app.data_dir().join("shop.db"))
        .unwrap()
        .execute("DELETE FROM roles WHERE id = ?1", [id])
        .unwrap_err()
        .to_string();
    assert!(err.contains("still held by staff"), "{err}");
}

#[test]
fn the_owner_role_keeps_every_right_and_cannot_be_deleted() {
    let app = TestApp::ready();
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
    let page = app.get("/admin/roles/1");
    assert!(page.body.contains("always has every right"));
    assert!(page.body.contains("class=\"rights-fieldset\" disabled"));
    assert!(!page.body.contains("/admin/roles/1/delete"));

    // A posted grid without rights changes the name only.
    let res = app.post_form(
        "/admin/roles/1",
        "/admin/roles/1",
        &[("name", "Owners"), ("description", "All of it")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        app.count("SELECT count(*) FROM role_permissions WHERE role_id = 1 AND can_read + can_create + can_update + can_delete = 4"),
        17
    );
    let res = app.post_csrf("/admin/roles/1", "/admin/roles/1/delete", &[]);
    assert_eq!(res.status, 303);
    assert!(app
        .get("/admin/roles/1")
        .body
        .contains("The Owner role cannot be deleted"));
    assert_eq!(app.count("SELECT count(*) FROM roles WHERE id = 1"), 1);

    let c = rusqlite::Connection::open(app.data_dir().join("shop.db")).unwrap();
    for sql in [
        "UPDATE role_permissions SET can_delete = 0 WHERE role_id = 1 AND area = 'staff'",
        "DELETE FROM role_permissions WHERE role_id = 1",
        "UPDATE roles SET is_owner = 0 WHERE id = 1",
        "DELETE FROM roles WHERE id = 1",
    ] {
        let err = c.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("Owner role cannot"), "{sql}: {err}");
    }
}

#[test]
fn a_read_only_role_sees_no_edit_controls_and_a_direct_post_is_refused() {
    let app = TestApp::ready();
    let mug = add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let (order, _) = guest_order(&app, mug, "1", GUEST_PICKUP);
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
    let role = create_role(
        &app,
        "Looker",
        &[
            "dashboard:read",
            "products:read",
            "orders:read",
            "roles:read",
        ],
    );
    let b = member(&app, "looker@shop.test", "Looker");

    let products = b.get("/admin/products");
    assert_eq!(products.status, 200);
    assert!(
        !products.body.contains(">Edit<") && !products.body.contains("/edit\""),
        "no Edit link for a role without products update"
    );

    let order_page = b.get(&format!("/admin/orders/{order}"));
    assert_eq!(order_page.status, 200);
    assert!(order_page
        .body
        .contains("may view orders but not change them"));
    assert!(!order_page
        .body
        .contains(&format!("action=\"/admin/orders/{order}/status\"")));
    let res = b.post_csrf(
        &format!("/admin/orders/{order}"),
        &format!("/admin/orders/{order}/status"),
        &[("to", "processing")],
    );
    assert_eq!(res.status, 403, "{}", res.body);
    assert!(res
        .body
        .contains("Your role (Looker) may not change orders"));
    let status: String = app.sql(|c| {
        c.query_row("SELECT status FROM orders WHERE id = ?1", [order], |r| {
            r.get(0)
        })
    });
    assert_eq!(status, "pending_payment");

    // The role page: no Save button, every field disabled; a POST is refused.
    let page = b.get(&format!("/admin/roles/{role}"));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Save role") && !page.body.contains("/delete"));
    assert!(page
        .body
        .contains("class=\"panel-body form-section\" disabled"));
    assert!(page.body.contains("class=\"rights-fieldset\" disabled"));
    assert!(!b
        .get("/admin/roles")
        .body
        .contains("href=\"/admin/roles/new\""));
    let res = b.post_csrf(
        &format!("/admin/roles/{role}"),
        &format!("/admin/roles/{role}"),
        &[("name", "Looker"), ("rights", "orders:update")],
    );
    assert_eq!(res.status, 403);
    assert!(!rights(&app, role, "orders").2);
    assert_eq!(b.get("/admin/roles/new").status, 403);

    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'permission.refused' AND actor_label = 'looker@shop.test'"),
        3
    );
    assert_eq!(role_id(&app, "Looker"), role);
}

#[test]
fn a_non_owner_with_roles_update_cannot_raise_their_own_role() {
    let app = TestApp::ready();
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
    let role = create_role(&app, "Admin", &["roles:update", "dashboard:read"]);
    let b = member(&app, "ada@shop.test", "Admin");
    let path = format!("/admin/roles/{role}");
    let page = b.get(&path);
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("Save role"),
        "no Save on one's own role"
    );
    let res = b.post_csrf(
        &path,
        &path,
        &[
            ("name", "Admin"),
            ("rights", "staff:update"),
            ("rights", "roles:update"),
        ],
    );
    assert_eq!(res.status, 403);
    assert!(res
        .body
        .contains("cannot change the role you hold yourself"));
    assert!(!rights(&app, role, "staff").0);
    // Another role they may change.
    let other = role_id(&app, "Viewer");
    let res = b.post_form(
        &format!("/admin/roles/{other}"),
        &format!("/admin/roles/{other}"),
        &[
            ("name", "Viewer"),
            ("description", "Reads"),
            ("rights", "dashboard:read"),
        ],
    );
    assert_eq!(res.status, 303);
    assert!(!rights(&app, other, "products").0);
}

#[test]
fn saving_a_role_keeps_the_rights_of_areas_the_grid_does_not_show() {
    let app = TestApp::ready();
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
    let id = create_role(&app, "Marketer", &["products:read"]);
    app.sql(|c| {
        c.execute(
            "INSERT INTO role_permissions (role_id, area, can_read) VALUES (?1, 'reports', 1)
             ON CONFLICT (role_id, area) DO UPDATE SET can_read = 1",
            [id],
        )
    });
    let page = format!("/admin/roles/{id}");
    let res = app.post_form(&page, &page, &[("rights", "orders:read")]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(rights(&app, id, "orders"), (true, false, false, false));
    assert_eq!(rights(&app, id, "products"), (false, false, false, false));
    assert_eq!(rights(&app, id, "reports"), (true, false, false, false));
}
