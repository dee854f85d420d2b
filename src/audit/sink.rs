//! Batches audit entries that are not part of a change (404s, refusals) so a burst of them
//! costs one transaction, not one fsync each. Entries are kept in order; a full queue
//! drops new entries and says how many in the log rather than slowing every request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rocket::tokio::sync::{mpsc, oneshot};

use super::{record, Entry};
use crate::db::Db;

enum Msg {
    Entry(Entry),
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<Msg>,
    dropped: Arc<AtomicU64>,
}

const QUEUE: usize = 10_000;
const BATCH: usize = 256;

impl AuditSink {
    /// Creates the sink and the receiving half; `run` drains it once the runtime is up.
    pub fn new() -> (AuditSink, SinkWorker) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        (
            AuditSink {
                tx,
                dropped: dropped.clone(),
            },
            SinkWorker { rx, dropped },
        )
    }

    pub fn send(&self, entry: Entry) {
        if self.tx.try_send(Msg::Entry(entry)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until everything sent before this call is written.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

pub struct SinkWorker {
    rx: mpsc::Receiver<Msg>,
    dropped: Arc<AtomicU64>,
}

impl SinkWorker {
    /// Writes entries in batches until every sender is gone.
    pub async fn run(mut self, db: Db) {
        while let Some(first) = self.rx.recv().await {
            let mut batch = Vec::new();
            let mut waiters = Vec::new();
            let mut next = Some(first);
            while let Some(msg) = next.take() {
                match msg {
                    Msg::Entry(e) => batch.push(e),
                    Msg::Flush(w) => waiters.push(w),
                }
                if batch.len() < BATCH {
                    next = self.rx.try_recv().ok();
                }
            }
            let lost = self.dropped.swap(0, Ordering::Relaxed);
            if lost > 0 {
                tracing::warn!("audit queue was full: {lost} entries were not recorded");
            }
            if !batch.is_empty() {
                let res = db
                    .write(move |tx| {
                        for e in &batch {
                            record(tx, e)?;
                        }
                        Ok(())
                    })
                    .await;
                if let Err(e) = res {
                    tracing::error!("cannot write audit entries: {e}");
                }
            }
            for w in waiters {
                let _ = w.send(());
            }
        }
    }
}
