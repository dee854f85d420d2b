//! Back office: staff. Invitation mail → set password → login; bad input; list filters;
//! deactivation ends sessions and API tokens; a new role ends sessions; the last active
//! owner protected on the page and in the database; password links; audit rows.

mod common;

use common::accounts::Browser;
use common::bo_staff::{create_role, member, set_password_link, staff_id, staff_login};
use common::{TestApp, OWNER_PW, STAFF_PW};

const NEW_PW: &str = "marble-harbour-kites-5";

fn owner(app: &TestApp) {
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
}

fn api_login(app: &TestApp, email: &str, pw: &str) -> common::Res {
    Browser::new(app).json(
        "POST",
        "/api/v1/admin/auth/login",
        Some(serde_json::json!({ "email": email, "password": pw })),
        None,
    )
}

#[test]
fn an_invited_member_sets_a_password_from_the_mail_and_logs_in() {
    let app = TestApp::ready();
    owner(&app);
    let manager = app
        .count("SELECT id FROM roles WHERE name = 'Manager'")
        .to_string();
    let res = app.post_form(
        "/admin/staff/new",
        "/admin/staff",
        &[
            ("name", "Sam Baker"),
            ("email", "Sam@Shop.test"),
            ("role", &manager),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let id = staff_id(&app, "Sam@Shop.test");
    assert_eq!(
        res.header("location"),
        Some(format!("/admin/staff/{id}").as_str())
    );

    let (template, subject): (String, String) = app.sql(|c| {
        c.query_row(
            "SELECT template, subject FROM mail_outbox WHERE to_address = 'Sam@Shop.test'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    });
    assert_eq!(template, "staff_invite");
    assert!(subject.contains("invited"), "{subject}");
    let link = set_password_link(&app, "Sam@Shop.test");
    let token = link.trim_start_matches("/admin/set-password/");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM staff_tokens WHERE token_hash = '{token}'"
        )),
        0,
        "only a hash of the token is stored"
    );
    let row_expiry: String = app.sql(|c| {
        c.query_row(
            "SELECT expires_at FROM staff_tokens WHERE staff_id = ?1",
            [id],
            |r| r.get(0),
        )
    });
    let in_72h = cornershop::clock::sql_time(app.clock.now() + time::Duration::hours(72));
    assert_eq!(row_expiry, in_72h);

    // No password yet: nothing logs in.
    let b = Browser::new(&app);
    assert_eq!(staff_login(&b, "sam@shop.test", "!unset").status, 401);

    let form = b.get(&link);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Welcome, Sam Baker") && form.body.contains("Manager"));
    let weak = b.submit(
        &form,
        &link,
        &[("password", "short"), ("password_again", "short")],
    );
    assert_eq!(weak.status, 422);
    assert!(weak.body.contains("Use at least 10 characters"));
    let mine = b.submit(
        &form,
        &link,
        &[
            ("password", "sam baker bakes bread"),
            ("password_again", "sam baker bakes bread"),
        ],
    );
    assert!(
        mine.body.contains("contains your name or email"),
        "{}",
        mine.body
    );
    let differ = b.submit(
        &form,
        &link,
        &[("password", NEW_PW), ("password_again", "something-else-9")],
    );
    assert_eq!(differ.status, 422);
    assert!(differ.body.contains("The two passwords are not the same."));
    let ok = b.submit(
        &form,
        &link,
        &[("password", NEW_PW), ("password_again", NEW_PW)],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.header("location"), Some("/admin/login"));
    assert_eq!(b.get(&link).status, 410, "the link works once");

    assert_eq!(staff_login(&b, "sam@shop.test", NEW_PW).status, 303);
    let home = b.get("/admin");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Sam Baker"));

    for action in ["staff.created", "password.set"] {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}' AND entity_id = '{id}'"
            )),
            1,
            "{action}"
        );
    }
    let list = app.get("/admin/staff?q=baker");
    assert!(
        list.body.contains(&format!("href=\"/admin/staff/{id}\""))
            && !list.body.contains("href=\"/admin/staff/1\"")
    );
}

#[test]
fn adding_a_member_checks_every_field_and_saves_nothing_on_error() {
    let app = TestApp::ready();
    owner(&app);
    let res = app.post_form(
        "/admin/staff/new",
        "/admin/staff",
        &[("name", ""), ("email", "not-an-email"), ("role", "")],
    );
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Enter a name."));
    assert!(res
        .body
        .contains("Enter an email address like name@example.com."));
    assert!(res.body.contains("Choose a role."));
    assert!(
        res.body.contains("value=\"not-an-email\""),
        "typed value kept"
    );
    let dup = app.post_form(
        "/admin/staff/new",
        "/admin/staff",
        &[
            ("name", "Again"),
            ("email", "OWNER@shop.test"),
            ("role", "3"),
        ],
    );
    assert_eq!(dup.status, 422);
    assert!(dup.body.contains("already exists"));
    assert_eq!(app.count("SELECT count(*) FROM staff"), 1);
    assert_eq!(app.count("SELECT count(*) FROM mail_outbox"), 0);
}

#[test]
fn the_list_filters_by_role_state_and_text() {
    let app = TestApp::ready();
    for (email, role) in [
        ("vera@shop.test", "Viewer"),
        ("carl@shop.test", "Courier"),
        ("cora@shop.test", "Courier"),
    ] {
        cornershop::staff::cli::create(&app.db, email, None, STAFF_PW, role).unwrap();
    }
    app.sql(|c| {
        c.execute(
            "UPDATE staff SET active = 0 WHERE email = 'cora@shop.test'",
            [],
        )
    });
    owner(&app);
    let courier = app.count("SELECT id FROM roles WHERE name = 'Courier'");
    let by_role = app.get(&format!("/admin/staff?role={courier}"));
    assert!(by_role.body.contains("carl@shop.test") && by_role.body.contains("cora@shop.test"));
    assert!(!by_role.body.contains("vera@shop.test"));
    let active = app.get(&format!("/admin/staff?role={courier}&state=active"));
    assert!(active.body.contains("carl@shop.test") && !active.body.contains("cora@shop.test"));
    let inactive = app.get("/admin/staff?state=inactive");
    assert!(inactive.body.contains("cora@shop.test") && !inactive.body.contains("carl@shop.test"));
    assert_eq!(app.get("/admin/staff?state=asleep").status, 400);
    assert_eq!(app.get("/admin/staff?role=999").status, 400);
}

#[test]
fn deactivating_ends_sessions_and_api_tokens_and_reactivating_lets_them_back() {
    let app = TestApp::ready();
    let b = member(&app, "vera@shop.test", "Viewer");
    let id = staff_id(&app, "vera@shop.test");
    let token = api_login(&app, "vera@shop.test", STAFF_PW).json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM api_tokens WHERE kind = 'staff' AND user_id = {id}"
        )),
        1
    );
    owner(&app);
    let page = format!("/admin/staff/{id}");
    let res = app.post_form(&page, &format!("{page}/deactivate"), &[]);
    assert_eq!(res.status, 303);
    assert!(app.get(&page).body.contains("logged out everywhere"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM sessions WHERE kind = 'staff' AND user_id = {id}"
        )),
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM api_tokens WHERE user_id = {id}"
        )),
        0
    );
    assert_eq!(b.get("/admin").status, 303, "the browser is logged out");
    let api = Browser::new(&app).json("POST", "/api/v1/admin/auth/logout", None, Some(&token));
    assert_eq!(api.status, 401, "the API token is revoked");
    assert_eq!(staff_login(&b, "vera@shop.test", STAFF_PW).status, 401);

    let res = app.post_form(&page, &format!("{page}/reactivate"), &[]);
    assert_eq!(res.status, 303);
    assert_eq!(staff_login(&b, "vera@shop.test", STAFF_PW).status, 303);
    let d: String = app.sql(|c| {
        c.query_row(
            "SELECT details FROM audit_log WHERE action = 'staff.deactivated' AND entity_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
    });
    assert!(
        d.contains("\"old\":{\"active\":true}") && d.contains("\"new\":{\"active\":false}"),
        "{d}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'staff.reactivated'"),
        1
    );
}

#[test]
fn a_new_role_ends_the_members_sessions_and_is_audited() {
    let app = TestApp::ready();
    let b = member(&app, "vera@shop.test", "Viewer");
    let id = staff_id(&app, "vera@shop.test");
    owner(&app);
    let page = format!("/admin/staff/{id}");
    let manager = app
        .count("SELECT id FROM roles WHERE name = 'Manager'")
        .to_string();
    let res = app.post_form(&page, &page, &[("name", "Vera V."), ("role", &manager)]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(b.get("/admin").status, 303, "logged out by the role change");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM sessions WHERE user_id = {id}"
        )),
        0
    );
    let d: String = app.sql(|c| {
        c.query_row(
            "SELECT details FROM audit_log WHERE action = 'staff.updated' AND entity_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
    });
    let d: serde_json::Value = serde_json::from_str(&d).unwrap();
    assert_eq!(d["old"]["role"], "Viewer");
    assert_eq!(d["new"]["role"], "Manager");
    assert_eq!(d["new"]["name"], "Vera V.");
    assert_eq!(staff_login(&b, "vera@shop.test", STAFF_PW).status, 303);
    assert!(b.get("/admin").body.contains("Manager"));
}

#[test]
fn the_last_active_owner_can_be_neither_deactivated_nor_demoted() {
    let app = TestApp::ready();
    owner(&app);
    let olive = staff_id(&app, "owner@shop.test");
    let page = format!("/admin/staff/{olive}");
    // Demoting oneself as the only owner: the trigger's message, next to the role.
    let res = app.post_form(&page, &page, &[("name", "Olive Owner"), ("role", "2")]);
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res
        .body
        .contains("The last active owner can be neither deactivated nor given a non-owner role"));
    assert_eq!(
        app.count(&format!("SELECT role_id FROM staff WHERE id = {olive}")),
        1
    );

    // With a second owner, one of them can go; then the other is the last.
    let b = member(&app, "otto@shop.test", "Owner");
    let otto = staff_id(&app, "otto@shop.test");
    let res = b.post_form(&page, &format!("{page}/deactivate"), &[]);
    assert_eq!(res.status, 303);
    assert_eq!(
        app.count(&format!("SELECT active FROM staff WHERE id = {olive}")),
        0
    );
    let otto_page = format!("/admin/staff/{otto}");
    let res = b.post_form(&otto_page, &otto_page, &[("name", "Otto"), ("role", "3")]);
    assert_eq!(res.status, 409);
    assert!(res.body.contains("last active owner"));
    // One's own page has no deactivate button: a forged request is refused as well.
    let res = b.post_csrf(&otto_page, &format!("{otto_page}/deactivate"), &[]);
    assert_eq!(res.status, 303);
    assert!(b
        .get(&otto_page)
        .body
        .contains("You cannot deactivate your own account"));

    // Raw SQL cannot get around it either.
    let c = rusqlite::Connection::open(app.data_dir().join("shop.db")).unwrap();
    for sql in [
        format!("UPDATE staff SET active = 0 WHERE id = {otto}"),
        format!("UPDATE staff SET role_id = 2 WHERE id = {otto}"),
        format!("DELETE FROM staff WHERE id = {otto}"),
    ] {
        let err = c.execute(&sql, []).unwrap_err().to_string();
        assert!(err.contains("last active owner"), "{sql}: {err}");
    }
    // Once Olive is active again, Otto may be demoted.
    c.execute(
        &format!("UPDATE staff SET active = 1 WHERE id = {olive}"),
        [],
    )
    .unwrap();
    c.execute(
        &format!("UPDATE staff SET role_id = 2 WHERE id = {otto}"),
        [],
    )
    .unwrap();
}

#[test]
fn only_owners_hand_out_the_owner_role_or_change_an_owner() {
    let app = TestApp::ready();
    owner(&app);
    create_role(&app, "HR", &["staff:read", "staff:create", "staff:update"]);
    let hr = member(&app, "hr@shop.test", "HR");
    let res = hr.post_form(
        "/admin/staff/new",
        "/admin/staff",
        &[("name", "Eve"), ("email", "eve@shop.test"), ("role", "1")],
    );
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Only an owner can give the Owner role."));
    let olive = staff_id(&app, "owner@shop.test");
    let page = hr.get(&format!("/admin/staff/{olive}"));
    assert!(page.body.contains("Only an owner can change an owner"));
    assert!(!page.body.contains("/deactivate"));
    // The page has no such button for HR: a forged request.
    let res = hr.post_csrf(
        &format!("/admin/staff/{olive}"),
        &format!("/admin/staff/{olive}/deactivate"),
        &[],
    );
    assert_eq!(res.status, 403);
    assert_eq!(
        app.count(&format!("SELECT active FROM staff WHERE id = {olive}")),
        1
    );
}

#[test]
fn a_password_link_mails_a_reset_and_using_it_ends_other_sessions() {
    let app = TestApp::ready();
    let b = member(&app, "vera@shop.test", "Viewer");
    let id = staff_id(&app, "vera@shop.test");
    owner(&app);
    let page = format!("/admin/staff/{id}");
    let res = app.post_form(&page, &format!("{page}/password-link"), &[]);
    assert_eq!(res.status, 303);
    let subject: String = app.sql(|c| {
        c.query_row(
            "SELECT subject FROM mail_outbox WHERE to_address = 'vera@shop.test'",
            [],
            |r| r.get(0),
        )
    });
    assert!(subject.starts_with("Set a new password"), "{subject}");
    assert_eq!(
        b.get("/admin").status,
        200,
        "nothing changes until the link is used"
    );
    let link = set_password_link(&app, "vera@shop.test");
    let other = Browser::new(&app);
    let form = other.get(&link);
    assert!(form.body.contains("Set a new password"));
    let res = other.submit(
        &form,
        &link,
        &[("password", NEW_PW), ("password_again", NEW_PW)],
    );
    assert_eq!(res.status, 303);
    assert_eq!(b.get("/admin").status, 303, "the old session ended");
    assert_eq!(staff_login(&other, "vera@shop.test", STAFF_PW).status, 401);
    assert_eq!(staff_login(&other, "vera@shop.test", NEW_PW).status, 303);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'staff.password_link_sent'"),
        1
    );
}
