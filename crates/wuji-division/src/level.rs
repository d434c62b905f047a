//! The five levels of people's congresses (五级人大).

use std::fmt;

/// A congress level, from the top (national) to the bottom (township).
///
/// Ordered so that a higher level compares *less*: `National < Province < … < Township`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// 全国人大: the National People's Congress.
    National,
    /// 省级人大: province, autonomous region or municipality.
    Province,
    /// 设区的市级人大: prefecture-level city or autonomous prefecture.
    City,
    /// 县级人大: county, district or county-level city.
    County,
    /// 乡镇人大: township or town (a 街道 has a 人大工委).
    Township,
}

impl Level {
    /// All levels from the top down.
    pub const ALL: [Level; 5] = [
        Level::National,
        Level::Province,
        Level::City,
        Level::County,
        Level::Township,
    ];

    /// The office's own term for the level (e.g. `县级`).
    pub fn zh(self) -> &'static str {
        match self {
            Level::National => "全国",
            Level::Province => "省级",
            Level::City => "市级",
            Level::County => "县级",
            Level::Township => "乡镇",
        }
    }

    /// The English name, lowercase, as used in logs and JSON.
    pub fn en(self) -> &'static str {
        match self {
            Level::National => "national",
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
        }
    }

    /// 0 for national down to 4 for township.
    pub fn depth(self) -> u8 {
        self as u8
    }

    /// The level with the given depth (0 national … 4 township).
    pub fn from_depth(depth: u8) -> Option<Level> {
        Level::ALL.get(depth as usize).copied()
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.en())
    }
}
