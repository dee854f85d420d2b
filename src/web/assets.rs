//! CSS, JS and icons compiled into the binary. URLs carry a content hash (`?v=`), so a
//! browser may keep them for a year; a request without the current hash gets `no-cache`
//! and revalidates with the ETag.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use rocket::http::{ContentType, Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::{self, Responder, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
pub struct AssetFiles;

fn hash_of(path: &str) -> Option<String> {
    AssetFiles::get(path).map(|f| hex::encode(&f.metadata.sha256_hash()[..8]))
}

/// The hash of every asset, computed once in a release build (the files cannot change).
fn hash(path: &str) -> Option<String> {
    if cfg!(debug_assertions) {
        return hash_of(path);
    }
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES
        .get_or_init(|| {
            AssetFiles::iter()
                .filter_map(|p| hash_of(&p).map(|h| (p.to_string(), h)))
                .collect()
        })
        .get(path)
        .cloned()
}

/// The versioned URL of an asset, or None when there is no such file.
pub fn url(path: &str) -> Option<String> {
    hash(path).map(|h| format!("/assets/{path}?v={h}"))
}

pub struct IfNoneMatch(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfNoneMatch {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(IfNoneMatch(
            req.headers().get_one("If-None-Match").map(String::from),
        ))
    }
}

pub struct Asset {
    body: Option<std::borrow::Cow<'static, [u8]>>,
    content_type: ContentType,
    etag: String,
    immutable: bool,
}

impl<'r> Responder<'r, 'static> for Asset {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Response::build();
        res.header(Header::new("ETag", self.etag))
            .header(Header::new(
                "Cache-Control",
                if self.immutable {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                },
            ));
        match self.body {
            Some(body) => res
                .header(self.content_type)
                .sized_body(body.len(), std::io::Cursor::new(body)),
            None => res.status(Status::NotModified),
        };
        res.ok()
    }
}

#[rocket::get("/assets/<path..>?<v>")]
pub fn serve(path: PathBuf, v: Option<&str>, inm: IfNoneMatch) -> Option<Asset> {
    let key = path.to_str()?.replace('\\', "/");
    if key.starts_with("data/") {
        return None; // data files are compiled in for the code, not served
    }
    let file = AssetFiles::get(&key)?;
    let h = hash(&key)?;
    let etag = format!("\"{h}\"");
    let content_type = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(ContentType::from_extension)
        .unwrap_or(ContentType::Binary);
    let fresh = inm.0.as_deref() == Some(etag.as_str());
    Some(Asset {
        body: if fresh { None } else { Some(file.data) },
        content_type,
        immutable: v == Some(h.as_str()),
        etag,
    })
}

/// Browsers ask for /favicon.ico whatever the page says; answer with our icon.
#[rocket::get("/favicon.ico")]
pub fn favicon(inm: IfNoneMatch) -> Option<Asset> {
    let file = AssetFiles::get("icons/favicon.svg")?;
    let etag = format!("\"{}\"", hash("icons/favicon.svg")?);
    let fresh = inm.0.as_deref() == Some(etag.as_str());
    Some(Asset {
        body: if fresh { None } else { Some(file.data) },
        content_type: ContentType::SVG,
        immutable: false,
        etag,
    })
}

/// Crawlers are welcome in the shop, not in the back office, set-up or API.
#[rocket::get("/robots.txt")]
pub fn robots() -> &'static str {
    "User-agent: *\nDisallow: /admin\nDisallow: /setup\nDisallow: /api/\n"
}

pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![serve, favicon, robots]
}
