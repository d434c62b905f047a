//! Values that fit a register or a set element on the wire: text in `s`, numbers in `i`.

use crate::Error;
use wuji_division::Code;
use wuji_model::deputy::Gender;
use wuji_model::suggestion::{
    HandlingUnit, MergeTarget, SuggestionKind, SupervisionMode, UnitRole,
};
use wuji_model::{Date, Uuid};

/// A value carried as `(s, i)` in `Lww` and `OrEntry` messages.
pub(crate) trait Scalar: Sized {
    /// The wire form.
    fn to_wire(&self) -> (String, i64);
    /// Back from the wire form, refusing values outside the domain.
    fn from_wire(s: String, i: i64) -> Result<Self, Error>;
}

/// A date as the integer `YYYYMMDD`.
pub fn date_to_i64(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// A date from `YYYYMMDD`, refusing impossible dates.
pub fn date_from_i64(v: i64) -> Result<Date, Error> {
    let (y, m, d) = (v / 10_000, (v / 100) % 100, v % 100);
    let y = i16::try_from(y).map_err(|_| Error::bad("date", format!("{v} is not YYYYMMDD")))?;
    Date::new(y, m as i8, d as i8).map_err(|e| Error::bad("date", format!("{v}: {e}")))
}

/// An optional date: 0 for none.
pub(crate) fn opt_date_to_i64(d: Option<Date>) -> i64 {
    d.map(date_to_i64).unwrap_or(0)
}

/// An optional date from the wire: 0 for none.
pub(crate) fn opt_date_from_i64(v: i64) -> Result<Option<Date>, Error> {
    if v == 0 {
        Ok(None)
    } else {
        date_from_i64(v).map(Some)
    }
}

fn index<T: Copy>(field: &'static str, all: &[T], i: i64) -> Result<T, Error> {
    usize::try_from(i)
        .ok()
        .and_then(|i| all.get(i).copied())
        .ok_or_else(|| Error::bad(field, format!("{i} is not a known value")))
}

fn position<T: PartialEq>(all: &[T], v: &T) -> i64 {
    all.iter().position(|x| x == v).unwrap_or(0) as i64
}

impl Scalar for String {
    fn to_wire(&self) -> (String, i64) {
        (self.clone(), 0)
    }
    fn from_wire(s: String, _: i64) -> Result<Self, Error> {
        Ok(s)
    }
}

impl Scalar for bool {
    fn to_wire(&self) -> (String, i64) {
        (String::new(), i64::from(*self))
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        match i {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::bad("flag", format!("{i} is not 0 or 1"))),
        }
    }
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn to_wire(&self) -> (String, i64) {
                (String::new(), i64::try_from(*self).unwrap_or(i64::MAX))
            }
            fn from_wire(_: String, i: i64) -> Result<Self, Error> {
                <$t>::try_from(i).map_err(|_| Error::bad("number", format!("{i} is out of range")))
            }
        }
    )*};
}
unsigned!(u8, u32, u64);

impl Scalar for Option<Date> {
    fn to_wire(&self) -> (String, i64) {
        (String::new(), opt_date_to_i64(*self))
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        opt_date_from_i64(i)
    }
}

impl Scalar for Code {
    fn to_wire(&self) -> (String, i64) {
        (String::new(), i64::from(self.value()))
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        let v = u32::try_from(i).map_err(|_| Error::bad("division code", i))?;
        Code::from_value(v).map_err(|e| Error::bad("division code", e))
    }
}

const GENDERS: [Gender; 3] = [Gender::Unknown, Gender::Male, Gender::Female];
impl Scalar for Gender {
    fn to_wire(&self) -> (String, i64) {
        (String::new(), position(&GENDERS, self))
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        index("gender", &GENDERS, i)
    }
}

const KINDS: [SuggestionKind; 3] = [
    SuggestionKind::Suggestion,
    SuggestionKind::BillProposal,
    SuggestionKind::CitizenOpinion,
];
impl Scalar for SuggestionKind {
    fn to_wire(&self) -> (String, i64) {
        (String::new(), position(&KINDS, self))
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        index("suggestion kind", &KINDS, i)
    }
}

/// Supervision modes in wire order (0: none).
pub const MODES: [Option<SupervisionMode>; 7] = [
    None,
    Some(SupervisionMode::Key),
    Some(SupervisionMode::Led),
    Some(SupervisionMode::Special),
    Some(SupervisionMode::Joint),
    Some(SupervisionMode::Coordinated),
    Some(SupervisionMode::Livelihood),
];
impl Scalar for Option<SupervisionMode> {
    fn to_wire(&self) -> (String, i64) {
        (String::new(), position(&MODES, self))
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        index("supervision mode", &MODES, i)
    }
}

impl Scalar for Option<Uuid> {
    fn to_wire(&self) -> (String, i64) {
        (self.map(|u| u.to_string()).unwrap_or_default(), 0)
    }
    fn from_wire(s: String, _: i64) -> Result<Self, Error> {
        if s.is_empty() {
            return Ok(None);
        }
        Uuid::parse_str(&s)
            .map(Some)
            .map_err(|e| Error::bad("uuid", e))
    }
}

/// A 并案 target: the UUID in `s`, its home's code in `i` (0 in sections
/// written before the home was kept).
impl Scalar for Option<MergeTarget> {
    fn to_wire(&self) -> (String, i64) {
        match self {
            Some(t) => (
                t.uuid.to_string(),
                t.home.map_or(0, |h| i64::from(h.value())),
            ),
            None => (String::new(), 0),
        }
    }
    fn from_wire(s: String, i: i64) -> Result<Self, Error> {
        let Some(uuid) = Option::<Uuid>::from_wire(s, 0)? else {
            return Ok(None);
        };
        let home = if i == 0 {
            None
        } else {
            Some(Code::from_wire(String::new(), i)?)
        };
        Ok(Some(MergeTarget { home, uuid }))
    }
}

const UNIT_ROLES: [UnitRole; 3] = [UnitRole::Lead, UnitRole::Co, UnitRole::Separate];
impl Scalar for HandlingUnit {
    fn to_wire(&self) -> (String, i64) {
        (self.name.clone(), position(&UNIT_ROLES, &self.role))
    }
    fn from_wire(s: String, i: i64) -> Result<Self, Error> {
        Ok(HandlingUnit {
            name: s,
            role: index("unit role", &UNIT_ROLES, i)?,
        })
    }
}

impl Scalar for wuji_model::activity::ActivityType {
    fn to_wire(&self) -> (String, i64) {
        (
            String::new(),
            position(&wuji_model::activity::ActivityType::ALL, self),
        )
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        index("activity kind", &wuji_model::activity::ActivityType::ALL, i)
    }
}

impl Scalar for wuji_model::vacancy::Ground {
    fn to_wire(&self) -> (String, i64) {
        (
            String::new(),
            position(&wuji_model::vacancy::Ground::ALL, self),
        )
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        index("vacancy ground", &wuji_model::vacancy::Ground::ALL, i)
    }
}

/// A deputy who took part in an activity: the person id in `s`, the deputy's
/// congress in `i`.
impl Scalar for wuji_model::activity::Participant {
    fn to_wire(&self) -> (String, i64) {
        (self.person.clone(), i64::from(self.congress.value()))
    }
    fn from_wire(s: String, i: i64) -> Result<Self, Error> {
        Ok(wuji_model::activity::Participant {
            congress: Code::from_wire(String::new(), i)?,
            person: s,
        })
    }
}

/// A 评议 rating: 0 none, 1 不满意, 2 基本满意, 3 满意.
impl Scalar for Option<wuji_model::suggestion::Satisfaction> {
    fn to_wire(&self) -> (String, i64) {
        use wuji_model::suggestion::Satisfaction::*;
        let i = match self {
            None => 0,
            Some(Dissatisfied) => 1,
            Some(Basic) => 2,
            Some(Satisfied) => 3,
        };
        (String::new(), i)
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        use wuji_model::suggestion::Satisfaction::*;
        index(
            "review",
            &[None, Some(Dissatisfied), Some(Basic), Some(Satisfied)],
            i,
        )
    }
}

impl Scalar for wuji_model::directory::EntryKind {
    fn to_wire(&self) -> (String, i64) {
        (
            String::new(),
            position(&wuji_model::directory::EntryKind::ALL, self),
        )
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        index("directory kind", &wuji_model::directory::EntryKind::ALL, i)
    }
}

impl Scalar for wuji_model::contact::ContactKind {
    fn to_wire(&self) -> (String, i64) {
        (
            String::new(),
            position(&wuji_model::contact::ContactKind::ALL, self),
        )
    }
    fn from_wire(_: String, i: i64) -> Result<Self, Error> {
        index("contact kind", &wuji_model::contact::ContactKind::ALL, i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_ones_are_refused() {
        let d = Date::new(2026, 2, 28).unwrap();
        assert_eq!(date_to_i64(d), 20_260_228);
        assert_eq!(date_from_i64(20_260_228).unwrap(), d);
        assert!(date_from_i64(20_260_230).is_err());
        assert!(date_from_i64(-5).is_err());
        assert_eq!(opt_date_from_i64(0).unwrap(), None);
    }

    #[test]
    fn out_of_domain_values_are_refused() {
        assert!(bool::from_wire(String::new(), 2).is_err());
        assert!(u8::from_wire(String::new(), 300).is_err());
        assert!(Gender::from_wire(String::new(), 3).is_err());
        assert!(Code::from_wire(String::new(), 110_100).is_err());
        assert!(Option::<Uuid>::from_wire("nope".into(), 0).is_err());
    }
}
