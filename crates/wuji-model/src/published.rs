//! Official holiday calendars published by the national node as records that
//! flow down to every node (one record per year; publishing again replaces
//! it): one operator action updates every node without a rebuild.

use crate::calendar::{Calendar, Year};
use crate::{Ctx, Error, Record, RecordId, RecordKind, Section};
use wuji_crdt::{Lww, Max, Stamp, merge_fields};
use wuji_division::Code;

/// A year's official calendar as published: the year file's name and text
/// (the format of `config/holidays/YEAR.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarSection {
    /// When the national node last wrote it.
    pub at: Max<Stamp>,
    /// The file name (`2027.toml`).
    pub file: Lww<String>,
    /// The file's text.
    pub text: Lww<String>,
}
merge_fields!(CalendarSection { at, file, text });

/// The id of the record holding `year`'s calendar.
pub fn record_id(year: i16) -> RecordId {
    RecordId {
        kind: RecordKind::Calendar,
        home: Code::NATIONAL,
        uuid: uuid::Uuid::from_u128(year as u128),
    }
}

/// 发布: the national node publishes a year's official calendar; the file is
/// checked as a node checks its calendar directory.
pub fn publish(ctx: &Ctx, file: &str, text: &str) -> Result<Record, Error> {
    crate::common::require_home(ctx, Code::NATIONAL, "publish a holiday calendar")?;
    let year = Year::parse(file, text)?;
    let at = ctx.at;
    let s = CalendarSection {
        at: Max(at),
        file: Lww::new(at, file.to_string()),
        text: Lww::new(at, text.to_string()),
    };
    Ok(Record::delta(
        record_id(year.year),
        Code::NATIONAL,
        Section::Calendar(s),
    ))
}

/// The year a calendar record holds, if it parses (a node refuses to store
/// one that does not: see [`check`]).
pub fn year_of(rec: &Record) -> Option<Year> {
    let s = rec.calendar(Code::NATIONAL)?;
    Year::parse(s.file.get(), s.text.get()).ok()
}

/// A calendar record from a peer: it must be the national node's and parse,
/// and its id must name its year.
pub fn check(rec: &Record) -> Result<(), Error> {
    let s = rec.calendar(Code::NATIONAL).ok_or(Error::IdMismatch)?;
    let year = Year::parse(s.file.get(), s.text.get())?;
    if rec.id != record_id(year.year) {
        return Err(Error::IdMismatch);
    }
    Ok(())
}

/// Adds every published year of `records` to `cal` (later publications of a
/// year replace earlier ones by the record's own merge).
pub fn apply(cal: &mut Calendar, records: &[Record]) {
    for y in records.iter().filter_map(year_of) {
        cal.add(y);
    }
}
