//! The back-office shell: which interfaces exist, and the navigation a role may see.

use serde_json::json;

use super::guard::StaffUser;
use super::perm::Action;
use crate::web::page::Page;

/// Interfaces built so far: (area, label, URL). Later features add their rows here. Two
/// may share an area (campaigns are guarded by `target_groups`); a page names the one it
/// belongs to by its URL when the area is not enough.
pub const INTERFACES: &[(&str, &str, &str)] = &[
    ("dashboard", "Dashboard", "/admin"),
    ("products", "Products", "/admin/products"),
    ("categories", "Categories", "/admin/categories"),
    ("orders", "Orders", "/admin/orders"),
    ("deliveries", "Deliveries", "/admin/deliveries"),
    ("customers", "Customers", "/admin/customers"),
    ("promotions", "Promotions", "/admin/promotions"),
    ("vouchers", "Vouchers", "/admin/vouchers"),
    ("target_groups", "Target groups", "/admin/target-groups"),
    ("target_groups", "Campaigns", "/admin/campaigns"),
    ("staff", "Staff", "/admin/staff"),
    ("roles", "Roles", "/admin/roles"),
    ("mail_templates", "Mail templates", "/admin/mail-templates"),
    ("outbox", "Outbox", "/admin/outbox"),
    ("audit", "Audit log", "/admin/audit"),
    ("settings", "Settings", "/admin/settings"),
    ("system", "System", "/admin/system"),
];

/// Base context for a back-office page: staff, navigation (only what the role may read)
/// and `can` for templates to hide buttons. `active` is an area, or the URL of an entry
/// that shares its area.
pub fn context(page: &Page, staff: &StaffUser, active: &str) -> tera::Context {
    let mut ctx = page.context();
    let nav: Vec<_> = INTERFACES
        .iter()
        .filter(|(area, _, _)| staff.perms.can(area, Action::Read))
        .map(|(area, label, url)| {
            // An area lights its first entry; the later ones sharing it, their URL.
            let first = INTERFACES.iter().find(|(a, _, _)| a == area).map(|e| e.2) == Some(*url);
            let active = *url == active || (*area == active && first);
            json!({ "label": label, "url": url, "active": active })
        })
        .collect();
    ctx.insert("nav_areas", &nav);
    ctx.insert(
        "staff",
        &json!({ "name": staff.name, "email": staff.email, "role": staff.role }),
    );
    ctx.insert("can", &staff.perms);
    ctx
}
