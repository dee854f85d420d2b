//! Target groups (area `target_groups`): customers found by what they have in common,
//! saved with the members found at that moment and refreshed from their filter on
//! demand. `filter` is the form, its checks and its SQL; `store` the groups' SQL; `pages`
//! the back office (with the CSV export); `staff_api` the same for API clients. Vouchers
//! (`vouchers::bulk`) and campaigns go to a group's members.

pub mod filter;
pub mod pages;
pub mod staff_api;
pub mod store;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = pages::routes();
    r.extend(staff_api::routes());
    r
}
