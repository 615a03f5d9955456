//! Campo's seed studies, compiled into the binary so `campo seed` works from anywhere.

use include_dir::{Dir, include_dir};

use crate::bundle::BundleFiles;

static STUDIES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../studies");

/// The studies `campo seed` installs; the example study stands in while they are missing.
const SEED_STUDIES: [&str; 2] = ["mujeres-migrantes-rm", "3x1-migrantes"];
const EXAMPLE_STUDY: &str = "ejemplo-hogares";

/// The seed bundles, by directory name.
pub fn bundles() -> Vec<(&'static str, BundleFiles)> {
    let found: Vec<_> = SEED_STUDIES.iter().filter_map(|name| bundle(name).map(|b| (*name, b))).collect();
    if !found.is_empty() {
        return found;
    }
    bundle(EXAMPLE_STUDY).map(|b| (EXAMPLE_STUDY, b)).into_iter().collect()
}

/// Any bundle under `studies/` by directory name (the example study, for tests).
pub fn bundle(name: &str) -> Option<BundleFiles> {
    let dir = STUDIES.get_dir(name)?;
    dir.get_file(format!("{name}/manifest.json"))?;
    Some(BundleFiles::from_embedded(dir))
}
