//! Helpers for cart and order tests: add to a cart, check out through the real forms.

use super::accounts::Browser;
use super::{Res, TestApp};

/// Adds `qty` of a product to this browser's cart with the product page's form, as a
/// shopper does. A product the shop does not show (a draft, sold out) has no such form:
/// then the same request is made by hand, to test that the shop refuses it.
pub fn add(b: &Browser, product: i64, qty: &str) -> Res {
    let p = b.json("GET", &format!("/api/v1/products/{product}"), None, None);
    let page =
        (p.status == 200).then(|| format!("/products/{}", p.json()["slug"].as_str().unwrap_or("")));
    match page {
        Some(page) if b.get(&page).body.contains("action=\"/cart/add\"") => {
            b.post_form(&page, "/cart/add", &[("quantity", qty)])
        }
        _ => b.post_csrf(
            "/account/forgot",
            "/cart/add",
            &[
                ("product_id", &product.to_string()),
                ("quantity", qty),
                ("back", "/cart"),
            ],
        ),
    }
}

/// Shows the checkout and confirms it with `fields` and the page's idempotency key.
pub fn checkout(b: &Browser, fields: &[(&str, &str)]) -> Res {
    let page = b.get("/checkout");
    assert_eq!(page.status, 200, "{}", page.body);
    let key = page
        .input_value("idempotency_key")
        .expect("a key on the form");
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("idempotency_key", &key));
    b.submit(&page, "/checkout", &all)
}

pub const GUEST_PICKUP: &[(&str, &str)] = &[
    ("email", "guest@tea.test"),
    ("shipping_method", "pickup"),
    ("payment_method", "bank_transfer"),
];

/// A guest's order of `qty` units; returns (order id, the guest's order page path).
pub fn guest_order(
    app: &TestApp,
    product: i64,
    qty: &str,
    fields: &[(&str, &str)],
) -> (i64, String) {
    let b = Browser::new(app);
    assert_eq!(add(&b, product, qty).status, 303);
    let res = checkout(&b, fields);
    assert_eq!(res.status, 303, "{}", res.body);
    let to = res.header("location").unwrap().to_string();
    let id = to
        .trim_start_matches("/orders/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (id, to)
}

pub fn stock(app: &TestApp, id: i64) -> i64 {
    app.count(&format!("SELECT stock FROM products WHERE id = {id}"))
}
