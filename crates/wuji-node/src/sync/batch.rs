//! Batches on the link: record states split into messages the peer accepts.

use wuji_division::Code;
use wuji_proto::pb;

/// Splits record states into groups of at most `target` encoded bytes (always
/// at least one group, so an empty slice of the log still moves the checkpoint).
/// A record above `max` can never cross: it is left out, loudly.
pub(crate) fn split(
    records: Vec<pb::RecordState>,
    target: usize,
    max: usize,
    peer: Code,
) -> Vec<Vec<pb::RecordState>> {
    use prost::Message;
    let mut out = vec![Vec::new()];
    let mut size = 0;
    for r in records {
        let len = r.encoded_len() + 8;
        if len + 64 > max {
            tracing::error!(%peer, bytes = len, max, "a record larger than the largest message cannot be sent; raise api.max_message_bytes on both nodes");
            continue;
        }
        if size + len > target && !out.last().is_none_or(Vec::is_empty) {
            out.push(Vec::new());
            size = 0;
        }
        size += len;
        if let Some(last) = out.last_mut() {
            last.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(bytes: usize) -> pb::RecordState {
        pb::RecordState {
            sections: vec![pb::SectionEnvelope {
                signature: vec![0; bytes],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn batches_are_split_by_size_and_a_record_too_large_is_left_out() {
        use prost::Message;
        let peer = Code::parse("320114").unwrap();
        let records: Vec<_> = [100, 300, 300, 5_000, 200, 250]
            .into_iter()
            .map(state)
            .collect();
        let groups = split(records, 600, 1_000, peer);
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![2, 2, 1], "the 5,000-byte record is dropped");
        for g in &groups {
            assert!(g.iter().map(|r| r.encoded_len() + 8).sum::<usize>() <= 600);
        }
        assert_eq!(split(Vec::new(), 600, 1_000, peer), vec![Vec::new()]);
    }
}
