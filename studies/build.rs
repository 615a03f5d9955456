// The bundles are embedded with include_dir, which cannot tell cargo to watch them on stable
// Rust; this does.
fn main() {
    for dir in ["mujeres-migrantes-rm", "3x1-migrantes", "ejemplo-hogares"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
