//! The browser test binaries stay loadable: each page imports at most four JS files at once (see the note in
//! `tests/web/api.rs`: more, and the test runner's server can leave one unanswered and the page hangs).
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const MAX_JS_FILES_PER_PAGE: usize = 4;

/// The JS files a Rust source names with `#[wasm_bindgen(module = "…")]`.
fn js_modules(source: &str) -> impl Iterator<Item = String> + '_ {
    source.split("module = \"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned)
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn each_browser_test_page_imports_at_most_four_js_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let from_the_library: BTreeSet<String> = rust_files(&root.join("src"))
        .iter()
        .flat_map(|f| js_modules(&fs::read_to_string(f).unwrap()).collect::<Vec<_>>())
        .collect();
    assert!(!from_the_library.is_empty(), "the library names its JS helpers");
    let mut pages = 0;
    for entry in fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.starts_with("web_") && name.ends_with(".rs")) {
            continue;
        }
        pages += 1;
        let source = fs::read_to_string(&path).unwrap();
        let mut modules = from_the_library.clone();
        modules.extend(js_modules(&source));
        // The shared files a binary includes with `#[path = "…"]` name JS files too.
        for included in source.split("#[path = \"").skip(1).filter_map(|rest| rest.split('"').next()) {
            modules.extend(js_modules(&fs::read_to_string(root.join("tests").join(included)).unwrap()));
        }
        assert!(
            modules.len() <= MAX_JS_FILES_PER_PAGE,
            "{name} loads {} JS files at once ({modules:?}); move scenarios to a binary of their own",
            modules.len()
        );
    }
    assert!(pages >= 9, "found the browser test binaries ({pages})");
}
