//! Reading query strings by hand, so a bad value becomes a clear 400 message that names the
//! parameter instead of a generic form error. Broken UTF-8 is decoded lossily.

use rocket::http::uri::Origin;

/// The decoded `name=value` pairs of the request's query string.
pub fn pairs(uri: &Origin<'_>) -> Vec<(String, String)> {
    match uri.query() {
        Some(q) => q
            .segments()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        None => Vec::new(),
    }
}

/// Builds `path?k=v&...` from pairs, percent-encoding each part; empty values are dropped.
pub fn url(path: &str, params: &[(&str, String)]) -> String {
    let parts: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            format!(
                "{}={}",
                rocket::http::RawStr::new(k).percent_encode(),
                rocket::http::RawStr::new(v).percent_encode()
            )
        })
        .collect();
    if parts.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}
