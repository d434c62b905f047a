//! A request message from a URL's query, for calls made by `GET` (an
//! `EventSource` can send nothing else): each parameter names a field (its
//! proto or JSON name), a repeated field takes several parameters or one
//! with commas, and `Last-Event-ID` fills the `cursor` field.

use prost_reflect::{Kind, MessageDescriptor};
use serde_json::{Map, Value};

/// The JSON object of the query `raw` for a message `desc`.
pub fn to_json(
    desc: &MessageDescriptor,
    raw: &str,
    last_event: Option<String>,
) -> Result<Value, String> {
    let mut out = Map::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k)?, decode(v)?);
        let field = desc
            .get_field_by_name(&k)
            .or_else(|| desc.get_field_by_json_name(&k))
            .ok_or_else(|| format!("{} has no field {k:?}", desc.full_name()))?;
        let scalar = |s: &str| -> Result<Value, String> {
            Ok(match field.kind() {
                Kind::Bool => Value::Bool(match s {
                    "true" | "1" | "" => true,
                    "false" | "0" => false,
                    _ => return Err(format!("{k}={s:?}: true or false")),
                }),
                Kind::Message(_) => {
                    return Err(format!(
                        "{k}: a message field; call by POST with a JSON body"
                    ));
                }
                // Numbers as strings: the JSON mapping reads both.
                _ => Value::String(s.to_string()),
            })
        };
        let name = field.json_name().to_string();
        if field.is_list() {
            let list = out.entry(name).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list {
                for part in v.split(',').filter(|p| !p.is_empty()) {
                    items.push(scalar(part)?);
                }
            }
        } else {
            out.insert(name, scalar(&v)?);
        }
    }
    if let (Some(id), Some(f)) = (last_event, desc.get_field_by_name("cursor"))
        && !out.contains_key(f.json_name())
    {
        out.insert(f.json_name().to_string(), Value::String(id));
    }
    Ok(Value::Object(out))
}

/// A query component with `%XX` and `+` decoded.
fn decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .ok_or_else(|| format!("{s:?}: a cut %-escape"))?;
                out.push(
                    u8::from_str_radix(hex, 16).map_err(|_| format!("{s:?}: a bad %-escape"))?,
                );
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_become_the_messages_fields() {
        let pool = prost_reflect::DescriptorPool::decode(wuji_proto::FILE_DESCRIPTOR_SET).unwrap();
        let w = pool.get_message_by_name("wuji.v1.WatchRequest").unwrap();
        let j = to_json(
            &w,
            "kinds=suggestion,assignment&kinds=deputy&status=%E5%8A%9E%E7%90%86%E4%B8%AD&notices_only&heartbeatSeconds=5",
            Some("ab.7".into()),
        )
        .unwrap();
        assert_eq!(
            j,
            serde_json::json!({
                "kinds": ["suggestion", "assignment", "deputy"],
                "status": ["办理中"],
                "noticesOnly": true,
                "heartbeatSeconds": "5",
                "cursor": "ab.7",
            })
        );
        let given = to_json(&w, "cursor=0", Some("ab.7".into())).unwrap();
        assert_eq!(
            given["cursor"], "0",
            "a cursor given wins over Last-Event-ID"
        );
        assert!(
            to_json(&w, "colour=red", None)
                .unwrap_err()
                .contains("no field")
        );
        assert!(to_json(&w, "notices_only=maybe", None).is_err());
        assert!(to_json(&w, "cursor=%E5%8", None).is_err());
    }
}
