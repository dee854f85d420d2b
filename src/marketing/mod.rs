//! Marketing: promotions, vouchers and target groups; campaigns build on them. The
//! feature owns its SQL, pages and jobs; pricing (`cart::pricing`) and the catalogue ask it
//! what runs.

pub mod groups;
pub mod promotions;
pub mod vouchers;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = promotions::routes();
    r.extend(vouchers::routes());
    r.extend(groups::routes());
    r
}

/// One pass of the marketing job: vouchers issued in bulk (and their mails queued).
pub fn run_once(
    db: &crate::db::Db,
    now: time::OffsetDateTime,
) -> crate::error::AppResult<Option<String>> {
    let issued = vouchers::bulk::run_once(db, now)?;
    Ok((issued > 0).then(|| format!("{issued} voucher(s) issued to target groups")))
}
