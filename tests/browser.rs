//! End to end in a real browser: headless Chromium, driven over WebDriver, goes from the
//! home page through registration (CAPTCHA on) and email verification to a logged-in
//! account. Needs /usr/bin/chromium and /usr/bin/chromedriver; `.ci/run` installs them and
//! runs this with `cargo test --test browser -- --ignored`.

mod common;

use std::path::PathBuf;

use common::accounts::{link_in_mail, CUSTOMER_PW};
use common::webdriver::{png_size, WebDriver};
use common::TestApp;

const EMAIL: &str = "mira@tea.test";

fn shots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/browser-shots")
}

/// Saves the current page at `width`×`height` (the viewport, and the whole page as
/// `…-full.png`), checks the PNG's size, and checks the layout holds together at that size.
fn shot(wd: &WebDriver, name: &str, width: u32, height: u32, mobile: bool) {
    wd.emulate_viewport(width, height, mobile);
    let path = wd.save_screenshot(shots_dir().join(format!("{name}-{width}x{height}.png")));
    let png = std::fs::read(&path).expect("screenshot readable");
    assert_eq!(png_size(&png), (width, height), "{}", path.display());
    wd.save_full_page_screenshot(shots_dir().join(format!("{name}-{width}x{height}-full.png")));

    let overflow = wd.execute(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
        vec![],
    );
    assert_eq!(
        overflow.as_f64(),
        Some(0.0),
        "{name} at {width}x{height} scrolls sideways"
    );
    // The CAPTCHA picture shows at its size (it once sat squeezed beside the legend).
    let (_, _, w, h) = wd.rect(&wd.find(".captcha-image"));
    assert!(
        w >= 150.0 && h >= 50.0,
        "the CAPTCHA image at {width}x{height} is {w}x{h}"
    );
    // Phone and date inputs are styled like the text inputs (unstyled, they are ~30px
    // high; Chromium's date field comes out 2px taller than a text one when styled).
    let (_, _, _, text_h) = wd.rect(&wd.find("input[name='first_name']"));
    for name in ["phone", "birth_date", "captcha_answer"] {
        let (_, _, _, h) = wd.rect(&wd.find(&format!("input[name='{name}']")));
        assert!(
            (h - text_h).abs() <= 3.0,
            "{name} is {h}px high, a text input {text_h}px, at {width}x{height}"
        );
    }
}

#[test]
#[ignore = "needs chromium and chromedriver; .ci/run installs them and runs it"]
fn a_visitor_registers_verifies_and_logs_in_in_a_real_browser() {
    let app = TestApp::ready();
    let wd = WebDriver::start();
    wd.emulate_viewport(1280, 900, false);

    // 1. Home page → "Account" in the header → the login page → "Create an account".
    wd.goto(&format!("{}/", app.base));
    wd.wait_for("header.site-header");
    let account = wd.find("header.site-header a.header-link[href='/account']");
    assert_eq!(wd.text(&account), "Account");
    wd.click(&account);
    wd.wait_for_path("/account/login");
    let create = wd.find(".auth-page .lead a[href='/account/register']");
    assert_eq!(wd.text(&create), "Create an account");
    wd.click(&create);
    wd.wait_for_path("/account/register");
    wd.wait_for("form[action='/account/register'] button[type=submit]");

    // The empty form, on a desktop and on a phone.
    shot(&wd, "register", 1280, 900, false);
    shot(&wd, "register", 390, 844, true);
    wd.emulate_viewport(1280, 900, false);

    // 2. Fill the form by typing and choosing from the drop-downs.
    let form = "form[action='/account/register']";
    let field = |name: &str| format!("{form} [name='{name}']");
    wd.type_into(&field("email"), EMAIL);
    wd.type_into(&field("password"), CUSTOMER_PW);
    wd.type_into(&field("first_name"), "Mira");
    wd.type_into(&field("last_name"), "Ivanova");
    wd.select(&field("phone_country"), "BG");
    wd.type_into(&field("phone"), "0888 123 456");
    // A date input takes the digits of the browser's format (en-US: mm dd yyyy).
    let birth = wd.find(&field("birth_date"));
    wd.send_keys(&birth, "04231990");
    assert_eq!(
        wd.property(&birth, "value"),
        serde_json::json!("1990-04-23"),
        "the date input took the typed date"
    );
    wd.type_into(&field("address_line1"), "1 Vitosha Blvd");
    wd.type_into(&field("address_postcode"), "1000");
    wd.type_into(&field("address_city"), "Sofia");
    wd.select(&field("address_country"), "BG");
    let phone_country = wd.find(&format!("{} option:checked", field("phone_country")));
    assert_eq!(wd.text(&phone_country), "Bulgaria (+359)");

    let captcha_id = wd
        .attribute(&wd.find(&field("captcha_id")), "value")
        .expect("the form carries a CAPTCHA id");
    let answer = app
        .captchas
        .peek_answer(&captcha_id)
        .unwrap_or_else(|| panic!("the shop issued CAPTCHA {captcha_id}"));
    wd.type_into(&field("captcha_answer"), &answer);

    let submit = wd.find(&format!("{form} button[type=submit]"));
    assert_eq!(wd.text(&submit), "Create account");
    wd.click(&submit);

    // 3. Back on the login page, told to check the mail.
    wd.wait_for_path("/account/login");
    wd.wait_for_text(&format!("We sent a link to {EMAIL}"));

    // 4. The link from the mail verifies the address.
    let link = link_in_mail(&app, EMAIL, "/account/verify");
    wd.goto(&format!("{}{link}", app.base));
    wd.wait_for_path("/account/login");
    wd.wait_for_text(&format!("{EMAIL} is verified"));

    // 5. Log in through the form.
    let login = "form[action='/account/login']";
    wd.type_into(&format!("{login} [name='email']"), EMAIL);
    wd.type_into(&format!("{login} [name='password']"), CUSTOMER_PW);
    let button = wd.find(&format!("{login} button[type=submit]"));
    assert_eq!(wd.text(&button), "Log in");
    wd.click(&button);
    wd.wait_for_path("/account");
    let hello = wd.wait_for(".account-hello");
    assert_eq!(wd.text(&hello), "Hello, Mira");
    let lead = wd.find(".account-main .lead strong");
    assert_eq!(wd.text(&lead), EMAIL, "the account page shows the email");

    let (verified, sessions): (Option<String>, i64) = app.sql(|c| {
        c.query_row(
            "SELECT verified_at, (SELECT count(*) FROM sessions
                                   WHERE kind = 'customer' AND user_id = customers.id)
             FROM customers WHERE email = ?1",
            [EMAIL],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    });
    assert!(verified.is_some(), "the customer is verified");
    assert_eq!(sessions, 1, "the browser holds a customer session");

    // 6. News and offers: on by default, turned off with the box on the account page.
    let news = wd.find("#f-news");
    assert_eq!(wd.property(&news, "checked").as_bool(), Some(true));
    shot_plain(&wd, "account");
    wd.click(&news);
    wd.click(&wd.find("form[action='/account/marketing'] button[type=submit]"));
    wd.wait_for_text("You will get no more news and offers by mail");
    assert_eq!(
        wd.property(&wd.find("#f-news"), "checked").as_bool(),
        Some(false)
    );
    assert_eq!(
        app.count("SELECT count(*) FROM customers WHERE marketing_opt_out_at IS NOT NULL"),
        1
    );
}

#[test]
#[ignore = "needs chromium and chromedriver; .ci/run installs them and runs it"]
fn a_guest_buys_two_products_pays_by_bobi_and_sees_the_order_paid_in_their_account() {
    let app = TestApp::ready();
    common::add_product(&app, "Blue Mug", 1250, 5, None, "active");
    common::add_product(&app, "Green Tea", 800, 5, None, "active");
    let wd = WebDriver::start();
    wd.emulate_viewport(1280, 900, false);
    const BUYER: &str = "bobi@tea.test";

    // Browse from the home page to each product and add it to the cart.
    for (slug, qty) in [("blue-mug", "2"), ("green-tea", "1")] {
        wd.goto(&format!("{}/", app.base));
        wd.click(&wd.wait_for(&format!("a[href='/products/{slug}']")));
        wd.wait_for_path(&format!("/products/{slug}"));
        let q = wd.find(".add-to-cart [name='quantity']");
        wd.clear(&q);
        wd.send_keys(&q, qty);
        wd.click(&wd.find(".add-to-cart button[type=submit]"));
        wd.wait_for_text("Added to your cart.");
    }
    wd.click(&wd.find("header.site-header a.header-link[href='/cart']"));
    wd.wait_for_path("/cart");
    wd.wait_for_text("€33.00");
    wd.click(&wd.find("a[href='/checkout']"));
    wd.wait_for_path("/checkout");

    // Checkout as a guest: email, local pickup, Bobi.
    wd.type_into("form[action='/checkout'] [name='email']", BUYER);
    wd.click(&wd.find("input[name='shipping_method'][value='pickup']"));
    wd.click(&wd.find("input[name='payment_method'][value='bobi']"));
    shot_plain(&wd, "checkout");
    wd.click(&wd.find("form[action='/checkout'] button[type=submit]"));
    wd.wait_for_text("Ready for paying");
    assert!(
        wd.current_path().starts_with("/orders/"),
        "{}",
        wd.current_url()
    );

    // Bobi wants the exact amount: a wrong one is refused, the right one pays.
    wd.type_into("#pay-amount", "33.01");
    wd.click(&wd.find(".pay-form button[type=submit]"));
    wd.wait_for_text("That is not the amount of this order");
    wd.clear(&wd.find("#pay-amount"));
    wd.type_into("#pay-amount", "33.00");
    wd.click(&wd.find(".pay-form button[type=submit]"));
    wd.wait_for_text("your payment is confirmed and the order is paid");
    shot_plain(&wd, "order-paid");

    // Later the guest makes an account with the same address; the order is there, paid.
    wd.goto(&format!("{}/account/register", app.base));
    let form = "form[action='/account/register']";
    let field = |name: &str| format!("{form} [name='{name}']");
    wd.type_into(&field("email"), BUYER);
    wd.type_into(&field("password"), CUSTOMER_PW);
    wd.type_into(&field("first_name"), "Bo");
    wd.type_into(&field("last_name"), "Bi");
    wd.select(&field("phone_country"), "BG");
    wd.type_into(&field("phone"), "0888 123 456");
    wd.type_into(&field("address_line1"), "1 Vitosha Blvd");
    wd.type_into(&field("address_postcode"), "1000");
    wd.type_into(&field("address_city"), "Sofia");
    wd.select(&field("address_country"), "BG");
    let id = wd
        .attribute(&wd.find(&field("captcha_id")), "value")
        .unwrap();
    wd.type_into(
        &field("captcha_answer"),
        &app.captchas.peek_answer(&id).unwrap(),
    );
    wd.click(&wd.find(&format!("{form} button[type=submit]")));
    wd.wait_for_path("/account/login");
    wd.goto(&format!(
        "{}{}",
        app.base,
        link_in_mail(&app, BUYER, "/account/verify")
    ));
    wd.wait_for_text("is verified");
    wd.type_into("form[action='/account/login'] [name='email']", BUYER);
    wd.type_into(
        "form[action='/account/login'] [name='password']",
        CUSTOMER_PW,
    );
    wd.click(&wd.find("form[action='/account/login'] button[type=submit]"));
    wd.wait_for_path("/account");
    wd.goto(&format!("{}/account/orders", app.base));
    let row = wd.wait_for(".order-row .pill");
    assert_eq!(wd.text(&row), "Paid");
    shot_plain(&wd, "account-orders");
    assert_eq!(
        app.count("SELECT count(*) FROM payments WHERE method = 'bobi' AND status = 'succeeded'"),
        1
    );
}

/// A desktop and a phone screenshot of the current page, with no sideways scrolling.
fn shot_plain(wd: &WebDriver, name: &str) {
    for (w, h, mobile) in [(1280, 900, false), (390, 844, true)] {
        wd.emulate_viewport(w, h, mobile);
        wd.save_full_page_screenshot(shots_dir().join(format!("{name}-{w}x{h}-full.png")));
        let overflow = wd.execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        );
        assert_eq!(
            overflow.as_f64(),
            Some(0.0),
            "{name} at {w}x{h} scrolls sideways"
        );
    }
    wd.emulate_viewport(1280, 900, false);
}

#[test]
#[ignore = "needs chromium and chromedriver; .ci/run installs them and runs it"]
fn a_role_without_product_update_sees_no_edit_button_and_is_refused_a_direct_post() {
    let app = TestApp::ready();
    let mug = common::add_product(&app, "Blue Mug", 1250, 5, None, "active");
    let wd = WebDriver::start();
    wd.emulate_viewport(1280, 900, false);
    let login = |email: &str, password: &str| {
        wd.goto(&format!("{}/admin/login", app.base));
        wd.type_into("#login-email", email);
        wd.type_into("#login-password", password);
        wd.click(&wd.find("form[action='/admin/login'] button[type=submit]"));
        wd.wait_for_path("/admin");
    };

    // The owner creates a role that may read products but not change them.
    login("owner@shop.test", common::OWNER_PW);
    wd.goto(&format!("{}/admin/roles/new", app.base));
    wd.type_into("form.role-form [name='name']", "Stock checker");
    for right in ["dashboard-read", "products-read"] {
        wd.click(&wd.find(&format!("#r-{right}")));
    }
    shot_plain(&wd, "role-new");
    wd.click(&wd.find("form.role-form button[type=submit]"));
    wd.wait_for_text("Role created.");
    let rights: (i64, i64) = app.sql(|c| {
        c.query_row(
            "SELECT p.can_read, p.can_update FROM role_permissions p JOIN roles r ON r.id = p.role_id
             WHERE r.name = 'Stock checker' AND p.area = 'products'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    });
    assert_eq!(rights, (1, 0), "the grid saved read without update");
    cornershop::staff::cli::create(
        &app.db,
        "sam@shop.test",
        Some("Sam"),
        common::STAFF_PW,
        "Stock checker",
    )
    .expect("staff member with the new role");
    wd.click(&wd.find("form[action='/admin/logout'] button"));
    wd.wait_for_path("/admin/login");

    // Sam sees the products, but no Edit link, no New button, and a form with no Save.
    login("sam@shop.test", common::STAFF_PW);
    wd.goto(&format!("{}/admin/products", app.base));
    let row_link = wd.wait_for("td.cell-link a");
    assert!(
        wd.text(&row_link).starts_with("Open"),
        "{}",
        wd.text(&row_link)
    );
    let page = wd.page_text();
    assert!(!page.contains("Edit"), "no Edit anywhere: {page}");
    assert!(wd.try_find("a[href='/admin/products/new']").is_none());
    shot_plain(&wd, "products-read-only");
    wd.click(&row_link);
    wd.wait_for_path(&format!("/admin/products/{mug}"));
    wd.wait_for_text("changing it needs the right to update products");
    assert!(wd
        .try_find("form button[type=submit].btn-primary")
        .is_none());
    let disabled = wd.property(&wd.find("fieldset.form-section"), "disabled");
    assert_eq!(disabled, serde_json::Value::Bool(true));

    // A hand-made POST from this browser (its own cookies and CSRF token) is refused too.
    wd.execute(
        "const csrf = document.querySelector('input[name=_csrf]').value;
         const f = document.createElement('form');
         f.method = 'post';
         f.action = arguments[0];
         for (const [k, v] of [['_csrf', csrf], ['name', 'Renamed by Sam'], ['sku', 'X'], ['price', '1.00'], ['stock', '5'], ['status', 'active']]) {
             const i = document.createElement('input');
             i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
         }
         document.body.appendChild(f);
         f.submit();",
        vec![serde_json::json!(format!("/admin/products/{mug}"))],
    );
    wd.wait_for_text("may not change products");
    shot_plain(&wd, "refused");
    let name: String = app.sql(|c| {
        c.query_row("SELECT name FROM products WHERE id = ?1", [mug], |r| {
            r.get(0)
        })
    });
    assert_eq!(name, "Blue Mug", "nothing changed");
    app.flush_audit();
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'permission.refused' AND details LIKE '%products%'"
        ),
        1
    );
}

#[test]
#[ignore = "needs chromium and chromedriver; .ci/run installs them and runs it"]
fn a_customer_with_a_voucher_buys_a_promoted_product_and_sees_both_discounts() {
    const BUYER: &str = "vera@tea.test";
    let app = TestApp::ready();
    common::accounts::no_captcha(&app);
    common::add_product(&app, "Blue Mug", 2000, 5, None, "active");
    common::accounts::verified_customer(&app, BUYER);
    common::products::login_owner(&app);
    let now = app.clock.now();
    let shop_time = |t: time::OffsetDateTime| {
        cornershop::clock::to_shop_time(&cornershop::clock::sql_time(t), 0)
    };
    let res = app.post_form(
        "/admin/promotions/new",
        "/admin/promotions",
        &[
            ("name", "Mug week"),
            ("kind", "percent"),
            ("value", "25"),
            ("scope", "products"),
            ("products", "SKU-BLUE-MUG"),
            ("starts_at", &shop_time(now - time::Duration::hours(1))),
            ("ends_at", &shop_time(now + time::Duration::days(7))),
        ],
    );
    assert_eq!(res.status, 303, "promotion: {}", res.body);
    let res = app.post_form(
        "/admin/vouchers/new",
        "/admin/vouchers",
        &[
            ("code", "mug-five"),
            ("customer", BUYER),
            ("kind", "amount"),
            ("value", "5.00"),
        ],
    );
    assert_eq!(res.status, 303, "voucher: {}", res.body);

    let wd = WebDriver::start();
    wd.emulate_viewport(1280, 900, false);
    wd.goto(&format!("{}/account/login", app.base));
    wd.type_into("form[action='/account/login'] [name='email']", BUYER);
    wd.type_into(
        "form[action='/account/login'] [name='password']",
        CUSTOMER_PW,
    );
    wd.click(&wd.find("form[action='/account/login'] button[type=submit]"));
    wd.wait_for_path("/account");

    // The product shows the promotion; the cart takes the voucher on top of it.
    wd.goto(&format!("{}/products/blue-mug", app.base));
    wd.wait_for_text("€15.00");
    assert!(wd.page_text().contains("−25 %"), "the badge shows");
    wd.click(&wd.find(".add-to-cart button[type=submit]"));
    wd.wait_for_text("Added to your cart.");
    wd.goto(&format!("{}/cart", app.base));
    wd.type_into("#voucher-code", "mug five");
    wd.click(&wd.find("form[action='/cart/voucher'] button[type=submit]"));
    wd.wait_for_text("Voucher MUGFIVE");
    shot_plain(&wd, "cart-voucher");

    wd.click(&wd.find("a[href='/checkout']"));
    wd.wait_for_path("/checkout");
    wd.click(&wd.find("input[name='shipping_method'][value='pickup']"));
    wd.click(&wd.find("input[name='payment_method'][value='bank_transfer']"));
    wd.click(&wd.find("form[action='/checkout'] button[type=submit]"));
    wd.wait_for_text("Voucher MUGFIVE");
    assert!(
        wd.current_path().starts_with("/account/orders/"),
        "{}",
        wd.current_url()
    );
    let totals = wd.text(&wd.find("dl.totals"));
    for line in ["Promotions", "−€5.00", "Voucher MUGFIVE", "€10.00"] {
        assert!(totals.contains(line), "{line} in {totals}");
    }
    assert_eq!(wd.text(&wd.find("dl.totals .total-row dd")), "€10.00");
    assert!(
        wd.page_text().contains("Mug week −€5.00"),
        "the line names its promotion"
    );
    shot_plain(&wd, "order-both-discounts");

    // The mail says the same.
    let (text, html): (String, String) = app.sql(|c| {
        c.query_row(
            "SELECT text_body, html_body FROM mail_outbox WHERE to_address = ?1 AND template = 'order_placed'",
            [BUYER],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    });
    for line in [
        "Mug week −€5.00",
        "Voucher MUGFIVE: −€5.00",
        "Total: €10.00",
    ] {
        assert!(text.contains(line), "{line} in the mail: {text}");
    }
    assert!(
        html.contains("MUGFIVE") && html.contains("€10.00"),
        "{html}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM vouchers WHERE code = 'MUGFIVE' AND order_id IS NOT NULL"),
        1
    );
}

#[test]
#[ignore = "needs chromium and chromedriver; .ci/run installs them and runs it"]
fn staff_save_a_target_group_and_watch_its_vouchers_being_issued_without_a_reload() {
    let app = TestApp::ready();
    common::accounts::no_captcha(&app);
    for email in ["ida@garden.test", "jon@garden.test", "kim@else.test"] {
        common::backoffice::customer(&app, email, "Ida", "Gardener", "");
    }
    let wd = WebDriver::start();
    wd.emulate_viewport(1280, 900, false);
    wd.goto(&format!("{}/admin/login", app.base));
    wd.type_into("#login-email", "owner@shop.test");
    wd.type_into("#login-password", common::OWNER_PW);
    wd.click(&wd.find("form[action='/admin/login'] button[type=submit]"));
    wd.wait_for_path("/admin");

    // Filter, look, save.
    wd.click(&wd.find("nav a[href='/admin/target-groups']"));
    wd.wait_for_path("/admin/target-groups");
    shot_plain(&wd, "target-groups-empty");
    wd.goto(&format!("{}/admin/target-groups/new", app.base));
    wd.type_into("#f-domain", "garden.test");
    wd.click(&wd.find("form[action='/admin/target-groups/new'] button[type=submit]"));
    wd.wait_for_text("2 customers found");
    shot_plain(&wd, "target-group-filter");
    wd.type_into("#f-group_name", "Gardeners");
    wd.click(&wd.find("form[action='/admin/target-groups'] button[type=submit]"));
    wd.wait_for_text("The group is saved");
    assert!(wd.page_text().contains("Email domain: garden.test"));
    shot_plain(&wd, "target-group");

    // Issue vouchers: the run's page moves on its own when the job has done the work.
    wd.click(&wd.find(".cat-side a[href$='/vouchers']"));
    wd.wait_for_text("One voucher for each of the 2 members");
    wd.type_into("#f-value", "10");
    shot_plain(&wd, "voucher-run-new");
    wd.click(&wd.find("form[action$='/vouchers'] button[type=submit]"));
    wd.wait_for_text("The vouchers are being issued");
    assert_eq!(wd.text(&wd.find("[data-progress-field='issued']")), "0");
    let path = wd.current_path();
    cornershop::marketing::run_once(&app.db, &app.secret(), app.clock.now()).unwrap();
    wd.wait_for_text("Done");
    assert_eq!(wd.text(&wd.find("[data-progress-field='issued']")), "2");
    assert_eq!(wd.current_path(), path, "no navigation happened");
    assert_eq!(
        wd.property(&wd.find("progress.run-progress"), "value")
            .as_f64(),
        Some(2.0)
    );
    shot_plain(&wd, "voucher-run-done");
    wd.goto(&format!("{}/admin/target-groups", app.base));
    shot_plain(&wd, "target-groups");
}

#[test]
#[ignore = "needs chromium and chromedriver; .ci/run installs them and runs it"]
fn staff_write_a_campaign_preview_it_and_watch_it_being_sent_without_a_reload() {
    let app = TestApp::ready();
    for (email, first) in [
        ("ida@garden.test", "Ida"),
        ("jon@garden.test", "Jon"),
        ("kim@else.test", "Kim"),
    ] {
        common::backoffice::customer(&app, email, first, "Gardener", "");
    }
    let wd = WebDriver::start();
    wd.emulate_viewport(1280, 900, false);
    wd.goto(&format!("{}/admin/login", app.base));
    wd.type_into("#login-email", "owner@shop.test");
    wd.type_into("#login-password", common::OWNER_PW);
    wd.click(&wd.find("form[action='/admin/login'] button[type=submit]"));
    wd.wait_for_path("/admin");
    wd.goto(&format!("{}/admin/target-groups/new", app.base));
    wd.type_into("#f-domain", "garden.test");
    wd.click(&wd.find("form[action='/admin/target-groups/new'] button[type=submit]"));
    wd.wait_for_text("2 customers found");
    wd.type_into("#f-group_name", "Gardeners");
    wd.click(&wd.find("form[action='/admin/target-groups'] button[type=submit]"));
    wd.wait_for_text("The group is saved");

    // Write the draft from the nav.
    wd.click(&wd.find("nav a[href='/admin/campaigns']"));
    wd.wait_for_path("/admin/campaigns");
    shot_plain(&wd, "campaigns-empty");
    wd.click(&wd.find("a[href='/admin/campaigns/new']"));
    wd.wait_for("#f-group");
    let group: i64 = app.sql(|c| c.query_row("SELECT id FROM target_groups", [], |r| r.get(0)));
    wd.select("#f-group", &group.to_string());
    wd.type_into("#f-title", "Seeds for spring");
    wd.type_into(
        "#f-message",
        "The first seed potatoes are in.\n\nCome early: the blue ones go fast.",
    );
    wd.type_into("#f-link", "/");
    shot_plain(&wd, "campaign-new");
    wd.click(&wd.find("form[action='/admin/campaigns'] button[type=submit]"));
    wd.wait_for_text("saved as a draft");
    let ida: i64 = app.sql(|c| {
        c.query_row(
            "SELECT id FROM customers WHERE email = 'ida@garden.test'",
            [],
            |r| r.get(0),
        )
    });
    let frame = wd.find("iframe.mt-frame");
    assert!(
        wd.attribute(&frame, "src")
            .unwrap_or_default()
            .ends_with(&format!("/preview?member={ida}")),
        "the preview shows Ida's mail"
    );
    shot_plain(&wd, "campaign-draft");

    // A test to oneself, then the real thing, confirmed in the dialog.
    wd.click(&wd.find("form[action$='/test'] button[type=submit]"));
    wd.wait_for_text("A test with Ida Gardener's data is queued to owner@shop.test");
    wd.click(&wd.find("form[action$='/send'] button[type=submit]"));
    wd.accept_dialog();
    wd.wait_for_text("Sending to the group's 2 members");
    let path = wd.current_path();
    assert_eq!(wd.text(&wd.find("[data-progress-field='mailed']")), "0");

    // The jobs do the work; the page follows on its own.
    cornershop::marketing::run_once(&app.db, &app.secret(), app.clock.now()).unwrap();
    wd.wait_for_text("Sent");
    assert_eq!(wd.text(&wd.find("[data-progress-field='mailed']")), "2");
    app.run_mail_job();
    wd.wait_for_text("0 queued · 2 sent · 0 failed");
    let pill = wd.find("[data-progress-field='state_label']");
    assert_eq!(wd.text(&pill), "Sent");
    assert_eq!(
        wd.attribute(&pill, "class").as_deref(),
        Some("pill pill-active")
    );
    assert_eq!(wd.current_path(), path, "no navigation happened");
    shot_plain(&wd, "campaign-sent");
    wd.goto(&format!("{}/admin/campaigns", app.base));
    shot_plain(&wd, "campaigns");

    // Ida follows the link in her mail: one button, no login.
    let link: String = app.sql(|c| {
        c.query_row(
            "SELECT unsubscribe_url FROM mail_outbox WHERE to_address = 'ida@garden.test'",
            [],
            |r| r.get(0),
        )
    });
    wd.goto(&link);
    wd.wait_for_text("Unsubscribe?");
    shot_plain(&wd, "unsubscribe");
    wd.click(&wd.find(".narrow-page form button[type=submit]"));
    wd.wait_for_text("You are unsubscribed");
    shot_plain(&wd, "unsubscribed");
    assert_eq!(
        app.count("SELECT count(*) FROM customers WHERE marketing_opt_out_at IS NOT NULL"),
        1
    );
}
