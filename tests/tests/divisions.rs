//! Every row of the real division tables parses, has the right level and lies inside its parent.

use wuji_division::{Code, Level};
use wuji_tests::{division_table, real_tree};

#[test]
fn every_row_parses_with_the_level_its_table_gives() {
    let tables = [
        ("provinces.csv", 4usize, Level::Province),
        ("cities.csv", 2, Level::City),
        ("areas.csv", 0, Level::County),
        ("streets.csv", 0, Level::Township),
    ];
    let mut checked = 0;
    for (file, zeros, level) in tables {
        for line in division_table(file).lines().skip(1) {
            let mut cols = line.split(',');
            let short = cols.next().unwrap();
            let name = cols.next().unwrap_or("").trim_matches('"');
            let text = format!("{short}{}", "0".repeat(zeros));
            match Code::parse(&text) {
                Ok(code) => {
                    // A city without counties is listed again as an area (东莞 441900).
                    let expect = if file == "areas.csv" && short.ends_with("00") {
                        Level::City
                    } else {
                        level
                    };
                    assert_eq!(code.level(), expect, "{file}: {line}");
                    assert_eq!(code.to_string(), text);
                }
                Err(e) if file == "streets.csv" => {
                    // 金门县 is listed as a township placeholder with suffix 000.
                    assert_eq!(text, "350527000", "{line}: {e}");
                }
                Err(e) => {
                    // Only the statistical stand-ins for a missing city level are refused.
                    assert_eq!(file, "cities.csv", "{file}: {line}: {e}");
                    assert!(
                        [
                            "市辖区",
                            "县",
                            "省直辖县级行政区划",
                            "自治区直辖县级行政区划"
                        ]
                        .contains(&name),
                        "{line}: {e}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 44_000, "only {checked} rows read");
}

#[test]
fn the_parent_rule_matches_the_tables_for_every_division() {
    let tree = real_tree();
    assert_eq!(tree.count_by_level(), [1, 31, 333, 2_975, 41_351]);
    for d in tree.iter() {
        assert_eq!(d.code.parent(), d.parent, "{} {}", d.code, d.name);
        if let Some(p) = d.parent {
            assert!(p.contains(d.code) && d.code.is_inside(p), "{}", d.code);
            assert!(p.level() < d.code.level());
            assert!(tree.get(p).is_some(), "parent {p} of {} missing", d.code);
        }
        let chain: Vec<Code> = d.code.ancestors().collect();
        assert_eq!(
            chain.last().copied(),
            (d.code != Code::NATIONAL).then_some(Code::NATIONAL)
        );
        for a in &chain {
            assert!(a.contains(d.code));
        }
    }
}

#[test]
fn odd_corners_of_the_real_tree() {
    let tree = real_tree();
    let c = |s: &str| Code::parse(s).unwrap();
    // Municipalities: districts directly under the province-level congress.
    assert_eq!(tree.get(c("110101")).unwrap().parent, Some(c("110000")));
    assert_eq!(tree.get(c("310115")).unwrap().parent, Some(c("310000")));
    // Province-governed county-level city 仙桃.
    assert_eq!(tree.get(c("429004")).unwrap().name, "仙桃市");
    assert_eq!(tree.get(c("429004")).unwrap().parent, Some(c("420000")));
    // Cities without counties: their towns sit under the city.
    for city in ["441900", "442000", "460400"] {
        let kids = tree.children(c(city));
        assert!(!kids.is_empty(), "{city}");
        assert!(kids.iter().all(|k| k.level() == Level::Township), "{city}");
    }
    // No node at a stand-in.
    assert!(tree.iter().all(|d| d.name != "市辖区"));
}
