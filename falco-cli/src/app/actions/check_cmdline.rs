//! Refuses command lines Falco refuses: flags of live drivers and metadata clients this build
//! does not have, and contradictory rule selections.

use crate::app::{AppError, Flow, State, StepResult};

/// Checks the command line before anything else runs.
pub fn check_cmdline(s: &mut State) -> StepResult {
    let f = &s.flags;
    if let Some(flag) = f.unsupported_flag() {
        return Err(AppError::Fatal(format!(
            "{flag} is not supported: this Falco has no live kernel driver nor Kubernetes/CRI metadata client. \
             Replay captures with -e FILE (or engine.kind=replay), run plugin sources with --disable-source syscall \
             (or engine.kind=nodriver), and use the container and k8smeta plugins for metadata"
        )));
    }
    if (!f.disable_rules.is_empty() || !f.disable_tags.is_empty()) && !f.run_tags.is_empty() {
        return Err(AppError::Cmdline(
            "You can not specify both disabled (-D/-T) and enabled (-t) rules".into(),
        ));
    }
    if !f.enable_source.is_empty() && !f.disable_source.is_empty() {
        return Err(AppError::Cmdline(
            "You can not mix --enable-source and --disable-source".into(),
        ));
    }
    if f.markdown && f.format.is_some() {
        return Err(AppError::Cmdline("--markdown and --format cannot be used together".into()));
    }
    if let Some(fmt) = &f.format {
        if !matches!(fmt.as_str(), "text" | "markdown" | "json") {
            return Err(AppError::Cmdline(format!(
                "Unsupported format '{fmt}': valid values are 'text', 'markdown', or 'json'"
            )));
        }
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::Flags;
    use clap::Parser;

    fn check(args: &[&str]) -> StepResult {
        let mut s = State {
            flags: Flags::parse_from(std::iter::once("falco").chain(args.iter().copied())),
            ..State::default()
        };
        check_cmdline(&mut s)
    }

    #[test]
    fn tag_conflict_is_falcos_error() {
        let e = check(&["-T", "a", "-t", "a"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Runtime error: You can not specify both disabled (-D/-T) and enabled (-t) rules. Exiting."
        );
        assert!(check(&["-D", "x", "-t", "a"]).is_err());
        assert!(check(&["-T", "x", "-D", "a"]).is_ok());
    }

    #[test]
    fn driver_flags_are_refused() {
        let e = check(&["--modern-bpf"]).unwrap_err().to_string();
        assert!(e.starts_with("Error: --modern-bpf is not supported"), "{e}");
        assert!(check(&["--enable-source", "a", "--disable-source", "b"]).is_err());
    }
}
