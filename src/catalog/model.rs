//! Catalogue rows as read from the database.

#[derive(Debug, Clone)]
pub struct ProductCard {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub sku: String,
    pub price: i64,
    pub compare_at_price: Option<i64>,
    pub stock: i64,
    pub low_stock_threshold: i64,
    pub category_id: Option<i64>,
    pub image: Option<String>,
    /// The main image's thumbnail, or the image when it has none.
    pub thumb: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ProductDetail {
    pub card: ProductCard,
    pub description: String,
    pub status: String,
    pub created_at: String,
}

#[derive(Debug, Clone)]
pub struct Image {
    pub path: String,
    pub alt: String,
    pub width: i64,
    pub height: i64,
}

#[derive(Debug, Clone)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Active products directly in this category.
    pub own_count: i64,
}

/// What a shopper sees about stock: label and a class for its colour.
pub fn stock_status(stock: i64, threshold: i64) -> (String, &'static str) {
    if stock <= 0 {
        ("Out of stock".into(), "out")
    } else if stock <= threshold {
        (format!("Only {stock} left"), "low")
    } else {
        ("In stock".into(), "in")
    }
}

/// Where a stored media path is served.
pub fn media_url(path: &str) -> String {
    format!("/media/{path}")
}

#[cfg(test)]
mod tests {
    use super::stock_status;

    #[test]
    fn stock_labels_match_what_is_left() {
        assert_eq!(stock_status(0, 5), ("Out of stock".into(), "out"));
        assert_eq!(stock_status(2, 5), ("Only 2 left".into(), "low"));
        assert_eq!(stock_status(6, 5), ("In stock".into(), "in"));
    }
}
