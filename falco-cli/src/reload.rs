//! Hot reload without stopping sources: a new engine and rules snapshot are built off to the
//! side from the current configuration and rules files; only if that succeeds is the
//! snapshot stored (arc-swap), and each source thread picks it up before its next event. A
//! broken file leaves the old rules running and is reported. Nothing is reopened, no event
//! is lost. Reload applies the rules side of the configuration (`rules_files`, `rules`,
//! `priority`, `append_output`); outputs, plugins and sources keep their start-up settings.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use falco_engine::{Rules, Schema};

use crate::config::Config;
use crate::flags::Flags;

/// Rebuilds and swaps the rules.
pub struct Reloader {
    flags: Flags,
    sources: Vec<(String, Arc<Schema>)>,
    plugins: Vec<(String, String)>,
    rules: Arc<ArcSwap<Rules>>,
    lock: Mutex<()>,
    /// Successful reloads.
    pub done: AtomicU64,
    /// Failed reloads (old rules kept).
    pub failed: AtomicU64,
}

impl Reloader {
    /// A reloader for the run's sources and rules.
    pub fn new(
        flags: Flags,
        sources: Vec<(String, Arc<Schema>)>,
        plugins: Vec<(String, String)>,
        rules: Arc<ArcSwap<Rules>>,
    ) -> Reloader {
        Reloader {
            flags,
            sources,
            plugins,
            rules,
            lock: Mutex::new(()),
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// Reloads; on error the current rules stay in place and the error is returned.
    pub fn reload(&self) -> Result<(), String> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let result =
            Config::load(self.flags.config.as_deref(), &self.flags.options).and_then(|config| {
                crate::rules::build(&self.sources, &self.plugins, &config, &self.flags)
            });
        match result {
            Ok((_engine, rules)) => {
                self.rules.store(Arc::new(rules));
                self.done.fetch_add(1, Ordering::Relaxed);
                crate::log::info("Rules reloaded: new rules are active");
                Ok(())
            }
            Err(e) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                crate::log::error(&format!("Reload failed, the previous rules keep running: {e}"));
                Err(e)
            }
        }
    }
}
