//! Record ids and codes as typed on the command line: `HOME:UUID`.

use anyhow::{Context, anyhow};
use wuji_division::Code;
use wuji_proto::pb;

/// Parses `HOME:UUID` (as printed in the 编号/id column) into a record id whose
/// kind the server fills in.
pub fn record_id(s: &str) -> anyhow::Result<pb::RecordId> {
    let (home, uuid) = s.trim().split_once(':').ok_or_else(|| {
        anyhow!("{s:?} is not a record id: expected HOME:UUID as printed in the id column")
    })?;
    let home = Code::parse(home).with_context(|| format!("record id {s:?}"))?;
    let uuid = uuid::Uuid::parse_str(uuid).with_context(|| format!("record id {s:?}"))?;
    Ok(pb::RecordId {
        kind: 0,
        home: home.value(),
        uuid: uuid.as_bytes().to_vec(),
    })
}

/// A `Get` request for the record id typed on the command line.
pub fn get(s: &str) -> anyhow::Result<pb::Get> {
    Ok(pb::Get {
        id: Some(record_id(s)?),
    })
}

/// Parses a division code given on the command line.
pub fn code(s: &str) -> anyhow::Result<u32> {
    Ok(Code::parse(s)?.value())
}

/// A page request.
pub fn page(limit: u32, after: &Option<String>) -> Option<pb::Page> {
    Some(pb::Page {
        limit,
        after: after.clone().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_bad_ones_say_why() {
        let id = record_id("320114:01936c2e-7a8b-7c3d-9e1f-000000000001").unwrap();
        assert_eq!(id.home, 320_114);
        assert!(
            record_id("nope")
                .unwrap_err()
                .to_string()
                .contains("HOME:UUID")
        );
        assert!(
            format!(
                "{:#}",
                record_id("999999:01936c2e-7a8b-7c3d-9e1f-000000000001").unwrap_err()
            )
            .contains("99")
        );
    }
}
