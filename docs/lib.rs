//! The guide's pages with Rust samples, included as documentation so that `cargo test -p
//! campo-guide --doc` compiles and runs every sample against the SDK (as `mdbook test` would,
//! without its trouble finding the SDK's compiled dependencies). A page whose Rust stops
//! compiling fails the tests. Nothing else lives here.

#[doc = include_str!("src/designers/plugins.md")]
pub mod plugins {}

#[doc = include_str!("src/designers/testing.md")]
pub mod testing {}
