//! Permissions: an area (back-office interface) and an action. Each permission a handler
//! can ask for is a type, so `Can<ReadProducts>` in a signature is checked by the compiler
//! and the guard alike.

use std::collections::HashMap;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

impl Action {
    pub fn verb(self) -> &'static str {
        match self {
            Action::Read => "view",
            Action::Create => "create",
            Action::Update => "change",
            Action::Delete => "delete",
        }
    }
}

pub trait Permission: Send + Sync + 'static {
    const AREA: &'static str;
    const ACTION: Action;
}

macro_rules! permissions {
    ($($name:ident => $area:literal, $action:ident;)*) => {
        $(
            pub struct $name;
            impl Permission for $name {
                const AREA: &'static str = $area;
                const ACTION: Action = Action::$action;
            }
        )*
    };
}

permissions! {
    ReadDashboard => "dashboard", Read;
    ReadProducts => "products", Read;
    ReadAudit => "audit", Read;
    ReadSettings => "settings", Read;
    ReadSystem => "system", Read;
    ReadOutbox => "outbox", Read;
    UpdateOutbox => "outbox", Update;
    ReadMailTemplates => "mail_templates", Read;
    UpdateMailTemplates => "mail_templates", Update;
    UpdateSettings => "settings", Update;
    UpdateOrders => "orders", Update;
}

/// What one role may do, per area. Serialises as `{area: {read, create, update, delete}}`
/// so templates can ask `can.products.update`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Perms(pub HashMap<String, Rights>);

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Rights {
    pub read: bool,
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

impl Perms {
    pub fn can(&self, area: &str, action: Action) -> bool {
        self.0.get(area).is_some_and(|r| match action {
            Action::Read => r.read,
            Action::Create => r.create,
            Action::Update => r.update,
            Action::Delete => r.delete,
        })
    }
}
