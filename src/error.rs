//! One error type for the whole shop. Each variant is one HTTP meaning; `web::errors`
//! renders it as the finished HTML page or the JSON body `{"error": {code, message}}`.

use rocket::http::Status;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request itself is malformed (bad query value, broken form).
    #[error("{0}")]
    BadRequest(String),
    /// 401: log in first.
    #[error("Please log in first.")]
    Unauthorized,
    /// 401 for a login that did not work; the message says what to do.
    #[error("{0}")]
    LoginFailed(String),
    /// 403: logged in (or not) but not allowed; the message says what was refused.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such thing (or not yours).
    #[error("{0}")]
    NotFound(String),
    /// 409: a rule of the shop refused it (trigger, unique value, stock).
    #[error("{0}")]
    Conflict(String),
    /// 410: it existed once and is gone (a used one-time link).
    #[error("{0}")]
    Gone(String),
    /// 422: a submitted value is not acceptable; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// 429: too many attempts; try again after `retry_after` seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// 503: the database cannot be written (disk full, read-only); reads keep working.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure; logged with its cause, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn status(&self) -> Status {
        match self {
            AppError::BadRequest(_) => Status::BadRequest,
            AppError::Unauthorized | AppError::LoginFailed(_) => Status::Unauthorized,
            AppError::Forbidden(_) => Status::Forbidden,
            AppError::NotFound(_) => Status::NotFound,
            AppError::Conflict(_) => Status::Conflict,
            AppError::Gone(_) => Status::Gone,
            AppError::Invalid(_) => Status::UnprocessableEntity,
            AppError::TooManyRequests { .. } => Status::TooManyRequests,
            AppError::Unavailable(_) => Status::ServiceUnavailable,
            AppError::Internal(_) => Status::InternalServerError,
        }
    }

    /// A stable machine-readable code for the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::LoginFailed(_) => "login_failed",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Gone(_) => "gone",
            AppError::Invalid(_) => "invalid",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// What the user may read. Internal causes stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => {
                "Something went wrong on our side. It has been logged; please try again.".into()
            }
            other => other.to_string(),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> AppError {
        AppError::Internal(e.to_string())
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> AppError {
        AppError::Unavailable(format!("The database is not reachable right now ({e})."))
    }
}

impl From<tera::Error> for AppError {
    fn from(e: tera::Error) -> AppError {
        // Tera nests the useful part (which template, which line) in its sources.
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        AppError::Internal(msg)
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> AppError {
        AppError::Internal(e.to_string())
    }
}
