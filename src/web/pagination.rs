//! Page links for lists: first, last, the current page and two either side, with gaps.

use serde::Serialize;

#[derive(Serialize, Debug)]
pub struct Pagination {
    pub prev_url: String,
    pub next_url: String,
    pub pages: Vec<PageLink>,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct PageLink {
    pub label: String,
    pub url: String,
    pub current: bool,
    pub gap: bool,
}

/// `url_for(n)` builds the link to page n with every other parameter kept.
pub fn build(page: u32, per_page: u32, total: u64, url_for: impl Fn(u32) -> String) -> Pagination {
    let last = total
        .div_ceil(per_page.max(1) as u64)
        .max(1)
        .min(u32::MAX as u64) as u32;
    let mut pages = Vec::new();
    let mut prev_shown = 0;
    for n in 1..=last {
        let near = n + 2 >= page && n <= page + 2;
        if n == 1 || n == last || near {
            if prev_shown != 0 && n > prev_shown + 1 {
                pages.push(PageLink {
                    label: "…".into(),
                    url: String::new(),
                    current: false,
                    gap: true,
                });
            }
            pages.push(PageLink {
                label: n.to_string(),
                url: url_for(n),
                current: n == page,
                gap: false,
            });
            prev_shown = n;
        }
    }
    Pagination {
        prev_url: if page > 1 && page <= last {
            url_for(page - 1)
        } else {
            String::new()
        },
        next_url: if page < last {
            url_for(page + 1)
        } else {
            String::new()
        },
        pages,
    }
}

/// Reads a `page` query value; the message names the allowed range.
pub fn parse_page(value: &str, max: u32) -> Result<u32, crate::error::AppError> {
    value
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            crate::error::AppError::BadRequest(format!(
                "page must be a whole number from 1 to {max}"
            ))
        })
}

/// Pagination for a list at `path` whose other query parameters are `params`; page 1
/// links carry no page number.
pub fn for_list(
    path: &str,
    params: &[(&str, String)],
    page: u32,
    per_page: u32,
    total: u64,
) -> Pagination {
    build(page, per_page, total, |n| {
        let mut all = params.to_vec();
        all.push(("page", if n > 1 { n.to_string() } else { String::new() }));
        crate::web::query::url(path, &all)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_show_ends_neighbours_and_gaps() {
        let p = build(10, 24, 24 * 40, |n| format!("?page={n}"));
        let labels: Vec<_> = p.pages.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["1", "…", "8", "9", "10", "11", "12", "…", "40"]);
        assert_eq!(p.prev_url, "?page=9");
        assert_eq!(p.next_url, "?page=11");
        assert!(p.pages.iter().any(|l| l.current && l.label == "10"));
    }

    #[test]
    fn one_page_has_no_neighbours() {
        let p = build(1, 24, 3, |n| n.to_string());
        assert_eq!(p.pages.len(), 1);
        assert!(p.prev_url.is_empty() && p.next_url.is_empty());
    }
}
