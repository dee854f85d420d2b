//! The settings sections of the back office: each form saves through one shared function
//! (every field checked first, one transaction, one audit row per changed key with old and
//! new value, secrets masked), a wrong field saves nothing, and only a role that may
//! change settings can save.

mod common;

use common::settings_admin::{
    get_bytes, login_owner, png, post_multipart, raw_setting, setting_audits,
};
use common::TestApp;

fn save(app: &TestApp, section: &str, fields: &[(&str, &str)]) -> common::Res {
    let url = format!("/admin/settings/{section}");
    app.post_form(&url, &url, fields)
}

fn changes(app: &TestApp) -> i64 {
    app.flush_audit();
    app.count("SELECT count(*) FROM audit_log WHERE action = 'setting.changed'")
}

#[test]
fn the_index_lists_every_section_and_each_section_page_shows_its_form() {
    let app = TestApp::ready();
    login_owner(&app);
    let index = app.get("/admin/settings");
    assert_eq!(index.status, 200);
    for s in [
        "shop", "checkout", "payments", "mail", "security", "media", "jobs",
    ] {
        assert!(
            index
                .body
                .contains(&format!("href=\"/admin/settings/{s}\"")),
            "{s}"
        );
        let page = app.get(&format!("/admin/settings/{s}"));
        assert_eq!(page.status, 200, "{s}: {}", page.body);
        assert!(
            page.body.contains("class=\"settings-menu\""),
            "{s} has the menu"
        );
        assert!(page.body.contains("aria-current=\"page\">"), "{s}");
    }
    assert_eq!(app.get("/admin/settings/nonsense").status, 404);
}

#[test]
fn shop_settings_save_audit_old_and_new_and_show_in_the_storefront() {
    let app = TestApp::ready();
    login_owner(&app);
    let before = changes(&app);
    let res = save(
        &app,
        "shop",
        &[
            ("name", "Tea Corner"),
            ("currency", "USD"),
            ("base_url", "https://tea.example/"),
            ("address", "1 Leaf Street, Teatown"),
            ("contact_email", "hello@tea.example"),
            ("contact_phone", "+49 30 1234567"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(raw_setting(&app, "shop.currency"), "USD");
    assert_eq!(raw_setting(&app, "shop.base_url"), "https://tea.example");
    assert_eq!(changes(&app) - before, 6, "one audit row per changed key");
    let name = setting_audits(&app, "shop.name");
    assert_eq!(name[0]["old"], "Cornershop");
    assert_eq!(name[0]["new"], "Tea Corner");
    let page = app.get("/admin/settings/shop");
    assert!(
        page.body.contains("Shop settings saved (6 changes)."),
        "{}",
        page.body
    );
    assert_eq!(page.input_value("name").as_deref(), Some("Tea Corner"));

    // Saving the same again changes and audits nothing.
    let res = save(
        &app,
        "shop",
        &[
            ("name", "Tea Corner"),
            ("currency", "USD"),
            ("base_url", "https://tea.example"),
            ("address", "1 Leaf Street, Teatown"),
            ("contact_email", "hello@tea.example"),
            ("contact_phone", "+49 30 1234567"),
        ],
    );
    assert_eq!(res.status, 303);
    assert_eq!(changes(&app) - before, 6);

    // The storefront shows the name, the contact and then the uploaded logo.
    let home = app.get("/");
    assert!(home.body.contains("Tea Corner") && home.body.contains("hello@tea.example"));
    let res = post_multipart(
        &app,
        "/admin/settings/shop",
        "/admin/settings/shop/image",
        &[],
        ("image", "logo.png", &png(120, 40)),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let logo = raw_setting(&app, "shop.logo");
    assert!(logo.starts_with("shop/"), "{logo}");
    let home = app.get("/");
    assert!(
        home.body.contains(&format!("src=\"/media/{logo}\"")),
        "logo in the header"
    );
    let (status, bytes) = get_bytes(&app, &format!("/media/{logo}"));
    assert_eq!(status, 200);
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 120);
}

#[test]
fn one_wrong_field_saves_no_field_of_the_form_and_says_which_is_wrong() {
    let app = TestApp::ready();
    login_owner(&app);
    let before = changes(&app);
    let res = save(
        &app,
        "checkout",
        &[
            ("flat_enabled", "true"),
            ("flat_rate", "3.5x"),
            ("free_above", "60"),
            ("pickup_enabled", "true"),
            ("pickup_address", "Back door"),
            ("cancel_window", "-1"),
            ("auto_advance", "10"),
        ],
    );
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("Nothing was saved"));
    assert!(
        res.body.contains("id=\"f-flat_rate-error\""),
        "{}",
        res.body
    );
    assert!(res.body.contains("id=\"f-cancel_window-error\""));
    assert!(!res.body.contains("id=\"f-auto_advance-error\""));
    assert!(common::html_unescape(&res.body).contains("'3.5x' is not an amount"));
    assert!(res
        .body
        .contains("Customers may cancel for must be a whole number from 0 to"));
    assert_eq!(
        res.input_value("pickup_address").as_deref(),
        Some("Back door"),
        "typed kept"
    );
    assert_eq!(
        raw_setting(&app, "shipping.free_above"),
        "",
        "valid fields not saved either"
    );
    assert_eq!(raw_setting(&app, "shipping.pickup_address"), "");
    assert_eq!(raw_setting(&app, "orders.auto_advance_minutes"), "");
    assert_eq!(changes(&app), before);

    // A rule across fields: no way to get an order (both boxes unticked).
    let res = save(
        &app,
        "checkout",
        &[
            ("flat_enabled", ""),
            ("pickup_enabled", ""),
            ("flat_rate", "4.90"),
            ("free_above", "50"),
            ("cancel_window", "5"),
            ("auto_advance", "5"),
        ],
    );
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Offer at least one way to get the order"));

    // Then right: amounts in major units are stored in minor units.
    let res = save(
        &app,
        "checkout",
        &[
            ("flat_enabled", "true"),
            ("pickup_enabled", ""),
            ("flat_rate", "3.50"),
            ("free_above", "60"),
            ("pickup_address", ""),
            ("cancel_window", "15"),
            ("auto_advance", "10"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(raw_setting(&app, "shipping.flat_rate"), "350");
    assert_eq!(raw_setting(&app, "shipping.free_above"), "6000");
    assert_eq!(
        raw_setting(&app, "shipping.pickup_enabled"),
        "false",
        "unchecked box"
    );
    let audit = setting_audits(&app, "shipping.flat_rate");
    assert_eq!(
        (audit[0]["old"].as_str(), audit[0]["new"].as_str()),
        (Some("490"), Some("350"))
    );
}

#[test]
fn payments_check_the_iban_and_keep_the_paypal_secret_sealed_and_masked() {
    let app = TestApp::ready();
    login_owner(&app);
    let base = [
        ("cod_enabled", "true"),
        ("bank_transfer_enabled", "true"),
        ("bobi_enabled", ""),
        ("holder", "Corner Shop"),
        ("bic", ""),
        ("upi_id", ""),
        ("qr", "epc"),
        ("paypal_base_url", "https://api-m.sandbox.paypal.com"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v: Vec<(&str, &str)> = base.to_vec();
        v.extend_from_slice(extra);
        v
    };
    // A typing error in the IBAN, PayPal on without credentials, and a secret typed.
    let res = save(
        &app,
        "payments",
        &with(&[
            ("iban", "DE89 3704 0044 0532 0130 01"),
            ("paypal_enabled", "true"),
            ("paypal_client_id", "app-1"),
            ("paypal_client_secret", "very-secret-1"),
        ]),
    );
    assert_eq!(res.status, 422);
    assert!(
        res.body.contains("check digits do not match"),
        "{}",
        res.body
    );
    assert!(
        !res.body.contains("very-secret-1"),
        "a secret is never sent back"
    );
    assert!(res.body.contains("Type it again"));
    assert_eq!(raw_setting(&app, "payments.paypal.client_secret"), "");
    assert_eq!(raw_setting(&app, "payments.paypal.enabled"), "");

    let res = save(
        &app,
        "payments",
        &with(&[
            ("iban", "DE89 3704 0044 0532 0130 00"),
            ("paypal_enabled", "true"),
            ("paypal_client_id", "app-1"),
            ("paypal_client_secret", "very-secret-1"),
        ]),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let stored = raw_setting(&app, "payments.paypal.client_secret");
    assert!(
        !stored.is_empty() && !stored.contains("very-secret"),
        "sealed: {stored}"
    );
    let secret = app.secret();
    let open = app
        .db
        .read_blocking(|c| {
            cornershop::settings::get_secret(c, &secret, "payments.paypal.client_secret")
        })
        .unwrap();
    assert_eq!(open, "very-secret-1");
    let audit = setting_audits(&app, "payments.paypal.client_secret");
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["old"], "");
    assert_eq!(audit[0]["new"], "********");
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE details LIKE '%very-secret%'"),
        0,
        "the secret is in no audit row"
    );
    let page = app.get("/admin/settings/payments");
    assert!(!page.body.contains("very-secret"));
    assert!(page.body.contains("Leave this empty to keep it"));
    assert!(
        page.body
            .contains("Buyers can choose now: Cash on delivery, Bank transfer, PayPal."),
        "{}",
        page.body
    );

    // Left empty: kept. Changed: audited masked on both sides. Forgotten: erased.
    let res = save(
        &app,
        "payments",
        &with(&[
            ("iban", "DE89370400440532013000"),
            ("paypal_enabled", "true"),
            ("paypal_client_id", "app-1"),
        ]),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(raw_setting(&app, "payments.paypal.client_secret"), stored);
    assert_eq!(
        setting_audits(&app, "payments.paypal.client_secret").len(),
        1
    );
    let res = save(
        &app,
        "payments",
        &with(&[
            ("iban", "DE89370400440532013000"),
            ("paypal_enabled", "true"),
            ("paypal_client_id", "app-1"),
            ("paypal_client_secret", "very-secret-2"),
        ]),
    );
    assert_eq!(res.status, 303);
    let audit = setting_audits(&app, "payments.paypal.client_secret");
    assert_eq!(
        (audit[1]["old"].as_str(), audit[1]["new"].as_str()),
        (Some("********"), Some("********"))
    );
    let res = save(
        &app,
        "payments",
        &with(&[
            ("iban", "DE89370400440532013000"),
            ("paypal_enabled", ""),
            ("paypal_client_id", "app-1"),
            ("paypal_client_secret_forget", "true"),
        ]),
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(raw_setting(&app, "payments.paypal.client_secret"), "");
    assert_eq!(raw_setting(&app, "payments.paypal.enabled"), "false");
}

#[test]
fn security_media_and_jobs_sections_save_and_the_job_loop_reads_the_new_interval() {
    let app = TestApp::ready();
    login_owner(&app);
    let res = save(
        &app,
        "security",
        &[
            ("captcha_enabled", "true"),
            ("captcha_attempts", "4"),
            ("captcha_lockout", "600"),
            ("logins_per_ip", "30"),
            ("registrations_per_ip", "10"),
            ("customer_attempts", "5"),
            ("customer_lockout", "20"),
            ("staff_idle", "60"),
            ("staff_max", "8"),
            ("trusted_proxies", "10.0.0.1, ::1"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        raw_setting(&app, "security.trusted_proxies"),
        "10.0.0.1,::1"
    );
    assert_eq!(raw_setting(&app, "security.staff_session_max_hours"), "8");

    let res = save(
        &app,
        "security",
        &[("staff_idle", "2"), ("trusted_proxies", "router")],
    );
    assert_eq!(res.status, 422);
    assert!(common::html_unescape(&res.body).contains("'router' is not an IP address"));
    assert_eq!(
        raw_setting(&app, "security.staff_session_idle_minutes"),
        "60"
    );

    let res = save(
        &app,
        "media",
        &[("max_upload_mb", "8"), ("max_megapixels", "41")],
    );
    assert_eq!(res.status, 422);
    assert_eq!(raw_setting(&app, "media.max_upload_mb"), "");
    let res = save(
        &app,
        "media",
        &[("max_upload_mb", "8"), ("max_megapixels", "20")],
    );
    assert_eq!(res.status, 303);
    assert_eq!(raw_setting(&app, "media.max_upload_mb"), "8");

    let mail_job = cornershop::schedule::JOBS
        .iter()
        .find(|j| j.name == "mail_queue")
        .unwrap();
    let interval = || {
        app.db
            .read_blocking(|c| Ok(cornershop::jobs::interval(c, mail_job)))
            .unwrap()
    };
    assert_eq!(interval().as_secs(), 5);
    let res = save(
        &app,
        "jobs",
        &[
            ("mail_queue", "0"),
            ("orders_auto_advance", "30"),
            ("cart_cleanup", "3600"),
            ("media_cleanup", "3600"),
        ],
    );
    assert_eq!(res.status, 422, "below the minimum");
    let res = save(
        &app,
        "jobs",
        &[
            ("mail_queue", "20"),
            ("orders_auto_advance", "30"),
            ("cart_cleanup", "7200"),
            ("media_cleanup", "3600"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(interval().as_secs(), 20, "the loop's next pass waits 20 s");
    let audit = setting_audits(&app, "jobs.cart_cleanup.interval_seconds");
    assert_eq!(
        (audit[0]["old"].as_str(), audit[0]["new"].as_str()),
        (Some("3600"), Some("7200"))
    );
}

#[test]
fn a_viewer_reads_the_settings_but_cannot_save_any_section() {
    let app = TestApp::ready();
    app.login_as("Viewer");
    let page = app.get("/admin/settings/security");
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("fieldset class=\"form-section\" disabled"));
    assert!(!page.body.contains("Save security settings"));
    for (section, field, value) in [
        ("shop", "name", "Hacked"),
        ("security", "captcha_enabled", "false"),
        ("jobs", "mail_queue", "60"),
        ("mail", "from", "x@evil.test"),
    ] {
        // The page's fields are disabled: a hand-made request, refused all the same.
        let url = format!("/admin/settings/{section}");
        let res = app.post_csrf(&url, &url, &[(field, value)]);
        assert_eq!(res.status, 403, "{section}");
    }
    assert_eq!(raw_setting(&app, "shop.name"), "");
    assert_eq!(changes(&app), 0);
}
