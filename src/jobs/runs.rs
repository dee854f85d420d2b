//! The recorded runs of the jobs (`job_runs`), as the system page reads them.

use rusqlite::{Connection, OptionalExtension};

use crate::error::AppResult;

/// One finished run.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub job: String,
    pub finished_at: String,
    /// `ok` or `error`.
    pub outcome: String,
    pub summary: String,
}

/// Every job name that has recorded runs, by name.
pub fn names(c: &Connection) -> AppResult<Vec<String>> {
    let mut s = c.prepare_cached("SELECT DISTINCT job FROM job_runs ORDER BY job")?;
    let rows = s.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn run(r: &rusqlite::Row<'_>) -> rusqlite::Result<Run> {
    Ok(Run {
        job: r.get(0)?,
        finished_at: r.get(1)?,
        outcome: r.get(2)?,
        summary: r.get(3)?,
    })
}

/// The job's latest run, or its latest failed run with `errors_only`.
pub fn latest(c: &Connection, job: &str, errors_only: bool) -> AppResult<Option<Run>> {
    Ok(c.prepare_cached(
        "SELECT job, finished_at, outcome, summary FROM job_runs
         WHERE job = ?1 AND (?2 = 0 OR outcome = 'error') ORDER BY id DESC LIMIT 1",
    )?
    .query_row(rusqlite::params![job, errors_only], run)
    .optional()?)
}

/// (runs kept, of which failed) for the job.
pub fn tally(c: &Connection, job: &str) -> AppResult<(i64, i64)> {
    Ok(c.prepare_cached(
        "SELECT count(*), coalesce(sum(outcome = 'error'), 0) FROM job_runs WHERE job = ?1",
    )?
    .query_row([job], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// The latest `n` runs of any job, newest first.
pub fn recent(c: &Connection, n: u32) -> AppResult<Vec<Run>> {
    let mut s = c.prepare_cached(
        "SELECT job, finished_at, outcome, summary FROM job_runs ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = s.query_map([n], run)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
