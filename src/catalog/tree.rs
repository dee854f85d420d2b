//! The category tree with product counts (a category counts its subcategories' products).

use std::collections::HashMap;

use super::model::Category;

#[derive(Debug)]
pub struct Tree {
    /// The catalogue revision the tree was read at.
    pub rev: i64,
    pub nodes: Vec<Category>,
    /// Products in the category and all its descendants.
    pub total: HashMap<i64, i64>,
    by_slug: HashMap<String, usize>,
    by_id: HashMap<i64, usize>,
}

impl Tree {
    pub fn build(rev: i64, nodes: Vec<Category>) -> Tree {
        let by_slug = nodes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.slug.clone(), i))
            .collect();
        let by_id: HashMap<i64, usize> = nodes.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        let mut total: HashMap<i64, i64> = HashMap::new();
        for c in &nodes {
            // Walk up from each category adding its own products to every ancestor; the
            // step limit guards against a cycle even though a trigger forbids one.
            let mut cur = Some(c.id);
            let mut steps = 0;
            while let (Some(id), true) = (cur, steps < 64) {
                *total.entry(id).or_default() += c.own_count;
                cur = by_id.get(&id).and_then(|&i| nodes[i].parent_id);
                steps += 1;
            }
        }
        Tree {
            rev,
            nodes,
            total,
            by_slug,
            by_id,
        }
    }

    pub fn by_slug(&self, slug: &str) -> Option<&Category> {
        self.by_slug.get(slug).map(|&i| &self.nodes[i])
    }

    pub fn by_id(&self, id: i64) -> Option<&Category> {
        self.by_id.get(&id).map(|&i| &self.nodes[i])
    }

    pub fn children(&self, id: Option<i64>) -> impl Iterator<Item = &Category> {
        self.nodes.iter().filter(move |c| c.parent_id == id)
    }

    /// The category and all its descendants.
    pub fn with_descendants(&self, id: i64) -> Vec<i64> {
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() && out.len() < 10_000 {
            let parent = out[i];
            out.extend(self.children(Some(parent)).map(|c| c.id));
            i += 1;
        }
        out
    }

    /// From the top-level category down to this one.
    pub fn path(&self, id: i64) -> Vec<&Category> {
        let mut out = Vec::new();
        let mut cur = self.by_id(id);
        while let Some(c) = cur {
            if out.len() > 64 {
                break;
            }
            out.push(c);
            cur = c.parent_id.and_then(|p| self.by_id(p));
        }
        out.reverse();
        out
    }

    pub fn count(&self, id: i64) -> i64 {
        self.total.get(&id).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(id: i64, parent: Option<i64>, slug: &str, own: i64) -> Category {
        Category {
            id,
            parent_id: parent,
            slug: slug.into(),
            name: slug.into(),
            description: String::new(),
            own_count: own,
        }
    }

    #[test]
    fn a_category_counts_and_includes_its_subcategories() {
        let t = Tree::build(
            1,
            vec![
                cat(1, None, "kitchen", 1),
                cat(2, Some(1), "mugs", 3),
                cat(3, Some(1), "knives", 2),
                cat(4, None, "garden", 5),
            ],
        );
        assert_eq!(t.count(1), 6);
        assert_eq!(t.count(2), 3);
        let mut ids = t.with_descendants(1);
        ids.sort();
        assert_eq!(ids, [1, 2, 3]);
        let path: Vec<_> = t.path(2).iter().map(|c| c.slug.as_str()).collect();
        assert_eq!(path, ["kitchen", "mugs"]);
    }
}
