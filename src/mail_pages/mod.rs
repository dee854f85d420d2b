//! The back office's mail pages: the outbox (`outbox`: queued, sent and failed mails,
//! retry), the mail templates editor with live preview (`templates`) and the mail
//! settings with their test button (`settings`). The queue, templates and transports
//! themselves are `mail`.

pub mod outbox;
pub mod settings;
pub mod templates;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = outbox::routes();
    r.extend(templates::routes());
    r.extend(settings::routes());
    r
}
