// `campo plugin new` embeds the SDK's sources with include_dir, which cannot tell cargo to
// watch them on stable Rust; this does.
fn main() {
    println!("cargo:rerun-if-changed=../../sdk/src");
    println!("cargo:rerun-if-changed=../../sdk/ABI.md");
}
