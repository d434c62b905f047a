//! The congress domain as records made of single-writer sections (DESIGN.md §2–§3).
//!
//! A [`Record`] is an id plus a map from [`SectionKey`] (role, owner node) to a
//! [`Section`]; each section is written by exactly one node and its fields are
//! CRDTs from `wuji-crdt`, so records merge without losing writes. On top of that:
//! typed views in the congress's own terms ([`deputy`], [`suggestion`],
//! [`assignment`], [`supervision`]), workflow rules that turn an office's action
//! into a section delta or a typed error, [`authority`] (who may write what),
//! [`routing`] (who may see what) and the working-day [`calendar`] for deadlines.
//! Pure: no IO, no clocks; time and the calendar are passed in.

pub mod activity;
pub mod assignment;
pub mod authority;
pub mod calendar;
mod common;
pub mod contact;
pub mod deputy;
pub mod directory;
mod error;
mod error_zh;
pub mod names;
pub mod published;
mod record;
pub mod routing;
mod rules;
#[cfg(feature = "strategies")]
pub mod strategies;
pub mod suggestion;
pub mod summary;
pub mod supervision;
pub mod vacancy;

pub use common::{Ctx, Date, Note, check_text};
pub use error::Error;
pub use record::{Record, RecordId, RecordKind, Role, Section, SectionKey};
pub use rules::Rules;
pub use uuid::Uuid;
pub use wuji_division::Code;
