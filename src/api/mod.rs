//! The JSON API: its OpenAPI document (generated from the handlers' annotations) at
//! /api/openapi.json and a reference page at /api/docs that needs nothing from elsewhere.

use rocket::response::content::RawHtml;
use rocket::serde::json::Json;
use rocket::{get, routes, State};
use serde_json::{json, Value};
use utoipa::OpenApi;

use crate::catalog::cache::CatalogCache;
use crate::db::Db;
use crate::error::AppResult;
use crate::web::page::Page;
use crate::web::templates::Templates;

/// The document's frame: title, tags, the error schemas and the bearer scheme; the
/// operations come from the features (`parts`).
#[derive(OpenApi)]
#[openapi(
    info(title = "Cornershop API", description = "The shop's JSON API. Money is in integer minor units of the shop currency (cents for EUR)."),
    components(schemas(crate::web::json::ErrorBody, crate::web::json::ErrorDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "catalogue", description = "Categories and products in the shop"),
        (name = "account", description = "Customer registration, login with bearer tokens, password reset and the customer's own account"),
        (name = "cart", description = "The customer's cart, priced on the server"),
        (name = "orders", description = "Checkout, the customer's orders, cancelling and paying"),
        (name = "payments", description = "Payment methods on offer, and paying one's own order"),
        (name = "staff", description = "The staff API: sign in with a staff account; every endpoint needs the same role permission as its back-office page"),
        (name = "system", description = "Health")
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme that customer endpoints name in their `security`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every feature's part of the document, in the order the reference page lists them.
fn parts() -> Vec<utoipa::openapi::OpenApi> {
    vec![
        crate::catalog::api::ApiDoc::openapi(),
        crate::accounts::api::ApiDoc::openapi(),
        crate::accounts::marketing::ApiDoc::openapi(),
        crate::system::ApiDoc::openapi(),
        crate::captcha::routes::ApiDoc::openapi(),
        crate::cart::api::ApiDoc::openapi(),
        crate::orders::api::ApiDoc::openapi(),
        crate::payments::api::ApiDoc::openapi(),
        crate::staff::staff_api::ApiDoc::openapi(),
        crate::orders::staff_api::ApiDoc::openapi(),
        crate::customers::staff_api::ApiDoc::openapi(),
        crate::catalog::admin::staff_api::ApiDoc::openapi(),
        crate::catalog::admin::images_staff_api::ApiDoc::openapi(),
        crate::marketing::promotions::staff_api::ApiDoc::openapi(),
        crate::marketing::vouchers::account::ApiDoc::openapi(),
        crate::marketing::vouchers::staff_api::ApiDoc::openapi(),
        crate::marketing::groups::staff_api::ApiDoc::openapi(),
    ]
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in parts() {
        doc.merge(part);
    }
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

#[get("/api/openapi.json")]
fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

/// A readable type for a schema fragment: `integer`, `string`, `array of Product`, ….
fn type_label(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(all) = schema
        .get("allOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
    {
        let parts: Vec<String> = all.iter().map(type_label).filter(|t| t != "null").collect();
        return parts.join(" or ");
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => format!(
            "array of {}",
            schema.get("items").map(type_label).unwrap_or_default()
        ),
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "object".into(),
    }
}

/// Flattens the OpenAPI document into what the reference page lists.
fn docs_context(doc: &Value) -> (Vec<Value>, Vec<Value>) {
    let mut ops = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let params: Vec<Value> = op["parameters"].as_array().into_iter().flatten().map(|p| {
                    json!({
                        "name": p["name"], "location": p["in"], "required": p["required"].as_bool().unwrap_or(false),
                        "type_label": type_label(&p["schema"]), "description": p["description"].as_str().unwrap_or(""),
                    })
                }).collect();
                let responses: Vec<Value> = op["responses"].as_object().into_iter().flatten().map(|(status, r)| {
                    let body = r["content"]["application/json"]["schema"].clone();
                    let desc = r["description"].as_str().unwrap_or("").to_string();
                    json!({ "status": status, "description": if body.is_null() { desc } else { format!("{desc} — {}", type_label(&body)) } })
                }).collect();
                ops.push(json!({
                    "method": method.to_uppercase(), "path": path,
                    "summary": op["summary"].as_str().or(op["description"].as_str()).unwrap_or(""),
                    "description": op["description"].as_str().unwrap_or(""),
                    "params": params, "responses": responses,
                }));
            }
        }
    }
    let mut schemas = Vec::new();
    if let Some(all) = doc["components"]["schemas"].as_object() {
        for (name, s) in all {
            let required: Vec<&str> = s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let fields: Vec<Value> = s["properties"].as_object().into_iter().flatten().map(|(f, fs)| {
                json!({ "name": f, "type_label": type_label(fs), "required": required.contains(&f.as_str()), "description": fs["description"].as_str().unwrap_or("") })
            }).collect();
            schemas.push(json!({ "name": name, "fields": fields }));
        }
    }
    (ops, schemas)
}

#[get("/api/docs")]
async fn docs(
    page: Page,
    db: &State<Db>,
    catalog: &State<CatalogCache>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let tree = catalog.tree(db).await?;
    let doc = serde_json::to_value(document()).unwrap_or_default();
    let (ops, schemas) = docs_context(&doc);
    let mut ctx = crate::catalog::shop::context(&page, &tree, &[], "");
    ctx.insert("title", &doc["info"]["title"]);
    ctx.insert("version", &doc["info"]["version"]);
    ctx.insert("openapi_url", "/api/openapi.json");
    ctx.insert("operations", &ops);
    ctx.insert("schemas", &schemas);
    tpl.page("api_docs.html.tera", &ctx)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![openapi, docs]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    /// Merging keeps one schema per name, so two parts that name different types alike
    /// would describe one of them wrongly (a target group's member page once lost to the
    /// customer list's `CustomerPage`).
    #[test]
    fn no_two_parts_define_one_schema_name_differently() {
        let mut seen: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        for part in super::parts() {
            let Some(components) = part.components else {
                continue;
            };
            for (name, schema) in components.schemas {
                let json = serde_json::to_value(&schema).unwrap();
                if let Some(before) = seen.get(&name) {
                    assert_eq!(before, &json, "two different schemas are named {name}");
                }
                seen.insert(name, json);
            }
        }
        assert!(seen.contains_key("MemberPage") && seen.contains_key("CustomerPage"));
    }
}
