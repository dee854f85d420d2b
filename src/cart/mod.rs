//! The cart: guests' carts by cookie, customers' across devices, priced afresh on the
//! server every time (one pricing function for cart page, checkout and order alike).

pub mod api;
pub mod owner;
pub mod pages;
pub mod pricing;
pub mod shipping;
pub mod store;
pub mod view;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = pages::routes();
    r.extend(api::routes());
    r
}
