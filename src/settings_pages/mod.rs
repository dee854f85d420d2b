//! The back office's settings pages (area `settings`): one page per section of keys
//! (`sections`), read and saved through one form model (`form`), with an image per page
//! where it has one (`pages`). The values themselves live in the kernel's `settings`.

pub mod form;
pub mod pages;
pub mod sections;

pub fn routes() -> Vec<rocket::Route> {
    pages::routes()
}
