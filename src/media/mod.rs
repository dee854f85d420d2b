//! Media: images uploaded by staff (product pictures, the payment QR image, the shop logo)
//! and generated ones (demo pictures), kept under the data dir's `media/` and served from
//! `/media/...`. Every upload goes through `pipeline`, which trusts content, not names.

pub mod cleanup;
pub mod pipeline;
pub mod qr;
pub mod serve;

pub fn routes() -> Vec<rocket::Route> {
    serve::routes()
}
