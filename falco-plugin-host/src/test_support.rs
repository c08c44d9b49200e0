//! Builds plugin crates of this workspace (`plugins/*`) as shared libraries, for tests that
//! load them by path the way Falco does.
//!
//! The libraries are built with cargo into their own target directory
//! (`<target>/test-plugins`), so a build started from a running test never waits on the lock
//! of the build that runs the tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the packages `falco-plugin-<name>` of the workspace at `workspace_root` (release
/// profile if `release`, else debug) and returns the directory holding their
/// `lib<name>_plugin.so`.
pub fn build_plugins(
    workspace_root: &Path,
    names: &[&str],
    release: bool,
) -> Result<PathBuf, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root.join("target"))
        .join("test-plugins");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root).args(["build", "--quiet"]).env("CARGO_TARGET_DIR", &target);
    if release {
        cmd.arg("--release");
    }
    for name in names {
        cmd.arg("-p").arg(format!("falco-plugin-{name}"));
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building the plugins {names:?} failed"));
    }
    Ok(target.join(if release { "release" } else { "debug" }))
}

/// The library file of plugin `name` in a directory returned by [`build_plugins`].
pub fn plugin_library(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("lib{name}_plugin.so"))
}
