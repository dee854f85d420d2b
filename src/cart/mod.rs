//! The cart: guests' carts by cookie, customers' across devices, priced afresh on the
//! server every time (one pricing function for cart page, checkout and order alike).

pub mod pricing;
pub mod shipping;
pub mod store;
