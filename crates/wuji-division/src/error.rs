//! The one error type of this crate: why a text is not a congress's division code.

/// Why a text is not a valid division code of a congress node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Nothing was given.
    #[error("division code is empty")]
    Empty,
    /// A character other than a digit (half- or full-width) was found.
    #[error("division code {input:?} has {ch:?} at position {position}: only digits are allowed")]
    BadChar {
        /// The text as given.
        input: String,
        /// The offending character.
        ch: char,
        /// Its position (0-based, in characters).
        position: usize,
    },
    /// Neither six nor nine digits.
    #[error(
        "division code {input:?} has {len} digits: a congress code has 6 digits \
         (national, province, city, county) or 9 digits (township)"
    )]
    BadLength {
        /// The text as given.
        input: String,
        /// How many digits it had.
        len: usize,
    },
    /// The first two digits name no mainland province-level division.
    #[error("division code {code} starts with {prefix:02}, which is not a province-level division")]
    UnknownProvince {
        /// The normalised code.
        code: String,
        /// The first two digits.
        prefix: u32,
    },
    /// A statistical stand-in that no congress sits at (市辖区, 省直辖县级行政区划).
    #[error(
        "division code {code} is a statistical stand-in ({what}), not a congress: \
         {hint}"
    )]
    StandIn {
        /// The normalised code.
        code: String,
        /// What the stand-in is called.
        what: &'static str,
        /// Where the congress sits instead.
        hint: String,
    },
    /// A six-digit code with a county part but no city part (`320014`).
    #[error("division code {code} has a county part but its city part (digits 3-4) is 00")]
    BadCounty {
        /// The normalised code.
        code: String,
    },
    /// A nine-digit code whose last three digits are zero, or whose county part is a province.
    #[error("township code {code} is malformed: {reason}")]
    BadTownship {
        /// The normalised code.
        code: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A code that a data file names under a parent it does not lie in.
    #[error("{child} does not lie inside {parent}")]
    NotInside {
        /// The inner code.
        child: Code,
        /// The code it was placed under.
        parent: Code,
    },
    /// A data file row that could not be read.
    #[error("{file} line {line}: {reason}")]
    BadRow {
        /// Which file.
        file: &'static str,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

use crate::Code;
