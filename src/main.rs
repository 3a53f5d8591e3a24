use std::process::ExitCode;

fn main() -> ExitCode {
    faxvox::cli::main()
}
