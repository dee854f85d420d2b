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

/// A back-office list's query: the page number, a search text `q`, and filters whose
/// value must be one of a few (empty means "any"). Other parameters are ignored.
pub struct ListQuery {
    pub page: u32,
    pub q: String,
    filters: Vec<(&'static str, String)>,
}

impl ListQuery {
    pub fn parse(
        uri: &Origin<'_>,
        filters: &[(&'static str, &[&str])],
    ) -> crate::error::AppResult<ListQuery> {
        let mut out = ListQuery {
            page: 1,
            q: String::new(),
            filters: filters.iter().map(|(n, _)| (*n, String::new())).collect(),
        };
        for (k, v) in pairs(uri) {
            match k.as_str() {
                "page" => out.page = super::pagination::parse_page(&v, 100_000)?,
                "q" => out.q = v.trim().chars().take(200).collect(),
                _ => {
                    let Some((name, allowed)) = filters.iter().find(|(n, _)| *n == k) else {
                        continue;
                    };
                    if !v.is_empty() && !allowed.contains(&v.as_str()) {
                        return Err(crate::error::AppError::BadRequest(format!(
                            "{name} must be one of {}",
                            allowed.join(", ")
                        )));
                    }
                    if let Some(slot) = out.filters.iter_mut().find(|(n, _)| n == name) {
                        slot.1 = v;
                    }
                }
            }
        }
        Ok(out)
    }

    /// The value of a filter ("" for any).
    pub fn filter(&self, name: &str) -> String {
        self.filters
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}
