//! A bound on the size of each sheet of a legacy .xls workbook stream (BIFF),
//! checked before the workbook reader builds the sheet: the reader allocates
//! the whole rectangle from the first to the last cell (and reserves what a
//! DIMENSIONS record claims) at once, so one cell at a far corner made it ask
//! for 137 GB. The walk below follows the records the way the reader does.

/// The most cells a roster sheet may span: 100,000 deputies by 50 columns.
pub const MAX_CELLS: u64 = 5_000_000;

/// Checks every sheet the stream's BOUNDSHEET records point at.
pub fn check(stream: &[u8]) -> Result<(), String> {
    let starts: Vec<usize> = records(stream)
        .filter(|(typ, d)| *typ == 0x0085 && d.len() >= 4)
        .map(|(_, d)| u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize)
        .collect();
    for start in starts {
        if let Some(sheet) = stream.get(start..) {
            check_sheet(sheet)?;
        }
    }
    Ok(())
}

/// The records of a stream: (type, data), stopping at a truncated record.
fn records(mut s: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let typ = u16::from_le_bytes(s.get(0..2)?.try_into().ok()?);
        let len = u16::from_le_bytes(s.get(2..4)?.try_into().ok()?) as usize;
        let data = s.get(4..4 + len)?;
        s = &s[4 + len..];
        Some((typ, data))
    })
}

/// The rectangle spanned by some cells.
#[derive(Default)]
struct Span(Option<(u32, u32, u32, u32)>);

impl Span {
    fn add(&mut self, row: u32, col: u32) {
        let (r0, r1, c0, c1) = self.0.unwrap_or((row, row, col, col));
        self.0 = Some((r0.min(row), r1.max(row), c0.min(col), c1.max(col)));
    }

    fn cells(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, c0, c1)| {
            (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1)
        })
    }
}

fn u16_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(
        d.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn check_sheet(sheet: &[u8]) -> Result<(), String> {
    let (mut cells, mut formulas) = (Span::default(), Span::default());
    let (mut seen_bof, mut depth) = (false, 0usize);
    for (typ, d) in records(sheet) {
        // Embedded charts are substreams the reader skips.
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let at = |d: &[u8]| Some((u16_at(d, 0)?, u16_at(d, 2)?));
        match typ {
            0x0809 if seen_bof => depth += 1,
            0x0809 => seen_bof = true,
            0x000A => break,
            0x0200 => {
                let claimed = dimensions(d).unwrap_or(0);
                if claimed > MAX_CELLS {
                    return Err(too_big(claimed));
                }
            }
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD => {
                if let Some((r, c)) = at(d) {
                    cells.add(r, c);
                }
            }
            0x00BD => {
                if let (Some((r, c0)), Some(c1)) = (at(d), u16_at(d, d.len().saturating_sub(2))) {
                    cells.add(r, c0);
                    cells.add(r, c1);
                }
            }
            0x0006 => {
                if let Some((r, c)) = at(d) {
                    cells.add(r, c);
                    formulas.add(r, c);
                }
            }
            _ => {}
        }
    }
    for span in [cells, formulas] {
        if span.cells() > MAX_CELLS {
            return Err(too_big(span.cells()));
        }
    }
    Ok(())
}

/// The number of cells a DIMENSIONS record makes the reader reserve.
fn dimensions(d: &[u8]) -> Option<u64> {
    let (rf, rl, mut cf, cl) = match d.len() {
        10 => (u16_at(d, 0)?, u16_at(d, 2)?, u16_at(d, 4)?, u16_at(d, 6)?),
        14 | 16 => (u32_at(d, 0)?, u32_at(d, 4)?, u16_at(d, 8)?, u16_at(d, 10)?),
        _ => return None,
    };
    if cf > 0xFF || cl < cf {
        cf = 0;
    }
    if rl == 0 || cl == 0 {
        return Some(1);
    }
    // The reader computes end - start + 1 in 32 bits; a start past the end
    // wraps around to a huge count.
    let rows = (rl - 1).wrapping_sub(rf).wrapping_add(1);
    let cols = (cl - 1).wrapping_sub(cf).wrapping_add(1);
    Some(u64::from(rows) * u64::from(cols))
}

fn too_big(cells: u64) -> String {
    format!(
        "a sheet spans {cells} cells (at most {MAX_CELLS}); \
         delete the empty rows and columns around the roster and save it again"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut v = typ.to_le_bytes().to_vec();
        v.extend((data.len() as u16).to_le_bytes());
        v.extend(data);
        v
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut d = row.to_le_bytes().to_vec();
        d.extend(col.to_le_bytes());
        d.extend([0; 10]);
        rec(0x0203, &d)
    }

    /// A workbook stream with one sheet holding the given records.
    fn workbook(sheet: &[Vec<u8>]) -> Vec<u8> {
        let bof = rec(0x0809, &[0, 6, 0x10, 0, 0, 0, 0, 0]);
        let mut globals = bof.clone();
        let bound_at = globals.len();
        globals.extend(rec(0x0085, &[0; 8]));
        globals.extend(rec(0x000A, &[]));
        let start = globals.len() as u32;
        globals[bound_at + 4..bound_at + 8].copy_from_slice(&start.to_le_bytes());
        globals.extend(bof);
        for r in sheet {
            globals.extend(r);
        }
        globals.extend(rec(0x000A, &[]));
        globals
    }

    #[test]
    fn a_sheet_with_a_far_corner_is_refused_and_a_roster_passes() {
        let ok = workbook(&[number(0, 0), number(2000, 30)]);
        assert_eq!(check(&ok), Ok(()));
        let far = workbook(&[number(0, 0), number(65535, 255)]);
        let e = check(&far).unwrap_err();
        assert!(e.contains("16777216 cells"), "{e}");
    }

    #[test]
    fn a_dimensions_record_claiming_too_much_is_refused() {
        let mut d = 0u32.to_le_bytes().to_vec();
        d.extend(65536u32.to_le_bytes());
        d.extend(0u16.to_le_bytes());
        d.extend(256u16.to_le_bytes());
        d.extend([0, 0]);
        assert!(check(&workbook(&[rec(0x0200, &d)])).is_err());
        // A start row past the end row wraps around in the reader.
        let mut wrap = 5u32.to_le_bytes().to_vec();
        wrap.extend(2u32.to_le_bytes());
        wrap.extend(0u16.to_le_bytes());
        wrap.extend(1u16.to_le_bytes());
        wrap.extend([0, 0]);
        assert!(check(&workbook(&[rec(0x0200, &wrap)])).is_err());
        // Cells inside an embedded chart are not the sheet's.
        let chart = [
            rec(0x0809, &[0; 8]),
            number(65535, 255),
            rec(0x000A, &[]),
            number(0, 0),
        ];
        assert_eq!(check(&workbook(&chart)), Ok(()));
    }
}
