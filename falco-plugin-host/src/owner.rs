//! The host's side of one initialised plugin: what the plugin's `ss_plugin_owner_t*` points to.
//!
//! Every callback a plugin makes (log, owner last error, table API, async events,
//! capture-listening routines) receives this owner. It is `Sync` because plugins may call back
//! from their own threads (async events, routines), and it lives as long as the loaded library
//! (the plugin core keeps every owner it created): the official Rust SDK stores the owner of
//! the most recently initialised instance in a library-global logger, so an owner must never
//! be freed while the library's code may still run.

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::callbacks::{Routine, TableList};
use crate::event::{ASYNC_EVENT_TYPE, EventRef};
use crate::raw::{OwnerPtr, StatePtr};
use crate::tables::TableRegistry;

/// Capacity of an inspector's async event queue (libsinsp's `DEFAULT_ASYNC_EVENT_QUEUE_SIZE`).
pub const ASYNC_QUEUE_CAPACITY: usize = 4096;

/// Severity of a plugin log message (`ss_plugin_log_severity`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogSeverity {
    /// Fatal.
    Fatal,
    /// Critical.
    Critical,
    /// Error.
    Error,
    /// Warning.
    Warning,
    /// Notice.
    Notice,
    /// Info.
    Info,
    /// Debug.
    Debug,
    /// Trace.
    Trace,
}

impl LogSeverity {
    pub(crate) fn from_code(code: u32) -> LogSeverity {
        match code {
            1 => LogSeverity::Fatal,
            2 => LogSeverity::Critical,
            3 => LogSeverity::Error,
            4 => LogSeverity::Warning,
            5 => LogSeverity::Notice,
            6 => LogSeverity::Info,
            7 => LogSeverity::Debug,
            _ => LogSeverity::Trace,
        }
    }
}

/// One message a plugin logged.
#[derive(Clone, Copy, Debug)]
pub struct LogRecord<'a> {
    /// The component the plugin named, or the plugin's name (as libsinsp prefixes it).
    pub component: &'a str,
    /// The message.
    pub message: &'a str,
    /// Its severity.
    pub severity: LogSeverity,
}

/// Where plugin log messages go.
pub type LogSink = Arc<dyn Fn(&LogRecord<'_>) + Send + Sync>;

/// The default log sink: `tracing` events, target `falco_plugin`.
pub fn tracing_log_sink() -> LogSink {
    Arc::new(|r: &LogRecord<'_>| match r.severity {
        LogSeverity::Fatal | LogSeverity::Critical | LogSeverity::Error => {
            tracing::error!(target: "falco_plugin", "{}: {}", r.component, r.message)
        }
        LogSeverity::Warning => {
            tracing::warn!(target: "falco_plugin", "{}: {}", r.component, r.message)
        }
        LogSeverity::Notice | LogSeverity::Info => {
            tracing::info!(target: "falco_plugin", "{}: {}", r.component, r.message)
        }
        LogSeverity::Debug => {
            tracing::debug!(target: "falco_plugin", "{}: {}", r.component, r.message)
        }
        LogSeverity::Trace => {
            tracing::trace!(target: "falco_plugin", "{}: {}", r.component, r.message)
        }
    })
}

/// An async event a plugin emitted, with the id of the plugin that emitted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncEvent {
    /// The event in the libs format (`PPME_ASYNCEVENT_E`).
    pub bytes: Vec<u8>,
}

/// The receiving end of an inspector's async event queue.
pub type AsyncReceiver = Receiver<AsyncEvent>;

/// The sending end, shared by every async-capable plugin of one inspector.
#[derive(Clone, Debug)]
pub struct AsyncSender {
    tx: SyncSender<AsyncEvent>,
    dropped: Arc<AtomicU64>,
}

impl AsyncSender {
    /// A new bounded queue (capacity [`ASYNC_QUEUE_CAPACITY`]).
    pub fn channel() -> (AsyncSender, AsyncReceiver) {
        let (tx, rx) = std::sync::mpsc::sync_channel(ASYNC_QUEUE_CAPACITY);
        (AsyncSender { tx, dropped: Arc::default() }, rx)
    }

    /// Events dropped because the queue was full (a plugin thread is never blocked).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

pub(crate) struct Owner {
    pub(crate) plugin_name: String,
    last_error: Mutex<CString>,
    log: LogSink,
    pub(crate) tables: Arc<TableRegistry>,
    pub(crate) table_list: Mutex<TableList>,
    async_names: HashSet<String>,
    async_tx: Mutex<Option<AsyncSender>>,
    state: Mutex<Option<StatePtr>>,
    pub(crate) routines: Mutex<Vec<Routine>>,
}

impl Owner {
    pub(crate) fn new(
        plugin_name: &str,
        log: LogSink,
        tables: Arc<TableRegistry>,
        async_names: HashSet<String>,
    ) -> Owner {
        Owner {
            plugin_name: plugin_name.to_string(),
            last_error: Mutex::new(CString::default()),
            log,
            tables,
            table_list: Mutex::default(),
            async_names,
            async_tx: Mutex::new(None),
            state: Mutex::new(None),
            routines: Mutex::default(),
        }
    }

    /// The pointer handed to the plugin. Valid as long as the `Arc<Owner>` lives.
    pub(crate) fn ptr(self: &Arc<Owner>) -> OwnerPtr {
        OwnerPtr(Arc::as_ptr(self).cast_mut().cast())
    }

    pub(crate) fn set_last_error(&self, msg: &str) {
        *lock(&self.last_error) = crate::raw::to_cstring(msg);
    }

    /// The last error as a C string pointer's target; empty means none.
    pub(crate) fn last_error_ptr(&self) -> Option<*const std::ffi::c_char> {
        let guard = lock(&self.last_error);
        // The CString's heap buffer stays put until the next `set_last_error`.
        (!guard.as_bytes().is_empty()).then(|| guard.as_ptr())
    }

    pub(crate) fn log(&self, component: Option<&CStr>, msg: &CStr, sev: u32) {
        let component = component.map(|c| c.to_string_lossy());
        let message = msg.to_string_lossy();
        (self.log)(&LogRecord {
            component: component.as_deref().unwrap_or(&self.plugin_name),
            message: &message,
            severity: LogSeverity::from_code(sev),
        });
    }

    pub(crate) fn set_state(&self, state: Option<StatePtr>) {
        *lock(&self.state) = state;
    }

    pub(crate) fn state(&self) -> Option<StatePtr> {
        *lock(&self.state)
    }

    pub(crate) fn set_async_sender(&self, tx: Option<AsyncSender>) {
        *lock(&self.async_tx) = tx;
    }

    /// Queues an async event a plugin emitted, after checking it is a well-formed
    /// `PPME_ASYNCEVENT_E` with one of the names the plugin declared (as libsinsp does).
    pub(crate) fn push_async(&self, bytes: Vec<u8>) -> Result<(), String> {
        let guard = lock(&self.async_tx);
        let Some(tx) = guard.as_ref() else {
            return Err(format!("async event sent with NULL handler: {}", self.plugin_name));
        };
        let evt = EventRef::parse(&bytes).map_err(|e| {
            format!("malformed async event produced by plugin: {}: {e}", self.plugin_name)
        })?;
        if evt.event_type() != ASYNC_EVENT_TYPE || evt.nparams() != 3 {
            return Err(format!("malformed async event produced by plugin: {}", self.plugin_name));
        }
        let name = evt.async_name().unwrap_or_default();
        if !self.async_names.contains(name) {
            return Err(format!(
                "incompatible async event '{name}' produced by plugin: {}",
                self.plugin_name
            ));
        }
        match tx.tx.try_send(AsyncEvent { bytes }) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                tx.dropped.fetch_add(1, Ordering::Relaxed);
                Err("async event queue is full".into())
            }
            Err(TrySendError::Disconnected(_)) => Err("async event queue is closed".into()),
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
