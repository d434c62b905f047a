//! Compiles `proto/` once, with protox (no `protoc` needed), into `OUT_DIR`: the
//! message types, the tonic services, and the descriptor set for gRPC reflection.

use prost::Message;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [
        "wuji/v1/records.proto",
        "wuji/v1/sync.proto",
        "wuji/v1/api.proto",
        "wuji/v1/store.proto",
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={}", root.join(f).display());
    }
    let fds = protox::compile(files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("wuji_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .btree_map(".")
        .build_transport(false)
        .emit_rerun_if_changed(false)
        .compile_fds(fds)?;
    Ok(())
}
