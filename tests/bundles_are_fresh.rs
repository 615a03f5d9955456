//! The study bundles commit their plugins' .wasm; this rebuilds every plugin from source and
//! checks the committed modules are exactly what the sources produce today.

mod common;

use common::repo_root;

#[test]
fn committed_plugins_are_what_their_sources_build() {
    let root = repo_root();
    let before = snapshot(&root);
    let status = std::process::Command::new(root.join("scripts/build-plugins")).current_dir(&root).status().expect("run scripts/build-plugins");
    assert!(status.success(), "scripts/build-plugins failed");
    let after = snapshot(&root);
    let stale: Vec<&String> = after.iter().filter(|(path, hash)| before.get(*path) != Some(hash)).map(|(path, _)| path).collect();
    assert!(stale.is_empty(), "these committed plugins were stale (now rebuilt; commit them): {stale:?}");
}

fn snapshot(root: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let mut found = std::collections::BTreeMap::new();
    for base in ["studies", "tests/fixtures"] {
        let Ok(entries) = std::fs::read_dir(root.join(base)) else { continue };
        for bundle in entries.flatten() {
            let Ok(plugins) = std::fs::read_dir(bundle.path().join("plugins")) else { continue };
            for plugin in plugins.flatten() {
                let bytes = std::fs::read(plugin.path()).unwrap();
                found.insert(plugin.path().display().to_string(), campo_domain::sha256_hex(&bytes));
            }
        }
    }
    found
}
