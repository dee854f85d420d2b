//! The jobs the shop runs: each feature's `run_once` with its interval, for the runner in
//! `jobs` (which knows no feature). A job's interval can be changed in settings
//! (`jobs.<name>.interval_seconds`, page "Jobs").

use std::time::Duration;

use crate::error::AppResult;
use crate::jobs::{Job, JobCtx};

pub const JOBS: &[Job] = &[
    Job {
        name: "mail_queue",
        every: Duration::from_secs(5),
        run: mail_queue,
    },
    Job {
        name: "orders_auto_advance",
        every: Duration::from_secs(30),
        run: orders_auto_advance,
    },
    Job {
        name: "cart_cleanup",
        every: Duration::from_secs(3600),
        run: cart_cleanup,
    },
    Job {
        name: "media_cleanup",
        every: Duration::from_secs(3600),
        run: media_cleanup,
    },
    Job {
        name: "promotions",
        every: Duration::from_secs(60),
        run: promotions,
    },
    Job {
        name: "marketing",
        every: Duration::from_secs(5),
        run: marketing,
    },
    Job {
        name: "audit_retention",
        every: Duration::from_secs(86_400),
        run: audit_retention,
    },
];

/// Audit entries older than `audit.retention_days` written to `exports/` and deleted.
fn audit_retention(ctx: &JobCtx) -> AppResult<Option<String>> {
    let days = ctx
        .db
        .read_blocking(|c| crate::settings::get_i64(c, "audit.retention_days"))?;
    let pruned = crate::audit::retention::run_once(
        &ctx.db,
        &ctx.data_dir.join("exports"),
        ctx.clock.now(),
        days,
    )?;
    Ok(pruned.map(|p| {
        format!(
            "{} audit entr{} older than {days} days moved to exports/{}",
            p.rows,
            if p.rows == 1 { "y" } else { "ies" },
            p.file.file_name().unwrap_or_default().to_string_lossy()
        )
    }))
}

/// Failed uploads deleted, media/products/ and product_images reconciled both ways
/// (see media::cleanup).
fn media_cleanup(ctx: &JobCtx) -> AppResult<Option<String>> {
    let s = crate::media::cleanup::run_once(&ctx.db, &ctx.data_dir, ctx.clock.now())?;
    Ok(s.words())
}

/// Promotions whose start or end passed show their new status (pricing never waits for it).
fn promotions(ctx: &JobCtx) -> AppResult<Option<String>> {
    let n = crate::marketing::promotions::run_once(&ctx.db, ctx.clock.now())?;
    Ok((n > 0).then(|| format!("{n} promotion(s) moved to their status now")))
}

/// Vouchers issued in bulk and campaigns sent to target groups, a batch per transaction
/// (resumable).
fn marketing(ctx: &JobCtx) -> AppResult<Option<String>> {
    crate::marketing::run_once(&ctx.db, &ctx.secret, ctx.clock.now())
}

/// Paid orders older than the delay move to processing.
fn orders_auto_advance(ctx: &JobCtx) -> AppResult<Option<String>> {
    let n = crate::orders::jobs::advance_paid(&ctx.db, ctx.clock.now())?;
    Ok((n > 0).then(|| format!("{n} paid order(s) moved to processing")))
}

/// Guest carts idle for 7 days are deleted.
fn cart_cleanup(ctx: &JobCtx) -> AppResult<Option<String>> {
    let now = ctx.clock.now();
    let carts = crate::orders::jobs::purge_carts(&ctx.db, now)?;
    let expired = ctx
        .db
        .write_blocking(|tx| crate::auth::purge::expired(tx, now))?;
    Ok((carts + expired > 0).then(|| {
        format!(
            "{carts} idle guest cart(s), {expired} expired session(s), token(s) or link(s) deleted"
        )
    }))
}

/// Sends what is due through the transport the settings choose now (outbox or SMTP).
fn mail_queue(ctx: &JobCtx) -> AppResult<Option<String>> {
    let transport = ctx
        .db
        .read_blocking(|c| crate::mail::transport::from_settings(c, &ctx.data_dir, &ctx.secret))?;
    let s = crate::mail::sender::run_once(&ctx.db, transport.as_ref(), ctx.clock.now())?;
    if s == Default::default() {
        return Ok(None);
    }
    Ok(Some(format!(
        "{} sent, {} to retry, {} failed",
        s.sent, s.retried, s.failed
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::db::Db;
    use crate::jobs::run_and_record;
    use crate::secret::Secret;

    #[test]
    fn the_mail_job_sends_to_the_outbox_and_its_run_is_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = JobCtx {
            db: Db::open(&dir.path().join("shop.db")).unwrap(),
            clock: Clock::default(),
            data_dir: dir.path().to_path_buf(),
            secret: std::sync::Arc::new(
                Secret::load_or_create(&dir.path().join("secret.key")).unwrap(),
            ),
        };
        let runs = || {
            ctx.db
                .read_blocking(|c| {
                    let mut s = c.prepare("SELECT outcome, summary FROM job_runs ORDER BY id")?;
                    let rows = s
                        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<Result<Vec<(String, String)>, _>>()?;
                    Ok(rows)
                })
                .unwrap()
        };
        let job = JOBS.iter().find(|j| j.name == "mail_queue").unwrap();
        run_and_record(job, &ctx).unwrap();
        assert!(
            runs().is_empty(),
            "a pass with nothing to do is not recorded"
        );
        ctx.db
            .write_blocking(|tx| {
                crate::mail::queue(
                    tx,
                    &crate::mail::NewMail {
                        template: "t",
                        to_address: "a@b.test",
                        to_name: "",
                        subject: "Hi",
                        text: "Hello",
                        html: "",
                    },
                    ctx.clock.now(),
                )
            })
            .unwrap();
        run_and_record(job, &ctx).unwrap();
        assert_eq!(
            runs(),
            [("ok".to_string(), "1 sent, 0 to retry, 0 failed".to_string())]
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("outbox"))
                .unwrap()
                .count(),
            1
        );
    }
}
