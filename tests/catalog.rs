//! The storefront catalogue: filters, sorting, paging and search return the right
//! products; drafts and archived products never show; hostile input never breaks a page.

mod common;
use common::{add_category, add_product, TestApp};

/// A small known shop: Kitchen > Mugs, Kitchen > Knives, Garden.
struct Shop {
    app: TestApp,
}

fn shop() -> Shop {
    let app = TestApp::ready();
    let kitchen = add_category(&app, "kitchen", "Kitchen", None);
    let mugs = add_category(&app, "mugs", "Mugs", Some(kitchen));
    let knives = add_category(&app, "knives", "Knives", Some(kitchen));
    let garden = add_category(&app, "garden", "Garden", None);
    add_product(&app, "Blue Mug", 1200, 10, Some(mugs), "active");
    add_product(&app, "Red Mug", 900, 0, Some(mugs), "active");
    add_product(&app, "Chef Knife", 4500, 2, Some(knives), "active");
    add_product(&app, "Kitchen Scale", 2500, 30, Some(kitchen), "active");
    add_product(&app, "Garden Hose", 3000, 5, Some(garden), "active");
    add_product(&app, "Secret Mug", 100, 50, Some(mugs), "draft");
    add_product(&app, "Old Mug", 100, 50, Some(mugs), "archived");
    app.sql(|c| {
        c.execute_batch(
            "UPDATE products SET sold_count = 50 WHERE name = 'Garden Hose';
             UPDATE products SET sold_count = 40 WHERE name = 'Red Mug';
             UPDATE products SET created_at = '2026-01-0' || id || 'T10:00:00Z';",
        )
    });
    Shop { app }
}

/// Product names on a catalogue page, in order.
fn names(html: &str) -> Vec<String> {
    html.split("class=\"product-name\"")
        .skip(1)
        .filter_map(|s| {
            let inner = &s[s.find('>')? + 1..s.find("</h2>")?];
            // Drop the tags around the name (a link), keep the text.
            let mut text = String::new();
            let mut in_tag = false;
            for ch in inner.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            Some(common::html_unescape(text.trim()))
        })
        .collect()
}

#[test]
fn the_home_page_lists_active_products_newest_first() {
    let s = shop();
    let res = s.app.get("/");
    assert_eq!(res.status, 200);
    assert_eq!(
        names(&res.body),
        [
            "Garden Hose",
            "Kitchen Scale",
            "Chef Knife",
            "Red Mug",
            "Blue Mug"
        ]
    );
    assert!(res.body.contains("Showing 1–5 of 5 products"));
}

#[test]
fn drafts_and_archived_products_never_show() {
    let s = shop();
    for path in ["/", "/categories/mugs", "/search?q=mug", "/?per_page=100"] {
        let body = s.app.get(path).body;
        assert!(
            !body.contains("Secret Mug") && !body.contains("Old Mug"),
            "{path}"
        );
    }
    assert_eq!(s.app.get("/products/secret-mug").status, 404);
    assert_eq!(s.app.get("/products/old-mug").status, 404);
    assert_eq!(s.app.get("/products/blue-mug").status, 200);
}

#[test]
fn a_category_includes_its_subcategories() {
    let s = shop();
    let mut kitchen = names(&s.app.get("/categories/kitchen").body);
    kitchen.sort();
    assert_eq!(
        kitchen,
        ["Blue Mug", "Chef Knife", "Kitchen Scale", "Red Mug"]
    );
    let mut mugs = names(&s.app.get("/categories/mugs").body);
    mugs.sort();
    assert_eq!(mugs, ["Blue Mug", "Red Mug"]);
    assert_eq!(s.app.get("/categories/nope").status, 404);
}

#[test]
fn filters_and_sorts_combine() {
    let s = shop();
    let cases: [(&str, &[&str]); 8] = [
        (
            "/?sort=price_asc",
            &[
                "Red Mug",
                "Blue Mug",
                "Kitchen Scale",
                "Garden Hose",
                "Chef Knife",
            ],
        ),
        (
            "/?sort=price_desc&in_stock=1",
            &["Chef Knife", "Garden Hose", "Kitchen Scale", "Blue Mug"],
        ),
        (
            "/?sort=name",
            &[
                "Blue Mug",
                "Chef Knife",
                "Garden Hose",
                "Kitchen Scale",
                "Red Mug",
            ],
        ),
        (
            "/?sort=best_selling",
            &[
                "Garden Hose",
                "Red Mug",
                "Blue Mug",
                "Chef Knife",
                "Kitchen Scale",
            ],
        ),
        (
            "/?min_price=1000&max_price=3000&sort=price_asc",
            &["Blue Mug", "Kitchen Scale", "Garden Hose"],
        ),
        (
            "/?min=10&max=30&sort=price_asc",
            &["Blue Mug", "Kitchen Scale", "Garden Hose"],
        ),
        (
            "/?category=kitchen&in_stock=1&sort=name",
            &["Blue Mug", "Chef Knife", "Kitchen Scale"],
        ),
        ("/categories/mugs?sort=price_desc", &["Blue Mug", "Red Mug"]),
    ];
    for (path, want) in cases {
        let res = s.app.get(path);
        assert_eq!(res.status, 200, "{path}: {}", res.body);
        assert_eq!(names(&res.body), want, "{path}");
    }
}

#[test]
fn paging_keeps_the_filters_in_the_links() {
    let s = shop();
    let res = s.app.get("/?sort=price_asc&per_page=2&page=2");
    assert_eq!(names(&res.body), ["Kitchen Scale", "Garden Hose"]);
    assert!(res.body.contains("Showing 3–4 of 5 products"));
    assert!(
        res.body
            .contains("href=\"/?sort=price_asc&amp;per_page=2&amp;page=3\""),
        "next link keeps sort and size"
    );
    assert!(
        res.body
            .contains("href=\"/?sort=price_asc&amp;per_page=2\""),
        "page 1 link has no page number"
    );

    let past = s.app.get("/?per_page=2&page=40");
    assert_eq!(past.status, 200);
    assert!(names(&past.body).is_empty());
    assert!(past
        .body
        .contains("past the end of the results: there are only 3 pages"));
}

#[test]
fn search_finds_words_in_names_descriptions_and_skus_by_prefix() {
    let s = shop();
    let mut found = names(&s.app.get("/search?q=mug").body);
    found.sort();
    assert_eq!(found, ["Blue Mug", "Red Mug"]);
    assert_eq!(
        names(&s.app.get("/search?q=kni").body),
        ["Chef Knife"],
        "prefix match"
    );
    assert_eq!(
        names(&s.app.get("/search?q=SKU-GARDEN-HOSE").body),
        ["Garden Hose"],
        "by SKU"
    );
    assert_eq!(
        names(&s.app.get("/search?q=fine+scale").body),
        ["Kitchen Scale"],
        "description words"
    );
    assert_eq!(
        names(&s.app.get("/search?q=mug&in_stock=1").body),
        ["Blue Mug"],
        "search with filters"
    );

    // Search text follows a change to a product (the FTS triggers).
    s.app.sql(|c| c.execute("UPDATE products SET name = 'Azure Cup', description = 'A fine cup.', sku = 'CUP-1' WHERE name = 'Blue Mug'", []));
    assert_eq!(names(&s.app.get("/search?q=azure").body), ["Azure Cup"]);
    assert!(names(&s.app.get("/search?q=blue").body).is_empty());
}

#[test]
fn hostile_search_strings_give_a_normal_page() {
    let s = shop();
    for q in [
        "%22",
        "*",
        "NEAR(",
        "%22unbalanced",
        "mug%22%20OR%20%22",
        "a%20AND%20OR%20NOT",
        "%E2%80%AE",
        "%FF%FE",
        "-",
        "%5E*%28%29",
        "mug)(",
        "';DROP%20TABLE%20products;--",
    ] {
        let res = s.app.get(&format!("/search?q={q}"));
        assert_eq!(res.status, 200, "q={q}: {}", res.body);
    }
    assert_eq!(s.app.count("SELECT count(*) FROM products"), 7);
    let long = "x".repeat(201);
    let res = s.app.get(&format!("/search?q={long}"));
    assert_eq!(res.status, 400);
    assert!(res.body.contains("at most 200 characters"));
}

#[test]
fn bad_filter_values_get_a_clear_400() {
    let s = shop();
    for (query, message) in [
        ("sort=cheapest", "sort must be one of"),
        ("page=-1", "page must be a whole number from 1 to 10000"),
        ("page=abc", "page must be a whole number"),
        ("page=99999999999999999999", "page must be a whole number"),
        (
            "per_page=1000",
            "per_page must be a whole number from 1 to 100",
        ),
        ("min_price=-5", "min_price must be"),
        ("min=abc", "Min price"),
        ("min_price=500&max_price=100", "higher than the maximum"),
        ("in_stock=perhaps", "in_stock must be true or false"),
    ] {
        let res = s.app.get(&format!("/?{query}"));
        assert_eq!(res.status, 400, "{query}");
        assert!(res.body.contains(message), "{query}: {}", res.body);
    }
}

#[test]
fn the_product_page_shows_price_stock_gallery_and_breadcrumbs() {
    let s = shop();
    let knife: i64 = s.app.sql(|c| {
        c.query_row(
            "SELECT id FROM products WHERE name = 'Chef Knife'",
            [],
            |r| r.get(0),
        )
    });
    s.app.sql(|c| {
        c.execute_batch(&format!(
            "INSERT INTO product_images (product_id, path, status, position) VALUES
               ({knife}, 'products/a.png', 'ready', 0), ({knife}, 'products/b.png', 'ready', 1),
               ({knife}, 'products/c.png', 'failed', 2)"
        ))
    });
    let res = s.app.get("/products/chef-knife");
    assert_eq!(res.status, 200);
    assert!(res.body.contains("€45.00"));
    assert!(res.body.contains("Only 2 left"));
    assert!(res.body.contains("/media/products/a.png"));
    assert!(res.body.contains("/media/products/b.png"));
    assert!(
        !res.body.contains("/media/products/c.png"),
        "failed images are not shown"
    );
    let crumbs = res.body.find("Breadcrumb").expect("breadcrumbs");
    let trail = &res.body[crumbs..];
    let (k, kn) = (
        trail.find(">Kitchen<").unwrap(),
        trail.find(">Knives<").unwrap(),
    );
    assert!(k < kn, "Kitchen comes before Knives");

    let second = s.app.get("/products/chef-knife?image=1");
    let main = second.body.find("products/b.png").unwrap();
    assert!(
        main < second.body.find("products/a.png").unwrap(),
        "the chosen image is the big one"
    );

    assert!(s.app.get("/products/red-mug").body.contains("Out of stock"));
    assert!(s
        .app
        .get("/products/garden-hose")
        .body
        .contains("Only 5 left"));
    assert!(s
        .app
        .get("/products/kitchen-scale")
        .body
        .contains("In stock"));
}

#[test]
fn names_and_descriptions_are_escaped() {
    let app = TestApp::ready();
    add_product(&app, "<img src=x onerror=alert(1)>", 100, 1, None, "active");
    let body = app.get("/").body;
    assert!(body.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!body.contains("<img src=x"));
}

#[test]
fn cached_pages_change_as_soon_as_the_shop_changes_a_product() {
    let s = shop();
    assert!(s.app.get("/").body.contains("Blue Mug"));
    assert_eq!(s.app.get("/products/blue-mug").status, 200);
    assert!(s.app.get("/api/v1/products").body.contains("Blue Mug"));
    s.app
        .db
        .write_blocking(|tx| {
            tx.execute(
                "UPDATE products SET status = 'archived' WHERE name = 'Blue Mug'",
                [],
            )?;
            Ok(())
        })
        .unwrap();
    assert!(!s.app.get("/").body.contains("Blue Mug"));
    assert_eq!(s.app.get("/products/blue-mug").status, 404);
    assert!(!s.app.get("/api/v1/products").body.contains("Blue Mug"));
}

#[test]
fn a_category_given_as_a_parameter_stays_in_every_link_and_form() {
    let s = shop();
    let res = s
        .app
        .get("/search?q=mug&category=mugs&per_page=1&sort=price_asc");
    assert_eq!(names(&res.body), ["Red Mug"]);
    assert!(
        res.body.contains(
            "href=\"/search?q=mug&amp;category=mugs&amp;sort=price_asc&amp;per_page=1&amp;page=2\""
        ),
        "next page keeps the category"
    );
    assert!(
        res.body
            .contains("<input type=\"hidden\" name=\"category\" value=\"mugs\">"),
        "the filter form keeps it"
    );
    let second = s
        .app
        .get("/search?q=mug&category=mugs&per_page=1&sort=price_asc&page=2");
    assert_eq!(names(&second.body), ["Blue Mug"]);
}
