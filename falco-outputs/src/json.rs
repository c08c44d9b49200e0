//! A JSON writer that prints exactly what Falco's JSON library (nlohmann::json, `dump()`
//! with no indent) prints: compact separators, object keys sorted by bytes, control
//! characters escaped as `\n` or `\u001f`, non-ASCII kept as is, and floating-point numbers
//! in its layout (`1.0`, `0.001`, `1e+21`, `1.5e-05`).
//!
//! Keys are sorted here whatever order a `serde_json::Map` keeps (its `preserve_order`
//! feature may be enabled by another crate in the build).

use std::fmt::Write;

use serde_json::Value;

/// Appends `s` escaped as inside a JSON string, without the quotes.
pub(crate) fn write_escaped(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// Appends `s` as a quoted JSON string.
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    write_escaped(out, s);
    out.push('"');
}

/// Appends any JSON value.
pub(crate) fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(f) = n.as_f64() {
                write_f64(out, f);
            } else {
                // Arbitrary-precision numbers (a serde_json feature) print as given.
                let _ = write!(out, "{n}");
            }
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

/// Appends a double the way nlohmann's `to_chars` lays out its shortest digits.
pub(crate) fn write_f64(out: &mut String, x: f64) {
    if !x.is_finite() {
        out.push_str("null");
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    let x = x.abs();
    if x == 0.0 {
        out.push_str("0.0");
        return;
    }
    // Shortest round-trip digits from Rust's `{:e}`: "d.ddde[-]N".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp + 1; // position of the decimal point relative to the digits
    const MIN_EXP: i32 = -4;
    const MAX_EXP: i32 = 15;
    if k <= n && n <= MAX_EXP {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
        out.push_str(".0");
    } else if 0 < n && n <= MAX_EXP {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if MIN_EXP < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = n - 1;
        let _ = write!(out, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dump(v: &Value) -> String {
        let mut s = String::new();
        write_value(&mut s, v);
        s
    }

    fn float(x: f64) -> String {
        let mut s = String::new();
        write_f64(&mut s, x);
        s
    }

    #[test]
    fn strings_escape_like_nlohmann() {
        let mut s = String::new();
        write_escaped(&mut s, "a\"b\\c\nd\te\u{1}f\u{1f}g\u{7f}é/");
        assert_eq!(s, "a\\\"b\\\\c\\nd\\te\\u0001f\\u001fg\u{7f}é/");
        let mut s = String::new();
        write_escaped(&mut s, "\u{8}\u{c}\r\0");
        assert_eq!(s, "\\b\\f\\r\\u0000");
    }

    #[test]
    fn objects_sorted_compact() {
        let v = json!({"b": 1, "a": [true, null, "x"], "A": -3, "c": {"z": 1, "y": 2}});
        assert_eq!(dump(&v), r#"{"A":-3,"a":[true,null,"x"],"b":1,"c":{"y":2,"z":1}}"#);
        assert_eq!(dump(&json!(u64::MAX)), "18446744073709551615");
    }

    #[test]
    fn floats_in_nlohmann_layout() {
        assert_eq!(float(1.0), "1.0");
        assert_eq!(float(-0.0), "-0.0");
        assert_eq!(float(0.0), "0.0");
        assert_eq!(float(1.5), "1.5");
        assert_eq!(float(123.456), "123.456");
        assert_eq!(float(100.0), "100.0");
        assert_eq!(float(0.001), "0.001");
        assert_eq!(float(0.0001), "0.0001");
        assert_eq!(float(0.00001), "1e-05");
        assert_eq!(float(1.5e-7), "1.5e-07");
        assert_eq!(float(1e14), "100000000000000.0");
        assert_eq!(float(1e15), "1e+15");
        assert_eq!(float(1.25e21), "1.25e+21");
        assert_eq!(float(-2.5e100), "-2.5e+100");
        assert_eq!(float(f64::NAN), "null");
        assert_eq!(float(f64::INFINITY), "null");
    }
}
