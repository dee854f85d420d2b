//! Marketing: promotions and vouchers; target groups and campaigns build on them. The
//! feature owns its SQL, pages and jobs; pricing (`cart::pricing`) and the catalogue ask it
//! what runs.

pub mod promotions;
pub mod vouchers;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = promotions::routes();
    r.extend(vouchers::routes());
    r
}
