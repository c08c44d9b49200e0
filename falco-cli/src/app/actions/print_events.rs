//! `--list-events` (every syscall event and metaevent the syscall source knows) and `-i`
//! (events ignored by default: this build processes every event of a capture).

use falco_inspector::event::{EVENT_TYPE_COUNT, event_info};

use crate::app::{Flow, State, StepResult};

/// Prints the event list and exits.
pub fn print_events(s: &mut State) -> StepResult {
    if s.flags.print_ignored_events {
        println!("Ignored syscall(s):");
        println!("(none: capture replays evaluate every event)");
        return Ok(Flow::Exit);
    }
    if !s.flags.list_events {
        return Ok(Flow::Continue);
    }
    let markdown = s.flags.markdown || s.flags.format.as_deref() == Some("markdown");
    let json = s.flags.format.as_deref() == Some("json");
    let mut entries = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for code in 0..EVENT_TYPE_COUNT {
        let Some(info) = event_info(code) else {
            continue;
        };
        let dir = if code % 2 == 0 { ">" } else { "<" };
        let params: Vec<String> =
            info.params.iter().map(|p| format!("{:?} {}", p.ptype, p.name)).collect();
        let key = format!("{dir}{}", info.name);
        if info.name.is_empty() || !seen.insert(key) {
            continue;
        }
        entries.push((dir, info.name, params.join(", ")));
    }
    if json {
        let v: Vec<_> = entries
            .iter()
            .map(|(d, n, p)| serde_json::json!({"dir": d, "name": n, "args": p}))
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else if markdown {
        println!("Default | Dir | Name | Params\n:-------|:----|:-----|:-----");
        for (d, n, p) in entries {
            println!("Yes | `{d}` | {n} | {p}");
        }
    } else {
        println!(
            "The events below are valid for Falco *Schema Version*: {}",
            falco_engine::ENGINE_VERSION
        );
        println!("=== Syscall events:");
        for (d, n, p) in entries {
            println!("{d} {n}({p})");
        }
    }
    Ok(Flow::Exit)
}
