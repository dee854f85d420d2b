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
    /// What a unit costs the buyer now: the price less the running promotion's part.
    pub sale_price: i64,
    /// The promotion that gives `sale_price`, if one runs for this product.
    pub promotion: Option<CardPromotion>,
}

/// The running promotion of a product as the shop shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPromotion {
    pub id: i64,
    pub kind: crate::marketing::promotions::rule::Kind,
    pub value: i64,
    /// UTC, when it ends.
    pub ends_at: String,
}

impl ProductCard {
    /// Puts the best of the running `offers` on the card (nothing when none reaches it).
    pub fn promote(&mut self, offers: &[crate::marketing::promotions::rule::Offer]) {
        use crate::marketing::promotions::rule::best;
        match best(offers, self.id, self.category_id, self.price) {
            Some((o, off)) => {
                self.sale_price = self.price - off;
                self.promotion = Some(CardPromotion {
                    id: o.id,
                    kind: o.kind,
                    value: o.value,
                    ends_at: o.ends_at.clone(),
                });
            }
            None => {
                self.sale_price = self.price;
                self.promotion = None;
            }
        }
    }

    /// The badge: "−20 %" or "−€2.00".
    pub fn badge(&self, money: &dyn Fn(i64) -> String) -> Option<String> {
        use crate::marketing::promotions::rule::Kind;
        self.promotion.as_ref().map(|p| match p.kind {
            Kind::Percent => format!("\u{2212}{} %", p.value),
            Kind::Amount => format!("\u{2212}{}", money(p.value.min(self.price))),
        })
    }

    /// The price to show struck through: the regular price under a promotion (so the
    /// badge and the two prices tell the same story), else a higher "compare at" price.
    pub fn was(&self) -> Option<i64> {
        if self.promotion.is_some() {
            Some(self.price)
        } else {
            self.compare_at_price.filter(|&c| c > self.price)
        }
    }
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
