//! Campaigns: the `campaign` mail template sent to a target group's members through the
//! mail queue. A draft is written, previewed with a real member's data and sent to
//! oneself as a test; then the `marketing` job queues one mail per member (`send`), and
//! the page shows queued / sent / failed as they move. Customers who opted out of
//! marketing mail (account page, or the one-click link every campaign mail carries,
//! `unsubscribe`) are passed over. Area `target_groups`: mailing a group is acting on it.

pub mod form;
pub mod pages;
pub mod send;
pub mod store;
pub mod unsubscribe;

pub fn routes() -> Vec<rocket::Route> {
    let mut r = pages::routes();
    r.extend(unsubscribe::routes());
    r
}
