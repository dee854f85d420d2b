//! Tera templates compiled into the binary. A debug build re-reads them from disk on every
//! render (rust-embed reads the folder in debug builds), so edits show on reload.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rocket::response::content::RawHtml;
use rust_embed::RustEmbed;
use tera::{Context, Tera};

use crate::error::AppResult;

#[derive(RustEmbed)]
#[folder = "templates/"]
pub struct TemplateFiles;

pub struct Templates {
    tera: RwLock<Arc<Tera>>,
}

impl Templates {
    pub fn load() -> Result<Templates, String> {
        let tera =
            build().map_err(|e| format!("templates: {}", crate::error::AppError::from(e)))?;
        Ok(Templates {
            tera: RwLock::new(Arc::new(tera)),
        })
    }

    fn current(&self) -> AppResult<Arc<Tera>> {
        if cfg!(debug_assertions) {
            let fresh = Arc::new(build()?);
            *self.tera.write().unwrap_or_else(|p| p.into_inner()) = fresh.clone();
            return Ok(fresh);
        }
        Ok(self.tera.read().unwrap_or_else(|p| p.into_inner()).clone())
    }

    pub fn render(&self, name: &str, ctx: &Context) -> AppResult<String> {
        Ok(self.current()?.render(name, ctx)?)
    }

    pub fn page(&self, name: &str, ctx: &Context) -> AppResult<RawHtml<String>> {
        self.render(name, ctx).map(RawHtml)
    }
}

/// Changes whenever a template or asset file changes. Debug builds read those files from
/// disk, so caches of rendered pages key on this to show edits on reload; in a release
/// build the files are compiled in and this is constant.
pub fn fingerprint() -> u64 {
    use std::hash::{Hash, Hasher};
    if !cfg!(debug_assertions) {
        return 0;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for name in TemplateFiles::iter() {
        if let Some(f) = TemplateFiles::get(&name) {
            (name.as_ref(), f.metadata.sha256_hash()).hash(&mut h);
        }
    }
    for name in super::assets::AssetFiles::iter() {
        if let Some(f) = super::assets::AssetFiles::get(&name) {
            (name.as_ref(), f.metadata.sha256_hash()).hash(&mut h);
        }
    }
    h.finish()
}

fn build() -> tera::Result<Tera> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html.tera", ".html"]);
    tera.set_escape_fn(escape_html);
    let mut files = Vec::new();
    for name in TemplateFiles::iter() {
        // Mail templates live in the database (seeded from here), not in this engine.
        if name.starts_with("mail/") {
            continue;
        }
        let file = TemplateFiles::get(&name).expect("listed template exists");
        let text = String::from_utf8_lossy(&file.data).into_owned();
        files.push((name.to_string(), text));
    }
    tera.add_raw_templates(files)?;
    tera.register_function("asset", asset_fn);
    Ok(tera)
}

/// Escapes the five characters that matter in HTML text and quoted attributes. (Tera's
/// default also escapes `/`, which only bloats every URL.)
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 8);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// `{{ asset(path="css/shop.css") }}` → a URL that changes when the file changes.
fn asset_fn(args: &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let path = args
        .get("path")
        .and_then(|v| v.as_str())
        .ok_or_else(|| tera::Error::msg("asset() needs path=\"...\""))?;
    match super::assets::url(path) {
        Some(url) => Ok(tera::Value::String(url)),
        None => Err(tera::Error::msg(format!("asset() has no file {path}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_but_urls_stay_readable() {
        assert_eq!(
            escape_html("<a href=\"/x?a=1&b='2'\">"),
            "&lt;a href=&quot;/x?a=1&amp;b=&#x27;2&#x27;&quot;&gt;"
        );
    }

    #[test]
    fn every_template_parses() {
        build().unwrap();
    }

    #[test]
    fn mail_templates_are_embedded_but_never_pages() {
        assert!(TemplateFiles::get("mail/verification/body.html.tera").is_some());
        let tera = build().unwrap();
        assert!(tera.get_template_names().all(|n| !n.starts_with("mail/")));
    }
}
