//! `--page-size`.

use crate::app::{Flow, State, StepResult};

/// Prints the system page size and exits.
pub fn print_page_size(s: &mut State) -> StepResult {
    if !s.flags.page_size {
        return Ok(Flow::Continue);
    }
    // The page size is the kernel's; read it from the auxiliary vector exposed in /proc.
    let size = std::fs::read("/proc/self/auxv")
        .ok()
        .and_then(|b| {
            b.chunks_exact(16).find_map(|c| {
                let key = u64::from_ne_bytes(c[..8].try_into().ok()?);
                if key == 6 { Some(u64::from_ne_bytes(c[8..].try_into().ok()?)) } else { None }
            })
        })
        .unwrap_or(4096);
    println!("Your system page size is: {size} bytes");
    Ok(Flow::Exit)
}
