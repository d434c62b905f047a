//! The `wuji` command: parses arguments, sets up logging, and hands over to the
//! library code in `cli`; exit status 0 on success, 1 when the node refused or
//! failed, 2 for bad usage.

mod cli;

/// The allocator: mimalloc (docs/PERFORMANCE.md: glibc's malloc took a
/// quarter of a sync's time).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
