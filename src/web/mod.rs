//! Cross-cutting HTTP: templates and assets, security headers and request log, CORS on
//! /api, client IP, CSRF, error pages, pagination. Features build on these; none of them
//! owns a table.

pub mod assets;
pub mod base_url;
pub mod body;
pub mod client;
pub mod cors;
pub mod csrf;
pub mod ctx;
pub mod errors;
pub mod headers;
pub mod json;
pub mod page;
pub mod pagination;
pub mod query;
pub mod templates;

/// True for requests to the JSON API, which answer errors as JSON instead of pages.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}
