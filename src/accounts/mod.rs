//! Customer accounts (DESIGN §5): registration with CAPTCHA and email verification, login
//! with lock-out, password reset, the account area (profile, email, password, address
//! book, deletion) and the same on the API with bearer tokens. Customers are a table and a
//! login of their own, apart from staff.

pub mod addresses;
pub mod api;
pub mod calling_codes;
pub mod countries;
pub mod deliver_to;
pub mod guard;
pub mod login;
pub mod mails;
pub mod marketing;
pub mod pages;
pub mod profile;
pub mod register;
pub mod reset;
pub mod store;
pub mod tokens;
pub mod validate;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = Vec::new();
    r.extend(login::routes());
    r.extend(register::routes());
    r.extend(reset::routes());
    r.extend(profile::routes());
    r.extend(addresses::routes());
    r.extend(api::routes());
    r.extend(marketing::routes());
    r
}
