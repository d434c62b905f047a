//! Roster files as offices keep them (.xlsx, .xls, .ods, .csv in UTF-8 or
//! GBK/GB18030), read into rows of text cells.

use anyhow::bail;
use calamine::{Data, Reader};

/// The rows of text cells of a roster file's bytes (the first row is the
/// header); `ext` is the file's extension in lower case.
pub fn rows(ext: &str, bytes: Vec<u8>) -> anyhow::Result<Vec<Vec<String>>> {
    match ext {
        "xlsx" | "xls" | "xlsm" | "ods" => {
            if ext == "xls" {
                crate::cfb::check(&bytes).map_err(|e| anyhow::anyhow!("{DAMAGED}: {e}"))?;
            }
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
