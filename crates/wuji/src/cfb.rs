//! A sanity check of a legacy .xls file's container (the Compound File Binary
//! format) before the workbook reader sees it: the sector tables must fit in
//! the file, the directory and every stream chain must end without a cycle, and
//! no stream may claim more bytes than the file holds. Fuzzing found .xls files
//! whose looping sector chains made the reader allocate gigabytes and never
//! finish; this refuses them in time proportional to the file.

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FREE: u32 = 0xFFFF_FFFF;
const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Checks the container; files that are not CFB at all are left to the reader
/// (it refuses them with its own message).
pub fn check(b: &[u8]) -> Result<(), String> {
    if b.len() < 512 || b[..8] != SIGNATURE {
        return Ok(());
    }
    let shift = u16_at(b, 0x1E).unwrap_or(0);
    if shift != 9 && shift != 12 {
        return Err(format!("sector shift {shift} (9 or 12 expected)"));
    }
    let size = 1usize << shift;
    let sectors = b.len().saturating_sub(size) / size + 1;
    let sector = |id: u32| -> Option<&[u8]> {
        let start = (id as usize + 1).checked_mul(size)?;
        b.get(start..start.checked_add(size)?)
    };
    let count = |at: usize| u32_at(b, at).unwrap_or(0) as usize;
    let (n_fat, n_difat) = (count(0x2C), count(0x48));
    if n_fat > sectors || n_difat > sectors {
        return Err(format!(
            "{n_fat} FAT and {n_difat} DIFAT sectors in a file of {sectors} sectors"
        ));
    }
    // The FAT's own sectors: 109 in the header, the rest in the DIFAT chain.
    let mut fat_ids: Vec<u32> = (0..109).filter_map(|i| u32_at(b, 0x4C + 4 * i)).collect();
    let mut next = u32_at(b, 0x44).unwrap_or(ENDOFCHAIN);
    for _ in 0..n_difat {
        if next == ENDOFCHAIN || next == FREE {
            break;
        }
        let s = sector(next).ok_or_else(|| format!("DIFAT sector {next} past the end"))?;
        let per = size / 4 - 1;
        fat_ids.extend((0..per).filter_map(|i| u32_at(s, 4 * i)));
        next = u32_at(s, 4 * per).unwrap_or(ENDOFCHAIN);
    }
    let mut fat = Vec::new();
    for &id in fat_ids
        .iter()
        .filter(|&&id| id < ENDOFCHAIN - 1)
        .take(n_fat)
    {
        let s = sector(id).ok_or_else(|| format!("FAT sector {id} past the end"))?;
        fat.extend((0..size / 4).filter_map(|i| u32_at(s, 4 * i)));
    }
    // A chain: it must end, without a cycle, within the file.
    let chain = |start: u32| -> Result<Vec<u32>, String> {
        let mut seen = vec![false; fat.len()];
        let mut ids = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN && id != FREE {
            let i = id as usize;
            if i >= fat.len() || i >= sectors {
                return Err(format!("sector {id} past the end"));
            }
            if std::mem::replace(&mut seen[i], true) {
                return Err(format!("the sector chain from {start} loops at {id}"));
            }
            ids.push(id);
            id = fat[i];
        }
        Ok(ids)
    };
    // The directory, and every stream in it.
    let dir = chain(u32_at(b, 0x30).unwrap_or(ENDOFCHAIN))?;
    let mini_cutoff = u32_at(b, 0x38).unwrap_or(4096) as u64;
    for id in dir {
        let s = sector(id).ok_or_else(|| format!("directory sector {id} past the end"))?;
        for e in s.chunks_exact(128) {
            let kind = e[0x42];
            if kind == 0 {
                continue; // unused entry
            }
            let start = u32_at(e, 0x74).unwrap_or(ENDOFCHAIN);
            let len = u64::from(u32_at(e, 0x78).unwrap_or(0))
                | (if shift == 12 {
                    u64::from(u32_at(e, 0x7C).unwrap_or(0)) << 32
                } else {
                    0
                });
            if len > b.len() as u64 {
                return Err(format!(
                    "a stream claims {len} bytes in a file of {}",
                    b.len()
                ));
            }
            // The root entry (5) holds the mini stream; large streams (2)
            // live in normal sectors.
            if kind == 5 || (kind == 2 && len >= mini_cutoff) {
                chain(start)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_xls_passes_and_a_looping_chain_is_refused() {
        let real = include_bytes!("../tests/fixtures/roster.xls");
        assert_eq!(check(real), Ok(()));
        assert_eq!(check(b"not a workbook"), Ok(()), "left to the reader");
        // Make the directory's first sector point at itself in the FAT.
        let mut bad = real.to_vec();
        let dir = u32_at(&bad, 0x30).unwrap() as usize;
        let fat0 = u32_at(&bad, 0x4C).unwrap() as usize;
        let at = (fat0 + 1) * 512 + 4 * dir;
        bad[at..at + 4].copy_from_slice(&(dir as u32).to_le_bytes());
        let e = check(&bad).unwrap_err();
        assert!(e.contains("loops"), "{e}");
    }
}
