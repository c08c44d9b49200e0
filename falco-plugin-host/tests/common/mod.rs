//! Builds the test plugins in `plugins/` (as cdylibs, with cargo) and finds their libraries.
//!
//! The plugins are built once per test process into their own target directory
//! (`target/test-plugins`), so the nested cargo never waits on the lock of the build that runs
//! the tests. Tests load them by path, never by linking them in.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub const PLUGINS: [&str; 4] = ["counter", "tagger", "ticker", "badplugin"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crate is in the workspace")
        .to_path_buf()
}

fn build_all() -> PathBuf {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("test-plugins");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .arg("build")
        .arg("--quiet")
        .env("CARGO_TARGET_DIR", &target);
    for p in PLUGINS {
        cmd.arg("-p").arg(format!("falco-plugin-{p}"));
    }
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "building the test plugins failed");
    target.join("debug")
}

/// The path of the built test plugin `name` (`counter`, `tagger`, ...).
pub fn plugin_path(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(build_all);
    let path = dir.join(format!("lib{name}_plugin.so"));
    assert!(path.exists(), "{} was not built", path.display());
    path
}
