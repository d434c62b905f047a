//! Wire and API types of wuji (protobuf, compiled from `proto/` by `build.rs`),
//! their conversions to and from the domain model, the canonical encoding of a
//! record and its digest, and the one table mapping model errors to gRPC codes.

mod convert;
mod digest;
mod error;
mod scalar;
mod status;

/// The generated protobuf types and services (`wuji.v1`).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/wuji.v1.rs"));
}

/// The encoded descriptor set of every wuji proto file, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/wuji_descriptor.bin"));

/// Version of the section payload format written by this build.
pub const PAYLOAD_FORMAT: u32 = 1;

/// Version of the sync protocol spoken by this build.
pub const PROTOCOL_VERSION: u32 = 2;

pub use convert::enums;
pub use convert::{
    Signatures, decode_section, encode_section, record_from_signed_state, record_from_state,
    record_id_from_pb, record_id_to_pb, record_to_signed_state, record_to_state, section_message,
};
pub use digest::{Digest, canonical_bytes, digest, public_digest, signed_state_with_digest};
pub use error::Error;
pub use scalar::{MODES, date_from_i64, date_to_i64};
pub use status::{
    ERROR_DETAIL_TYPE, error_detail, refusal, refusal_zh, rule_of_code, rule_zh, to_status,
};
