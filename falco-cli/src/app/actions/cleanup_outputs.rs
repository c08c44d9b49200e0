//! Drains the output engine (every accepted alert is delivered) and prints Falco's
//! end-of-run counts.

use std::time::Duration;

use crate::app::{Flow, State, StepResult};

/// Shuts the outputs down and prints the summary.
pub fn cleanup_outputs(s: &mut State) -> StepResult {
    let Some(outputs) = s.outputs.take() else {
        return Ok(Flow::Continue);
    };
    let timeout = Duration::from_millis(
        s.config.as_ref().map_or(2000, |c| c.outputs.output_timeout as u64).max(2000) * 5,
    );
    let stats = match outputs.shutdown_timeout(timeout) {
        Ok(st) => st,
        Err(e) => {
            crate::log::error(&e.to_string());
            outputs.stats()
        }
    };
    if stats.dropped > 0 {
        crate::log::warn(&format!(
            "{} alerts were dropped by the output queue or channels",
            stats.dropped
        ));
    }
    if let Some(summary) = &s.summary {
        let order: Vec<String> = s
            .rules
            .as_ref()
            .map(|r| {
                let r = r.load();
                let mut v: Vec<_> = r
                    .sources()
                    .iter()
                    .flat_map(|s| s.rules().iter().map(|e| (e.id, e.rule.name.clone())))
                    .collect();
                v.sort();
                v.into_iter().map(|(_, n)| n).collect()
            })
            .unwrap_or_default();
        print!("{}", summary.format(&order));
    }
    Ok(Flow::Continue)
}
