//! Division codes in the config file: written as text ("320114"), read back
//! as `Code`, and a bad one named by its key (`node.code: ...`).

use serde::{Deserialize, Deserializer, Serializer};
use wuji_division::Code;

fn parse<E: serde::de::Error>(key: &str, text: &str) -> Result<Code, E> {
    Code::parse(text).map_err(|e| E::custom(format!("{key}: {e}")))
}

macro_rules! one_code {
    ($name:ident, $key:literal) => {
        /// A single code under this key.
        pub mod $name {
            use super::*;

            /// Writes the code as text.
            pub fn serialize<S: Serializer>(c: &Code, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(c)
            }

            /// Reads the code, naming the key if it is not one.
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
                parse($key, &String::deserialize(d)?)
            }
        }
    };
}

one_code!(node, "node.code");
one_code!(parent, "parent.code");

/// A list of codes (`sync.children`).
pub mod children {
    use super::*;

    /// Writes the codes as text.
    pub fn serialize<S: Serializer>(cs: &[Code], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(cs.iter().map(Code::to_string))
    }

    /// Reads the codes, naming the key if one is not a code.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Code>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| parse("sync.children", t))
            .collect()
    }
}

/// The routing horizon (`sync.horizon`): a number of levels or `all`.
pub mod horizon {
    use super::*;
    use wuji_model::routing::Horizon;

    /// Writes a number of levels as a number, `all` as text.
    pub fn serialize<S: Serializer>(h: &Horizon, s: S) -> Result<S::Ok, S::Error> {
        match h {
            Horizon::Levels(n) => s.serialize_u8(*n),
            Horizon::All => s.serialize_str("all"),
        }
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Number(i64),
        Word(String),
    }

    /// Reads `1`, `"2"` or `"all"`, naming the key otherwise.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Horizon, D::Error> {
        let text = match Text::deserialize(d)? {
            Text::Number(n) => n.to_string(),
            Text::Word(w) => w,
        };
        text.parse()
            .map_err(|e: String| serde::de::Error::custom(format!("sync.horizon: {e}")))
    }
}
