//! The catalogue: categories, products and their images as the shop shows them, with
//! full-text search, filters, sorting and paging, on the storefront and in the JSON API.

pub mod admin;
pub mod api;
pub mod cache;
pub mod model;
pub mod query;
pub mod shop;
pub mod stock;
pub mod store;
pub mod tree;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = shop::routes();
    r.extend(api::routes());
    r.extend(admin::routes());
    r
}
