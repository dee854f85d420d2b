//! Staff: back-office accounts, their roles and per-interface permissions, login/logout,
//! and the request guards (`StaffUser`, `Can<P>`) that make a handler's signature say who
//! may call it. Also the back-office pages for roles and staff, the set-password links
//! staff are invited with, and two-factor login (TOTP).

pub mod account_two_factor;
pub mod auth;
pub mod cli;
pub mod directory;
pub mod guard;
pub mod invite;
pub mod member_actions;
pub mod nav;
pub mod perm;
pub mod roles_admin;
pub mod roles_store;
pub mod second_step;
pub mod set_password;
pub mod staff_admin;
pub mod staff_api;
pub mod store;
pub mod totp;
pub mod two_factor;

pub use guard::{ApiCan, ApiStaff, By, Can, StaffUser};

pub fn routes() -> Vec<rocket::Route> {
    let mut r = auth::routes();
    r.extend(staff_api::routes());
    r.extend(second_step::routes());
    r.extend(account_two_factor::routes());
    r.extend(roles_admin::routes());
    r.extend(staff_admin::routes());
    r.extend(member_actions::routes());
    r.extend(set_password::routes());
    r
}
