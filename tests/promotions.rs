//! Promotions end to end: made through the back-office form, shown struck through with a
//! badge on the list, the product page, the cart and checkout, charged and recorded on the
//! order (which keeps them whatever happens later), moved by the status job, never stacked,
//! and used by the price sort and filters. Times come from the shop's clock, moved by the
//! tests; prices change at a promotion's start and end without any job or write.

mod common;

use common::accounts::Browser;
use common::products::login_owner;
use common::shop::{add, guest_order, GUEST_PICKUP};
use common::{add_category, add_product, Res, TestApp};
use cornershop::clock::{sql_time, to_shop_time};

/// Form fields as (name, value).
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// A shop-time form value `secs` from the shop's now (the offset is 0 unless set).
fn at(app: &TestApp, secs: i64) -> String {
    to_shop_time(
        &sql_time(app.clock.now() + time::Duration::seconds(secs)),
        0,
    )
}

/// Creates a promotion through the back-office form as the owner fills it.
fn create(app: &TestApp, fields: &[(&str, &str)]) -> Res {
    app.post_form("/admin/promotions/new", "/admin/promotions", fields)
}

fn promo_id(res: &Res) -> i64 {
    assert_eq!(res.status, 303, "{}", res.body);
    res.header("location")
        .unwrap()
        .trim_start_matches("/admin/promotions/")
        .parse()
        .unwrap()
}

/// A shop with tea (with a green subcategory), a mug outside it, and the owner logged in.
struct Shop {
    app: TestApp,
    sencha: i64,
    mug: i64,
}

fn shop() -> Shop {
    let app = TestApp::ready();
    let tea = add_category(&app, "tea", "Tea", None);
    let green = add_category(&app, "green", "Green tea", Some(tea));
    let sencha = add_product(&app, "Sencha", 1041, 20, Some(green), "active");
    let mug = add_product(&app, "Mug", 2000, 20, None, "active");
    login_owner(&app);
    Shop { app, sencha, mug }
}

fn tea_id(app: &TestApp) -> String {
    app.count("SELECT id FROM categories WHERE slug = 'tea'")
        .to_string()
}

#[test]
fn a_category_promotion_is_shown_charged_and_kept_by_the_order() {
    let s = shop();
    let app = &s.app;
    let tea = tea_id(app);
    let (start, end) = (at(app, -60), at(app, 86_400));
    let res = create(
        app,
        &[
            ("name", "Winter tea sale"),
            ("kind", "percent"),
            ("value", "20"),
            ("scope", "category"),
            ("category_id", &tea),
            ("starts_at", &start),
            ("ends_at", &end),
            ("banner", "Winter sale: 20 % off all tea"),
        ],
    );
    let id = promo_id(&res);
    let list = app.get("/admin/promotions");
    assert!(list.body.contains("Winter tea sale"), "{}", list.body);
    assert!(list.body.contains("Running"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE action = 'promotion.created' AND entity_id = '{id}'"
        )),
        1
    );

    // The subcategory's product: 10.41 less 20 % of it rounded half up (2.08) = 8.33.
    let home = Browser::new(app).get("/");
    assert!(
        home.body.contains("Winter sale: 20 % off all tea"),
        "banner"
    );
    assert!(home.body.contains("€8.33"), "{}", home.body);
    assert!(home.body.contains("−20 %"));
    assert!(home
        .body
        .contains("<s class=\"price-was\"><span class=\"visually-hidden\">Was </span>€10.41</s>"));
    let page = Browser::new(app).get("/products/sencha");
    assert!(page.body.contains("€8.33") && page.body.contains("€10.41"));
    // The mug is outside the category: its price stays.
    let mug = Browser::new(app).get("/products/mug");
    assert!(mug.body.contains("€20.00") && !mug.body.contains("−20 %"));

    // Three in the cart: 3 × 8.33 = 24.99 (the unit price shown times the quantity).
    let b = Browser::new(app);
    assert_eq!(add(&b, s.sencha, "3").status, 303);
    let cart = b.get("/cart");
    assert!(cart.body.contains("€24.99"), "{}", cart.body);
    assert!(cart.body.contains("€8.33 each"));
    let checkout = b.get("/checkout");
    assert!(checkout.body.contains("−20 %") && checkout.body.contains("€24.99"));
    let res = common::shop::checkout(&b, GUEST_PICKUP);
    assert_eq!(res.status, 303, "{}", res.body);

    let (unit, discount, total, promo, name): (i64, i64, i64, i64, String) = app.sql(|c| {
        c.query_row(
            "SELECT unit_price, discount, line_total, promotion_id, promotion FROM order_lines",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
    });
    assert_eq!((unit, discount, total), (1041, 3 * 208, 2499));
    assert_eq!((promo, name.as_str()), (id, "Winter tea sale"));
    assert_eq!(app.count("SELECT total FROM orders"), 2499);
    assert_eq!(app.count("SELECT discount FROM orders"), 624);
    let mail: String = app.sql(|c| {
        c.query_row(
            "SELECT text_body FROM mail_outbox WHERE template = 'order_placed'",
            [],
            |r| r.get(0),
        )
    });
    assert!(mail.contains("Winter tea sale −€6.24"), "{mail}");
    assert!(mail.contains("€24.99"));
    // The buyer's order page shows the promotion on its line.
    let order = b.get(res.header("location").unwrap());
    assert!(
        order.body.contains("Winter tea sale −€6.24"),
        "{}",
        order.body
    );

    // Whatever happens to the promotion, the order keeps what it was charged.
    let edit = app.post_form(
        &format!("/admin/promotions/{id}"),
        &format!("/admin/promotions/{id}"),
        &[("value", "50"), ("name", "Half off")],
    );
    assert_eq!(edit.status, 303, "{}", edit.body);
    assert!(Browser::new(app)
        .get("/products/sencha")
        .body
        .contains("€5.20"));
    assert_eq!(app.count("SELECT line_total FROM order_lines"), 2499);
    assert_eq!(app.count("SELECT total FROM orders"), 2499);
    // Deleting it archives it instead: orders name it.
    let gone = app.post_form(
        &format!("/admin/promotions/{id}"),
        &format!("/admin/promotions/{id}/delete"),
        &[],
    );
    assert_eq!(gone.status, 303);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM promotions WHERE id = {id} AND archived_at IS NOT NULL"
        )),
        1
    );
    assert!(Browser::new(app)
        .get("/products/sencha")
        .body
        .contains("€10.41"));
    assert!(!app.get("/admin/promotions").body.contains("Half off"));
    assert!(app
        .get("/admin/promotions?status=archived")
        .body
        .contains("Half off"));
}

#[test]
fn the_best_promotion_for_the_buyer_wins_and_nothing_stacks() {
    let s = shop();
    let app = &s.app;
    let (start, end) = (at(app, -60), at(app, 3600));
    let common = [("starts_at", start.as_str()), ("ends_at", end.as_str())];
    for (name, kind, value, scope, extra) in [
        ("Ten off everything", "percent", "10", "shop", None),
        (
            "Three euros off mugs",
            "amount",
            "3.00",
            "products",
            Some(("products", "SKU-MUG")),
        ),
    ] {
        let mut f = vec![
            ("name", name),
            ("kind", kind),
            ("value", value),
            ("scope", scope),
        ];
        f.extend(common);
        f.extend(extra);
        promo_id(&create(app, &f));
    }
    // Mug: 10 % is 2.00, 3.00 off is better → 17.00, never 15.00. Struck through is the
    // regular price, not an older "compare at" one, so badge and prices agree.
    app.sql(|c| {
        c.execute(
            "UPDATE products SET compare_at_price = 3000 WHERE sku = 'SKU-MUG'",
            [],
        )
    });
    let mug = Browser::new(app).get("/products/mug");
    assert!(mug.body.contains("Was </span>€20.00</s>") && !mug.body.contains("€30.00"));
    assert!(
        mug.body.contains("€17.00") && mug.body.contains("−€3.00"),
        "{}",
        mug.body
    );
    assert!(!mug.body.contains("€15.00"));
    // Sencha: only the shop-wide one reaches it → 10.41 − 1.04 = 9.37.
    assert!(Browser::new(app)
        .get("/products/sencha")
        .body
        .contains("€9.37"));
    let (id, _) = guest_order(app, s.mug, "2", GUEST_PICKUP);
    assert_eq!(
        app.count(&format!(
            "SELECT line_total FROM order_lines WHERE order_id = {id}"
        )),
        3400
    );
}

#[test]
fn prices_change_at_the_start_and_end_without_any_job_and_the_job_moves_the_status() {
    let s = shop();
    let app = &s.app;
    let (start, end) = (at(app, 3600), at(app, 7200));
    let id = promo_id(&create(
        app,
        &[
            ("name", "Mug hour"),
            ("kind", "amount"),
            ("value", "5"),
            ("scope", "products"),
            ("products", "sku-mug"),
            ("starts_at", &start),
            ("ends_at", &end),
        ],
    ));
    let price = |app: &TestApp| {
        Browser::new(app)
            .json("GET", &format!("/api/v1/products/{}", s.mug), None, None)
            .json()
    };
    assert_eq!(price(app)["price"], 2000, "not yet");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM promotions WHERE id = {id} AND status = 'scheduled'"
        )),
        1
    );
    let before = Browser::new(app).get("/products/mug").body;
    assert!(before.contains("€20.00"));

    // The start passes: cached pages and the API show the new price at once, no job ran.
    app.clock.advance(3601);
    let p = price(app);
    assert_eq!(p["price"], 1500);
    assert_eq!(p["compare_at_price"], 2000);
    assert_eq!(p["promotion"]["discount"], 500);
    assert_eq!(p["promotion"]["kind"], "amount");
    assert!(Browser::new(app)
        .get("/products/mug")
        .body
        .contains("€15.00"));
    // The status job catches up and audits the move.
    let job = cornershop::schedule::JOBS
        .iter()
        .find(|j| j.name == "promotions")
        .expect("a promotions job");
    let ctx = cornershop::jobs::JobCtx {
        db: app.db.clone(),
        clock: app.clock.clone(),
        data_dir: app.data_dir(),
        secret: std::sync::Arc::new(app.secret()),
    };
    cornershop::jobs::run_and_record(job, &ctx).unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM promotions WHERE id = {id} AND status = 'active'"
        )),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'promotion.status' AND actor_kind = 'system'"),
        1
    );
    // The end passes: back to the regular price.
    app.clock.advance(3600);
    assert_eq!(price(app)["price"], 2000);
    assert!(price(app)["promotion"].is_null());
    assert!(Browser::new(app)
        .get("/products/mug")
        .body
        .contains("€20.00"));
    cornershop::jobs::run_and_record(job, &ctx).unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM promotions WHERE id = {id} AND status = 'ended'"
        )),
        1
    );
}

#[test]
fn the_price_sort_and_filters_use_the_price_the_buyer_pays() {
    let s = shop();
    let app = &s.app;
    let (start, end) = (at(app, -60), at(app, 3600));
    promo_id(&create(
        app,
        &[
            ("name", "Mugs at half"),
            ("kind", "percent"),
            ("value", "60"),
            ("scope", "products"),
            ("products", "SKU-MUG"),
            ("starts_at", &start),
            ("ends_at", &end),
        ],
    ));
    // Mug 20.00 → 8.00, now below sencha's 10.41.
    let page = Browser::new(app)
        .json("GET", "/api/v1/products?sort=price_asc", None, None)
        .json();
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Mug", "Sencha"]);
    let cheap = Browser::new(app)
        .json("GET", "/api/v1/products?max_price=900", None, None)
        .json();
    assert_eq!(cheap["total"], 1, "{cheap}");
    assert_eq!(cheap["items"][0]["name"], "Mug");
    // And the lower bound: the mug's 20.00 list price no longer clears 9.00.
    let dear = Browser::new(app)
        .json(
            "GET",
            "/api/v1/products?min_price=900&sort=price_desc",
            None,
            None,
        )
        .json();
    assert_eq!(dear["total"], 1, "{dear}");
    assert_eq!(dear["items"][0]["name"], "Sencha");
    assert_eq!(dear["items"][0]["price"], 1041);
    let listing = Browser::new(app).get("/?sort=price_desc");
    let (sencha_at, mug_at) = (
        listing.body.find("Sencha").unwrap(),
        listing.body.find(">Mug<").unwrap(),
    );
    assert!(sencha_at < mug_at, "the dearer first");
}

#[test]
fn bad_input_is_refused_with_its_reason_and_saves_nothing() {
    let s = shop();
    let app = &s.app;
    let (start, end) = (at(app, 60), at(app, 3600));
    let cases: Vec<(Fields, &str, &str)> = vec![
        (
            vec![("value", "0")],
            "value",
            "A percent off is a whole number from 1 to 100.",
        ),
        (
            vec![("value", "101")],
            "value",
            "A percent off is a whole number from 1 to 100.",
        ),
        (
            vec![("kind", "amount"), ("value", "-2")],
            "value",
            "is not an amount",
        ),
        (
            vec![("ends_at", start.as_str())],
            "ends_at",
            "It must end after it starts.",
        ),
        (vec![("name", "")], "name", "Give the promotion a name."),
        (
            vec![("scope", "products"), ("products", "SKU-MUG, NOPE-1")],
            "products",
            "No product has the SKU NOPE-1.",
        ),
        (
            vec![("scope", "category")],
            "category_id",
            "Choose a category from the list.",
        ),
        (
            vec![("starts_at", "")],
            "starts_at",
            "Give the day and time it starts.",
        ),
    ];
    for (changes, field, message) in cases {
        let mut f = vec![
            ("name", "Sale"),
            ("kind", "percent"),
            ("value", "10"),
            ("scope", "shop"),
            ("starts_at", start.as_str()),
            ("ends_at", end.as_str()),
        ];
        for (k, v) in &changes {
            f.retain(|(n, _)| n != k);
            f.push((k, v));
        }
        let res = create(app, &f);
        assert_eq!(res.status, 422, "{changes:?}: {}", res.status);
        let body = common::html_unescape(&res.body);
        assert!(body.contains(message), "{changes:?}: no {message:?}");
        assert!(
            body.contains(&format!("id=\"f-{field}-error\"")),
            "{changes:?}: not at {field}"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM promotions"), 0);

    // An amount at or above a price is allowed, with a warning.
    let res = create(
        app,
        &[
            ("name", "Free mugs"),
            ("kind", "amount"),
            ("value", "25"),
            ("scope", "shop"),
            ("starts_at", &start),
            ("ends_at", &end),
        ],
    );
    let id = promo_id(&res);
    let page = app.get(&format!("/admin/promotions/{id}"));
    assert!(
        common::html_unescape(&page.body)
            .contains("€25.00 off is at least the price of 2 products it is for"),
        "{}",
        page.body
    );
}

#[test]
fn an_unused_promotion_is_deleted_and_a_switched_off_one_stops_at_once() {
    let s = shop();
    let app = &s.app;
    let (start, end) = (at(app, -60), at(app, 3600));
    let id = promo_id(&create(
        app,
        &[
            ("name", "Flash"),
            ("kind", "percent"),
            ("value", "50"),
            ("scope", "shop"),
            ("starts_at", &start),
            ("ends_at", &end),
        ],
    ));
    assert!(Browser::new(app)
        .get("/products/mug")
        .body
        .contains("€10.00"));
    let off = app.post_form(
        &format!("/admin/promotions/{id}"),
        &format!("/admin/promotions/{id}/disable"),
        &[],
    );
    assert_eq!(off.status, 303);
    assert!(Browser::new(app)
        .get("/products/mug")
        .body
        .contains("€20.00"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM promotions WHERE id = {id} AND status = 'disabled'"
        )),
        1
    );
    let gone = app.post_form(
        &format!("/admin/promotions/{id}"),
        &format!("/admin/promotions/{id}/delete"),
        &[],
    );
    assert_eq!(gone.status, 303);
    assert_eq!(app.count("SELECT count(*) FROM promotions"), 0);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'promotion.deleted'"),
        1
    );
}

#[test]
fn the_staff_api_creates_changes_lists_and_deletes_promotions_with_the_same_checks() {
    let s = shop();
    let app = &s.app;
    let owner = common::products::api_token(app, "Owner");
    let api = |method: &str, path: &str, body: Option<serde_json::Value>, token: &str| {
        common::products::api(app, method, path, body, Some(token))
    };
    let start = sql_time(app.clock.now() - time::Duration::seconds(60));
    let end = sql_time(app.clock.now() + time::Duration::days(2));
    let res = api(
        "POST",
        "/api/v1/admin/promotions",
        Some(serde_json::json!({
            "name": "Mug deal", "kind": "amount", "value": 250, "scope": "products",
            "product_ids": [s.mug], "starts_at": start, "ends_at": end,
        })),
        &owner,
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let p = res.json();
    let id = p["id"].as_i64().unwrap();
    assert_eq!(
        (p["value"].as_i64(), p["status"].as_str()),
        (Some(250), Some("active"))
    );
    assert_eq!(p["product_ids"], serde_json::json!([s.mug]));
    assert_eq!(
        p["starts_at"],
        start[..17].to_string() + "00Z",
        "kept to the minute"
    );
    // The catalogue API shows it at once.
    let mug = common::products::api(
        app,
        "GET",
        &format!("/api/v1/products/{}", s.mug),
        None,
        None,
    )
    .json();
    assert_eq!(mug["price"], 1750);

    // The form's checks, with the API's field names.
    for (body, field) in [
        (
            serde_json::json!({ "kind": "percent", "value": 150 }),
            "value",
        ),
        (
            serde_json::json!({ "product_ids": [999_999] }),
            "product_ids",
        ),
        (serde_json::json!({ "product_ids": [] }), "product_ids"),
        (serde_json::json!({ "ends_at": "tomorrow" }), "ends_at"),
        (serde_json::json!({ "ends_at": start }), "ends_at"),
    ] {
        let res = api(
            "PUT",
            &format!("/api/v1/admin/promotions/{id}"),
            Some(body.clone()),
            &owner,
        );
        assert_eq!(res.status, 422, "{body}: {}", res.body);
        assert!(
            res.json()["error"]["fields"][field].is_string(),
            "{body}: {}",
            res.body
        );
    }
    let res = api(
        "PUT",
        &format!("/api/v1/admin/promotions/{id}"),
        Some(serde_json::json!({ "value": 500 })),
        &owner,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(
        res.json()["name"],
        "Mug deal",
        "absent fields keep their value"
    );
    let list = api(
        "GET",
        "/api/v1/admin/promotions?status=active",
        None,
        &owner,
    )
    .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(
        api("GET", "/api/v1/admin/promotions?status=nope", None, &owner).status,
        400
    );

    // A viewer reads, and may not change.
    let viewer = common::products::api_token(app, "Viewer");
    assert_eq!(
        api(
            "GET",
            &format!("/api/v1/admin/promotions/{id}"),
            None,
            &viewer
        )
        .status,
        200
    );
    assert_eq!(
        api(
            "DELETE",
            &format!("/api/v1/admin/promotions/{id}"),
            None,
            &viewer
        )
        .status,
        403
    );
    // Used by an order, it is archived rather than deleted.
    guest_order(app, s.mug, "1", GUEST_PICKUP);
    let res = api(
        "DELETE",
        &format!("/api/v1/admin/promotions/{id}"),
        None,
        &owner,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.json()["archived_at"].is_string());
    let mug = common::products::api(
        app,
        "GET",
        &format!("/api/v1/products/{}", s.mug),
        None,
        None,
    )
    .json();
    assert_eq!(mug["price"], 2000);
    // Unused, it is gone.
    let res = api(
        "POST",
        "/api/v1/admin/promotions",
        Some(serde_json::json!({
            "name": "Short", "kind": "percent", "value": 5, "scope": "shop",
            "starts_at": start, "ends_at": end,
        })),
        &owner,
    );
    let other = res.json()["id"].as_i64().unwrap();
    assert_eq!(
        api(
            "DELETE",
            &format!("/api/v1/admin/promotions/{other}"),
            None,
            &owner
        )
        .status,
        204
    );
    assert_eq!(
        api(
            "GET",
            &format!("/api/v1/admin/promotions/{other}"),
            None,
            &owner
        )
        .status,
        404
    );
}
