//! Arrows point down: the kernel (the folders every feature builds on) names no feature.
//! Read from the source itself, so the rule holds without anyone remembering it: every
//! `crate::x` a kernel file mentions outside comments must be kernel too. Features may use
//! the kernel and each other; `lib.rs`, `main.rs`, `api` (the document) and `schedule`
//! (the job list) sit on top and collect them.

use std::path::{Path, PathBuf};

/// The kernel: storage, HTTP plumbing, login mechanics, audit, media, the job runner,
/// errors, time, configuration, money, the secret key, the settings store, the export
/// file writers and the mail queue (its back-office pages are the feature `mail_pages`).
const KERNEL: &[&str] = &[
    "db", "web", "auth", "audit", "media", "jobs", "error", "clock", "config", "money", "secret",
    "settings", "exports", "mail",
];

fn rust_files(root: &Path, out: &mut Vec<PathBuf>) {
    if root.is_file() {
        out.push(root.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::name` in the code of `text` (comments left out), with its line.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push((n + 1, name));
            }
            rest = after;
        }
        // `use crate::{a, b}` names several at once.
        if let Some(list) = code.split("use crate::{").nth(1) {
            for part in list.split(['}', ',']) {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push((n + 1, name));
                }
            }
        }
    }
    found
}

#[test]
fn no_kernel_file_names_a_feature() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut files = Vec::new();
    for k in KERNEL {
        let dir = src.join(k);
        let file = src.join(format!("{k}.rs"));
        assert!(dir.exists() || file.exists(), "kernel module {k} is gone");
        rust_files(if dir.exists() { &dir } else { &file }, &mut files);
    }
    assert!(files.len() > KERNEL.len(), "the kernel's files were found");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (line, name) in crate_paths(&text) {
            if !KERNEL.contains(&name.as_str()) {
                violations.push(format!(
                    "{}:{line} uses crate::{name}",
                    f.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "kernel files must not use features:\n{}",
        violations.join("\n")
    );
}

/// The code of a file without its unit tests (which may set up rows by hand).
fn without_tests(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

/// Stock is the catalogue's: every change of `products.stock` and every movement row goes
/// through `catalog::stock`, so the figure and its history cannot drift apart.
#[test]
fn only_the_stock_module_writes_stock() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let owner = src.join("catalog").join("stock.rs");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for f in files.iter().filter(|f| **f != owner) {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in without_tests(&text).lines().enumerate() {
            let sql = line.to_ascii_lowercase();
            if sql.contains("set stock") || sql.contains("into stock_movements") {
                violations.push(format!(
                    "{}:{}",
                    f.strip_prefix(&src).unwrap().display(),
                    n + 1
                ));
            }
        }
    }
    assert!(
        std::fs::read_to_string(&owner)
            .unwrap()
            .contains("INSERT INTO stock_movements"),
        "the stock module writes the movements"
    );
    assert!(
        violations.is_empty(),
        "stock written outside catalog::stock:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_reader_sees_feature_imports() {
    let text = "use crate::db::Db;\nuse crate::{clock::Clock, staff::Can};\n// crate::orders in a comment\nlet x = crate::catalog::x(); // crate::cart\n";
    let names: Vec<String> = crate_paths(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["db", "clock", "staff", "catalog"]);
}
