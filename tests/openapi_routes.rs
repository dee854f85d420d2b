//! The API document cannot drift from the code: the routes Rocket actually mounts under
//! `/api` and the document's paths and methods are the same set, both ways. Outside the
//! document on purpose (`/health`, outside `/api`, is in it too): the document itself (`/api/openapi.json`), its reading page
//! (`/api/docs`), and CORS preflights (`OPTIONS`), which answer for every path alike.

use std::collections::BTreeSet;

use cornershop::config::Config;

const NOT_DOCUMENTED: &[&str] = &["/api/openapi.json", "/api/docs"];

/// `/api/v1/orders/<id>` → `/api/v1/orders/{id}`, as OpenAPI writes a parameter.
fn openapi_path(rocket_path: &str) -> String {
    rocket_path
        .split('/')
        .map(
            |seg| match seg.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
                Some(name) => format!("{{{}}}", name.trim_end_matches("..")),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Every route the shop mounts (method, OpenAPI-style path), OPTIONS aside.
fn mounted() -> BTreeSet<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let data = cornershop::open_data_dir(dir.path()).unwrap();
    let rocket =
        cornershop::build(Config::for_dir(dir.path(), 0), data, Default::default()).unwrap();
    rocket
        .routes()
        .map(|r| {
            (
                r.method.as_str().to_ascii_lowercase(),
                r.uri.path().to_string(),
            )
        })
        .filter(|(method, _)| method != "options")
        .filter(|(_, path)| !NOT_DOCUMENTED.contains(&path.as_str()))
        .map(|(method, path)| (method, openapi_path(&path)))
        .collect()
}

fn documented() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(cornershop::api::document()).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

#[test]
fn every_mounted_api_route_is_documented_and_every_documented_one_is_mounted() {
    let (mounted, documented) = (mounted(), documented());
    let api: BTreeSet<_> = mounted
        .iter()
        .filter(|(_, p)| p.starts_with("/api"))
        .cloned()
        .collect();
    assert!(api.len() >= 34, "the API mounts its routes: {api:?}");
    let undocumented: Vec<_> = api.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "mounted but not in /api/openapi.json: {undocumented:?}"
    );
    let missing: Vec<_> = documented.difference(&mounted).collect();
    assert!(
        missing.is_empty(),
        "in /api/openapi.json but not mounted: {missing:?}"
    );
}

#[test]
fn no_two_types_share_a_schema_name() {
    // utoipa keys schemas by name: a second type of one name silently replaces the first,
    // and the document then lies about one of them. Every $ref must name the schema its
    // operation means; the list pages are the known case.
    let doc = serde_json::to_value(cornershop::api::document()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let items = |name: &str| {
        schemas[name]["properties"]["items"]["items"]["$ref"]
            .as_str()
            .map(str::to_string)
    };
    assert_eq!(
        items("ProductPage").as_deref(),
        Some("#/components/schemas/ApiProduct")
    );
    assert_eq!(
        items("StaffProductPage").as_deref(),
        Some("#/components/schemas/StaffProductRow")
    );
    let staff_row = &schemas["StaffProductRow"]["required"];
    assert!(staff_row
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v == "low_stock_threshold"));
}

#[test]
fn rocket_parameters_become_openapi_parameters() {
    assert_eq!(
        openapi_path("/api/v1/orders/<id>/cancel"),
        "/api/v1/orders/{id}/cancel"
    );
    assert_eq!(openapi_path("/api/<path..>"), "/api/{path}");
    assert_eq!(openapi_path("/api/v1/cart"), "/api/v1/cart");
}
