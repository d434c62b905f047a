//! Roster files as offices keep them (.xlsx, .xls, .ods, .csv in UTF-8 or
//! GBK/GB18030), read into rows of text cells.

use anyhow::bail;
use calamine::{Data, Reader};

/// The rows of text cells of a roster file's bytes (the first row is the
/// header); `ext` is the file's extension in lower case.
pub fn rows(ext: &str, bytes: Vec<u8>) -> anyhow::Result<Vec<Vec<String>>> {
    match ext {
        "xlsx" | "xls" | "xlsm" | "ods" => {
            // The reader takes any of these formats whatever the extension
            // says; a compound file is its .xls reader's, checked first.
            let bytes = if crate::cfb::is_cfb(&bytes) {
                legacy_xls(&bytes).map_err(|e| anyhow::anyhow!("{DAMAGED}: {e}"))?
            } else {
                bytes
            };
            contained(|| {
                let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))?;
                let Some(sheet) = wb.sheet_names().first().cloned() else {
                    bail!("the workbook has no sheet")
                };
                let range = wb.worksheet_range(&sheet)?;
                Ok(range.rows().map(|r| r.iter().map(cell).collect()).collect())
            })
        }
        "csv" | "txt" => {
            let text = decode(&bytes);
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            let mut rows = Vec::new();
            for (i, rec) in rdr.records().enumerate() {
                let rec = rec.map_err(|e| anyhow::anyhow!("line {}: {e}", i + 1))?;
                rows.push(rec.iter().map(|s| s.trim().to_string()).collect());
            }
            Ok(rows)
        }
        other => bail!("unknown file type {other:?}; use .xlsx, .xls or .csv"),
    }
}

const DAMAGED: &str =
    "the workbook is damaged or not an Excel/ODS file; open it in Excel or WPS and save it again";

/// A legacy .xls file as the reader may see it: the container and the size of
/// every sheet checked, the workbook stream alone in a fresh container.
fn legacy_xls(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let (name, stream) = crate::cfb::workbook(bytes)?;
    crate::biff::check(&stream)?;
    crate::cfb::rebuild(&name, &stream)
}

/// Runs the workbook reader (a third-party parser) so that a damaged file it
/// cannot handle is refused with a clear error instead of ending the program:
/// a panic inside it becomes an error (fuzzing found such files).
fn contained<T>(read: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    std::panic::set_hook(hook);
    match r {
        Ok(r) => r,
        Err(_) => bail!("{DAMAGED} (the reader failed on it)"),
    }
}

/// CSV text: UTF-8 (with or without BOM) if valid, else GB18030 (a superset of GBK).
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    /// Legacy .xls files found by fuzzing that made the reader allocate a
    /// whole sheet of 65,536 by 65,536 cells (137 GB) or run for minutes.
    const HUGE: &[&str] = &[
        "1746272fb715ccba",
        "5cbffae25f40d2cf",
        "643d47f8cff0cc67",
        "7549760a2790e417",
        "77cfcbde4bf2290e",
        "d1f5149b96039c95",
        "d34daa9cac767431",
    ];

    #[test]
    fn xls_files_with_huge_sheets_are_refused_with_a_clear_error() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fuzz/regressions/roster_file"
        );
        for name in HUGE {
            let data = std::fs::read(format!("{dir}/{name}")).unwrap();
            // The fuzz target's first byte picks the type; the rest is the file.
            let e = super::rows("xls", data[1..].to_vec())
                .unwrap_err()
                .to_string();
            assert!(e.contains("damaged"), "{name}: {e}");
        }
    }
}
