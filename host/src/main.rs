fn main() -> std::process::ExitCode {
    match campo::cli::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("campo: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
