//! The `wuji` command: parses arguments, sets up logging, and hands over to the
//! library code in `cli`; exit status 0 on success, 1 when the node refused or
//! failed, 2 for bad usage.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
