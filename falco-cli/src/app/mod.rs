//! Falco's application, as a list of actions (Falco's `app.cpp`): each step reads and fills
//! the [`State`] and says whether to go on; teardown steps always run, and their errors are
//! chained to the run's.

pub mod actions;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use falco_engine::{Engine, Rules};
use falco_outputs::OutputEngine;

use crate::config::Config;
use crate::flags::Flags;
use crate::sources::SourceSpec;

/// Whether the run goes on after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Run the next step.
    Continue,
    /// Stop successfully (after printing something, e.g. `--version`).
    Exit,
}

/// A failure of the application, printed as Falco prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppError {
    /// A fatal error: `Error: <message>` on stderr, exit 1.
    Fatal(String),
    /// A command-line error: `Runtime error: <message>. Exiting.` on stderr, exit 1.
    Cmdline(String),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Fatal(m) => write!(f, "Error: {m}"),
            AppError::Cmdline(m) => write!(f, "Runtime error: {m}. Exiting."),
        }
    }
}

/// What a step returns.
pub type StepResult = Result<Flow, AppError>;

/// Shorthand for a fatal error.
pub fn fatal(msg: impl Into<String>) -> AppError {
    AppError::Fatal(msg.into())
}

/// Everything the steps share.
#[derive(Default)]
pub struct State {
    /// The command line.
    pub flags: Flags,
    /// The configuration (after `load_config`).
    pub config: Option<Config>,
    /// The rule engine.
    pub engine: Engine,
    /// The event sources that will run.
    pub sources: Vec<SourceSpec>,
    /// The compiled rules, swapped whole on reload.
    pub rules: Option<Arc<arc_swap::ArcSwap<Rules>>>,
    /// The output engine.
    pub outputs: Option<Arc<OutputEngine>>,
    /// Set by SIGINT/SIGTERM (or a failed source) to stop every source.
    pub stop: Arc<AtomicBool>,
    /// Counters of the run, printed at the end.
    pub summary: Option<crate::run::Summary>,
    /// The loaded plugins.
    pub plugins: Vec<crate::plugins::LoadedPlugin>,
    /// The syscall inspector when plugins or static fields extend it (built with the schema).
    pub syscall_inspector:
        Option<falco_inspector::extended::ExtendedInspector<falco_inspector::ScapInspector>>,
    /// The inspectors of the plugin sources (`SourceKind::Plugin(i)`), taken when they run.
    pub plugin_inspectors: Vec<Option<falco_inspector::PluginInspector>>,
    /// Signal handling, while registered.
    pub signals: Option<crate::signals::Signals>,
}

impl State {
    /// The configuration; only valid after `load_config`.
    pub fn config(&self) -> &Config {
        self.config.as_ref().expect("load_config runs first")
    }

    /// True when replaying a capture file (`-e` or `engine.kind: replay`).
    pub fn capture_file(&self) -> Option<String> {
        if let Some(c) = &self.flags.capture {
            return Some(c.clone());
        }
        match &self.config.as_ref()?.engine {
            crate::config::EngineKind::Replay { capture_file } => Some(capture_file.clone()),
            _ => None,
        }
    }
}

/// One step of the application.
pub type Step = fn(&mut State) -> StepResult;

/// The steps, in order (Falco's run steps).
pub const STEPS: &[Step] = &[
    actions::check_cmdline::check_cmdline,
    actions::print_schemas::print_schemas,
    actions::print_events::print_events,
    actions::load_config::load_config,
    actions::print_version::print_version,
    actions::print_page_size::print_page_size,
    actions::load_plugins::print_plugin_info,
    actions::load_plugins::list_plugins,
    actions::load_plugins::load_plugins,
    actions::init_sources::init_sources,
    actions::init_engine::init_engine,
    actions::list_fields::list_fields,
    actions::init_sources::select_sources,
    actions::validate_rules::validate_rules,
    actions::load_rules::load_rules,
    actions::print_support::print_support,
    actions::init_outputs::init_outputs,
    actions::signals::create_signal_handlers,
    actions::pidfile::pidfile,
    actions::process_events::process_events,
];

/// The teardown steps, always run.
pub const TEARDOWN: &[Step] =
    &[actions::signals::unregister_signal_handlers, actions::cleanup_outputs::cleanup_outputs];

/// Runs the application; returns the first error (teardown errors are appended).
pub fn run(state: &mut State) -> Result<(), AppError> {
    let mut result = Ok(());
    for step in STEPS {
        match step(state) {
            Ok(Flow::Continue) => {}
            Ok(Flow::Exit) => break,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    for step in TEARDOWN {
        if let Err(e) = step(state) {
            result = match result {
                Ok(()) => Err(e),
                Err(AppError::Fatal(m)) => Err(AppError::Fatal(format!("{m}; {}", e_msg(&e)))),
                Err(other) => Err(other),
            };
        }
    }
    result
}

fn e_msg(e: &AppError) -> &str {
    match e {
        AppError::Fatal(m) | AppError::Cmdline(m) => m,
    }
}
