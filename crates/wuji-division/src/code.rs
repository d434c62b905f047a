//! A congress's division code: parsing, level, containment and the parent chain.

use crate::{Error, Level};
use std::fmt;
use std::str::FromStr;

/// The mainland province-level prefixes (GB/T 2260). 71 (Taiwan), 81 (Hong Kong)
/// and 82 (Macao) have no people's congress of their own in this tree.
const PROVINCES: [u32; 31] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65,
];

/// Municipalities (直辖市): their districts sit directly under the province-level congress.
const MUNICIPALITIES: [u32; 4] = [11, 12, 31, 50];

/// The city part that stands for "county-level divisions governed by the province"
/// (省直辖县级行政区划, e.g. 4290 in Hubei).
const PROVINCE_GOVERNED: u32 = 90;

/// The conventional code of the national congress.
const NATIONAL: u32 = 100_000;

/// The division code of one congress node, e.g. `320114` (雨花台区) or `320114001`.
///
/// Six-digit codes name the national (`100000`), province (`XX0000`), city (`XXYY00`)
/// and county (`XXYYZZ`) levels; nine-digit codes name townships. A value of this
/// type is always a code at which a congress can sit: stand-ins of the statistical
/// tables (`110100` 市辖区, `429000`) are refused when parsing.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(u32);

impl Code {
    /// The national congress, `100000`.
    pub const NATIONAL: Code = Code(NATIONAL);

    /// Parses a code, accepting full-width digits (`３２０１１４`) and surrounding
    /// white space; everything else is an error that says what is wrong.
    pub fn parse(input: &str) -> Result<Code, Error> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Error::Empty);
        }
        let mut digits = String::with_capacity(9);
        for (position, ch) in trimmed.chars().enumerate() {
            let d = match ch {
                '0'..='9' => ch,
                '０'..='９' => char::from(b'0' + (ch as u32 - '０' as u32) as u8),
                _ => {
                    return Err(Error::BadChar {
                        input: input.to_string(),
                        ch,
                        position,
                    });
                }
            };
            digits.push(d);
        }
        if digits.len() != 6 && digits.len() != 9 {
            return Err(Error::BadLength {
                input: input.to_string(),
                len: digits.chars().count(),
            });
        }
        let value: u32 = digits.parse().map_err(|_| Error::BadLength {
            input: input.to_string(),
            len: digits.len(),
        })?;
        if digits.len() == 6 {
            Code::from_six(value, &digits)
        } else {
            Code::from_nine(value, &digits)
        }
    }

    fn from_six(value: u32, text: &str) -> Result<Code, Error> {
        if value == NATIONAL {
            return Ok(Code(value));
        }
        let province = value / 10_000;
        if !PROVINCES.contains(&province) {
            return Err(Error::UnknownProvince {
                code: text.to_string(),
                prefix: province,
            });
        }
        let city = (value / 100) % 100;
        let county = value % 100;
        if city != 0 && county == 0 {
            if MUNICIPALITIES.contains(&province) {
                return Err(Error::StandIn {
                    code: text.to_string(),
                    what: "市辖区/县",
                    hint: format!(
                        "a municipality has no city level; its districts sit under {}0000",
                        province
                    ),
                });
            }
            if city == PROVINCE_GOVERNED {
                return Err(Error::StandIn {
                    code: text.to_string(),
                    what: "省直辖县级行政区划",
                    hint: format!(
                        "province-governed county-level cities sit under {}0000",
                        province
                    ),
                });
            }
        }
        if city == 0 && county != 0 {
            return Err(Error::BadCounty {
                code: text.to_string(),
            });
        }
        Ok(Code(value))
    }

    fn from_nine(value: u32, text: &str) -> Result<Code, Error> {
        let county_part = value / 1000;
        if value.is_multiple_of(1000) {
            return Err(Error::BadTownship {
                code: text.to_string(),
                reason: "the last three digits (the township) must not be 000",
            });
        }
        let head = Code::from_six(county_part, &text[..6])?;
        match head.level() {
            Level::County | Level::City => Ok(Code(value)),
            _ => Err(Error::BadTownship {
                code: text.to_string(),
                reason: "the first six digits must name a county (or a city without counties)",
            }),
        }
    }

    /// The code as a number (`320114001`).
    pub fn value(self) -> u32 {
        self.0
    }

    /// Rebuilds a code from [`Code::value`], checking it as [`Code::parse`] does.
    pub fn from_value(value: u32) -> Result<Code, Error> {
        let text = value.to_string();
        Code::parse(&text)
    }

    /// The level of the congress at this code.
    pub fn level(self) -> Level {
        let v = self.0;
        if v >= 1_000_000 {
            Level::Township
        } else if v == NATIONAL {
            Level::National
        } else if v.is_multiple_of(10_000) {
            Level::Province
        } else if v.is_multiple_of(100) {
            Level::City
        } else {
            Level::County
        }
    }

    /// The province-level code this code lies in (itself for a province), `None` for national.
    pub fn province(self) -> Option<Code> {
        match self.level() {
            Level::National => None,
            Level::Township => Some(Code(self.0 / 10_000_000 * 10_000)),
            _ => Some(Code(self.0 / 10_000 * 10_000)),
        }
    }

    /// The congress directly above this one in the real tree, `None` for national.
    ///
    /// Skips the levels that do not exist: a district of a municipality and a
    /// province-governed county-level city answer to the province; a town of a city
    /// without counties (东莞 `441900`) answers to the city.
    pub fn parent(self) -> Option<Code> {
        let v = self.0;
        match self.level() {
            Level::National => None,
            Level::Province => Some(Code::NATIONAL),
            Level::City => Some(Code(v / 10_000 * 10_000)),
            Level::County => {
                let province = v / 10_000;
                let city = (v / 100) % 100;
                if MUNICIPALITIES.contains(&province) || city == PROVINCE_GOVERNED {
                    Some(Code(province * 10_000))
                } else {
                    Some(Code(v / 100 * 100))
                }
            }
            Level::Township => Some(Code(v / 1000)),
        }
    }

    /// The chain of congresses above this one, nearest first, ending at national.
    pub fn ancestors(self) -> Ancestors {
        Ancestors {
            next: self.parent(),
        }
    }

    /// True if `other` lies inside this code's region, or is this code.
    pub fn contains(self, other: Code) -> bool {
        if self == other || self == Code::NATIONAL {
            return true;
        }
        let lvl = self.level();
        if other.level() <= lvl {
            return false;
        }
        // Compare the prefix of `other` that this level fixes.
        let six = if other.level() == Level::Township {
            other.0 / 1000
        } else {
            other.0
        };
        match lvl {
            Level::Province => six / 10_000 == self.0 / 10_000,
            Level::City => six / 100 == self.0 / 100,
            Level::County => six == self.0,
            Level::National | Level::Township => false,
        }
    }

    /// True if this code lies strictly inside `other`.
    pub fn is_inside(self, other: Code) -> bool {
        self != other && other.contains(self)
    }

    /// The nearest congress whose region contains both codes.
    pub fn common_ancestor(self, other: Code) -> Code {
        let mut here = Some(self);
        while let Some(c) = here {
            if c.contains(other) {
                return c;
            }
            here = c.parent();
        }
        Code::NATIONAL
    }
}

/// Iterator over a code's ancestors, nearest first.
#[derive(Debug, Clone)]
pub struct Ancestors {
    next: Option<Code>,
}

impl Iterator for Ancestors {
    type Item = Code;
    fn next(&mut self) -> Option<Code> {
        let here = self.next?;
        self.next = here.parent();
        Some(here)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code({})", self.0)
    }
}

impl FromStr for Code {
    type Err = Error;
    fn from_str(s: &str) -> Result<Code, Error> {
        Code::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Code {
        Code::parse(s).unwrap()
    }

    #[test]
    fn levels_of_each_shape() {
        assert_eq!(c("100000").level(), Level::National);
        assert_eq!(c("320000").level(), Level::Province);
        assert_eq!(c("320100").level(), Level::City);
        assert_eq!(c("320114").level(), Level::County);
        assert_eq!(c("320114001").level(), Level::Township);
    }

    #[test]
    fn full_width_and_spaces_are_normalised() {
        assert_eq!(c(" ３２０１１４ "), c("320114"));
        assert_eq!(c("３２０１１４００１"), c("320114001"));
    }

    #[test]
    fn bad_input_says_what_is_wrong() {
        assert_eq!(Code::parse(""), Err(Error::Empty));
        assert!(matches!(
            Code::parse("32011a"),
            Err(Error::BadChar {
                ch: 'a',
                position: 5,
                ..
            })
        ));
        assert!(matches!(
            Code::parse("3201"),
            Err(Error::BadLength { len: 4, .. })
        ));
        assert!(matches!(
            Code::parse("990000"),
            Err(Error::UnknownProvince { prefix: 99, .. })
        ));
        assert!(matches!(
            Code::parse("810000"),
            Err(Error::UnknownProvince { .. })
        ));
        assert!(matches!(Code::parse("110100"), Err(Error::StandIn { .. })));
        assert!(matches!(Code::parse("429000"), Err(Error::StandIn { .. })));
        assert!(matches!(
            Code::parse("320014"),
            Err(Error::BadCounty { .. })
        ));
        assert!(matches!(
            Code::parse("320114000"),
            Err(Error::BadTownship { .. })
        ));
        assert!(matches!(
            Code::parse("320000001"),
            Err(Error::BadTownship { .. })
        ));
        assert!(matches!(
            Code::parse("100000001"),
            Err(Error::BadTownship { .. })
        ));
        let msg = Code::parse("32-114").unwrap_err().to_string();
        assert!(msg.contains("'-'") && msg.contains("position 2"), "{msg}");
    }

    #[test]
    fn parents_follow_the_real_gaps() {
        assert_eq!(c("320114001").parent(), Some(c("320114")));
        assert_eq!(c("320114").parent(), Some(c("320100")));
        assert_eq!(c("320100").parent(), Some(c("320000")));
        assert_eq!(c("320000").parent(), Some(Code::NATIONAL));
        assert_eq!(Code::NATIONAL.parent(), None);
        // Municipality district: no city level.
        assert_eq!(c("110101").parent(), Some(c("110000")));
        assert_eq!(c("500229").parent(), Some(c("500000")));
        // Province-governed county-level city.
        assert_eq!(c("429004").parent(), Some(c("420000")));
        // City without counties: towns sit under the city.
        assert_eq!(c("441900003").parent(), Some(c("441900")));
        let chain: Vec<Code> = c("441900003").ancestors().collect();
        assert_eq!(chain, vec![c("441900"), c("440000"), Code::NATIONAL]);
    }

    #[test]
    fn containment() {
        assert!(Code::NATIONAL.contains(c("320114001")));
        assert!(c("320000").contains(c("320114001")));
        assert!(c("320100").contains(c("320114")));
        assert!(c("320114").contains(c("320114001")));
        assert!(!c("320114").contains(c("320115001")));
        assert!(!c("320100").contains(c("320200")));
        assert!(!c("320114001").contains(c("320114")));
        assert!(c("441900").contains(c("441900003")));
        assert!(c("110000").contains(c("110101001")));
        assert!(!c("320114001").contains(c("320114002")));
        assert!(c("320114001").is_inside(c("320100")));
        assert_eq!(c("320114001").common_ancestor(c("320115002")), c("320100"));
        assert_eq!(c("320114001").common_ancestor(c("330102")), Code::NATIONAL);
    }
}
