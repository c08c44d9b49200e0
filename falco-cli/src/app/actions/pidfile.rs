//! `-P/--pidfile`.

use crate::app::{Flow, State, StepResult};

/// Writes the PID file, if asked; failure is a warning, as in Falco.
pub fn pidfile(s: &mut State) -> StepResult {
    if let Some(path) = &s.flags.pidfile {
        if !path.is_empty() {
            if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
                crate::log::warn(&format!("Could not write pid to pidfile {path}: {e}"));
            }
        }
    }
    Ok(Flow::Continue)
}
