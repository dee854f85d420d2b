//! The audit log: who did what, from where, and whether it was refused. A change records
//! its entry with `record` in its own transaction; events that have no transaction (404s,
//! refused logins, CSRF failures) go through the `AuditSink`, which batches them.

pub mod retention;
pub mod sink;

pub use sink::AuditSink;

use std::net::IpAddr;

use rusqlite::{params, Connection};
use serde_json::Value;

use crate::error::AppResult;

#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    Anonymous,
    Staff { id: i64, label: String },
    Customer { id: i64, label: String },
    System,
    Cli,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub subsystem: &'static str,
    pub action: &'static str,
    pub error: bool,
    pub actor: Actor,
    pub ip: String,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub details: Value,
}

impl Entry {
    pub fn event(subsystem: &'static str, action: &'static str) -> Entry {
        Entry {
            subsystem,
            action,
            error: false,
            actor: Actor::Anonymous,
            ip: String::new(),
            entity_type: "",
            entity_id: String::new(),
            details: Value::Object(Default::default()),
        }
    }

    pub fn error(subsystem: &'static str, action: &'static str) -> Entry {
        Entry {
            error: true,
            ..Entry::event(subsystem, action)
        }
    }

    pub fn actor(mut self, actor: Actor) -> Entry {
        self.actor = actor;
        self
    }

    /// The client's address (the web's `ClientIp` turns into one).
    pub fn ip(mut self, ip: Option<impl Into<IpAddr>>) -> Entry {
        self.ip = ip.map(|i| i.into().to_string()).unwrap_or_default();
        self
    }

    pub fn entity(mut self, kind: &'static str, id: impl ToString) -> Entry {
        self.entity_type = kind;
        self.entity_id = id.to_string();
        self
    }

    pub fn details(mut self, details: Value) -> Entry {
        self.details = details;
        self
    }
}

/// Writes one entry; call it inside the transaction of the change it describes.
pub fn record(conn: &Connection, e: &Entry) -> AppResult<()> {
    let (kind, id, label) = match &e.actor {
        Actor::Anonymous => ("anonymous", None, String::new()),
        Actor::Staff { id, label } => ("staff", Some(*id), label.clone()),
        Actor::Customer { id, label } => ("customer", Some(*id), label.clone()),
        Actor::System => ("system", None, "system".to_string()),
        Actor::Cli => ("cli", None, "command line".to_string()),
    };
    conn.prepare_cached(
        "INSERT INTO audit_log (subsystem, action, outcome, actor_kind, actor_id, actor_label,
                                ip, entity_type, entity_id, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        e.subsystem,
        e.action,
        if e.error { "error" } else { "event" },
        kind,
        id,
        label,
        e.ip,
        e.entity_type,
        e.entity_id,
        e.details.to_string()
    ])?;
    Ok(())
}
