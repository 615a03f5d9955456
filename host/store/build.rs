// `sqlx::migrate!` embeds migrations/; this makes cargo rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
