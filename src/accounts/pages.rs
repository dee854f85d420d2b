//! What every account page shares: the storefront frame without the category bar, and
//! the country lists for phone and address fields.

use serde_json::{json, Value};

use super::calling_codes::CallingCode;
use super::guard::CustomerUser;
use crate::web::page::Page;

/// The storefront base context for account pages.
pub fn account_context(page: &Page) -> tera::Context {
    let mut ctx = page.context();
    ctx.insert("nav", &Vec::<()>::new());
    ctx.insert("q", "");
    ctx.insert("account_url", "/account");
    ctx
}

/// The context of a page in the logged-in account area, with its side-nav `section`.
pub fn member_context(page: &Page, me: &CustomerUser, section: &str) -> tera::Context {
    let mut ctx = account_context(page);
    ctx.insert("me", &me.customer);
    ctx.insert("section", section);
    ctx
}

/// Every country for a drop-down, "Bulgaria (+359)", with `selected` (an ISO code).
pub fn phone_countries(selected: &str) -> Vec<Value> {
    CallingCode::all()
        .iter()
        .map(|c| {
            json!({
                "value": c.iso2,
                "label": format!("{} ({})", c.name, c.code),
                "selected": c.iso2.eq_ignore_ascii_case(selected),
            })
        })
        .collect()
}

/// Every country for an address, by name.
pub fn address_countries(selected: &str) -> Vec<Value> {
    CallingCode::all()
        .iter()
        .map(|c| json!({ "value": c.iso2, "label": c.name, "selected": c.iso2.eq_ignore_ascii_case(selected) }))
        .collect()
}

/// A country's name for showing an address.
pub fn country_name(iso2: &str) -> &'static str {
    CallingCode::find(iso2).map(|c| c.name).unwrap_or("")
}
