//! A server-streaming call's reply as Server-Sent Events: each message in
//! the proto3 JSON mapping as one event's data; a `WatchEvent`'s cursor as
//! the event's id (so an `EventSource` reconnects from it) and its kind
//! (`change`, `notice`, `heartbeat`) as the event's name; a refusal, at the
//! start or later, as an `error` event with the refusal's JSON, and the end.

use super::grpc::{Frames, failure};
use super::{refused, status_json};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use prost_reflect::{DynamicMessage, MessageDescriptor, ReflectMessage, Value};
use std::convert::Infallible;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// The events of the reply `resp`, whose messages are `desc`.
pub async fn events(
    resp: tonic::codegen::http::Response<tonic::body::Body>,
    desc: MessageDescriptor,
) -> Response {
    let (parts, mut body) = resp.into_parts();
    // Refused at once: an HTTP refusal, not a stream.
    if let Some(s) = failure(&parts.headers, None) {
        return refused(&s);
    }
    let (tx, rx) = mpsc::channel::<Result<Event, Infallible>>(16);
    tokio::spawn(async move {
        let mut frames = Frames::default();
        while let Some(frame) = body.frame().await {
            let frame = match frame {
                Ok(f) => f,
                Err(s) => {
                    let _ = tx.send(Ok(error(&s))).await;
                    return;
                }
            };
            if let Some(t) = frame.trailers_ref() {
                if let Some(s) = failure(&parts.headers, Some(t)) {
                    let _ = tx.send(Ok(error(&s))).await;
                }
                return;
            }
            if let Some(d) = frame.data_ref() {
                frames.push(d);
            }
            while let Some(m) = frames.next_message() {
                let ev = match DynamicMessage::decode(desc.clone(), m) {
                    Ok(msg) => event(&msg),
                    Err(e) => Event::default().event("error").data(e.to_string()),
                };
                if tx.send(Ok(ev)).await.is_err() {
                    return; // the client went: dropping the body ends the call
                }
            }
        }
    });
    Sse::new(ReceiverStream::new(rx)).into_response()
}

/// One message as an event.
fn event(msg: &DynamicMessage) -> Event {
    let json =
        serde_json::to_string(msg).unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()));
    let mut ev = Event::default().data(json);
    if let Some(Value::String(c)) = msg.get_field_by_name("cursor").map(|v| v.into_owned())
        && !c.is_empty()
    {
        ev = ev.id(c);
    }
    let kind = msg
        .descriptor()
        .oneofs()
        .find(|o| o.name() == "event")
        .and_then(|o| o.fields().find(|f| msg.has_field(f)))
        .map(|f| f.name().to_string());
    match kind {
        Some(k) => ev.event(k),
        None => ev,
    }
}

fn error(s: &tonic::Status) -> Event {
    Event::default()
        .event("error")
        .data(status_json(s).to_string())
}
