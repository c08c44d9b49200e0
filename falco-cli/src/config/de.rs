//! serde deserialization straight from the configuration tree, decoding scalars as
//! yaml-cpp's `as<T>()` does (`True`, `yes` and `on` are booleans; `-o json_output=True`
//! works), so the library crates can describe their options as plain serde structs.

use std::fmt;

use falco_engine::rules::yaml::{Node, NodeKind};
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// A deserialization error: what was expected, and where in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError(pub String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// Deserializes `T` from a node.
pub fn from_node<'a, T: serde::Deserialize<'a>>(node: &'a Node) -> Result<T, DeError> {
    T::deserialize(NodeDe(node))
}

/// A deserializer over one node.
pub struct NodeDe<'a>(pub &'a Node);

impl<'a> NodeDe<'a> {
    fn text(&self) -> Result<&'a str, DeError> {
        match &self.0.kind {
            NodeKind::Scalar { text, .. } => Ok(text),
            NodeKind::Null => Ok(""),
            _ => Err(self.invalid("a scalar")),
        }
    }

    fn invalid(&self, what: &str) -> DeError {
        DeError(format!(
            "expected {what} at line {}, column {}",
            self.0.mark.line + 1,
            self.0.mark.column + 1
        ))
    }
}

fn yaml_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

macro_rules! de_num {
    ($name:ident, $visit:ident, $t:ty) => {
        fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
            let s = self.text()?;
            let parsed: Option<$t> = s.trim().parse().ok().or_else(|| {
                s.trim().strip_prefix("0x").and_then(|h| <$t>::from_str_radix(h, 16).ok())
            });
            match parsed {
                Some(n) => v.$visit(n),
                None => Err(self.invalid(&format!("a number, found '{s}'"))),
            }
        }
    };
}

impl<'de, 'a: 'de> serde::Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.0.kind {
            NodeKind::Null => v.visit_unit(),
            NodeKind::Scalar { text, plain } => {
                if *plain {
                    if let Some(b) = yaml_bool(text) {
                        return v.visit_bool(b);
                    }
                    if let Ok(n) = text.parse::<u64>() {
                        return v.visit_u64(n);
                    }
                    if let Ok(n) = text.parse::<i64>() {
                        return v.visit_i64(n);
                    }
                    if text.contains('.') {
                        if let Ok(f) = text.parse::<f64>() {
                            return v.visit_f64(f);
                        }
                    }
                }
                v.visit_borrowed_str(text)
            }
            NodeKind::Seq(items) => v.visit_seq(Seq(items.iter())),
            NodeKind::Map(entries) => v.visit_map(Map { it: entries.iter(), value: None }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let s = self.text()?;
        match yaml_bool(s) {
            Some(b) => v.visit_bool(b),
            None => Err(self.invalid(&format!("a boolean, found '{s}'"))),
        }
    }

    de_num!(deserialize_u8, visit_u8, u8);
    de_num!(deserialize_u16, visit_u16, u16);
    de_num!(deserialize_u32, visit_u32, u32);
    de_num!(deserialize_u64, visit_u64, u64);
    de_num!(deserialize_i8, visit_i8, i8);
    de_num!(deserialize_i16, visit_i16, i16);
    de_num!(deserialize_i32, visit_i32, i32);
    de_num!(deserialize_i64, visit_i64, i64);

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let s = self.text()?;
        match s.trim().parse::<f64>() {
            Ok(f) => v.visit_f64(f),
            Err(_) => Err(self.invalid(&format!("a number, found '{s}'"))),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_borrowed_str(self.text()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0.kind {
            NodeKind::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.0.kind {
            NodeKind::Seq(items) => v.visit_seq(Seq(items.iter())),
            // Falco's get_sequence accepts a single scalar as a one-item list.
            NodeKind::Scalar { .. } => v.visit_seq(Seq(std::slice::from_ref(self.0).iter())),
            NodeKind::Null => v.visit_seq(Seq([].iter())),
            NodeKind::Map(_) => Err(self.invalid("a sequence")),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.0.kind {
            NodeKind::Map(entries) => v.visit_map(Map { it: entries.iter(), value: None }),
            NodeKind::Null => v.visit_map(Map { it: [].iter(), value: None }),
            _ => Err(self.invalid("a mapping")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_enum(self.text()?.into_deserializer())
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bytes byte_buf unit_struct tuple tuple_struct identifier ignored_any
    }
}

struct Seq<'a>(std::slice::Iter<'a, Node>);

impl<'de, 'a: 'de> SeqAccess<'de> for Seq<'a> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.0.next() {
            Some(n) => seed.deserialize(NodeDe(n)).map(Some),
            None => Ok(None),
        }
    }
}

struct Map<'a> {
    it: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
}

impl<'de, 'a: 'de> MapAccess<'de> for Map<'a> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.it.next() {
            Some((k, v)) => {
                self.value = Some(v);
                // Keys are always strings (`on: x` is the key "on", not `true`).
                let key = NodeDe(k).text()?;
                seed.deserialize(de::value::BorrowedStrDeserializer::new(key)).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let v = self.value.take().ok_or_else(|| DeError("value without key".into()))?;
        seed.deserialize(NodeDe(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree::Tree;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq, Default)]
    #[serde(default)]
    struct Demo {
        flag: bool,
        n: u32,
        name: String,
        list: Vec<String>,
        opt: Option<u64>,
    }

    #[test]
    fn yaml_cpp_style_scalars() {
        let t = Tree::load_str("flag: True\nn: 42\nname: 123\nlist: one\nopt: ~\n").unwrap();
        let d: Demo = from_node(&t.root).unwrap();
        assert_eq!(
            d,
            Demo { flag: true, n: 42, name: "123".into(), list: vec!["one".into()], opt: None }
        );
        let t = Tree::load_str("flag: maybe\n").unwrap();
        let e = from_node::<Demo>(&t.root).unwrap_err();
        assert_eq!(e.to_string(), "expected a boolean, found 'maybe' at line 1, column 7");
    }
}
