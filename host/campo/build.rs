// The seed bundles under studies/ are embedded with include_dir, which cannot tell cargo to
// watch them on stable Rust; this does.
fn main() {
    println!("cargo:rerun-if-changed=../studies");
    println!("cargo:rerun-if-changed=../migrations");
}
