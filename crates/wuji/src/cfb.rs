//! A legacy .xls file's container (the Compound File Binary format), read by
//! our own bounded code before the workbook reader sees it: the sector tables
//! must fit in the file, every chain must end without a cycle, no stream may
//! claim more bytes than the file holds. The workbook stream is taken out and
//! written into a fresh, plain container ([`rebuild`]), so the reader sees
//! exactly the bytes that were checked. Fuzzing found .xls files whose looping
//! chains or huge sizes made the reader allocate gigabytes and never finish.

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FREE: u32 = 0xFFFF_FFFF;
const FATSECT: u32 = 0xFFFF_FFFD;
const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const MINI: usize = 64;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Whether the bytes are a compound file (.xls, .doc, ...).
pub fn is_cfb(b: &[u8]) -> bool {
    b.len() >= 512 && b[..8] == SIGNATURE
}

/// One directory entry.
struct Entry {
    name: String,
    kind: u8,
    start: u32,
    len: u64,
}

/// A checked container: its sector size, FAT and directory.
struct Container<'a> {
    b: &'a [u8],
    size: usize,
    sectors: usize,
    fat: Vec<u32>,
    entries: Vec<Entry>,
    mini_cutoff: u64,
}

impl<'a> Container<'a> {
    fn open(b: &'a [u8]) -> Result<Container<'a>, String> {
        let shift = u16_at(b, 0x1E).unwrap_or(0);
        if shift != 9 && shift != 12 {
            return Err(format!("sector shift {shift} (9 or 12 expected)"));
        }
        let size = 1usize << shift;
        let sectors = b.len().saturating_sub(size) / size + 1;
        let count = |at: usize| u32_at(b, at).unwrap_or(0) as usize;
        let (n_fat, n_difat) = (count(0x2C), count(0x48));
        if n_fat > sectors || n_difat > sectors {
            return Err(format!(
                "{n_fat} FAT and {n_difat} DIFAT sectors in a file of {sectors} sectors"
            ));
        }
        let mut c = Container {
            b,
            size,
            sectors,
            fat: Vec::new(),
            entries: Vec::new(),
            mini_cutoff: u32_at(b, 0x38).unwrap_or(4096) as u64,
        };
        // The FAT's own sectors: 109 in the header, the rest in the DIFAT chain.
        let mut fat_ids: Vec<u32> = (0..109).filter_map(|i| u32_at(b, 0x4C + 4 * i)).collect();
        let mut next = u32_at(b, 0x44).unwrap_or(ENDOFCHAIN);
        for _ in 0..n_difat {
            if next == ENDOFCHAIN || next == FREE {
                break;
            }
            let s = c
                .sector(next)
                .ok_or_else(|| format!("DIFAT sector {next} past the end"))?;
            let per = size / 4 - 1;
            fat_ids.extend((0..per).filter_map(|i| u32_at(s, 4 * i)));
            next = u32_at(s, 4 * per).unwrap_or(ENDOFCHAIN);
        }
        for &id in fat_ids
            .iter()
            .filter(|&&id| id < ENDOFCHAIN - 1)
            .take(n_fat)
        {
            let s = c
                .sector(id)
                .ok_or_else(|| format!("FAT sector {id} past the end"))?;
            c.fat.extend((0..size / 4).filter_map(|i| u32_at(s, 4 * i)));
        }
        // The directory, and every stream in it.
        for id in c.chain(u32_at(b, 0x30).unwrap_or(ENDOFCHAIN))? {
            let s = c
                .sector(id)
                .ok_or_else(|| format!("directory sector {id} past the end"))?;
            for e in s.chunks_exact(128) {
                let len = u64::from(u32_at(e, 0x78).unwrap_or(0))
                    | (if shift == 12 {
                        u64::from(u32_at(e, 0x7C).unwrap_or(0)) << 32
                    } else {
                        0
                    });
                let name_len = (u16_at(e, 0x40).unwrap_or(0) as usize).min(64);
                let units: Vec<u16> = e[..name_len]
                    .chunks_exact(2)
                    .map(|u| u16::from_le_bytes([u[0], u[1]]))
                    .take_while(|&u| u != 0)
                    .collect();
                c.entries.push(Entry {
                    name: String::from_utf16_lossy(&units),
                    kind: e[0x42],
                    start: u32_at(e, 0x74).unwrap_or(ENDOFCHAIN),
                    len,
                });
            }
        }
        for e in c.entries.iter().filter(|e| e.kind != 0) {
            if e.len > b.len() as u64 {
                return Err(format!(
                    "a stream claims {} bytes in a file of {}",
                    e.len,
                    b.len()
                ));
            }
            // The root entry (5) holds the mini stream; large streams (2)
            // live in normal sectors.
            if e.kind == 5 || (e.kind == 2 && e.len >= c.mini_cutoff) {
                c.chain(e.start)?;
            }
        }
        Ok(c)
    }

    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let start = (id as usize + 1).checked_mul(self.size)?;
        self.b.get(start..start.checked_add(self.size)?)
    }

    /// A chain of normal sectors: it must end, without a cycle, within the file.
    fn chain(&self, start: u32) -> Result<Vec<u32>, String> {
        follow(&self.fat, start, self.sectors)
    }

    /// The bytes of a chain of normal sectors, cut at `len`.
    fn read(&self, start: u32, len: u64) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        for id in self.chain(start)? {
            out.extend_from_slice(self.sector(id).unwrap_or_default());
        }
        cut(out, len)
    }

    /// A stream's bytes, from normal sectors or the mini stream.
    fn stream(&self, e: &Entry) -> Result<Vec<u8>, String> {
        if e.len >= self.mini_cutoff {
            return self.read(e.start, e.len);
        }
        let root = self
            .entries
            .iter()
            .find(|e| e.kind == 5)
            .ok_or("no root entry")?;
        let mini = self.read(root.start, root.len)?;
        let mini_fat_bytes = self.read(u32_at(self.b, 0x3C).unwrap_or(ENDOFCHAIN), u64::MAX)?;
        let mini_fat: Vec<u32> = (0..mini_fat_bytes.len() / 4)
            .filter_map(|i| u32_at(&mini_fat_bytes, 4 * i))
            .collect();
        let mut out = Vec::new();
        for id in follow(&mini_fat, e.start, mini.len() / MINI)? {
            let at = id as usize * MINI;
            out.extend_from_slice(&mini[at..at + MINI]);
        }
        cut(out, e.len)
    }
}

/// Follows a chain in `table` that must stay below `limit` and not loop.
fn follow(table: &[u32], start: u32, limit: usize) -> Result<Vec<u32>, String> {
    let mut seen = vec![false; table.len().min(limit)];
    let mut ids = Vec::new();
    let mut id = start;
    while id != ENDOFCHAIN && id != FREE {
        let i = id as usize;
        if i >= seen.len() {
            return Err(format!("sector {id} past the end"));
        }
        if std::mem::replace(&mut seen[i], true) {
            return Err(format!("the sector chain from {start} loops at {id}"));
        }
        ids.push(id);
        id = table[i];
    }
    Ok(ids)
}

fn cut(mut out: Vec<u8>, len: u64) -> Result<Vec<u8>, String> {
    if len != u64::MAX {
        if (out.len() as u64) < len {
            return Err(format!("a stream of {len} bytes ends after {}", out.len()));
        }
        out.truncate(len as usize);
    }
    Ok(out)
}

/// The workbook stream of a checked .xls container, with its name
/// (`Workbook` in BIFF8, `Book` in BIFF5), as the workbook reader picks it.
pub fn workbook(b: &[u8]) -> Result<(String, Vec<u8>), String> {
    let c = Container::open(b)?;
    let e = ["workbook", "book"]
        .iter()
        .find_map(|want| {
            c.entries
                .iter()
                .find(|e| e.kind == 2 && e.name.eq_ignore_ascii_case(want))
        })
        .ok_or("no workbook stream in the file")?;
    Ok((e.name.clone(), c.stream(e)?))
}

/// A plain container holding one stream: 512-byte sectors, the stream in
/// consecutive sectors (padded with empty records to at least 4,096 bytes, so
/// it never lives in the mini stream), then the directory, then the FAT.
pub fn rebuild(name: &str, stream: &[u8]) -> Result<Vec<u8>, String> {
    let mut data = stream.to_vec();
    data.resize(data.len().max(4096).div_ceil(512) * 512, 0);
    let n = data.len() / 512;
    let mut f = 1;
    while f * 128 < n + 1 + f {
        f += 1;
    }
    if f > 109 {
        return Err(format!(
            "the workbook stream ({} bytes) is too large",
            stream.len()
        ));
    }
    let mut out = vec![0u8; 512];
    let put = |out: &mut Vec<u8>, at: usize, v: &[u8]| out[at..at + v.len()].copy_from_slice(v);
    put(&mut out, 0, &SIGNATURE);
    put(&mut out, 0x18, &0x3Eu16.to_le_bytes());
    put(&mut out, 0x1A, &3u16.to_le_bytes());
    put(&mut out, 0x1C, &0xFFFEu16.to_le_bytes());
    put(&mut out, 0x1E, &9u16.to_le_bytes());
    put(&mut out, 0x20, &6u16.to_le_bytes());
    put(&mut out, 0x2C, &(f as u32).to_le_bytes());
    put(&mut out, 0x30, &(n as u32).to_le_bytes());
    put(&mut out, 0x38, &4096u32.to_le_bytes());
    put(&mut out, 0x3C, &ENDOFCHAIN.to_le_bytes());
    put(&mut out, 0x44, &ENDOFCHAIN.to_le_bytes());
    for i in 0..109 {
        let id = if i < f { (n + 1 + i) as u32 } else { FREE };
        put(&mut out, 0x4C + 4 * i, &id.to_le_bytes());
    }
    out.extend_from_slice(&data);
    // The directory: the root entry and the stream.
    let mut dir = vec![0u8; 512];
    let entry = |dir: &mut Vec<u8>, at: usize, name: &str, kind: u8, start: u32, len: u32| {
        let units: Vec<u16> = name.encode_utf16().take(31).collect();
        for (i, u) in units.iter().enumerate() {
            put(dir, at + 2 * i, &u.to_le_bytes());
        }
        put(
            dir,
            at + 0x40,
            &(2 * (units.len() as u16 + 1)).to_le_bytes(),
        );
        dir[at + 0x42] = kind;
        dir[at + 0x43] = 1; // black
        for link in [0x44, 0x48, 0x4C] {
            put(dir, at + link, &FREE.to_le_bytes());
        }
        put(dir, at + 0x74, &start.to_le_bytes());
        put(dir, at + 0x78, &len.to_le_bytes());
    };
    entry(&mut dir, 0, "Root Entry", 5, ENDOFCHAIN, 0);
    put(&mut dir, 0x4C, &1u32.to_le_bytes()); // the root's child
    entry(&mut dir, 128, name, 2, 0, data.len() as u32);
    out.extend_from_slice(&dir);
    // The FAT: the stream's chain, the directory's, the FAT's own sectors.
    let mut fat: Vec<u32> = (1..n as u32).collect();
    fat.push(ENDOFCHAIN);
    fat.push(ENDOFCHAIN);
    fat.extend(std::iter::repeat_n(FATSECT, f));
    fat.resize(f * 128, FREE);
    out.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &[u8] = include_bytes!("../tests/fixtures/roster.xls");

    fn check(b: &[u8]) -> Result<(), String> {
        Container::open(b).map(|_| ())
    }

    #[test]
    fn a_real_xls_passes_and_a_looping_chain_is_refused() {
        assert!(is_cfb(REAL) && !is_cfb(b"not a workbook"));
        assert_eq!(check(REAL), Ok(()));
        // Make the directory's first sector point at itself in the FAT.
        let mut bad = REAL.to_vec();
        let dir = u32_at(&bad, 0x30).unwrap() as usize;
        let fat0 = u32_at(&bad, 0x4C).unwrap() as usize;
        let at = (fat0 + 1) * 512 + 4 * dir;
        bad[at..at + 4].copy_from_slice(&(dir as u32).to_le_bytes());
        let e = check(&bad).unwrap_err();
        assert!(e.contains("loops"), "{e}");
    }

    #[test]
    fn the_rebuilt_container_holds_the_same_workbook_stream() {
        let (name, stream) = workbook(REAL).unwrap();
        assert_eq!(name, "Workbook");
        assert!(stream.starts_with(&[0x09, 0x08]), "a BIFF BOF record first");
        let again = rebuild(&name, &stream).unwrap();
        check(&again).unwrap();
        let (name2, stream2) = workbook(&again).unwrap();
        assert_eq!(name2, name);
        assert_eq!(&stream2[..stream.len()], &stream[..]);
        assert!(stream2[stream.len()..].iter().all(|&b| b == 0));
    }
}
