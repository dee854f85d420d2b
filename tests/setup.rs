//! First-run set-up: the console link works once, validates what the owner types, and
//! leaves a logged-in owner in the back office.

mod common;
use common::TestApp;

fn setup_fields<'a>(token: &'a str, email: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", token),
        ("shop_name", "Mira's Tea & Things"),
        ("currency", "JPY"),
        ("owner_name", "Mira Owner"),
        ("email", email),
        ("password", password),
        ("password2", password),
    ]
}

#[test]
fn the_setup_link_creates_the_owner_once_and_then_is_gone() {
    let app = TestApp::new();
    let token = app
        .setup_token
        .clone()
        .expect("a fresh shop has a set-up token");
    let page = format!("/setup?token={token}");
    assert_eq!(app.get(&page).status, 200);

    let res = app.post_form(
        &page,
        "/setup",
        &setup_fields(&token, "mira@tea.test", "green-tea-every-day"),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some("/admin"));

    // The owner is logged in and sees the back office with the new shop name.
    let admin = app.get("/admin");
    assert_eq!(admin.status, 200);
    assert!(
        admin.body.contains("Mira&#x27;s Tea &amp; Things"),
        "shop name shown, escaped"
    );
    assert!(admin.body.contains("Mira Owner"));
    assert_eq!(
        app.count(
            "SELECT count(*) FROM staff s JOIN roles r ON r.id = s.role_id WHERE r.name = 'Owner'"
        ),
        1
    );
    assert_eq!(
        app.sql(|c| c.query_row(
            "SELECT value FROM settings WHERE key = 'shop.currency'",
            [],
            |r| r.get::<_, String>(0)
        )),
        "JPY"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'setup.completed'"),
        1
    );

    // Second use of the link, by anyone: refused, nothing added.
    let other = TestApp::new_client(&app);
    let again = other.get(&format!("{}{page}", app.base)).call();
    let status = match again {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(code, _)) => code,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, 410);
    // Replaying the form after logging out: refused, nothing added.
    assert_eq!(app.post_form("/admin", "/admin/logout", &[]).status, 303);
    let replay = app.post_csrf(
        "/admin/login",
        "/setup",
        &setup_fields(&token, "eve@evil.test", "another-long-password"),
    );
    assert_eq!(replay.status, 410, "{}", replay.body);
    assert_eq!(app.count("SELECT count(*) FROM staff"), 1);
}

#[test]
fn a_wrong_token_is_refused_and_creates_nothing() {
    let app = TestApp::new();
    assert_eq!(app.get("/setup?token=guessed").status, 403);
    assert_eq!(app.get("/setup").status, 403);
    let res = app.post_csrf(
        "/admin/login",
        "/setup",
        &setup_fields("guessed", "eve@evil.test", "another-long-password"),
    );
    assert_eq!(res.status, 403);
    assert!(res.body.contains("set-up link is not valid"));
    assert_eq!(app.count("SELECT count(*) FROM staff"), 0);
}

#[test]
fn bad_answers_come_back_next_to_their_fields_and_nothing_is_saved() {
    let app = TestApp::new();
    let token = app.setup_token.clone().unwrap();
    let page = format!("/setup?token={token}");
    // A currency the list does not offer: a hand-made request, refused all the same.
    let res = app.post_csrf(
        &page,
        "/setup",
        &[
            ("token", &token),
            ("shop_name", "<script>alert(1)</script>"),
            ("currency", "XYZ"),
            ("owner_name", ""),
            ("email", "not-an-email"),
            ("password", "password123"),
            ("password2", "password123"),
        ],
    );
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Choose the currency"));
    assert!(res.body.contains("Enter a name."));
    assert!(res.body.contains("Enter an email address like"));
    assert!(res.body.contains("most common passwords"));
    assert!(
        res.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "what was typed is kept, escaped"
    );
    assert!(!res.body.contains("<script>alert(1)"));
    assert!(
        !res.body.contains("password123"),
        "a password is never sent back"
    );
    assert_eq!(app.count("SELECT count(*) FROM staff"), 0);

    let res = app.post_form(
        &page,
        "/setup",
        &[
            ("token", &token),
            ("shop_name", "Shop"),
            ("currency", "EUR"),
            ("owner_name", "O"),
            ("email", "o@shop.test"),
            ("password", "long-enough-secret"),
            ("password2", "long-enough-secreT"),
        ],
    );
    assert_eq!(res.status, 422);
    assert!(res.body.contains("two passwords are not the same"));
}

#[test]
fn setup_with_demo_data_fills_the_catalogue() {
    let app = TestApp::new();
    let token = app.setup_token.clone().unwrap();
    let page = format!("/setup?token={token}");
    let mut fields = setup_fields(&token, "demo@shop.test", "tea-and-biscuits-at-four");
    fields[2] = ("currency", "EUR");
    // The box as the page has it, ticked: the browser sends its own value.
    fields.push(("demo", "true"));
    let res = app.post_form(&page, "/setup", &fields);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        app.count("SELECT count(*) FROM products"),
        cornershop::setup::SETUP_DEMO_PRODUCTS as i64
    );
    assert!(app.count("SELECT count(*) FROM categories WHERE parent_id IS NOT NULL") > 0);
    let home = app.get("/");
    assert!(
        home.body.contains("/media/products/"),
        "demo products have pictures: {}",
        &home.body[..home.body.len().min(3000)]
    );
}

#[test]
fn setup_with_the_demo_box_unticked_leaves_the_catalogue_empty() {
    let app = TestApp::new();
    let token = app.setup_token.clone().unwrap();
    let page = format!("/setup?token={token}");
    let form = app.form(&page, "/setup");
    assert!(form.has("demo"), "the set-up page offers demo data");
    let mut fields = setup_fields(&token, "plain@shop.test", "tea-and-biscuits-at-four");
    fields.push(("demo", ""));
    let res = app.post_form(&page, "/setup", &fields);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(app.count("SELECT count(*) FROM products"), 0);
    assert_eq!(app.count("SELECT count(*) FROM staff"), 1);
}
