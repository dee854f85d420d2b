//! The catalogue query shared by the shop pages and the API: search text, category,
//! price range, in-stock, sort and paging. Every bad value becomes a message naming the
//! parameter; nothing a visitor types reaches SQL except as a bound parameter.

use crate::money::Currency;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
    Name,
    BestSelling,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::Relevance,
        Sort::Newest,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::Name,
        Sort::BestSelling,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
            Sort::Name => "name",
            Sort::BestSelling => "best_selling",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Relevance => "Best match",
            Sort::Newest => "Newest",
            Sort::PriceAsc => "Price: low to high",
            Sort::PriceDesc => "Price: high to low",
            Sort::Name => "Name",
            Sort::BestSelling => "Best-selling",
        }
    }

    fn parse(s: &str) -> Result<Sort, String> {
        Sort::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Sort::ALL.iter().map(|o| o.as_str()).collect();
                format!("sort must be one of {}", names.join(", "))
            })
    }
}

pub const PER_PAGE_CHOICES: [u32; 4] = [12, 24, 48, 96];
pub const DEFAULT_PER_PAGE: u32 = 24;
pub const MAX_PER_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 10_000;
const MAX_Q: usize = 200;
const MAX_PRICE: i64 = 1_000_000_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct CatalogQuery {
    pub q: String,
    /// Slug (or numeric id in the API) of the category to show, with its subcategories.
    pub category: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
    pub sort: Sort,
    pub page: u32,
    pub per_page: u32,
}

impl Default for CatalogQuery {
    fn default() -> Self {
        CatalogQuery {
            q: String::new(),
            category: None,
            min_price: None,
            max_price: None,
            in_stock: false,
            sort: Sort::Newest,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

fn parse_bool(name: &str, v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" | "off" => Ok(false),
        "1" | "true" | "yes" | "on" => Ok(true),
        _ => Err(format!("{name} must be true or false")),
    }
}

fn parse_int(name: &str, v: &str, min: i64, max: i64) -> Result<i64, String> {
    match v.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("{name} must be a whole number from {min} to {max}")),
    }
}

impl CatalogQuery {
    /// Reads query pairs. `currency` lets the shop's filter form send prices as typed
    /// (`min`, `max` in major units, e.g. "12.50"); the API uses minor units only.
    pub fn parse(
        pairs: &[(String, String)],
        currency: Option<&Currency>,
    ) -> Result<CatalogQuery, String> {
        let mut q = CatalogQuery::default();
        let mut sort = None;
        let (mut min_typed, mut max_typed) = (None, None);
        for (k, v) in pairs {
            match k.as_str() {
                "q" => {
                    let t = v.trim();
                    if t.chars().count() > MAX_Q {
                        return Err(format!(
                            "q (search text) must be at most {MAX_Q} characters"
                        ));
                    }
                    q.q = t.chars().filter(|c| !c.is_control()).collect();
                }
                "category" if !v.trim().is_empty() => q.category = Some(v.trim().to_string()),
                "min_price" if !v.trim().is_empty() => {
                    q.min_price = Some(parse_int(k, v, 0, MAX_PRICE)?)
                }
                "max_price" if !v.trim().is_empty() => {
                    q.max_price = Some(parse_int(k, v, 0, MAX_PRICE)?)
                }
                "min" if currency.is_some() && !v.trim().is_empty() => min_typed = Some(v.clone()),
                "max" if currency.is_some() && !v.trim().is_empty() => max_typed = Some(v.clone()),
                "in_stock" => q.in_stock = parse_bool(k, v)?,
                "sort" if !v.trim().is_empty() => sort = Some(Sort::parse(v.trim())?),
                "page" => q.page = parse_int(k, v, 1, MAX_PAGE as i64)? as u32,
                "per_page" => q.per_page = parse_int(k, v, 1, MAX_PER_PAGE as i64)? as u32,
                _ => {} // unknown names (tracking tags and the like) are ignored
            }
        }
        if let Some(c) = currency {
            if let Some(t) = min_typed {
                q.min_price = Some(c.parse_major(&t).map_err(|e| format!("Min price: {e}"))?);
            }
            if let Some(t) = max_typed {
                q.max_price = Some(c.parse_major(&t).map_err(|e| format!("Max price: {e}"))?);
            }
        }
        if let (Some(lo), Some(hi)) = (q.min_price, q.max_price) {
            if lo > hi {
                return Err("the minimum price is higher than the maximum price".into());
            }
        }
        q.sort = match sort {
            Some(Sort::Relevance) if q.q.is_empty() => Sort::Newest,
            Some(s) => s,
            None if !q.q.is_empty() => Sort::Relevance,
            None => Sort::Newest,
        };
        Ok(q)
    }

    /// The default sort for this query (not repeated in links).
    fn default_sort(&self) -> Sort {
        if self.q.is_empty() {
            Sort::Newest
        } else {
            Sort::Relevance
        }
    }

    /// Canonical link parameters, page optional. `category` is here only when it came as
    /// a parameter; on a category's own page it is in the path.
    pub fn link_params(&self, page: Option<u32>) -> Vec<(&'static str, String)> {
        let mut p = vec![("q", self.q.clone())];
        p.push(("category", self.category.clone().unwrap_or_default()));
        p.push((
            "min_price",
            self.min_price.map(|v| v.to_string()).unwrap_or_default(),
        ));
        p.push((
            "max_price",
            self.max_price.map(|v| v.to_string()).unwrap_or_default(),
        ));
        if self.in_stock {
            p.push(("in_stock", "1".into()));
        }
        if self.sort != self.default_sort() {
            p.push(("sort", self.sort.as_str().into()));
        }
        if self.per_page != DEFAULT_PER_PAGE {
            p.push(("per_page", self.per_page.to_string()));
        }
        if let Some(n) = page.filter(|&n| n > 1) {
            p.push(("page", n.to_string()));
        }
        p
    }

    pub fn offset(&self) -> i64 {
        (self.page as i64 - 1) * self.per_page as i64
    }
}

/// Turns what a visitor typed into a safe FTS5 query: each word becomes a quoted prefix
/// term (`"mug"*`), so quotes, `*`, `NEAR(`, `AND`/`OR` and the like are plain text.
/// None when nothing searchable is left.
pub fn fts_expression(q: &str) -> Option<String> {
    let terms: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn bad_values_name_the_parameter() {
        for (k, v, needle) in [
            ("page", "-1", "page must be"),
            ("page", "99999999999", "page must be"),
            ("per_page", "0", "per_page"),
            ("sort", "cheapest", "sort must be one of"),
            ("min_price", "abc", "min_price"),
            ("in_stock", "maybe", "in_stock"),
        ] {
            let err = CatalogQuery::parse(&pairs(&[(k, v)]), None).unwrap_err();
            assert!(err.contains(needle), "{k}={v}: {err}");
        }
        let err = CatalogQuery::parse(&pairs(&[("min_price", "500"), ("max_price", "100")]), None)
            .unwrap_err();
        assert!(err.contains("higher"), "{err}");
    }

    #[test]
    fn typed_prices_become_minor_units_and_sort_follows_the_search() {
        let eur = Currency::find("EUR");
        let q = CatalogQuery::parse(
            &pairs(&[("min", "12.5"), ("q", "mug"), ("tracking", "x")]),
            eur,
        )
        .unwrap();
        assert_eq!(q.min_price, Some(1250));
        assert_eq!(q.sort, Sort::Relevance);
        let q = CatalogQuery::parse(&pairs(&[("sort", "relevance")]), eur).unwrap();
        assert_eq!(
            q.sort,
            Sort::Newest,
            "relevance without a search falls back to newest"
        );
    }

    #[test]
    fn hostile_search_text_becomes_quoted_terms() {
        assert_eq!(fts_expression("blue mug").unwrap(), "\"blue\"* \"mug\"*");
        assert_eq!(
            fts_expression("\"unbalanced NEAR( *").unwrap(),
            "\"unbalanced\"* \"near\"*"
        );
        assert_eq!(fts_expression("\"*()^-"), None);
        assert_eq!(fts_expression("Çaydanlık").unwrap(), "\"çaydanlık\"*");
    }

    #[test]
    fn links_keep_only_what_differs_from_the_defaults() {
        let q = CatalogQuery {
            in_stock: true,
            sort: Sort::PriceAsc,
            ..CatalogQuery::default()
        };
        let params = q.link_params(Some(3));
        let url = crate::web::query::url("/", &params);
        assert_eq!(url, "/?in_stock=1&sort=price_asc&page=3");
    }
}
