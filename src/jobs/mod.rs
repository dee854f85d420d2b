//! Background jobs (DESIGN §7): tokio tasks started at lift-off. Each job is a plain
//! `run_once` function plus an interval; the loop waits on the interval or on shutdown,
//! runs the job on a blocking thread and records the run in `job_runs`. Tests leave the
//! loops off (`Options::run_jobs`) and call `run_once` themselves.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rocket::tokio;
use rusqlite::params;

use crate::clock::{sql_time, Clock};
use crate::db::Db;
use crate::error::AppResult;
use crate::secret::Secret;

/// What every job gets.
#[derive(Clone)]
pub struct JobCtx {
    pub db: Db,
    pub clock: Clock,
    pub data_dir: PathBuf,
    /// The shop's key, for secret settings (the SMTP password).
    pub secret: Arc<Secret>,
}

pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    /// Does one pass and says what it did, in a few words for the back office; None when
    /// there was nothing to do (such passes are not recorded).
    pub run: fn(&JobCtx) -> AppResult<Option<String>>,
}

/// Runs kept per job.
const KEEP_RUNS: i64 = 200;

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

/// Runs a job once and records the run; an error is recorded, not propagated, so one bad
/// pass never stops the loop. A pass with nothing to do is not recorded.
pub fn run_and_record(job: &Job, ctx: &JobCtx) -> AppResult<()> {
    let started = ctx.clock.now();
    let result = (job.run)(ctx);
    let (outcome, summary) = match &result {
        Ok(None) => return Ok(()),
        Ok(Some(s)) => ("ok", s.clone()),
        Err(e) => {
            tracing::error!("job {} failed: {e}", job.name);
            ("error", e.to_string())
        }
    };
    let finished = ctx.clock.now();
    ctx.db.write_blocking(|tx| {
        tx.execute(
            "INSERT INTO job_runs (job, started_at, finished_at, outcome, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![job.name, sql_time(started), sql_time(finished), outcome, summary],
        )?;
        tx.execute(
            "DELETE FROM job_runs WHERE job = ?1 AND id NOT IN
               (SELECT id FROM job_runs WHERE job = ?1 ORDER BY id DESC LIMIT ?2)",
            params![job.name, KEEP_RUNS],
        )?;
        Ok(())
    })
}

/// The setting that holds a job's interval (settings page "Jobs").
pub fn interval_key(job: &Job) -> String {
    format!("jobs.{}.interval_seconds", job.name)
}

/// How long the loop waits between two passes of `job`: its `jobs.<name>.interval_seconds`
/// setting, read before every pass so a change applies without a restart; the job's own
/// `every` when it has no such setting (or it cannot be read).
pub fn interval(conn: &rusqlite::Connection, job: &Job) -> Duration {
    let key = interval_key(job);
    if crate::settings::keys::find(&key).is_none() {
        return job.every;
    }
    match crate::settings::get_i64(conn, &key) {
        Ok(n) if n > 0 => Duration::from_secs(n as u64),
        _ => job.every,
    }
}

/// The loop never sleeps longer than this at once, so a shortened interval is noticed soon.
const RECHECK: Duration = Duration::from_secs(30);

/// Starts every job's loop; each ends when the shop shuts down.
pub fn start(ctx: JobCtx, shutdown: rocket::Shutdown) {
    for job in JOBS {
        let (ctx, mut shutdown) = (ctx.clone(), shutdown.clone());
        tokio::spawn(async move {
            let mut last = tokio::time::Instant::now();
            loop {
                let every = ctx
                    .db
                    .read(move |c| Ok(interval(c, job)))
                    .await
                    .unwrap_or(job.every);
                let due = last + every;
                let now = tokio::time::Instant::now();
                if now < due {
                    tokio::select! {
                        _ = tokio::time::sleep((due - now).min(RECHECK)) => {}
                        _ = &mut shutdown => break,
                    }
                    continue;
                }
                last = now;
                let c = ctx.clone();
                let done = tokio::task::spawn_blocking(move || run_and_record(job, &c)).await;
                if let Ok(Err(e)) = done {
                    tracing::error!("cannot record a run of job {}: {e}", job.name);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> (tempfile::TempDir, JobCtx) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let secret = Secret::load_or_create(&dir.path().join("secret.key")).unwrap();
        let ctx = JobCtx {
            db,
            clock: Clock::default(),
            data_dir: dir.path().to_path_buf(),
            secret: Arc::new(secret),
        };
        (dir, ctx)
    }

    fn runs(ctx: &JobCtx) -> Vec<(String, String)> {
        ctx.db
            .read_blocking(|c| {
                let mut s = c.prepare("SELECT outcome, summary FROM job_runs ORDER BY id")?;
                let rows = s
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                Ok(rows)
            })
            .unwrap()
    }

    #[test]
    fn the_mail_job_sends_to_the_outbox_and_its_run_is_recorded() {
        let (dir, ctx) = ctx();
        let job = &JOBS[0];
        run_and_record(job, &ctx).unwrap();
        assert!(
            runs(&ctx).is_empty(),
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
            runs(&ctx),
            [("ok".to_string(), "1 sent, 0 to retry, 0 failed".to_string())]
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("outbox"))
                .unwrap()
                .count(),
            1
        );
    }

    #[test]
    fn the_interval_is_read_from_settings_on_every_pass() {
        let (_dir, ctx) = ctx();
        let mail = JOBS.iter().find(|j| j.name == "mail_queue").unwrap();
        let read = || ctx.db.read_blocking(|c| Ok(interval(c, mail))).unwrap();
        assert_eq!(read(), Duration::from_secs(5), "the default");
        let secret = Secret::load_or_create(&_dir.path().join("secret.key")).unwrap();
        ctx.db
            .write_blocking(|tx| {
                crate::settings::set(tx, &secret, "jobs.mail_queue.interval_seconds", "42")
            })
            .unwrap();
        assert_eq!(read(), Duration::from_secs(42), "a change is seen at once");
        let unset = Job {
            name: "no_setting",
            every: Duration::from_secs(7),
            run: |_| Ok(None),
        };
        assert_eq!(
            ctx.db.read_blocking(|c| Ok(interval(c, &unset))).unwrap(),
            Duration::from_secs(7),
            "a job without a setting keeps its own interval"
        );
    }

    #[test]
    fn a_failing_pass_is_recorded_as_an_error_and_old_runs_are_pruned() {
        let (_dir, ctx) = ctx();
        let broken = Job {
            name: "broken",
            every: Duration::from_secs(1),
            run: |_| Err(crate::error::AppError::Internal("disk on fire".into())),
        };
        for _ in 0..KEEP_RUNS + 5 {
            run_and_record(&broken, &ctx).unwrap();
        }
        let all = runs(&ctx);
        assert_eq!(all.len() as i64, KEEP_RUNS);
        assert!(all
            .iter()
            .all(|(o, s)| o == "error" && s.contains("disk on fire")));
    }
}
