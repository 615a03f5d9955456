//! `campo`: parses the command line and calls the crates that do the work.

mod cli;

/// See host/campo/Cargo.toml: mimalloc instead of the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match cli::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("campo: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
