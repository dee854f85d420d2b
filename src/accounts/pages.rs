//! What every account page shares: the storefront frame without the category bar.

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
