//! Marketing: promotions, vouchers, target groups and the campaigns mailed to them. The
//! feature owns its SQL, pages and jobs; pricing (`cart::pricing`) and the catalogue ask it
//! what runs.

pub mod campaigns;
pub mod groups;
pub mod promotions;
pub mod vouchers;

/// The shop's currency and offset from UTC, which every marketing page shows money and
/// days with.
pub fn shop(
    c: &rusqlite::Connection,
) -> crate::error::AppResult<(&'static crate::money::Currency, i64)> {
    Ok((
        crate::settings::currency(c)?,
        crate::settings::get_i64(c, "shop.utc_offset_minutes")?,
    ))
}

/// Who a change is by, as marketing rows keep it: the staff member's email.
pub fn who(by: &crate::staff::By) -> String {
    match &by.actor {
        crate::audit::Actor::Staff { label, .. } => label.clone(),
        _ => format!("staff:{}", by.staff_id),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    let mut r = promotions::routes();
    r.extend(vouchers::routes());
    r.extend(groups::routes());
    r.extend(campaigns::routes());
    r
}

/// One pass of the marketing job: vouchers issued in bulk and campaigns sent (their mails
/// queued).
pub fn run_once(
    db: &crate::db::Db,
    secret: &crate::secret::Secret,
    now: time::OffsetDateTime,
) -> crate::error::AppResult<Option<String>> {
    let issued = vouchers::bulk::run_once(db, now)?;
    let mailed = campaigns::send::run_once(db, secret, now)?;
    let mut done = Vec::new();
    if issued > 0 {
        done.push(format!("{issued} voucher(s) issued to target groups"));
    }
    if mailed > 0 {
        done.push(format!("{mailed} campaign recipient(s) handled"));
    }
    Ok((!done.is_empty()).then(|| done.join(", ")))
}
