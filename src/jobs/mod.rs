//! Background jobs (DESIGN §7): tokio tasks started at lift-off. Each job is a plain
//! `run_once` function plus an interval; the loop waits on the interval or on shutdown,
//! runs the job on a blocking thread and records the run in `job_runs`. Which jobs the
//! shop runs is `crate::schedule` (the features' own functions); this runner knows none of
//! them. Tests leave the loops off (`Options::run_jobs`) and call `run_once` themselves.

pub mod runs;

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

/// Starts a loop for each of `jobs`; each ends when the shop shuts down.
pub fn start(jobs: &'static [Job], ctx: JobCtx, shutdown: rocket::Shutdown) {
    for job in jobs {
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
    fn the_interval_is_read_from_settings_on_every_pass() {
        let (_dir, ctx) = ctx();
        let mail = Job {
            name: "mail_queue",
            every: Duration::from_secs(5),
            run: |_| Ok(None),
        };
        let mail = &mail;
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
