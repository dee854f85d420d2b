//! Orders (DESIGN §4): placing one from a priced cart in one transaction, the status
//! workflow the database enforces, the customer's order pages and API.

pub mod access;
pub mod admin;
pub mod api;
pub mod cancel;
pub mod checkout;
pub mod compose;
pub mod draft;
pub mod jobs;
pub mod mails;
pub mod moves;
pub mod pages;
pub mod place;
pub mod query;
pub mod staff_api;
pub mod stats;
pub mod status;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = checkout::routes();
    r.extend(pages::routes());
    r.extend(api::routes());
    r.extend(admin::routes());
    r.extend(compose::routes());
    r.extend(staff_api::routes());
    r
}
