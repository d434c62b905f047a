//! The backup file: every key and value of a node's store as one consistent
//! state, behind a header a person can read (`head -8 FILE`) and ahead of a
//! SHA-256 of everything before it, so a cut or changed file is refused.
//!
//! ```text
//! WUJI-BACKUP 1
//! node: 320114
//! created_ms: 1796000000000
//! last_seq: 4211
//! entries: 18342
//! software: wuji 0.1.0
//! personal: yes (deputies' personal fields: keep it as the node is kept)
//!
//! [u32 key length][key][u32 value length][value] x entries
//! [32 bytes: SHA-256 of all of the above]
//! ```

use crate::{Batch, Entry, Error, Kv};
use sha2::{Digest, Sha256};

/// The format this version writes; it reads this one and older.
pub const FORMAT: u32 = 1;

const MAGIC: &str = "WUJI-BACKUP ";

/// What the header of a backup says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The file's format.
    pub format: u32,
    /// The node's code (as a number).
    pub node: u32,
    /// When the snapshot was taken (UTC ms, by the node's clock).
    pub created_ms: u64,
    /// The node's log position in it.
    pub last_seq: u64,
    /// How many keys follow.
    pub entries: u64,
    /// The software that wrote it.
    pub software: String,
}

/// Encodes a backup of `entries` (in key order) under `header` (its
/// `entries` count is set from them).
pub fn encode(header: &Header, entries: &[Entry]) -> Vec<u8> {
    let size: usize = entries.iter().map(|(k, v)| k.len() + v.len() + 8).sum();
    let mut out = Vec::with_capacity(size + 512);
    out.extend_from_slice(
        format!(
            "{MAGIC}{}\nnode: {}\ncreated_ms: {}\nlast_seq: {}\nentries: {}\nsoftware: {}\npersonal: yes (deputies' personal fields: keep it as the node is kept)\n\n",
            header.format,
            header.node,
            header.created_ms,
            header.last_seq,
            entries.len(),
            header.software.replace('\n', " "),
        )
        .as_bytes(),
    );
    for (k, v) in entries {
        out.extend_from_slice(&(k.len() as u32).to_be_bytes());
        out.extend_from_slice(k);
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(v);
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

fn bad(reason: impl Into<String>) -> Error {
    Error::Backup(reason.into())
}

/// Reads a backup: its header and entries, after checking its checksum.
pub fn decode(bytes: &[u8]) -> Result<(Header, Vec<Entry>), Error> {
    if !bytes.starts_with(MAGIC.as_bytes()) {
        return Err(bad(
            "not a wuji backup (it does not start with WUJI-BACKUP)",
        ));
    }
    if bytes.len() < 32 {
        return Err(bad("the file is cut short"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(body).as_slice() != sum {
        return Err(bad(
            "the checksum does not match: the file is cut short or was changed",
        ));
    }
    let end = body
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or_else(|| bad("no end of header"))?;
    let text = std::str::from_utf8(&body[..end]).map_err(|_| bad("header is not UTF-8"))?;
    let mut lines = text.lines();
    let format: u32 = lines
        .next()
        .and_then(|l| l.strip_prefix(MAGIC))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| bad("no format version"))?;
    if format > FORMAT {
        return Err(bad(format!(
            "backup format {format} is newer than this wuji reads ({FORMAT}): restore it with the version that wrote it or a later one"
        )));
    }
    let mut field = std::collections::BTreeMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(": ") {
            field.insert(k, v);
        }
    }
    let num = |k: &str| -> Result<u64, Error> {
        field
            .get(k)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad(format!("header has no {k}")))
    };
    let header = Header {
        format,
        node: u32::try_from(num("node")?).map_err(|_| bad("node code out of range"))?,
        created_ms: num("created_ms")?,
        last_seq: num("last_seq")?,
        entries: num("entries")?,
        software: field.get("software").unwrap_or(&"").to_string(),
    };
    let mut rest = &body[end + 2..];
    let mut take = |what: &str| -> Result<Vec<u8>, Error> {
        if rest.len() < 4 {
            return Err(bad(format!("{what} length cut short")));
        }
        let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if rest.len() < 4 + n {
            return Err(bad(format!("{what} cut short")));
        }
        let v = rest[4..4 + n].to_vec();
        rest = &rest[4 + n..];
        Ok(v)
    };
    let mut entries = Vec::with_capacity(header.entries.min(1 << 24) as usize);
    for _ in 0..header.entries {
        let k = take("key")?;
        let v = take("value")?;
        entries.push((k, v));
    }
    if !rest.is_empty() {
        return Err(bad(format!(
            "{} bytes after the {} entries the header counts",
            rest.len(),
            header.entries
        )));
    }
    Ok((header, entries))
}

/// Every key and value of `kv`, in key order.
pub fn dump(kv: &dyn Kv) -> Result<Vec<Entry>, Error> {
    let mut out: Vec<Entry> = Vec::new();
    loop {
        let after = out.last().map(|(k, _)| k.clone());
        let page = kv.scan(&[], after.as_deref(), 8_192)?;
        let done = page.len() < 8_192;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}

/// Writes `entries` into `kv`, which must be empty, and flushes it. The
/// store restored is another incarnation of the one backed up: what its log
/// counted after the backup is not in it, so peers' checkpoints of it and
/// change-feed cursors given by it before must not count in it (a peer then
/// ships everything and sends back what it holds of this node; a watcher is
/// told its cursor is stale).
pub fn restore(kv: &dyn Kv, entries: Vec<Entry>) -> Result<(), Error> {
    if !kv.scan(&[], None, 1)?.is_empty() {
        return Err(bad(
            "the store to restore into is not empty: restore into a new directory",
        ));
    }
    let mut batch = Batch::default();
    for (k, v) in entries {
        batch.put(k, v);
        if batch.puts.len() == 8_192 {
            kv.apply(std::mem::take(&mut batch))?;
        }
    }
    batch.put(
        crate::layout::meta_key(b"incarnation"),
        crate::layout::new_incarnation(),
    );
    kv.apply(batch)?;
    kv.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Header, Vec<Entry>) {
        let h = Header {
            format: FORMAT,
            node: 320114,
            created_ms: 1_796_000_000_000,
            last_seq: 42,
            entries: 2,
            software: "wuji test".into(),
        };
        (
            h,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), vec![0; 300]),
            ],
        )
    }

    #[test]
    fn a_backup_reads_back_as_written_and_its_header_is_plain_text() {
        let (h, e) = sample();
        let bytes = encode(&h, &e);
        assert!(bytes.starts_with(b"WUJI-BACKUP 1\nnode: 320114\n"));
        let (h2, e2) = decode(&bytes).unwrap();
        assert_eq!((h2, e2), (h, e));
    }

    #[test]
    fn a_cut_or_changed_backup_is_refused() {
        let (h, e) = sample();
        let bytes = encode(&h, &e);
        let cut = &bytes[..bytes.len() - 40];
        assert!(decode(cut).unwrap_err().to_string().contains("checksum"));
        let mut changed = bytes.clone();
        changed[80] ^= 1;
        assert!(
            decode(&changed)
                .unwrap_err()
                .to_string()
                .contains("checksum")
        );
        assert!(
            decode(b"hello")
                .unwrap_err()
                .to_string()
                .contains("not a wuji backup")
        );
        let newer = encode(&Header { format: 9, ..h }, &e);
        assert!(decode(&newer).unwrap_err().to_string().contains("newer"));
    }

    #[test]
    fn a_store_is_dumped_and_restored_only_into_an_empty_one() {
        let kv = crate::MemKv::default();
        let mut b = Batch::default();
        for i in 0..20_000u32 {
            b.put(i.to_be_bytes().to_vec(), vec![1]);
        }
        let inc = crate::layout::meta_key(b"incarnation");
        b.put(inc.clone(), vec![9; 16]);
        kv.apply(b).unwrap();
        let all = dump(&kv).unwrap();
        assert_eq!(all.len(), 20_001);
        let into = crate::MemKv::default();
        restore(&into, all.clone()).unwrap();
        // Everything back, but as another incarnation of the store.
        let back = dump(&into).unwrap();
        let (was, now) = (
            all.iter().find(|(k, _)| *k == inc).unwrap(),
            back.iter().find(|(k, _)| *k == inc).unwrap(),
        );
        assert_ne!(was.1, now.1, "a restored store is a new incarnation");
        let other = |v: &[Entry]| {
            v.iter()
                .filter(|(k, _)| *k != inc)
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(other(&back), other(&all));
        assert_eq!(back.len(), all.len());
        assert!(
            restore(&into, all)
                .unwrap_err()
                .to_string()
                .contains("not empty")
        );
    }
}
