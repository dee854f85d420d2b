//! Product images over the staff API: upload one or several (multipart) through the same
//! pipeline as the edit page, all or nothing (a refused file is named with its reason and
//! nothing is stored), at most 20, list, order, main image, delete; 401 and 403 for
//! callers without the right.

mod common;

use common::products::{api, api_multipart, api_token, jpeg, media_files, png, Part};
use common::{add_product, TestApp};
use serde_json::{json, Value};

fn images_of(id: i64) -> String {
    format!("/api/v1/admin/products/{id}/images")
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("an array of images")
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

fn rows(app: &TestApp, id: i64) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM product_images WHERE product_id = {id}"
    ))
}

#[test]
fn images_are_added_listed_ordered_made_main_and_deleted() {
    let app = TestApp::ready();
    let token = api_token(&app, "Owner");
    let t = Some(token.as_str());
    let id = add_product(&app, "Blue mug", 1250, 5, None, "active");
    let path = images_of(id);

    let res = api_multipart(
        &app,
        &path,
        &[
            ("images", "front.png", "image/png", png(300, 200)),
            ("images", "side.jpg", "image/jpeg", jpeg(640, 480)),
        ],
        t,
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.header("location"), Some(path.as_str()));
    let body = res.json();
    let added = body["added"].as_array().unwrap();
    assert_eq!(added.len(), 2);
    assert!(added.iter().all(|i| i["status"] == "ready"));
    assert_eq!(
        (added[0]["width"].as_i64(), added[0]["height"].as_i64()),
        (Some(300), Some(200))
    );
    assert_eq!(added[0]["main"], true);
    assert_eq!(added[1]["main"], false);
    assert_eq!(ids(&body["images"]), ids(&body["added"]));
    // Each image and its thumbnail are on disk, and served.
    assert_eq!(media_files(&app).len(), 4);
    let url = added[1]["url"].as_str().unwrap();
    let served = app.get(url);
    assert_eq!(served.status, 200, "{url}");
    assert_eq!(served.header("content-type"), Some("image/jpeg"));
    let (a, b) = (ids(&body["added"])[0], ids(&body["added"])[1]);

    // A third goes to the end; the product shows all three.
    let res = api_multipart(
        &app,
        &path,
        &[("images", "top.png", "image/png", png(50, 50))],
        t,
    );
    assert_eq!(res.status, 201, "{}", res.body);
    let c = ids(&res.json()["added"])[0];
    assert_eq!(ids(&res.json()["images"]), [a, b, c]);
    let product = api(
        &app,
        "GET",
        &format!("/api/v1/admin/products/{id}"),
        None,
        t,
    );
    assert_eq!(ids(&product.json()["images"]), [a, b, c]);

    let res = api(
        &app,
        "PUT",
        &format!("{path}/order"),
        Some(json!({ "ids": [c, a, b] })),
        t,
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(ids(&res.json()["images"]), [c, a, b]);
    assert_eq!(res.json()["images"][0]["main"], true);

    let res = api(&app, "POST", &format!("{path}/{b}/main"), None, t);
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(ids(&res.json()["images"]), [b, c, a]);
    let listed = api(&app, "GET", &path, None, t);
    assert_eq!(listed.status, 200);
    assert_eq!(ids(&listed.json()["images"]), [b, c, a]);

    let res = api(&app, "DELETE", &format!("{path}/{b}"), None, t);
    assert_eq!(res.status, 204, "{}", res.body);
    assert_eq!(
        ids(&api(&app, "GET", &path, None, t).json()["images"]),
        [c, a]
    );
    assert_eq!(media_files(&app).len(), 4, "its two files are gone");
    assert_eq!(
        api(&app, "DELETE", &format!("{path}/{b}"), None, t).status,
        404
    );

    app.flush_audit();
    for (action, n) in [
        ("product.image_added", 3),
        ("product.images_reordered", 2),
        ("product.image_deleted", 1),
    ] {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}' AND entity_id = {id}"
            )),
            n,
            "{action}"
        );
    }
}

#[test]
fn a_refused_file_is_named_with_its_reason_and_nothing_is_stored() {
    let app = TestApp::ready();
    let token = api_token(&app, "Owner");
    let t = Some(token.as_str());
    let id = add_product(&app, "Blue mug", 1250, 5, None, "active");
    let path = images_of(id);
    let res = api_multipart(
        &app,
        &path,
        &[
            ("images", "front.png", "image/png", png(30, 20)),
            (
                "images",
                "notes.png",
                "image/png",
                b"just some text".to_vec(),
            ),
            (
                "images",
                "logo.svg",
                "image/svg+xml",
                b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            ),
            ("images", "notes.png", "image/png", b"more text".to_vec()),
        ],
        t,
    );
    assert_eq!(res.status, 422, "{}", res.body);
    let err = &res.json()["error"];
    assert_eq!(err["code"], "invalid");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("3 of 4 files were refused"),
        "{err}"
    );
    let fields = err["fields"].as_object().unwrap();
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort();
    assert_eq!(names, ["logo.svg", "notes.png", "notes.png (file 4)"]);
    assert!(
        fields["logo.svg"]
            .as_str()
            .unwrap()
            .contains("JPEG, PNG or WebP"),
        "{fields:?}"
    );
    assert_eq!(rows(&app, id), 0, "not even the good file");
    assert!(media_files(&app).is_empty());
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'product.image_refused'"),
        1
    );

    // Sent again without the bad files, the batch is stored.
    let res = api_multipart(
        &app,
        &path,
        &[("images", "front.png", "image/png", png(30, 20))],
        t,
    );
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(rows(&app, id), 1);
}

#[test]
fn no_file_a_body_that_is_not_multipart_and_the_twenty_first_image_are_refused() {
    let app = TestApp::ready();
    let token = api_token(&app, "Owner");
    let t = Some(token.as_str());
    let id = add_product(&app, "Blue mug", 1250, 5, None, "active");
    let path = images_of(id);

    let res = api_multipart(&app, &path, &[], t);
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.json()["error"]["fields"]["images"].is_string());
    let res = api(&app, "POST", &path, Some(json!({ "images": ["x"] })), t);
    assert_eq!(res.status, 415, "{}", res.body);
    assert!(
        res.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Content-Type application/json"),
        "{}",
        res.body
    );
    // A form that is not multipart carries no file.
    let res = TestApp::collect(
        app.new_client()
            .post(&format!("{}{path}", app.base))
            .set("Authorization", &format!("Bearer {token}"))
            .send_form(&[("images", "not a file")]),
    );
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.json()["error"]["fields"].is_object(), "{}", res.body);
    assert_eq!(rows(&app, id), 0);

    let nineteen: Vec<Part<'_>> = (0..19)
        .map(|_| ("images", "dot.png", "image/png", png(8, 8)))
        .collect();
    assert_eq!(api_multipart(&app, &path, &nineteen, t).status, 201);
    let two: Vec<Part<'_>> = nineteen[..2].to_vec();
    let res = api_multipart(&app, &path, &two, t);
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        res.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 20 images: it has 19"),
        "{}",
        res.body
    );
    assert_eq!(rows(&app, id), 19);
    assert_eq!(api_multipart(&app, &path, &two[..1], t).status, 201);
    assert_eq!(rows(&app, id), 20);
}

#[test]
fn callers_without_the_right_get_401_or_403_and_strangers_ids_404() {
    let app = TestApp::ready();
    let owner = api_token(&app, "Owner");
    let viewer = api_token(&app, "Viewer");
    let id = add_product(&app, "Blue mug", 1250, 5, None, "active");
    let other = add_product(&app, "Teapot", 3000, 2, None, "active");
    let path = images_of(id);
    let one = [("images", "a.png", "image/png", png(10, 10))];

    assert_eq!(api_multipart(&app, &path, &one, None).status, 401);
    assert_eq!(api(&app, "GET", &path, None, None).status, 401);
    assert_eq!(api_multipart(&app, &path, &one, Some(&viewer)).status, 403);
    assert_eq!(rows(&app, id), 0);

    let res = api_multipart(&app, &path, &one, Some(&owner));
    assert_eq!(res.status, 201);
    let img = ids(&res.json()["added"])[0];
    assert_eq!(api(&app, "GET", &path, None, Some(&viewer)).status, 200);
    for (method, p) in [
        ("DELETE", format!("{path}/{img}")),
        ("POST", format!("{path}/{img}/main")),
    ] {
        assert_eq!(
            api(&app, method, &p, None, Some(&viewer)).status,
            403,
            "{p}"
        );
    }
    let res = api(
        &app,
        "PUT",
        &format!("{path}/order"),
        Some(json!({ "ids": [img] })),
        Some(&viewer),
    );
    assert_eq!(res.status, 403);

    // Another product's image, an unknown product, an order that is not a permutation.
    let theirs = images_of(other);
    let o = Some(owner.as_str());
    assert_eq!(
        api(&app, "DELETE", &format!("{theirs}/{img}"), None, o).status,
        404
    );
    assert_eq!(
        api(&app, "POST", &format!("{theirs}/{img}/main"), None, o).status,
        404
    );
    assert_eq!(api(&app, "GET", &images_of(999), None, o).status, 404);
    assert_eq!(api_multipart(&app, &images_of(999), &one, o).status, 404);
    for bad in [
        json!({ "ids": [img, img] }),
        json!({ "ids": [] }),
        json!({ "ids": [img + 1] }),
    ] {
        let res = api(&app, "PUT", &format!("{path}/order"), Some(bad), o);
        assert_eq!(res.status, 422, "{}", res.body);
        assert!(res.json()["error"]["fields"]["ids"].is_string());
    }
    assert_eq!(rows(&app, id), 1);
}
