//! The real division tree, read from the statistical tables in `shared/data/divisions/`.
//!
//! Not needed at run time (a node knows its own code and its parent's); used by
//! tests, fixtures, the federation launcher and the large-scale simulator.

use crate::{Code, Error, Level};
use std::collections::BTreeMap;

/// One congress in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// Its code.
    pub code: Code,
    /// Its name as the statistical tables spell it (e.g. `雨花台区`).
    pub name: String,
    /// The congress directly above it, as the tables place it.
    pub parent: Option<Code>,
}

/// The congress tree: every division that has a congress, with names and children.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    nodes: BTreeMap<Code, Division>,
    children: BTreeMap<Code, Vec<Code>>,
}

/// Names the tables give to rows that stand for a missing city level.
const STAND_IN_NAMES: [&str; 4] = [
    "市辖区",
    "县",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
];

impl Tree {
    /// The real tree from the tables this crate embeds (`data/`: the 2023
    /// statistical codes down to townships; source and licence beside them).
    pub fn embedded() -> Result<Tree, Error> {
        Tree::from_tables(
            crate::tables::PROVINCES,
            crate::tables::CITIES,
            crate::tables::AREAS,
            crate::tables::STREETS,
        )
    }

    /// Builds the tree from the four tables (CSV text: provinces, cities,
    /// areas, streets, as in `data/`). The parent of every row is
    /// taken from the tables' own parent columns, so a test can compare it with
    /// [`Code::parent`].
    pub fn from_tables(
        provinces: &str,
        cities: &str,
        areas: &str,
        streets: &str,
    ) -> Result<Tree, Error> {
        let mut tree = Tree::default();
        tree.insert(Division {
            code: Code::NATIONAL,
            name: "全国".to_string(),
            parent: None,
        });
        for (line, row) in rows("provinces.csv", provinces)? {
            let code = widen("provinces.csv", line, &row[0], 4)?;
            tree.insert(Division {
                code,
                name: row[1].clone(),
                parent: Some(Code::NATIONAL),
            });
        }
        for (line, row) in rows("cities.csv", cities)? {
            if STAND_IN_NAMES.contains(&row[1].as_str()) {
                continue;
            }
            let code = widen("cities.csv", line, &row[0], 2)?;
            let parent = widen("cities.csv", line, field(&row, 2, line)?, 4)?;
            tree.insert_checked(code, &row[1], parent)?;
        }
        for (line, row) in rows("areas.csv", areas)? {
            let code = widen("areas.csv", line, &row[0], 0)?;
            if code.level() == Level::City {
                // A city without counties is listed again as its own area (东莞).
                continue;
            }
            let city = field(&row, 2, line)?;
            let parent = match Code::parse(&format!("{city}00")) {
                Ok(c) if tree.nodes.contains_key(&c) => c,
                _ => widen("areas.csv", line, field(&row, 3, line)?, 4)?,
            };
            tree.insert_checked(code, &row[1], parent)?;
        }
        for (line, row) in rows("streets.csv", streets)? {
            if row[0].ends_with("000") {
                // A county repeated as its own township with suffix 000 (金门县
                // 350527000): a placeholder, not a township congress.
                continue;
            }
            let code = widen("streets.csv", line, &row[0], 0)?;
            let area = widen("streets.csv", line, field(&row, 2, line)?, 0)?;
            tree.insert_checked(code, &row[1], area)?;
        }
        Ok(tree)
    }

    fn insert(&mut self, d: Division) {
        if let Some(p) = d.parent {
            self.children.entry(p).or_default().push(d.code);
        }
        self.nodes.insert(d.code, d);
    }

    fn insert_checked(&mut self, code: Code, name: &str, parent: Code) -> Result<(), Error> {
        if !code.is_inside(parent) {
            return Err(Error::NotInside {
                child: code,
                parent,
            });
        }
        self.insert(Division {
            code,
            name: name.to_string(),
            parent: Some(parent),
        });
        Ok(())
    }

    /// The division at a code, if the tree has it.
    pub fn get(&self, code: Code) -> Option<&Division> {
        self.nodes.get(&code)
    }

    /// The division's name (`雨花台区`), or the code itself where the tree does
    /// not have it (divisions change every year; a new code still works).
    pub fn name_of(&self, code: Code) -> String {
        match self.nodes.get(&code) {
            Some(d) => d.name.clone(),
            None => code.to_string(),
        }
    }

    /// The congress office as offices write it: `南京市人大常委会`, a 乡 or 镇's
    /// `人大主席团`, a 街道's `人大工委`, `全国人大常委会`; the code where unknown.
    pub fn office_of(&self, code: Code) -> String {
        if code == Code::NATIONAL {
            return "全国人大常委会".into();
        }
        let Some(d) = self.nodes.get(&code) else {
            return code.to_string();
        };
        let suffix = match code.level() {
            Level::Township if d.name.ends_with("街道") => "人大工委",
            Level::Township => "人大主席团",
            _ => "人大常委会",
        };
        format!("{}{suffix}", d.name)
    }

    /// The divisions directly below a code.
    pub fn children(&self, code: Code) -> &[Code] {
        self.children.get(&code).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every division, in code order.
    pub fn iter(&self) -> impl Iterator<Item = &Division> {
        self.nodes.values()
    }

    /// How many divisions (congresses) the tree holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True if the tree holds nothing.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// How many divisions there are at each level, from national down.
    pub fn count_by_level(&self) -> [usize; 5] {
        let mut n = [0; 5];
        for d in self.nodes.values() {
            n[d.code.level().depth() as usize] += 1;
        }
        n
    }
}

fn field(row: &[String], i: usize, line: usize) -> Result<&str, Error> {
    row.get(i).map(String::as_str).ok_or_else(|| Error::BadRow {
        file: "table",
        line,
        reason: format!("missing column {}", i + 1),
    })
}

/// Pads a short statistical code with zeros to a node code (`32` → `320000`).
fn widen(file: &'static str, line: usize, short: &str, zeros: usize) -> Result<Code, Error> {
    let text = format!("{short}{}", "0".repeat(zeros));
    Code::parse(&text).map_err(|e| Error::BadRow {
        file,
        line,
        reason: e.to_string(),
    })
}

/// Reads a small CSV table with an optional header; fields may be double-quoted.
fn rows(file: &'static str, text: &str) -> Result<Vec<(usize, Vec<String>)>, Error> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if i == 0 && line.starts_with("code") || line.trim().is_empty() {
            continue;
        }
        let row = split_csv(line).ok_or_else(|| Error::BadRow {
            file,
            line: i + 1,
            reason: "unbalanced quotes".to_string(),
        })?;
        if row.len() < 2 {
            return Err(Error::BadRow {
                file,
                line: i + 1,
                reason: "fewer than two columns".to_string(),
            });
        }
        out.push((i + 1, row));
    }
    Ok(out)
}

fn split_csv(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    if quoted {
        return None;
    }
    fields.push(cur);
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_tables_with_gaps() {
        let tree = Tree::from_tables(
            "code,name\n32,\"江苏省\"\n11,\"北京市\"\n44,\"广东省\"\n",
            "code,name,provinceCode\n3201,\"南京市\",32\n1101,\"市辖区\",11\n4419,\"东莞市\",44\n",
            "code,name,cityCode,provinceCode\n320114,\"雨花台区\",3201,32\n110101,\"东城区\",1101,11\n441900,\"东莞市\",4419,44\n",
            "code,name,areaCode,provinceCode,cityCode\n320114001,\"雨花街道\",320114,32,3201\n441900003,\"东城街道\",441900,44,4419\n",
        )
        .unwrap();
        let c = |s: &str| Code::parse(s).unwrap();
        assert_eq!(tree.get(c("110101")).unwrap().parent, Some(c("110000")));
        assert_eq!(tree.get(c("441900003")).unwrap().parent, Some(c("441900")));
        assert_eq!(tree.children(c("320100")), &[c("320114")]);
        assert_eq!(tree.count_by_level(), [1, 3, 2, 2, 2]);
        assert!(tree.iter().all(|d| d.code.value() != 110_100));
    }

    #[test]
    fn names_and_offices_from_the_embedded_tables() {
        let t = crate::embedded();
        let c = |s: &str| Code::parse(s).unwrap();
        assert_eq!(t.name_of(c("320114")), "雨花台区");
        assert_eq!(t.office_of(c("320100")), "南京市人大常委会");
        assert_eq!(t.office_of(c("320000")), "江苏省人大常委会");
        assert_eq!(t.office_of(Code::NATIONAL), "全国人大常委会");
        assert_eq!(t.office_of(c("320114001")), "雨花街道人大工委");
        // A 镇 has a 人大主席团; an unknown code shows as itself.
        let town = t
            .iter()
            .find(|d| d.code.level() == Level::Township && d.name.ends_with('镇'))
            .unwrap();
        assert_eq!(t.office_of(town.code), format!("{}人大主席团", town.name));
        assert_eq!(t.name_of(c("320199")), "320199");
        assert_eq!(t.count_by_level().iter().sum::<usize>(), t.len());
        assert!(t.len() > 44_000, "{}", t.len());
    }

    #[test]
    fn quoted_fields_and_bad_rows() {
        assert_eq!(
            split_csv("1,\"a,\"\"b\"\"\",c").unwrap(),
            vec!["1", "a,\"b\"", "c"]
        );
        assert!(split_csv("1,\"open").is_none());
        let err = Tree::from_tables("code,name\n3x,\"坏\"\n", "", "", "").unwrap_err();
        assert!(err.to_string().contains("provinces.csv line 2"), "{err}");
    }
}
