//! Rule outputs: `%field` format strings compiled against a source's schema, rendered as text
//! and as typed `output_fields`.
//!
//! A format is literal text with `%field`, `%field[arg]`, `%tolower(field)` (any transformer)
//! and `%20field` (pad or cut to 20 characters) tokens. As in libsinsp, the token after `%` is
//! the longest prefix of the rest of the string that parses as a field or transformer and
//! names a field the source has; a missing value prints `<NA>`. The JSON form maps each field
//! token, as written, to its typed value (`null` when missing).

use serde_json::Value as Json;

use crate::extract::{Extractor, Value, Values};
use crate::filter::ast::{Expr, ExprKind};
use crate::filter::compile::{Compiler, ValType};
use crate::filter::parse::Parser;
use crate::filter::program::{Scratch, SlotId, SlotTable};
use crate::schema::{FieldInfo, FieldRef, Multiplicity, Schema, TypeClass};

/// Text printed for a missing value.
pub const NOT_AVAILABLE: &str = "<NA>";

#[derive(Clone, Debug)]
enum Token {
    Text(String),
    Value { slot: SlotId, field: Option<(FieldRef, FieldInfo)>, ty: ValType, width: usize },
}

/// A compiled output format.
#[derive(Clone, Debug)]
pub struct Formatter {
    tokens: Vec<Token>,
    /// `(name as written, token index)` of the field tokens, for `output_fields`.
    fields: Vec<(String, usize)>,
}

/// Error of an output format, worded as Falco words it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(pub String);

impl Formatter {
    /// Compiles `format` against `schema`, interning its fields in `slots`.
    pub fn new(
        format: &str,
        schema: &Schema,
        slots: &mut SlotTable,
    ) -> Result<Formatter, FormatError> {
        if format.is_empty() {
            return Err(FormatError("empty formatting token".into()));
        }
        let fmt = format.strip_prefix('*').unwrap_or(format);
        let b = fmt.as_bytes();
        let mut tokens = Vec::new();
        let mut fields = Vec::new();
        let mut lit_start = 0;
        let mut j = 0;
        while j < b.len() {
            if b[j] != b'%' {
                j += 1;
                continue;
            }
            if lit_start != j {
                tokens.push(Token::Text(fmt[lit_start..j].to_string()));
            }
            if j == b.len() - 1 {
                return Err(FormatError(
                    "invalid formatting syntax: formatting cannot end with a %".into(),
                ));
            }
            let mut width = 0usize;
            if b[j + 1].is_ascii_digit() {
                let digits = b[j + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
                width = fmt[j + 1..j + 1 + digits].parse().unwrap_or(usize::MAX);
                j += digits;
                if j == b.len() - 1 {
                    return Err(FormatError(
                        "invalid formatting syntax: formatting cannot end with a number".into(),
                    ));
                }
            }
            let rest = &fmt[j + 1..];
            let (expr, used) = longest_token(rest, schema)
                .ok_or_else(|| FormatError(format!("invalid formatting token {rest}")))?;
            let mut compiler = Compiler::new(schema, slots);
            let (slot, ty) = compiler.value_expr(&expr).map_err(|e| FormatError(e.message))?;
            if ty.filter_only {
                return Err(FormatError(format!(
                    "{} is filter only and cannot be used as a display field",
                    &rest[..used]
                )));
            }
            let field = match &expr.kind {
                ExprKind::Field { name, arg } => {
                    let (fref, info) =
                        crate::filter::compile::resolve_field(schema, name, arg.as_deref())
                            .map_err(FormatError)?;
                    Some((fref, info.clone()))
                }
                _ => None,
            };
            if field.is_some() {
                fields.push((expr.to_string(), tokens.len()));
            }
            tokens.push(Token::Value { slot, field, ty, width });
            j += 1 + used;
            lit_start = j;
        }
        if lit_start < b.len() {
            tokens.push(Token::Text(fmt[lit_start..].to_string()));
        }
        Ok(Formatter { tokens, fields })
    }

    /// The field names of the format (as written), in order.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(n, _)| n.as_str())
    }

    /// Renders the text form into `out` (appending).
    pub fn render<X: Extractor>(
        &self,
        slots: &SlotTable,
        scratch: &mut Scratch,
        evt: &X::Event<'_>,
        x: &mut X,
        out: &mut String,
    ) {
        for t in &self.tokens {
            match t {
                Token::Text(s) => out.push_str(s),
                Token::Value { slot, field, ty, width } => {
                    let start = out.len();
                    let ok = match field {
                        Some((fref, info)) => x.render_text(evt, fref, info, out),
                        None => {
                            let (a, b) = scratch.slot(slots, *slot, evt, x);
                            render_values(&scratch.values, a, b, ty.list, out)
                        }
                    };
                    if !ok {
                        out.truncate(start);
                        out.push_str(NOT_AVAILABLE);
                    }
                    if *width > 0 {
                        let text: String = out[start..].chars().collect();
                        let mut fixed: String = text.chars().take(*width).collect();
                        while fixed.chars().count() < *width {
                            fixed.push(' ');
                        }
                        out.truncate(start);
                        out.push_str(&fixed);
                    }
                }
            }
        }
    }

    /// The typed values of the format's fields, `name -> value` (`null` when missing).
    pub fn output_fields<X: Extractor>(
        &self,
        slots: &SlotTable,
        scratch: &mut Scratch,
        evt: &X::Event<'_>,
        x: &mut X,
        out: &mut serde_json::Map<String, Json>,
    ) {
        for (name, idx) in &self.fields {
            let Token::Value { slot, ty, .. } = &self.tokens[*idx] else {
                continue;
            };
            let (a, b) = scratch.slot(slots, *slot, evt, x);
            out.insert(name.clone(), values_json(&scratch.values, a, b, ty));
        }
    }
}

/// Finds the longest prefix of `rest` that is a field or transformer the schema knows.
fn longest_token(rest: &str, schema: &Schema) -> Option<(Expr, usize)> {
    let mut size = rest.len();
    while size > 0 {
        if !rest.is_char_boundary(size) {
            size -= 1;
            continue;
        }
        let sub = &rest[..size];
        let mut p = Parser::new(sub);
        if let Ok(expr) = p.parse_field_or_transformer() {
            let used = p.pos().idx as usize;
            let mut scratch_slots = SlotTable::default();
            if Compiler::new(schema, &mut scratch_slots).value_expr(&expr).is_ok() {
                return Some((expr, used));
            }
        }
        size -= 1;
    }
    None
}

fn render_values(vals: &Values, a: usize, b: usize, list: bool, out: &mut String) -> bool {
    use std::fmt::Write;
    if a == b {
        return false;
    }
    if list {
        out.push('(');
        for k in a..b {
            if k > a {
                out.push(',');
            }
            let _ = write!(out, "{}", vals.get(k));
        }
        out.push(')');
    } else {
        let _ = write!(out, "{}", vals.get(a));
    }
    true
}

fn value_json(v: Value<'_>, class: TypeClass) -> Json {
    match v {
        Value::U64(x) => Json::from(x),
        Value::I64(x) => Json::from(x),
        Value::Double(x) => serde_json::Number::from_f64(x).map(Json::Number).unwrap_or(Json::Null),
        Value::Bool(b) => Json::Bool(b),
        Value::Str(s) => {
            let _ = class;
            Json::String(String::from_utf8_lossy(s).into_owned())
        }
        Value::Ip(ip) => Json::String(ip.to_string()),
    }
}

fn values_json(vals: &Values, a: usize, b: usize, ty: &ValType) -> Json {
    if a == b {
        return Json::Null;
    }
    if ty.list || ty.multiplicity == Multiplicity::List {
        Json::Array((a..b).map(|k| value_json(vals.get(k), ty.ftype.class())).collect())
    } else {
        value_json(vals.get(a), ty.ftype.class())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ArgSpec, FieldType};

    fn schema() -> Schema {
        let mut s = Schema::new("test");
        s.add_field(FieldInfo::new("proc.name", FieldType::CharBuf, "")).unwrap();
        s.add_field(
            FieldInfo::new("proc.aname", FieldType::CharBuf, "").with_arg(ArgSpec::OPTIONAL_INDEX),
        )
        .unwrap();
        s.add_field(FieldInfo::new("fd.ip", FieldType::IpAddr, "").filter_only()).unwrap();
        s
    }

    fn tokens(f: &str) -> Result<Vec<String>, String> {
        let mut slots = SlotTable::default();
        Formatter::new(f, &schema(), &mut slots)
            .map(|f| {
                f.tokens
                    .iter()
                    .map(|t| match t {
                        Token::Text(s) => format!("T:{s}"),
                        Token::Value { ty, width, .. } => format!("F:{}/{width}", ty.name),
                    })
                    .collect()
            })
            .map_err(|e| e.0)
    }

    #[test]
    fn tokens_are_longest_known_fields() {
        assert_eq!(
            tokens("cmd=%proc.name x=%proc.aname[2]!").unwrap(),
            ["T:cmd=", "F:proc.name/0", "T: x=", "F:proc.aname/0", "T:!"]
        );
        assert_eq!(tokens("%proc.namex").unwrap(), ["F:proc.name/0", "T:x"]);
        assert_eq!(tokens("%10proc.name").unwrap(), ["F:proc.name/10"]);
        assert_eq!(tokens("%tolower(proc.name)").unwrap(), ["F:tolower(proc.name)/0"]);
        assert_eq!(tokens("*a %proc.name").unwrap(), ["T:a ", "F:proc.name/0"]);
    }

    #[test]
    fn errors_as_falco_words_them() {
        assert_eq!(
            tokens("An open was seen %not_a_real_field").unwrap_err(),
            "invalid formatting token not_a_real_field"
        );
        assert_eq!(
            tokens("x %").unwrap_err(),
            "invalid formatting syntax: formatting cannot end with a %"
        );
        assert_eq!(
            tokens("x %12").unwrap_err(),
            "invalid formatting syntax: formatting cannot end with a number"
        );
        assert_eq!(
            tokens("%fd.ip").unwrap_err(),
            "fd.ip is filter only and cannot be used as a display field"
        );
        assert_eq!(tokens("").unwrap_err(), "empty formatting token");
    }
}
