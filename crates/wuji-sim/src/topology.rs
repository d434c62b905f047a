//! The simulated federation's shape: the real division tree (the project's
//! tables), the whole country or the subtree of one code.

use crate::Error;
use std::collections::BTreeMap;
use wuji_division::{Code, Level};

/// The congresses of a region and who links to whom.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Every congress, parents before children (breadth first from the root).
    pub nodes: Vec<Code>,
    parent: BTreeMap<Code, Code>,
    children: BTreeMap<Code, Vec<Code>>,
}

impl Topology {
    /// The region `root` and everything below it in the embedded tree.
    pub fn of(root: Code) -> Result<Topology, Error> {
        let tree = wuji_division::embedded();
        if root != Code::NATIONAL && tree.get(root).is_none() {
            return Err(Error::Region(root));
        }
        let mut t = Topology {
            nodes: vec![root],
            parent: BTreeMap::new(),
            children: BTreeMap::new(),
        };
        let mut i = 0;
        while i < t.nodes.len() {
            let c = t.nodes[i];
            let kids = tree.children(c).to_vec();
            for k in &kids {
                t.parent.insert(*k, c);
            }
            t.nodes.extend(kids.iter().copied());
            t.children.insert(c, kids);
            i += 1;
        }
        Ok(t)
    }

    /// The root of the region.
    pub fn root(&self) -> Code {
        self.nodes[0]
    }

    /// The node `code` links up to (`None` for the root).
    pub fn parent(&self, code: Code) -> Option<Code> {
        self.parent.get(&code).copied()
    }

    /// The nodes that link up to `code`.
    pub fn children(&self, code: Code) -> &[Code] {
        self.children.get(&code).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether `code` is one of the simulated nodes.
    pub fn has(&self, code: Code) -> bool {
        code == self.root() || self.parent.contains_key(&code)
    }

    /// `code` and its ancestors inside the region, nearest first.
    pub fn up(&self, code: Code) -> Vec<Code> {
        let mut out = vec![code];
        let mut c = code;
        while let Some(p) = self.parent(c) {
            out.push(p);
            c = p;
        }
        out
    }

    /// `code` and every node below it.
    pub fn subtree(&self, code: Code) -> Vec<Code> {
        let mut out = vec![code];
        let mut i = 0;
        while i < out.len() {
            out.extend(self.children(out[i]).iter().copied());
            i += 1;
        }
        out
    }

    /// How many nodes of each level (national first).
    pub fn count_by_level(&self) -> [usize; 5] {
        let mut n = [0; 5];
        for c in &self.nodes {
            n[level_index(c.level())] += 1;
        }
        n
    }
}

/// 0 national … 4 township.
pub fn level_index(l: Level) -> usize {
    match l {
        Level::National => 0,
        Level::Province => 1,
        Level::City => 2,
        Level::County => 3,
        Level::Township => 4,
    }
}

/// English names of the levels, national first.
pub const LEVELS: [&str; 5] = ["national", "province", "city", "county", "township"];

/// A 街道 (township code 0xx): it has a 人大工委 but elects no deputies.
pub fn is_subdistrict(code: Code) -> bool {
    code.level() == Level::Township && code.value() % 1000 < 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_province_subtree_follows_the_division_parent_rule() {
        let t = Topology::of(Code::parse("320000").unwrap()).unwrap();
        let [n, p, c, co, tw] = t.count_by_level();
        assert_eq!((n, p, c), (0, 1, 13));
        assert!(co > 90 && tw > 1000, "{co} counties, {tw} townships");
        for code in &t.nodes[1..] {
            assert_eq!(t.parent(*code), code.parent(), "{code}");
        }
        let town = *t.nodes.last().unwrap();
        assert_eq!(t.up(town).len(), 4);
        assert!(t.subtree(t.root()).len() == t.nodes.len());
    }

    #[test]
    fn the_country_has_every_congress_and_odd_corners_link_across_the_gaps() {
        let t = Topology::of(Code::NATIONAL).unwrap();
        assert_eq!(t.count_by_level(), [1, 31, 333, 2_975, 41_351]);
        // 东莞's townships link to the city; 仙桃 to the province.
        let dg = Code::parse("441900003").unwrap();
        assert_eq!(t.parent(dg), Some(Code::parse("441900").unwrap()));
        let xt = Code::parse("429004").unwrap();
        assert_eq!(t.parent(xt), Some(Code::parse("420000").unwrap()));
        assert!(Topology::of(Code::parse("320199").unwrap()).is_err());
    }
}
