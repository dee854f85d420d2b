//! Customers in the back office (area `customers`): list, detail with figures, edit,
//! deactivate, resend verification, create; and the staff API's customer endpoints. The
//! tables belong to `accounts`; this folder calls its store and mails.

pub mod admin;
pub mod query;
pub mod staff_api;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = admin::routes();
    r.extend(staff_api::routes());
    r
}
