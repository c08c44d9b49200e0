//! `-L` / `-l RULE`: describes the loaded rules, as text (Falco's two-column table) or JSON.

use falco_engine::Rules;

/// Falco's `wrap_text`: words wrapped at `line_len`, continuation lines indented.
fn wrap_text(s: &str, indent: usize, line_len: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for word in s.split_whitespace() {
        if len + word.len() < line_len - indent {
            len += word.len() + 1;
        } else {
            out.push('\n');
            out.push_str(&format!("{:<indent$}", " "));
            len = word.len() + 1;
        }
        out.push_str(word);
        out.push(' ');
    }
    out
}

/// Prints the description of every rule, or of `rule` only.
pub fn print(rules: &Rules, rule: Option<&str>, json: bool) -> Result<(), String> {
    let mut selected = Vec::new();
    for src in rules.sources() {
        for e in src.rules() {
            if rule.is_none_or(|r| r == e.rule.name) {
                selected.push((e.id, &e.rule));
            }
        }
    }
    selected.sort_by_key(|(id, _)| *id);
    if let Some(r) = rule {
        if selected.is_empty() {
            return Err(format!("Rule {r} not found"));
        }
    }
    if json {
        let items: Vec<serde_json::Value> = selected
            .iter()
            .map(|(_, r)| {
                serde_json::json!({
                    "info": {
                        "name": r.name,
                        "description": r.desc,
                        "condition": r.condition.to_string(),
                        "output": r.output,
                        "priority": r.priority.name(),
                        "source": r.source,
                        "tags": r.tags,
                        "enabled": r.enabled,
                    },
                    "details": {
                        "events": r.evttypes.as_ref().map(|v| v.iter().map(|t| t.0).collect::<Vec<_>>()),
                        "exception_fields": r.exception_fields,
                    }
                })
            })
            .collect();
        println!("{}", serde_json::json!({ "rules": items }));
    } else {
        println!("{:<50} {}", "Rule", "Description");
        println!("{:<50} {}", "----", "-----------");
        for (_, r) in selected {
            println!("{:<50} {}\n", r.name, wrap_text(&r.desc, 51, 110));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_like_falco() {
        let w = wrap_text("a b c", 51, 110);
        assert_eq!(w, "a b c ");
        let long = "word ".repeat(20);
        let w = wrap_text(&long, 51, 110);
        assert!(w.contains('\n'));
        assert!(w.lines().all(|l| l.len() <= 110));
    }
}
