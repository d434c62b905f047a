//! `wuji.v1.Feed` served by hand instead of by the generated server, for one
//! reason: its events go out as bytes encoded once for every watcher (the
//! generated server encodes each message again for each stream). The wire
//! is the same `WatchEvent`; requests are decoded as the generated server
//! would, with the same size limits.

use super::Service;
use bytes::{BufMut, Bytes};
use prost::Message;
use std::convert::Infallible;
use std::sync::Arc;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{BoxFuture, Context, Poll, StdError, http};
use tonic::server::{NamedService, ServerStreamingService};
use wuji_proto::pb;

/// The service as tonic's router takes it.
#[derive(Clone)]
pub struct FeedServer {
    inner: Arc<Service>,
    max_decoding: usize,
    max_encoding: usize,
}

impl FeedServer {
    /// Serves `service`, messages up to `limit` bytes each way.
    pub fn new(service: Service, limit: usize) -> FeedServer {
        FeedServer {
            inner: Arc::new(service),
            max_decoding: limit,
            max_encoding: limit,
        }
    }
}

impl NamedService for FeedServer {
    const NAME: &'static str = "wuji.v1.Feed";
}

/// Encodes events already encoded (copies their bytes), decodes requests.
#[derive(Clone, Copy, Default)]
struct WatchCodec;

struct Raw;
struct Request;

impl Encoder for Raw {
    type Item = Bytes;
    type Error = tonic::Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Request {
    type Item = pb::WatchRequest;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        src: &mut DecodeBuf<'_>,
    ) -> Result<Option<pb::WatchRequest>, tonic::Status> {
        pb::WatchRequest::decode(src)
            .map(Some)
            .map_err(|e| tonic::Status::internal(e.to_string()))
    }
}

impl Codec for WatchCodec {
    type Encode = Bytes;
    type Decode = pb::WatchRequest;
    type Encoder = Raw;
    type Decoder = Request;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Request {
        Request
    }
}

struct Watch(Arc<Service>);

impl ServerStreamingService<pb::WatchRequest> for Watch {
    type Response = Bytes;
    type ResponseStream = super::WatchStream;
    type Future = BoxFuture<tonic::Response<super::WatchStream>, tonic::Status>;
    fn call(&mut self, request: tonic::Request<pb::WatchRequest>) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move { inner.watch(request).await })
    }
}

impl<B> tonic::codegen::Service<http::Request<B>> for FeedServer
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            if req.uri().path() != "/wuji.v1.Feed/Watch" {
                return Ok(tonic::Status::unimplemented("").into_http());
            }
            let mut grpc = tonic::server::Grpc::new(WatchCodec)
                .apply_max_message_size_config(Some(this.max_decoding), Some(this.max_encoding));
            Ok(grpc.server_streaming(Watch(this.inner), req).await)
        })
    }
}
