//! Signals and watched files: SIGINT/SIGTERM stop the sources gracefully, SIGHUP and changes
//! to the configuration or rules files (`watch_config_files`) reload the rules in place,
//! SIGUSR1 reopens file outputs (log rotation).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use falco_outputs::OutputEngine;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1};

use crate::reload::Reloader;

/// The installed handlers; dropping or [`Signals::close`] uninstalls them.
pub struct Signals {
    handle: signal_hook::iterator::Handle,
    thread: Option<JoinHandle<()>>,
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Signals {
    /// Installs the handlers and, when `watch` is not empty, a watcher on those files.
    pub fn install(
        stop: Arc<AtomicBool>,
        reloader: Option<Arc<Reloader>>,
        outputs: Option<Arc<OutputEngine>>,
        watch: Vec<PathBuf>,
    ) -> std::io::Result<Signals> {
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGUSR1])?;
        let handle = signals.handle();
        let r = reloader.clone();
        let thread = std::thread::Builder::new()
            .name("falco-signals".into())
            // Rule compilation recurses; give it room.
            .stack_size(16 << 20)
            .spawn(move || {
                for sig in signals.forever() {
                    match sig {
                        SIGINT | SIGTERM => {
                            crate::log::info("SIGINT/SIGTERM received, stopping sources");
                            stop.store(true, Ordering::SeqCst);
                        }
                        SIGHUP => {
                            crate::log::info("SIGHUP received, reloading rules");
                            if let Some(r) = &r {
                                let _ = r.reload();
                            }
                        }
                        SIGUSR1 => {
                            crate::log::info("SIGUSR1 received, reopening outputs");
                            if let Some(o) = &outputs {
                                o.reopen();
                            }
                        }
                        _ => {}
                    }
                }
            })?;
        let watcher = match (reloader, watch.is_empty()) {
            (Some(r), false) => Some(watch_files(r, watch).map_err(std::io::Error::other)?),
            _ => None,
        };
        Ok(Signals { handle, thread: Some(thread), _watcher: watcher })
    }

    /// Uninstalls the handlers and joins their thread.
    pub fn close(mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn watch_files(
    reloader: Arc<Reloader>,
    files: Vec<PathBuf>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher};
    let last = std::sync::Mutex::new(Instant::now() - Duration::from_secs(1));
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(ev) = res else { return };
        if !matches!(ev.kind, EventKind::Modify(_) | EventKind::Create(_) | EventKind::Remove(_)) {
            return;
        }
        // Editors write files in several steps: coalesce a burst into one reload.
        {
            let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
            if l.elapsed() < Duration::from_millis(200) {
                return;
            }
            *l = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(100));
        crate::log::info("A watched file changed, reloading rules");
        let _ = reloader.reload();
    })?;
    for f in files {
        watcher.watch(&f, RecursiveMode::NonRecursive)?;
    }
    Ok(watcher)
}
