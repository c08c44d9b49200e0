//! `--list[=source]` (with `-N` for names only, `--format text|markdown|json`): the fields of
//! every source, grouped by field class as Falco lists them.

use std::fmt::Write as _;

use falco_engine::FieldInfo;

use crate::app::{Flow, State, StepResult, fatal};

const RIGHT: usize = 30;
const WIDTH: usize = 120;

fn wrap(desc: &str, out: &mut String) {
    let mut col = RIGHT;
    let mut first = true;
    for word in desc.split_whitespace() {
        if !first && col + word.len() + 1 > WIDTH {
            out.push('\n');
            out.push_str(&" ".repeat(RIGHT));
            col = RIGHT;
        } else if !first {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += word.len();
        first = false;
    }
}

fn tags(f: &FieldInfo) -> Vec<&'static str> {
    let mut t = Vec::new();
    if f.filter_only {
        t.push("FILTER_ONLY");
    }
    if f.arg.required {
        t.push("ARG_REQUIRED");
    } else if f.arg.allowed {
        t.push("ARG_ALLOWED");
    }
    if f.arg.accepts_arg() && f.arg.index {
        t.push("ARG_INDEX");
    }
    if f.arg.accepts_arg() && f.arg.key {
        t.push("ARG_KEY");
    }
    if f.multiplicity == falco_engine::Multiplicity::List {
        t.push("EPF_IS_LIST");
    }
    t
}

/// Prints the fields and exits.
pub fn list_fields(s: &mut State) -> StepResult {
    let Some(wanted) = s.flags.list.clone() else {
        return Ok(Flow::Continue);
    };
    if !wanted.is_empty() && !s.sources.iter().any(|x| x.name == wanted) {
        return Err(fatal(format!("Value for --list must be a valid source type: {wanted}")));
    }
    let format = if s.flags.markdown {
        "markdown".to_string()
    } else {
        s.flags.format.clone().unwrap_or_else(|| "text".into())
    };
    let mut out = String::new();
    let mut json = Vec::new();
    for src in s.sources.iter().filter(|x| wanted.is_empty() || x.name == wanted) {
        // Group by field class: the part before the first dot.
        let mut classes: Vec<(String, Vec<&FieldInfo>)> = Vec::new();
        for f in src.schema.fields().iter().filter(|f| !f.hidden) {
            let class = f.name.split('.').next().unwrap_or("").to_string();
            match classes.iter_mut().find(|(c, _)| *c == class) {
                Some((_, v)) => v.push(f),
                None => classes.push((class, vec![f])),
            }
        }
        for (class, fields) in classes {
            if s.flags.names_only {
                for f in fields.iter().filter(|f| !f.deprecated) {
                    let _ = writeln!(out, "{}", f.name);
                }
                continue;
            }
            match format.as_str() {
                "json" => json.push(serde_json::json!({
                    "name": class,
                    "event_sources": [src.name],
                    "fields": fields.iter().map(|f| serde_json::json!({
                        "name": f.name, "type": f.ftype.name(), "desc": f.desc, "tags": tags(f),
                    })).collect::<Vec<_>>(),
                })),
                "markdown" => {
                    let _ =
                        writeln!(out, "## Field Class: {class}\n\nEvent Sources: `{}`\n", src.name);
                    let _ = writeln!(out, "Name | Type | Description\n:----|:-----|:-----------");
                    for f in fields.iter().filter(|f| !f.deprecated) {
                        let _ = writeln!(out, "`{}` | {} | {}", f.name, f.ftype.name(), f.desc);
                    }
                    out.push('\n');
                }
                _ => {
                    let _ = writeln!(out, "-------------------------------");
                    let _ = writeln!(out, "{:<RIGHT$}{class}", "Field Class:");
                    let _ = writeln!(out, "{:<RIGHT$}{} ", "Event Sources:", src.name);
                    out.push('\n');
                    for f in fields.iter().filter(|f| !f.deprecated) {
                        if f.name.len() > RIGHT {
                            let _ = write!(out, "{}\n{:<RIGHT$}", f.name, " ");
                        } else {
                            let _ = write!(out, "{:<RIGHT$}", f.name);
                        }
                        let t = tags(f);
                        let mut desc = if t.is_empty() {
                            f.desc.clone()
                        } else {
                            format!("({}) {}", t.join(","), f.desc)
                        };
                        if s.flags.verbose {
                            desc = format!("(Type: {}) {desc}", f.ftype.name());
                        }
                        wrap(&desc, &mut out);
                        out.push('\n');
                    }
                    out.push('\n');
                }
            }
        }
    }
    if format == "json" && !s.flags.names_only {
        println!("{}", serde_json::Value::Array(json));
    } else {
        print!("{out}");
    }
    Ok(Flow::Exit)
}
