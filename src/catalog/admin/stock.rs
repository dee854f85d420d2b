//! Stock adjustments with a reason ("+10 delivery from supplier", "-2 broken"): each one
//! a `stock_movements` row (`adjust`) and an audit entry; never below zero (refused with
//! the stock there is). The low-stock list is the product list's `low_stock=1` filter.

use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{post, routes, FromForm};

use super::product::{self, Errors};
use crate::error::{AppError, AppResult};
use crate::staff::perm::UpdateProducts;
use crate::staff::Can;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};

#[derive(FromForm)]
pub struct Adjust {
    #[field(default = String::new())]
    change: String,
    #[field(default = String::new())]
    reason: String,
}

/// Checks a typed adjustment: a whole number other than 0 (a leading + is fine) and a
/// reason of 1 to 200 characters.
pub fn check(change: &str, reason: &str) -> Result<(i64, String), Errors> {
    let mut errors = Errors::new();
    let t = change.trim();
    let n = t.strip_prefix('+').unwrap_or(t).parse::<i64>().ok();
    let delta = match n {
        Some(d) if d != 0 && d.abs() <= product::MAX_COUNT => d,
        _ => {
            errors.insert(
                "change",
                "Enter how many to add (like 10) or take away (like -2); not 0.".into(),
            );
            0
        }
    };
    let reason = reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(char::is_control) {
        errors.insert(
            "reason",
            "Say why, in up to 200 characters (like “delivery from supplier”).".into(),
        );
    }
    if errors.is_empty() {
        Ok((delta, reason))
    } else {
        Err(errors)
    }
}

#[post("/admin/products/<id>/stock", data = "<form>")]
async fn adjust(
    id: i64,
    form: CsrfForm<Adjust>,
    me: Can<UpdateProducts>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>> {
    let Adjust { change, reason } = form.0;
    let refused = |errors: Errors| {
        let staff = me.staff.clone();
        let shown = super::form::stock_form(&change, &reason, &errors);
        let page = &page;
        async move {
            super::form::stock_refused(page, &staff, cx.db, cx.tpl, id, shown)
                .await
                .map(Err)
        }
    };
    let (delta, why) = match check(&change, &reason) {
        Ok(v) => v,
        Err(errors) => return refused(errors).await,
    };
    let by = me.by(cx.clock);
    match cx
        .db
        .write(move |tx| product::adjust_stock(tx, id, delta, &why, &by))
        .await
    {
        Ok(now) => Ok(Ok(flash_redirect(
            format!("/admin/products/{id}#stock"),
            "success",
            format!("Stock changed by {delta:+}; now {now}."),
        ))),
        // Not enough in stock (or a change too big): said at the change field.
        Err(AppError::Conflict(m) | AppError::Invalid(m)) => {
            refused(Errors::from([("change", m)])).await
        }
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![adjust]
}
