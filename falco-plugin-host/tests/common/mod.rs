//! The test plugins in `plugins/`, built once per test process and loaded by path.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use falco_plugin_host::test_support::{build_plugins, plugin_library};

pub const PLUGINS: [&str; 4] = ["counter", "tagger", "ticker", "badplugin"];

/// The path of the built test plugin `name` (`counter`, `tagger`, ...).
pub fn plugin_path(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("in the workspace");
        build_plugins(root, &PLUGINS, false).expect("test plugins build")
    });
    let path = plugin_library(dir, name);
    assert!(path.exists(), "{} was not built", path.display());
    path
}
