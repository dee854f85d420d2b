//! The JSON API's error answers, shared by every feature: `{"error": {code, message}}`,
//! and for a refused request body the same with `fields` naming what to fix. The catchers
//! (`web::errors`) answer in the same shapes.

use std::collections::BTreeMap;

use rocket::http::Status;
use rocket::response::status;
use rocket::serde::json::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// Every error answer: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `bad_request`, `not_found`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

/// A refused request body: the message, and one message per field that was wrong.
#[derive(Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub error: FieldErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct FieldErrorDetail {
    /// `invalid`
    pub code: String,
    pub message: String,
    /// Field name → what is wrong with it.
    pub fields: BTreeMap<String, String>,
}

/// A 422 answer.
pub type Invalid = status::Custom<Json<FieldErrorBody>>;

/// A 422 with `message` and the fields to blame.
pub fn invalid<K: Into<String>>(
    message: impl Into<String>,
    fields: impl IntoIterator<Item = (K, String)>,
) -> Invalid {
    status::Custom(
        Status::UnprocessableEntity,
        Json(FieldErrorBody {
            error: FieldErrorDetail {
                code: "invalid".into(),
                message: message.into(),
                fields: fields.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            },
        }),
    )
}

/// A 422 whose message lists every field's ("price: Must be positive. stock: …").
pub fn field_errors<K: Into<String>>(fields: impl IntoIterator<Item = (K, String)>) -> Invalid {
    let fields: Vec<(String, String)> = fields.into_iter().map(|(k, v)| (k.into(), v)).collect();
    let mut sorted = fields.clone();
    sorted.sort();
    let message = sorted
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(" ");
    invalid(message, fields)
}
