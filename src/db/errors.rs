//! Turns what SQLite actually returns into messages a person can act on. Trigger messages
//! (`RAISE(ABORT, '...')`) are written for people already and pass through unchanged.

use rusqlite::ffi;
use rusqlite::Error;

use crate::error::AppError;

/// Unique indexes people can hit, and what to tell them.
const UNIQUE: &[(&str, &str)] = &[
    (
        "staff.email",
        "A staff member with that email address already exists.",
    ),
    ("products.sku", "Another product already uses that SKU."),
    (
        "products.slug",
        "Another product already uses that URL slug.",
    ),
    (
        "categories.slug",
        "Another category already uses that URL slug.",
    ),
    ("roles.name", "A role with that name already exists."),
    (
        "customers.email",
        "An account with this email address already exists.",
    ),
];

/// CHECK constraints with a meaning people know.
const CHECKS: &[(&str, &str)] = &[
    ("stock >= 0", "There is not enough stock for that."),
    ("price >= 0", "A price cannot be negative."),
    (
        "quantity BETWEEN 1 AND 999",
        "A quantity must be from 1 to 999.",
    ),
];

/// Every `?` on a SQLite call gets these messages; the impl lives here, beside the
/// mapping, so the error type knows nothing of the database.
impl From<Error> for AppError {
    fn from(e: Error) -> AppError {
        map(e)
    }
}

pub fn map(e: Error) -> AppError {
    if let Error::SqliteFailure(code, msg) = &e {
        let text = msg.clone().unwrap_or_default();
        match code.extended_code {
            ffi::SQLITE_CONSTRAINT_TRIGGER => return AppError::Conflict(text),
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                let known = UNIQUE.iter().find(|(col, _)| text.contains(col));
                return AppError::Conflict(match known {
                    Some((_, m)) => m.to_string(),
                    None => "That value is already in use.".into(),
                });
            }
            ffi::SQLITE_CONSTRAINT_CHECK => {
                let known = CHECKS.iter().find(|(c, _)| text.contains(c));
                return AppError::Conflict(match known {
                    Some((_, m)) => m.to_string(),
                    None => format!("A value is not allowed here ({text})."),
                });
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
                return AppError::Conflict(
                    "It is still in use elsewhere, or refers to something that does not exist."
                        .into(),
                )
            }
            _ => {}
        }
        match code.code {
            rusqlite::ErrorCode::DiskFull => {
                return AppError::Unavailable(
                    "The disk is full, so the shop cannot save changes right now. Browsing still works; nothing already saved is lost.".into(),
                )
            }
            rusqlite::ErrorCode::ReadOnly => {
                return AppError::Unavailable(
                    "The shop's database is read-only right now, so changes cannot be saved. Browsing still works; nothing already saved is lost.".into(),
                )
            }
            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                return AppError::Unavailable(
                    "The shop is very busy right now. Please try again in a moment.".into(),
                )
            }
            rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::CannotOpen => {
                return AppError::Unavailable(format!(
                    "The shop cannot write to its storage right now ({text}). Browsing still works."
                ))
            }
            _ => {}
        }
    }
    AppError::Internal(format!("database: {e}"))
}
