//! One call through the node's own gRPC services, made as a client over the
//! network makes it: the message framed as gRPC, the caller's identity from
//! its certificate attached, the access rules applied by the same layer; the
//! reply's frames and status read back. So the JSON gateway has no rule of
//! its own, and nothing per call.

use crate::trust::Peer;
use crate::trust::access::Access;
use bytes::{Buf, Bytes, BytesMut};
use tonic::codegen::http;
use tower::ServiceExt;

/// The node's services behind its access rules.
pub type Guarded = Access<tonic::service::Routes>;

/// Calls `path` (`/wuji.v1.Suggestions/Submit`) with the encoded message
/// `msg`, as `peer`.
pub async fn call(
    svc: &Guarded,
    path: &str,
    peer: Peer,
    msg: &[u8],
) -> http::Response<tonic::body::Body> {
    let mut req = http::Request::builder()
        .method(http::Method::POST)
        .uri(path)
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(tonic::body::Body::new(http_body_util::Full::new(frame(
            msg,
        ))))
        .expect("a request of a path the router matched");
    req.extensions_mut().insert(peer);
    match svc.clone().oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// A message as one gRPC frame: uncompressed, its length, the bytes.
pub fn frame(msg: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(5 + msg.len());
    b.extend_from_slice(&[0]);
    b.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    b.extend_from_slice(msg);
    b.freeze()
}

/// The messages of a reply body as its chunks arrive.
#[derive(Default)]
pub struct Frames {
    buf: BytesMut,
}

impl Frames {
    /// Adds a chunk of the body.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The next whole message, if one has arrived.
    pub fn next_message(&mut self) -> Option<Bytes> {
        if self.buf.len() < 5 {
            return None;
        }
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
        if self.buf.len() < 5 + len {
            return None;
        }
        self.buf.advance(5);
        Some(self.buf.split_to(len).freeze())
    }
}

/// The status of a reply that is not OK: from its trailers, or from its
/// headers for a refusal sent without a body.
pub fn failure(
    headers: &http::HeaderMap,
    trailers: Option<&http::HeaderMap>,
) -> Option<tonic::Status> {
    let s = trailers
        .and_then(tonic::Status::from_header_map)
        .or_else(|| tonic::Status::from_header_map(headers))?;
    (s.code() != tonic::Code::Ok).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_come_out_whole_however_the_body_is_cut() {
        let (a, b) = (frame(b"hello"), frame(b""));
        let mut all = a.to_vec();
        all.extend_from_slice(&b);
        all.extend_from_slice(&frame(b"xyz"));
        for cut in 0..all.len() {
            let mut f = Frames::default();
            let mut out = Vec::new();
            for part in [&all[..cut], &all[cut..]] {
                f.push(part);
                while let Some(m) = f.next_message() {
                    out.push(m.to_vec());
                }
            }
            assert_eq!(
                out,
                vec![b"hello".to_vec(), vec![], b"xyz".to_vec()],
                "cut at {cut}"
            );
        }
    }
}
