//! The fields an extractor plugin declares (`get_fields`), turned into the engine's
//! [`FieldInfo`].
//!
//! `get_fields` returns a JSON array; each entry has `name`, `type` (one of `string`, `uint64`,
//! `reltime`, `abstime`, `bool`, `ipaddr`, `ipnet`), `desc`, and optionally `display`, `isList`,
//! `addOutput`, `arg` (`isRequired`, `isIndex`, `isKey`) and `properties` (`hidden`, `info`,
//! `conversation`). Malformed entries are refused with libsinsp's messages.

use std::ffi::CString;

use falco_engine::{ArgSpec, FieldInfo, FieldType, Multiplicity};
use serde_json::Value;

use crate::raw::ffi;

/// One field of an extractor plugin.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginField {
    /// The field as the engine sees it.
    pub info: FieldInfo,
    /// `properties: ["info"]`: shown as extra information by tools.
    pub info_property: bool,
    /// `properties: ["conversation"]`.
    pub conversation: bool,
    pub(crate) ftype: u32,
    pub(crate) name_c: CString,
}

fn plugin_type(t: &str) -> Option<(FieldType, u32)> {
    Some(match t {
        "string" => (FieldType::CharBuf, ffi::ss_plugin_field_type_FTYPE_STRING),
        "uint64" => (FieldType::U64, ffi::ss_plugin_field_type_FTYPE_UINT64),
        "reltime" => (FieldType::RelTime, ffi::ss_plugin_field_type_FTYPE_RELTIME),
        "abstime" => (FieldType::AbsTime, ffi::ss_plugin_field_type_FTYPE_ABSTIME),
        "bool" => (FieldType::Bool, ffi::ss_plugin_field_type_FTYPE_BOOL),
        "ipaddr" => (FieldType::IpAddr, ffi::ss_plugin_field_type_FTYPE_IPADDR),
        "ipnet" => (FieldType::IpNet, ffi::ss_plugin_field_type_FTYPE_IPNET),
        _ => return None,
    })
}

fn opt_bool(entry: &Value, key: &str, what: &str) -> Result<bool, String> {
    match entry.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{what} {key} property is not boolean")),
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Parses a `get_fields` JSON document for the plugin `plugin`.
pub(crate) fn parse_fields(plugin: &str, json: &str) -> Result<Vec<PluginField>, String> {
    let root: Value = serde_json::from_str(json)
        .map_err(|_| "get_fields returned an invalid JSON".to_string())?;
    let Value::Array(entries) = root else {
        return Err("get_fields returned an invalid JSON".into());
    };
    let mut out = Vec::with_capacity(entries.len());
    for entry in &entries {
        let ftype = text(entry.get("type"));
        if ftype.is_empty() {
            return Err("field JSON entry has no type".into());
        }
        let name = text(entry.get("name"));
        if name.is_empty() {
            return Err("field JSON entry has no name".into());
        }
        let desc = text(entry.get("desc"));
        if desc.is_empty() {
            return Err("field JSON entry has no desc".into());
        }
        let (ty, code) =
            plugin_type(&ftype).ok_or_else(|| format!("invalid field type {ftype}"))?;
        let what = format!("field {name}");
        let mut info = FieldInfo::new(&name, ty, &desc);
        info.display = text(entry.get("display"));
        info.provider = plugin.to_string();
        let list = opt_bool(entry, "isList", &what)?;
        if list {
            info.multiplicity = Multiplicity::List;
        }
        info.format_suggested = opt_bool(entry, "addOutput", &what)?;
        if let Some(arg) = entry.get("arg").filter(|a| !a.is_null()) {
            let required = opt_bool(arg, "isRequired", &what)?;
            let index = opt_bool(arg, "isIndex", &what)?;
            let key = opt_bool(arg, "isKey", &what)?;
            if required && !index && !key {
                return Err(format!(
                    "field {name} arg has isRequired true, but none of isKey nor isIndex is true"
                ));
            }
            info.arg = ArgSpec { required, allowed: index || key, index, key };
        }
        let (mut info_property, mut conversation) = (false, false);
        match entry.get("properties") {
            None | Some(Value::Null) => {}
            Some(Value::Array(props)) => {
                for p in props {
                    match p.as_str() {
                        Some("hidden") => info.hidden = true,
                        Some("info") => info_property = true,
                        Some("conversation") => conversation = true,
                        Some(_) => {}
                        None => return Err(format!("field {name} properties value is not string")),
                    }
                }
            }
            Some(_) => return Err(format!("field {name} properties property is not array")),
        }
        let name_c = crate::raw::to_cstring(&name);
        out.push(PluginField { info, info_property, conversation, ftype: code, name_c });
    }
    if out.is_empty() {
        return Err("plugins with extraction capability must export at least one field".into());
    }
    Ok(out)
}

/// Parses a JSON array of strings (`get_extract_event_sources`, `get_async_events`, ...).
/// An absent or empty answer is an empty list when `allow_empty`.
pub(crate) fn parse_string_list(
    symbol: &str,
    json: Option<&str>,
    allow_empty: bool,
) -> Result<Vec<String>, String> {
    let json = json.unwrap_or("");
    if json.is_empty() {
        return if allow_empty {
            Ok(Vec::new())
        } else {
            Err(format!("'{symbol}' did not return a json array but it should"))
        };
    }
    let bad = || format!("'{symbol}' did not return a json array");
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(json) else {
        return Err(bad());
    };
    let mut out = Vec::new();
    for item in items {
        let s = match item {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            _ => return Err(bad()),
        };
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_map_to_engine_types() {
        let json = r#"[
            {"type":"uint64","name":"x.n","desc":"a number","display":"N"},
            {"type":"string","name":"x.tags","desc":"tags","isList":true,"addOutput":true},
            {"type":"string","name":"x.kv","desc":"by key","arg":{"isRequired":true,"isKey":true}},
            {"type":"uint64","name":"x.at","desc":"by index","arg":{"isIndex":true}},
            {"type":"ipaddr","name":"x.ip","desc":"ip","properties":["hidden","conversation"]}
        ]"#;
        let f = parse_fields("x", json).unwrap();
        assert_eq!(f[0].info.ftype, FieldType::U64);
        assert_eq!(f[0].info.display, "N");
        assert_eq!(f[1].info.multiplicity, Multiplicity::List);
        assert!(f[1].info.format_suggested);
        assert_eq!(f[2].info.arg, ArgSpec::REQUIRED_KEY);
        assert_eq!(f[3].info.arg, ArgSpec::OPTIONAL_INDEX);
        assert!(f[4].info.hidden && f[4].conversation && !f[4].info_property);
        assert_eq!(f[4].info.provider, "x");
    }

    #[test]
    fn malformed_fields_are_refused() {
        let bad = |j: &str| parse_fields("x", j).unwrap_err();
        assert_eq!(bad("{}"), "get_fields returned an invalid JSON");
        assert_eq!(bad("[]"), "plugins with extraction capability must export at least one field");
        assert_eq!(bad(r#"[{"name":"a","desc":"d"}]"#), "field JSON entry has no type");
        assert_eq!(bad(r#"[{"type":"int8","name":"a","desc":"d"}]"#), "invalid field type int8");
        assert_eq!(bad(r#"[{"type":"bool","name":"a"}]"#), "field JSON entry has no desc");
        assert_eq!(
            bad(r#"[{"type":"bool","name":"a","desc":"d","isList":"yes"}]"#),
            "field a isList property is not boolean"
        );
        assert!(
            bad(r#"[{"type":"bool","name":"a","desc":"d","arg":{"isRequired":true}}]"#)
                .contains("none of isKey nor isIndex")
        );
    }

    #[test]
    fn string_lists() {
        assert_eq!(parse_string_list("s", Some(r#"["a","","a","b"]"#), true).unwrap(), ["a", "b"]);
        assert!(parse_string_list("s", None, true).unwrap().is_empty());
        assert!(parse_string_list("s", None, false).is_err());
        assert!(parse_string_list("s", Some("{}"), true).is_err());
    }
}
