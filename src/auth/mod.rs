//! Authentication building blocks shared by staff and (later) customers: password hashing
//! and strength rules, server-side sessions, and per-client rate limits.

pub mod api_token;
pub mod identity;
pub mod password;
pub mod purge;
pub mod ratelimit;
pub mod session;
