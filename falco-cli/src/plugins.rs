//! Loaded plugins (wired to falco-plugin-host).

/// A plugin loaded for this run.
#[derive(Debug)]
pub struct LoadedPlugin {
    /// The name from its configuration.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The runner of the source plugin `i` (registered with the engine as `idx`).
pub fn runner(
    _plugins: &[LoadedPlugin],
    i: usize,
    _idx: falco_engine::SourceIdx,
) -> Result<Box<dyn crate::run::SourceRunner>, String> {
    Err(format!("plugin source #{i}: plugin sources are not wired in this build yet"))
}
