//! Staff: back-office accounts, their roles and per-interface permissions, login/logout,
//! and the request guards (`StaffUser`, `Can<P>`) that make a handler's signature say who
//! may call it.

pub mod api;
pub mod auth;
pub mod cli;
pub mod guard;
pub mod nav;
pub mod perm;
pub mod store;

pub use guard::{ApiCan, ApiStaff, Can, StaffUser};

pub fn routes() -> Vec<rocket::Route> {
    let mut r = auth::routes();
    r.extend(api::routes());
    r
}
