//! Product images: uploads go pending → ready (size, thumbnail) or failed with the reason,
//! liars and over-limit files leave nothing on disk, reorder and main image work with plain
//! forms, 20 images at most, and the hourly clean-up job reconciles media/ and the rows.

mod common;

use common::products::{
    self, jpeg, login_owner, media_files, multipart_raw, png, post_multipart, run_media_job,
};
use common::{add_product, TestApp};

fn upload(app: &TestApp, id: i64, files: &[products::Part<'_>]) -> common::Res {
    let page = format!("/admin/products/{id}");
    post_multipart(
        app,
        &page,
        &format!("/admin/products/{id}/images"),
        &[],
        files,
    )
}

/// (id, status, position, width, error) of the product's image rows, in position order.
fn rows(app: &TestApp, id: i64) -> Vec<(i64, String, i64, i64, String)> {
    app.sql(|c| {
        let mut s = c.prepare("SELECT id, status, position, width, error FROM product_images WHERE product_id = ?1 ORDER BY status = 'failed', position, id")?;
        let r = s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?.collect();
        r
    })
}

#[test]
fn uploads_become_ready_with_thumbnails_and_files_that_lie_fail_with_their_reason() {
    let app = TestApp::ready();
    login_owner(&app);
    let id = add_product(&app, "Blue mug", 1250, 5, None, "active");
    let res = upload(
        &app,
        id,
        &[
            ("images", "front.png", "image/png", png(300, 200)),
            ("images", "side.jpg", "image/jpeg", jpeg(640, 480)),
            (
                "images",
                "notes.png",
                "image/png",
                b"just some text, honest".to_vec(),
            ),
            (
                "images",
                "logo.svg",
                "image/svg+xml",
                b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            ),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let all = rows(&app, id);
    let ready: Vec<_> = all.iter().filter(|r| r.1 == "ready").collect();
    let failed: Vec<_> = all.iter().filter(|r| r.1 == "failed").collect();
    assert_eq!(ready.len(), 2, "{all:?}");
    assert_eq!(
        (ready[0].2, ready[0].3),
        (0, 300),
        "first upload is the main image"
    );
    assert_eq!(ready[1].3, 640);
    assert_eq!(failed.len(), 2);
    assert!(
        failed
            .iter()
            .all(|r| r.4.contains("not a JPEG, PNG or WebP")),
        "{failed:?}"
    );
    // Two images and two thumbnails; nothing from the refused files.
    let files = media_files(&app);
    assert_eq!(files.len(), 4, "{files:?}");
    assert_eq!(files.iter().filter(|f| f.contains(".thumb.")).count(), 2);

    let page = app.get(&format!("/admin/products/{id}"));
    assert!(
        page.body.contains("not a JPEG, PNG or WebP"),
        "the page shows why"
    );
    assert!(page.body.contains("Main image"));
    let thumb: String = app.sql(|c| c.query_row("SELECT thumb FROM product_images WHERE product_id = ?1 AND position = 0 AND status = 'ready'", [id], |r| r.get(0)));
    assert!(
        app.get("/admin/products")
            .body
            .contains(&format!("/media/{thumb}")),
        "the list shows the thumbnail"
    );
    assert!(
        app.get("/search?q=mug")
            .body
            .contains(&format!("/media/{thumb}")),
        "shop cards show the thumbnail"
    );
    assert_eq!(app.get(&format!("/media/{thumb}")).status, 200);
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'product.image_added'"),
        2
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'product.image_refused'"),
        2
    );
}

#[test]
fn too_big_and_bomb_files_are_refused_with_the_reason_and_nothing_is_left_in_media() {
    let app = TestApp::ready();
    login_owner(&app);
    app.set_setting("media.max_upload_mb", "1");
    let id = add_product(&app, "Blue mug", 1250, 5, None, "active");
    let mut big = png(10, 10);
    big.extend(vec![0u8; 1_300_000]);
    // A tiny PNG whose header claims 100,000 × 100,000 pixels.
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let res = upload(
        &app,
        id,
        &[
            ("images", "big.png", "image/png", big),
            ("images", "bomb.png", "image/png", bomb),
        ],
    );
    assert_eq!(res.status, 303);
    let all = rows(&app, id);
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|r| r.1 == "failed"));
    assert!(
        all.iter()
            .any(|r| r.4.contains("images may be at most 1 MB")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|r| r.4.contains("100000×100000") || r.4.contains("cannot be read")),
        "{all:?}"
    );
    assert!(media_files(&app).is_empty(), "{:?}", media_files(&app));
    let shown = app.get(res.header("location").unwrap());
    assert!(
        shown.body.contains("Refused: big.png"),
        "the flash names the file"
    );
}

#[test]
fn images_are_reordered_made_main_and_deleted_with_plain_forms() {
    let app = TestApp::ready();
    login_owner(&app);
    let id = add_product(&app, "Blue mug", 1250, 5, None, "active");
    let res = upload(
        &app,
        id,
        &[
            ("images", "1.png", "image/png", png(10, 10)),
            ("images", "2.png", "image/png", png(20, 20)),
            ("images", "3.png", "image/png", png(30, 30)),
        ],
    );
    assert_eq!(res.status, 303);
    let ids: Vec<i64> = rows(&app, id).iter().map(|r| r.0).collect();
    let page = format!("/admin/products/{id}");
    let act = |img: i64, how: &str| {
        app.post_form(
            &page,
            &format!("/admin/products/{id}/images/{img}/{how}"),
            &[],
        )
    };
    let order = || rows(&app, id).iter().map(|r| r.0).collect::<Vec<_>>();

    assert_eq!(act(ids[2], "main").status, 303);
    assert_eq!(order(), vec![ids[2], ids[0], ids[1]]);
    assert_eq!(rows(&app, id)[0].2, 0, "the main image has position 0");
    assert_eq!(act(ids[2], "down").status, 303);
    assert_eq!(order(), vec![ids[0], ids[2], ids[1]]);
    // The first has no "up" button; asked by hand, nothing changes.
    assert_eq!(
        app.post_csrf(
            &page,
            &format!("/admin/products/{id}/images/{}/up", ids[0]),
            &[]
        )
        .status,
        303,
        "the first cannot go higher: nothing changes"
    );
    assert_eq!(order(), vec![ids[0], ids[2], ids[1]]);
    assert_eq!(act(ids[1], "up").status, 303);
    assert_eq!(order(), vec![ids[0], ids[1], ids[2]]);

    assert_eq!(act(ids[0], "delete").status, 303);
    assert_eq!(order(), vec![ids[1], ids[2]]);
    assert_eq!(rows(&app, id)[0].2, 0, "positions are renumbered");
    assert_eq!(
        media_files(&app).len(),
        4,
        "the deleted image's two files are gone"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'product.images_reordered'"),
        3
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'product.image_deleted'"),
        1
    );
}

#[test]
fn a_product_takes_at_most_twenty_images_and_a_forged_upload_is_refused() {
    let app = TestApp::ready();
    login_owner(&app);
    let id = add_product(&app, "Blue mug", 1250, 5, None, "active");
    app.sql(|c| {
        for i in 0..20 {
            c.execute("INSERT INTO product_images (product_id, path, status, position) VALUES (?1, ?2, 'ready', ?3)", rusqlite::params![id, format!("products/x{i}.png"), i])?;
        }
        Ok(())
    });
    let res = upload(&app, id, &[("images", "21.png", "image/png", png(10, 10))]);
    let shown = app.get(res.header("location").unwrap());
    assert!(shown.body.contains("at most 20 images"), "{}", shown.body);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM product_images WHERE product_id = {id}"
        )),
        20
    );
    assert!(media_files(&app).is_empty());

    let res = upload(&app, id, &[]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(app
        .get(res.header("location").unwrap())
        .body
        .contains("Choose one or more images"));

    // Without this browser's CSRF token the upload is refused and nothing is stored.
    let res = multipart_raw(
        &app,
        &format!("/admin/products/{id}/images"),
        &[("_csrf", "forged")],
        &[("images", "a.png", "image/png", png(5, 5))],
    );
    assert_eq!(res.status, 403);
}

#[test]
fn the_cleanup_job_reconciles_media_and_rows_both_ways_and_its_runs_are_recorded() {
    let app = TestApp::ready();
    login_owner(&app);
    let id = add_product(&app, "Blue mug", 1250, 5, None, "active");
    assert_eq!(
        upload(
            &app,
            id,
            &[
                ("images", "a.png", "image/png", png(40, 40)),
                ("images", "bad.png", "image/png", b"nope".to_vec())
            ]
        )
        .status,
        303
    );
    let media = app.data_dir().join("media");
    std::fs::write(media.join("products/orphan.png"), png(3, 3)).unwrap();
    std::fs::write(media.join("products/demo-like.png"), png(3, 3)).unwrap();
    let now = app.clock.now_sql();
    app.sql(|c| {
        c.execute("INSERT INTO product_images (product_id, path, status, position, created_at) VALUES (?1, 'products/gone.png', 'ready', 5, ?2)", rusqlite::params![id, now])?;
        // A demo picture: a row without a thumbnail, whose file exists.
        c.execute("INSERT INTO product_images (product_id, path, status, position, created_at) VALUES (?1, 'products/demo-like.png', 'ready', 6, ?2)", rusqlite::params![id, now])
    });

    // Now: the missing file's row is marked failed; fresh files and fresh failures wait.
    let summary = run_media_job(&app).expect("a run is recorded");
    assert!(
        summary.contains("1 image(s) marked failed (file missing)"),
        "{summary}"
    );
    let gone: (String, String) = app.sql(|c| {
        c.query_row(
            "SELECT status, error FROM product_images WHERE path = 'products/gone.png'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    });
    assert_eq!(gone.0, "failed");
    assert!(gone.1.contains("file missing"));
    assert!(
        media.join("products/orphan.png").exists(),
        "too fresh to be an orphan"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM product_images WHERE status = 'failed'"),
        2
    );
    let failed_page = app.get(&format!("/admin/products/{id}"));
    assert!(failed_page.body.contains("file missing"));

    // Two hours later: failed rows deleted, the orphan file removed, the rest kept.
    app.clock.advance(2 * 3600);
    let summary = run_media_job(&app).expect("a run is recorded");
    assert!(summary.contains("2 failed upload(s) deleted"), "{summary}");
    assert!(
        summary.contains("1 unreferenced file(s) removed"),
        "{summary}"
    );
    assert!(!media.join("products/orphan.png").exists());
    assert!(
        media.join("products/demo-like.png").exists(),
        "a row still points to it"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM product_images WHERE status = 'failed'"),
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM product_images WHERE status = 'ready'"),
        2
    );
    assert_eq!(
        media_files(&app).len(),
        3,
        "image, thumbnail, demo picture: {:?}",
        media_files(&app)
    );
    assert_eq!(
        app.count("SELECT count(*) FROM job_runs WHERE job = 'media_cleanup' AND outcome = 'ok'"),
        2
    );

    // Nothing left to do: the pass is not recorded.
    let before = app.count("SELECT count(*) FROM job_runs");
    run_media_job(&app);
    assert_eq!(app.count("SELECT count(*) FROM job_runs"), before);
}
