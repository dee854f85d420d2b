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

/// Works off the jobs `sql` lists (ids, in order) a batch per transaction: `batch` does
/// one and says how much it did, 0 when that job is finished. Stops after about `most`
/// (whole batches), as a shop killed between two transactions would. Voucher runs and
/// campaigns both go this way, so either resumes where it stopped.
pub fn in_batches(
    db: &crate::db::Db,
    sql: &str,
    most: usize,
    mut batch: impl FnMut(&rusqlite::Transaction<'_>, i64) -> crate::error::AppResult<usize>,
) -> crate::error::AppResult<usize> {
    let ids: Vec<i64> = db.read_blocking(|c| {
        let mut s = c.prepare_cached(sql)?;
        let ids = s.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    })?;
    let mut total = 0;
    for id in ids {
        loop {
            let n = db.write_blocking(|tx| batch(tx, id))?;
            total += n;
            if total >= most {
                return Ok(total);
            }
            if n == 0 {
                break;
            }
        }
    }
    Ok(total)
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
