//! The one way the back office changes settings: a section is a list of form fields, each
//! bound to a key of `keys`. `check` validates every typed field against its key's kind
//! (plus a field's own rule, plus the section's rules across fields) and returns either
//! all the values to store or a message per wrong field — so one bad field saves nothing.
//! `save` then writes the values that differ in one transaction, one audit row per changed
//! key (`setting.changed`, entity `setting`/key, details `{old, new}`; a secret's values
//! masked by `settings::set`, so neither side is ever readable in the log).

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;
use serde_json::{json, Value};

use crate::audit::{self, Actor};
use crate::error::AppResult;
use crate::money::Currency;
use crate::secret::Secret;
use crate::settings::keys::{self, Kind};
use crate::web::client::ClientIp;

/// How a field is typed on the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    Text,
    /// A whole number (with a unit shown next to it).
    Number(&'static str),
    /// An amount in the shop currency, typed in major units ("4.90"), stored in minor.
    Money,
    Checkbox,
    /// A drop-down of (value, label).
    Select(&'static [(&'static str, &'static str)]),
    /// A drop-down of the currencies the shop knows.
    Currency,
    /// Never shown back; empty keeps the stored one, `<name>_forget` erases it.
    Secret,
}

/// A field's extra rule on the normalised value: the value to store, or a message.
pub type Rule = fn(&str) -> Result<String, String>;

#[derive(Debug)]
pub struct Field {
    /// The form field's name.
    pub name: &'static str,
    /// The setting it edits.
    pub key: &'static str,
    pub label: &'static str,
    pub input: Input,
    /// Legend of the fieldset it is shown in.
    pub group: &'static str,
    pub rule: Option<Rule>,
    /// Shown under the field; "" uses the key's own help.
    pub help: &'static str,
}

impl Field {
    /// The same field with its own help text (the key's speaks of stored values).
    pub const fn help(self, help: &'static str) -> Field {
        Field { help, ..self }
    }
}

/// Values by setting key, after every field passed (for the section's cross-field rules).
pub type Values = BTreeMap<&'static str, String>;
/// Messages by form field name.
pub type Errors = BTreeMap<String, String>;

/// A section's rules across fields: (form field, message) for each broken one.
pub type Across = fn(&Values, &dyn Fn(&str) -> bool) -> Vec<(&'static str, String)>;

pub struct Section {
    pub slug: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub fields: &'static [Field],
    /// Rules across fields (they see what was typed, valid or not); `stored` tells
    /// whether a secret or an image is stored (never in `Values` unless typed).
    pub across: Option<Across>,
}

impl Section {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The setting's current values as the form shows them (secrets never).
    pub fn current(&self, c: &Connection) -> AppResult<HashMap<String, String>> {
        let cur = crate::settings::currency(c)?;
        let mut out = HashMap::new();
        for f in self.fields {
            let v = match f.input {
                Input::Secret => String::new(),
                Input::Money => cur.to_major(crate::settings::get_i64(c, f.key)?),
                _ => crate::settings::get(c, f.key)?,
            };
            out.insert(f.name.to_string(), v);
        }
        Ok(out)
    }

    /// Which secrets are stored (for "leave empty to keep").
    pub fn secrets_stored(&self, c: &Connection) -> AppResult<HashMap<String, bool>> {
        let mut out = HashMap::new();
        for f in self.fields.iter().filter(|f| f.input == Input::Secret) {
            out.insert(
                f.name.to_string(),
                !crate::settings::get_shown(c, f.key)?.is_empty(),
            );
        }
        Ok(out)
    }

    /// Checks every typed field; all values to store, or a message per wrong field.
    /// A secret left empty is not in the result (kept); a missing checkbox is "false".
    pub fn check(
        &self,
        typed: &HashMap<String, String>,
        currency: &Currency,
        secret_stored: &HashMap<String, bool>,
    ) -> Result<Vec<(&'static str, String)>, Errors> {
        let mut errors = Errors::new();
        let mut values = Values::new();
        let mut out = Vec::new();
        for f in self.fields {
            let raw = typed.get(f.name).map(String::as_str).unwrap_or("");
            let key = keys::find(f.key).expect("section fields name known keys");
            let raw = match f.input {
                Input::Checkbox => (if is_on(raw) { "true" } else { "false" }).to_string(),
                Input::Secret => {
                    if typed
                        .get(&format!("{}_forget", f.name))
                        .is_some_and(|v| is_on(v))
                    {
                        out.push((f.key, String::new()));
                        continue;
                    }
                    if raw.is_empty() {
                        continue;
                    }
                    raw.to_string()
                }
                Input::Money => match currency.parse_major(raw) {
                    Ok(minor) => minor.to_string(),
                    Err(m) => {
                        errors.insert(f.name.into(), m);
                        continue;
                    }
                },
                _ => raw.to_string(),
            };
            let checked = crate::settings::normalise(key, &raw)
                .map_err(|m| friendly(&m, key, f, currency))
                .and_then(|v| match f.rule {
                    Some(rule) if !v.is_empty() => rule(&v),
                    _ => Ok(v),
                });
            match checked {
                Ok(v) => {
                    if f.input != Input::Secret {
                        values.insert(f.key, v.clone());
                    }
                    out.push((f.key, v));
                }
                Err(m) => {
                    errors.insert(f.name.into(), m);
                    // The rules across fields see what was typed, so they speak of the
                    // other fields without repeating this one's message.
                    if f.input != Input::Secret {
                        values.insert(f.key, raw.trim().to_string());
                    }
                }
            }
        }
        // Rules across fields run even when a field is wrong, so every message shows at
        // once; a field's own message wins over one from a rule.
        if let Some(across) = self.across {
            // Typed now, else stored: a secret by its field's name, an image by its key.
            let stored = |key: &str| {
                let typed_now = out.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
                match typed_now {
                    Some(v) => !v.is_empty(),
                    None => self
                        .fields
                        .iter()
                        .find(|f| f.key == key)
                        .and_then(|f| secret_stored.get(f.name))
                        .or_else(|| secret_stored.get(key))
                        .copied()
                        .unwrap_or(false),
                }
            };
            for (field, message) in across(&values, &stored) {
                errors.entry(field.to_string()).or_insert(message);
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The form's variables for a template: fields by group, with values and errors.
    pub fn view(
        &self,
        values: &HashMap<String, String>,
        errors: &Errors,
        secret_stored: &HashMap<String, bool>,
        currency: &Currency,
    ) -> Value {
        let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
        for f in self.fields {
            let key = keys::find(f.key).expect("known key");
            let (kind, options, unit) = match f.input {
                Input::Text => ("text", vec![], String::new()),
                Input::Number(unit) => ("number", vec![], unit.to_string()),
                Input::Money => ("money", vec![], currency.code.to_string()),
                Input::Checkbox => ("checkbox", vec![], String::new()),
                Input::Select(opts) => (
                    "select",
                    opts.iter()
                        .map(|(v, l)| json!({ "value": v, "label": l }))
                        .collect(),
                    String::new(),
                ),
                Input::Secret => ("secret", vec![], String::new()),
                Input::Currency => (
                    "select",
                    Currency::list()
                        .iter()
                        .map(|c| json!({ "value": c.code, "label": format!("{} — {} ({})", c.code, c.name, c.symbol) }))
                        .collect(),
                    String::new(),
                ),
            };
            let field = json!({
                "name": f.name,
                "key": f.key,
                "label": f.label,
                "help": if f.help.is_empty() { key.help } else { f.help },
                "kind": kind,
                "unit": unit,
                "options": options,
                "value": values.get(f.name).cloned().unwrap_or_default(),
                "error": errors.get(f.name).cloned().unwrap_or_default(),
                "stored": secret_stored.get(f.name).copied().unwrap_or(false),
                "range": match key.kind { Kind::Int { min, max } if f.input != Input::Money => format!("{min}–{max}"), _ => String::new() },
            });
            match groups.iter_mut().find(|(g, _)| g == f.group) {
                Some((_, list)) => list.push(field),
                None => groups.push((f.group.to_string(), vec![field])),
            }
        }
        json!({
            "slug": self.slug,
            "title": self.title,
            "intro": self.intro,
            "groups": groups.into_iter().map(|(g, fields)| json!({ "legend": g, "fields": fields })).collect::<Vec<_>>(),
        })
    }
}

fn is_on(v: &str) -> bool {
    matches!(v.trim(), "true" | "on" | "1" | "yes")
}

/// A key's message says its key name; on a page the field's label reads better.
fn friendly(message: &str, key: &keys::Key, f: &Field, currency: &Currency) -> String {
    match (f.input, key.kind) {
        (Input::Money, Kind::Int { min, max }) => format!(
            "{} must be from {} to {}.",
            f.label,
            currency.to_major(min),
            currency.to_major(max)
        ),
        _ => format!("{}.", message.replacen(key.name, f.label, 1)),
    }
}

/// One changed setting, as audited (a secret's values masked).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub key: &'static str,
    pub old: String,
    pub new: String,
}

/// Writes the values that differ from what is stored, in the caller's transaction, and
/// audits each changed key there. Values must have passed `check` (or `normalise`).
pub fn save(
    tx: &Connection,
    secret: &Secret,
    actor: &Actor,
    ip: Option<ClientIp>,
    values: &[(&'static str, String)],
) -> AppResult<Vec<Change>> {
    let mut changes = Vec::new();
    for (name, value) in values {
        let key = keys::find(name)
            .ok_or_else(|| crate::error::AppError::internal(format!("unknown setting {name}")))?;
        let same = if key.secret {
            crate::settings::get_secret(tx, secret, name).is_ok_and(|v| v == *value)
        } else {
            crate::settings::get(tx, name)? == *value
        };
        if same {
            continue;
        }
        let (old, new) = crate::settings::set(tx, secret, name, value)?;
        audit::record(
            tx,
            &audit::Entry::event("settings", "setting.changed")
                .actor(actor.clone())
                .ip(ip)
                .entity("setting", name)
                .details(json!({ "old": old, "new": new })),
        )?;
        changes.push(Change {
            key: key.name,
            old,
            new,
        });
    }
    Ok(changes)
}

/// "Saved (2 changes)." and the like.
pub fn saved_message(title: &str, n: usize) -> String {
    match n {
        0 => format!(
            "Nothing to save: the {} settings were already like this.",
            title.to_lowercase()
        ),
        1 => format!("{title} settings saved (1 change)."),
        n => format!("{title} settings saved ({n} changes)."),
    }
}
