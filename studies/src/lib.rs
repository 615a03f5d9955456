//! The studies shipped with Campo, as data and code the platform reads through generic
//! interfaces: each study's bundle (the directory beside this crate's `src/`, embedded so
//! `campo seed` works from anywhere) and, where realistic answers follow cross-field rules no
//! schema-walking generator knows, its own [`StudyGenerator`].

mod ejemplo_hogares;
mod mujeres_migrantes_rm;
mod tres_por_uno;

use campo_gen::StudyGenerator;
use include_dir::{Dir, include_dir};

/// A study bundle compiled into the binary.
pub struct ShippedStudy {
    /// The bundle's directory name (and study id).
    pub name: &'static str,
    /// Installed by `campo seed`; the others are examples for tests and guides.
    pub seed: bool,
    pub dir: &'static Dir<'static>,
}

static MUJERES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/mujeres-migrantes-rm");
static TRES_POR_UNO: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/3x1-migrantes");
static EJEMPLO: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/ejemplo-hogares");

/// Every study shipped, seeds first.
pub fn shipped() -> [ShippedStudy; 3] {
    [
        ShippedStudy { name: "mujeres-migrantes-rm", seed: true, dir: &MUJERES },
        ShippedStudy { name: "3x1-migrantes", seed: true, dir: &TRES_POR_UNO },
        ShippedStudy { name: "ejemplo-hogares", seed: false, dir: &EJEMPLO },
    ]
}

/// The generators written for shipped studies.
pub fn generators() -> Vec<Box<dyn StudyGenerator>> {
    vec![Box::new(mujeres_migrantes_rm::Generator), Box::new(tres_por_uno::Generator), Box::new(ejemplo_hogares::Generator)]
}
