//! The category tree as the editor reads and changes it: the tree with its product
//! counts, the form's checks, and creating, changing and deleting a category, each
//! audited in the caller's transaction.

use std::collections::{BTreeMap, HashMap};

use rocket::FromForm;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;

use crate::audit;
use crate::error::{AppError, AppResult};
use crate::staff::By;

/// One category as the editor shows it, in tree order.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub slug: String,
    pub depth: usize,
    /// Products directly in it (any status) and in it with all its subcategories.
    pub products: i64,
    pub total: i64,
    pub children: i64,
    /// The parents' names from the top, for the breadcrumb of the edit page.
    pub path: Vec<String>,
}

/// Every category, depth first (siblings by position, then name).
pub fn tree(c: &Connection) -> AppResult<Vec<Node>> {
    let mut stmt = c.prepare(
        "SELECT c.id, c.parent_id, c.name, c.slug,
                (SELECT count(*) FROM products p WHERE p.category_id = c.id)
         FROM categories c ORDER BY c.position, c.name COLLATE NOCASE, c.id",
    )?;
    let rows: Vec<(i64, Option<i64>, String, String, i64)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut kids: HashMap<Option<i64>, Vec<usize>> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        kids.entry(r.1).or_default().push(i);
    }
    let mut out: Vec<Node> = Vec::with_capacity(rows.len());
    // Iterative depth-first walk; the depth cap guards against a cycle a trigger forbids.
    fn walk(
        at: Option<i64>,
        depth: usize,
        path: &mut Vec<String>,
        rows: &[(i64, Option<i64>, String, String, i64)],
        kids: &HashMap<Option<i64>, Vec<usize>>,
        out: &mut Vec<Node>,
    ) -> i64 {
        let mut sum = 0;
        if depth > 64 {
            return 0;
        }
        for &i in kids.get(&at).map(Vec::as_slice).unwrap_or(&[]) {
            let (id, parent_id, name, slug, products) = &rows[i];
            let idx = out.len();
            out.push(Node {
                id: *id,
                parent_id: *parent_id,
                name: name.clone(),
                slug: slug.clone(),
                depth,
                products: *products,
                total: 0,
                children: kids.get(&Some(*id)).map_or(0, |k| k.len() as i64),
                path: path.clone(),
            });
            path.push(name.clone());
            let below = walk(Some(*id), depth + 1, path, rows, kids, out);
            path.pop();
            out[idx].total = products + below;
            sum += products + below;
        }
        sum
    }
    walk(None, 0, &mut Vec::new(), &rows, &kids, &mut out);
    Ok(out)
}

/// What keeps a category from being deleted, in words; empty when nothing does.
pub fn blockers(n: &Node) -> Vec<String> {
    let mut out = Vec::new();
    if n.products > 0 {
        out.push(match n.products {
            1 => "1 product is in it: move it to another category first (on the product's page)."
                .to_string(),
            k => format!(
                "{k} products are in it: move them to another category first (on their pages)."
            ),
        });
    }
    if n.children > 0 {
        out.push(match n.children {
            1 => "It has 1 subcategory: move or delete it first.".to_string(),
            k => format!("It has {k} subcategories: move or delete them first."),
        });
    }
    out
}

#[derive(FromForm, Default, Debug, Clone, Serialize)]
pub struct CategoryForm {
    pub name: String,
    pub slug: String,
    /// A category id, or "" for the top level.
    pub parent: String,
}

/// A URL slug made from a name: lower-case letters, digits and single dashes.
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for ch in name.trim().to_lowercase().chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-')
        .chars()
        .take(80)
        .collect::<String>()
}

pub type Errors = BTreeMap<&'static str, String>;
/// A checked form: (name, slug, parent).
type Checked = (String, String, Option<i64>);

/// The checked values: (name, slug, parent), or a message per field.
pub fn check(c: &Connection, f: &CategoryForm) -> AppResult<Result<Checked, Errors>> {
    let mut errors = Errors::new();
    let name = f.name.trim().to_string();
    if name.is_empty() {
        errors.insert("name", "Enter the category's name.".into());
    } else if name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.insert(
            "name",
            "A name has at most 100 characters, on one line.".into(),
        );
    }
    let slug = if f.slug.trim().is_empty() {
        slugify(&name)
    } else {
        f.slug.trim().to_string()
    };
    let slug_ok = !slug.is_empty()
        && slug.len() <= 80
        && slug.starts_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
        && slug
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
    if !slug_ok && !errors.contains_key("name") {
        errors.insert(
            "slug",
            "A slug has lower-case letters a–z, digits and dashes, and starts with a letter or digit, such as green-tea."
                .into(),
        );
    }
    let parent = match f.parent.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(id)
                if c.query_row("SELECT 1 FROM categories WHERE id = ?1", [id], |_| Ok(()))
                    .optional()?
                    .is_some() =>
            {
                Some(id)
            }
            _ => {
                errors.insert("parent", "Choose a parent from the list.".into());
                None
            }
        },
    };
    Ok(if errors.is_empty() {
        Ok((name, slug, parent))
    } else {
        Err(errors)
    })
}

/// A database refusal as a message next to the field it is about.
fn refusal(e: AppError) -> AppResult<Errors> {
    match e {
        AppError::Conflict(m) if m.contains("slug") => Ok(Errors::from([("slug", m)])),
        AppError::Conflict(m) => Ok(Errors::from([("parent", m)])),
        other => Err(other),
    }
}

fn parent_name(nodes: &[Node], id: Option<i64>) -> String {
    id.and_then(|id| nodes.iter().find(|n| n.id == id))
        .map(|n| n.name.clone())
        .unwrap_or_default()
}

pub fn find(nodes: &[Node], id: i64) -> AppResult<&Node> {
    nodes.iter().find(|n| n.id == id).ok_or_else(|| {
        AppError::NotFound("There is no such category (it may have been deleted).".into())
    })
}

/// Creates a category at the end of its siblings; the name, or the refusals per field.
pub fn create(tx: &Connection, typed: &CategoryForm, by: &By) -> AppResult<Result<String, Errors>> {
    let (name, slug, parent) = match check(tx, typed)? {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let inserted = tx.execute(
        "INSERT INTO categories (name, slug, parent_id, position)
         VALUES (?1, ?2, ?3, coalesce((SELECT max(position) + 1 FROM categories
                                        WHERE parent_id IS ?3), 0))",
        params![name, slug, parent],
    );
    if let Err(e) = inserted {
        return Ok(Err(refusal(e.into())?));
    }
    let id = tx.last_insert_rowid();
    audit::record(
        tx,
        &audit::Entry::event("catalog", "category.created")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("category", id)
            .details(json!({ "new": { "name": name, "slug": slug, "parent_id": parent } })),
    )?;
    Ok(Ok(name))
}

/// Renames and/or moves a category: (name, what was done: "renamed", "moved", "renamed
/// and moved" or "unchanged"), or the refusals per field (a move into itself among them).
pub fn update(
    tx: &Connection,
    id: i64,
    typed: &CategoryForm,
    by: &By,
) -> AppResult<Result<(String, &'static str), Errors>> {
    let nodes = tree(tx)?;
    let old = find(&nodes, id)?.clone();
    let (name, slug, parent) = match check(tx, typed)? {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    if (name.as_str(), slug.as_str(), parent)
        == (old.name.as_str(), old.slug.as_str(), old.parent_id)
    {
        return Ok(Ok((name, "unchanged")));
    }
    let updated = tx.execute(
        "UPDATE categories SET name = ?2, slug = ?3, parent_id = ?4 WHERE id = ?1",
        params![id, name, slug, parent],
    );
    if let Err(e) = updated {
        return Ok(Err(refusal(e.into())?));
    }
    let moved = parent != old.parent_id;
    let renamed = name != old.name || slug != old.slug;
    let action = match (renamed, moved) {
        (true, true) => "category.updated",
        (false, true) => "category.moved",
        _ => "category.renamed",
    };
    audit::record(
        tx,
        &audit::Entry::event("catalog", action)
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("category", id)
            .details(json!({
                "old": { "name": old.name, "slug": old.slug, "parent_id": old.parent_id, "parent": parent_name(&nodes, old.parent_id) },
                "new": { "name": name, "slug": slug, "parent_id": parent, "parent": parent_name(&nodes, parent) },
            })),
    )?;
    Ok(Ok((
        name,
        match (renamed, moved) {
            (true, true) => "renamed and moved",
            (false, true) => "moved",
            _ => "renamed",
        },
    )))
}

/// Deletes an empty category: its name, or (name, what keeps it) when it is not empty.
pub fn delete(tx: &Connection, id: i64, by: &By) -> AppResult<Result<String, (String, String)>> {
    let nodes = tree(tx)?;
    let node = find(&nodes, id)?.clone();
    let why = blockers(&node);
    if !why.is_empty() {
        return Ok(Err((node.name, why.join(" "))));
    }
    tx.execute("DELETE FROM categories WHERE id = ?1", [id])?;
    audit::record(
        tx,
        &audit::Entry::event("catalog", "category.deleted")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("category", id)
            .details(json!({
                "old": { "name": node.name, "slug": node.slug, "parent_id": node.parent_id, "parent": parent_name(&nodes, node.parent_id) },
            })),
    )?;
    Ok(Ok(node.name))
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_made_from_names() {
        assert_eq!(slugify("Green Tea & Herbs"), "green-tea-herbs");
        assert_eq!(slugify("  --Oolong 2026!  "), "oolong-2026");
        assert_eq!(slugify("Чай"), "");
    }
}
