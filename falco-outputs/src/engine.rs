//! The output engine: one bounded queue shared by every source thread, one worker thread
//! that formats each alert once and hands it to every channel (design rule D7).
//!
//! - [`OutputEngine::send`] never waits: it queues the alert, or, when the queue is full
//!   (`outputs_queue.capacity`) or the engine is shutting down, drops it and counts it.
//! - The worker formats with a [`Formatter`] and calls each channel in configuration order.
//!   A channel's error is counted and logged and the next channel still gets the alert.
//!   Channels that may block for long (HTTP) run on their own thread behind their own
//!   queue, so a slow server holds up neither the worker nor the other channels.
//! - A watchdog reports a channel that blocks the worker longer than `output_timeout`.
//! - [`OutputEngine::shutdown`] stops accepting alerts, delivers every alert already
//!   accepted, then flushes and closes the channels.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, select};

use crate::alert::Alert;
use crate::channel::{
    Channel, FileChannel, HttpChannel, Message, ProgramChannel, StdoutChannel, SyslogChannel,
};
use crate::config::OutputsConfig;
use crate::error::{Error, ErrorKind};
use crate::format::{FormatOptions, Formatter};
use crate::slot::Slot;
use crate::stats::{ChannelCounters, Counters, Stats, lock};

/// Why [`OutputEngine::send`] did not queue an alert. The alert was dropped and counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Dropped {
    /// The queue was full.
    #[error("outputs queue full, alert dropped")]
    QueueFull,
    /// The engine is shutting down.
    #[error("output engine shut down, alert dropped")]
    Closed,
}

/// [`OutputEngine::shutdown_timeout`] gave up waiting.
#[derive(Clone, Debug, thiserror::Error)]
#[error("output channels still blocked after the shutdown deadline{}; {} alerts discarded",
    blocked_channel.as_deref().map(|c| format!(" (\"{c}\")")).unwrap_or_default(),
    stats.discarded)]
pub struct ShutdownTimeout {
    /// The counters at that moment.
    pub stats: Box<Stats>,
    /// The channel the worker was blocked in, if it still was.
    pub blocked_channel: Option<String>,
}

enum Control {
    Reopen,
    Flush,
    Stop,
}

/// Which channel the worker is inside, and since when (for the watchdog).
#[derive(Debug, Default)]
struct Busy {
    /// ns since `Shared::epoch`, plus one; 0 when idle.
    since: AtomicU64,
    slot: AtomicUsize,
}

struct Shared {
    alerts: Sender<Alert>,
    closed: AtomicBool,
    inflight: AtomicUsize,
    discard: Arc<AtomicBool>,
    counters: Counters,
    channels: Vec<Arc<ChannelCounters>>,
    capacity: usize,
    busy: Busy,
    epoch: Instant,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64 + 1
    }
}

/// Builds an [`OutputEngine`]: format, queue, channels.
///
/// ```
/// use falco_engine::Priority;
/// use falco_outputs::{Alert, FileChannel, FormatOptions, OutputEngine};
///
/// let dir = std::env::temp_dir().join(format!("falco-outputs-eng-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("events.txt");
/// let opts = FormatOptions { time_format_iso_8601: true, ..FormatOptions::default() };
/// let outputs = OutputEngine::builder(opts)
///     .hostname("node-1")
///     .queue_capacity(1024)
///     .channel(FileChannel::new(&path, true, false))
///     .build()?;
/// outputs.send(Alert::new(1_470_327_477_881_781_397, "open_from_cat", Priority::Warning,
///     "syscall", "An open was seen (command=cat /dev/null)"))?;
/// let stats = outputs.shutdown();
/// assert_eq!((stats.sent, stats.delivered, stats.dropped), (1, 1, 0));
/// assert_eq!(std::fs::read_to_string(&path)?,
///     "2016-08-04T16:17:57.881781397+0000: Warning An open was seen (command=cat /dev/null)\n");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct OutputEngineBuilder {
    format: FormatOptions,
    hostname: Option<String>,
    capacity: usize,
    output_timeout: Duration,
    channels: Vec<(Box<dyn Channel>, bool)>,
}

impl OutputEngineBuilder {
    /// The channels, format and queue that `config` describes (after
    /// [`OutputsConfig::validate`]); the hostname is [`system_hostname`].
    pub fn from_config(config: &OutputsConfig) -> Result<OutputEngineBuilder, Error> {
        config.validate()?;
        let buffered = config.buffered_outputs;
        let mut b = OutputEngine::builder(config.format.clone())
            .queue_capacity(config.outputs_queue.capacity)
            .output_timeout(Duration::from_millis(u64::from(config.output_timeout)));
        // Falco's order: file, stdout, syslog, program, http.
        if config.file_output.enabled {
            let f = &config.file_output;
            b = b.channel(FileChannel::new(&f.filename, f.keep_alive, buffered));
        }
        if config.stdout_output.enabled {
            b = b.channel(StdoutChannel::new(buffered));
        }
        if config.syslog_output.enabled {
            b = b.channel(SyslogChannel::new());
        }
        if config.program_output.enabled {
            let p = &config.program_output;
            b = b.channel(ProgramChannel::new(&p.program, p.keep_alive, buffered));
        }
        if config.http_output.enabled {
            b = b.detached_channel(HttpChannel::new(
                &config.http_output,
                config.format.json_output,
            )?);
        }
        Ok(b)
    }

    /// The hostname JSON alerts print (default: [`system_hostname`]).
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = Some(hostname.into());
        self
    }

    /// How many alerts may wait for the worker; 0 means unbounded (Falco's default).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// How long a channel may block the worker before the watchdog reports it (Falco's
    /// `output_timeout`, default 2 s).
    pub fn output_timeout(mut self, timeout: Duration) -> Self {
        self.output_timeout = timeout;
        self
    }

    /// Adds a channel run on the worker thread.
    pub fn channel(mut self, channel: impl Channel + 'static) -> Self {
        self.channels.push((Box::new(channel), false));
        self
    }

    /// Adds a channel run on a thread of its own, behind a queue as large as the engine's:
    /// for channels that may block (network), so that they never hold up the others. When
    /// that queue is full, the channel's alerts are dropped and counted in its stats.
    pub fn detached_channel(mut self, channel: impl Channel + 'static) -> Self {
        self.channels.push((Box::new(channel), true));
        self
    }

    /// Starts the worker (and watchdog) threads.
    pub fn build(self) -> Result<OutputEngine, Error> {
        let (tx, rx) = if self.capacity == 0 {
            crossbeam_channel::unbounded()
        } else {
            crossbeam_channel::bounded(self.capacity)
        };
        let discard = Arc::new(AtomicBool::new(false));
        let mut slots = Vec::with_capacity(self.channels.len());
        for (ch, detached) in self.channels {
            slots.push(if detached {
                Slot::detached(ch, self.capacity, Arc::clone(&discard))?
            } else {
                Slot::inline(ch)
            });
        }
        let shared = Arc::new(Shared {
            alerts: tx,
            closed: AtomicBool::new(false),
            inflight: AtomicUsize::new(0),
            discard,
            counters: Counters::default(),
            channels: slots.iter().map(|s| Arc::clone(&s.counters)).collect(),
            capacity: self.capacity,
            busy: Busy::default(),
            epoch: Instant::now(),
        });
        let hostname = self.hostname.unwrap_or_else(system_hostname);
        let (ctl_tx, ctl_rx) = crossbeam_channel::unbounded();
        let worker = Worker {
            shared: Arc::clone(&shared),
            alerts: rx,
            control: ctl_rx,
            formatter: Formatter::new(self.format, hostname),
            slots,
            buf: String::new(),
        };
        let thread = std::thread::Builder::new()
            .name("falco-outputs".into())
            .spawn(move || worker.run())
            .map_err(|e| Error::new(ErrorKind::Thread(e)))?;
        let watchdog = Watchdog::start(Arc::clone(&shared), self.output_timeout)?;
        Ok(OutputEngine {
            shared,
            control: ctl_tx,
            worker: Mutex::new(Some(thread)),
            watchdog: Mutex::new(Some(watchdog)),
            output_timeout: self.output_timeout,
        })
    }
}

/// Falco's output engine, shared by every source thread (`&OutputEngine` or
/// `Arc<OutputEngine>`: it is `Send + Sync`).
///
/// Dropping an engine that was not shut down shuts it down as Falco does on exit: it waits
/// up to `output_timeout` for queued alerts, then discards the rest.
pub struct OutputEngine {
    shared: Arc<Shared>,
    control: Sender<Control>,
    worker: Mutex<Option<JoinHandle<()>>>,
    watchdog: Mutex<Option<Watchdog>>,
    output_timeout: Duration,
}

impl OutputEngine {
    /// A builder with these format options, no channel, an unbounded queue.
    pub fn builder(format: FormatOptions) -> OutputEngineBuilder {
        OutputEngineBuilder {
            format,
            hostname: None,
            capacity: 0,
            output_timeout: Duration::from_millis(2000),
            channels: Vec::new(),
        }
    }

    /// The engine `config` describes, started.
    pub fn from_config(config: &OutputsConfig) -> Result<OutputEngine, Error> {
        OutputEngineBuilder::from_config(config)?.build()
    }

    /// Queues an alert for every channel, without ever waiting. When the queue is full or
    /// the engine is shutting down the alert is dropped, counted, and the reason returned
    /// (callers may ignore it: the count is in [`stats`](OutputEngine::stats)).
    pub fn send(&self, alert: Alert) -> Result<(), Dropped> {
        let s = &*self.shared;
        // `inflight` lets `shutdown` wait for sends that saw the engine open (SeqCst pairs
        // with the store of `closed`), so no accepted alert lands after the worker's last
        // look at the queue.
        s.inflight.fetch_add(1, SeqCst);
        let res = if s.closed.load(SeqCst) {
            Err((alert, Dropped::Closed))
        } else {
            match s.alerts.try_send(alert) {
                Ok(()) => {
                    s.counters.accepted.fetch_add(1, Relaxed);
                    Ok(())
                }
                Err(TrySendError::Full(a)) => Err((a, Dropped::QueueFull)),
                Err(TrySendError::Disconnected(a)) => Err((a, Dropped::Closed)),
            }
        };
        s.inflight.fetch_sub(1, SeqCst);
        let (alert, why) = match res {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let counter = match why {
            Dropped::QueueFull => &s.counters.dropped_queue_full,
            Dropped::Closed => &s.counters.dropped_closed,
        };
        if counter.fetch_add(1, Relaxed) == 0 && why == Dropped::QueueFull {
            tracing::error!(
                "outputs queue full (outputs_queue.capacity: {}): dropping alerts and \
                 continuing",
                s.capacity
            );
        }
        lock(&s.counters.rejected).add(&alert);
        Err(why)
    }

    /// Asks every channel to close and reopen its file or program (SIGUSR1: log rotation).
    /// Returns at once; the worker does it between two alerts.
    pub fn reopen(&self) {
        let _ = self.control.send(Control::Reopen);
    }

    /// Asks every channel to write out what it buffers. Returns at once.
    pub fn flush(&self) {
        let _ = self.control.send(Control::Flush);
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot(&self.shared.channels)
    }

    /// Stops accepting alerts, waits until every accepted alert went through every channel
    /// (including channels on their own threads), closes the channels and returns the final
    /// counters. Calling it again just returns the counters.
    pub fn shutdown(&self) -> Stats {
        self.close();
        if let Some(worker) = lock(&self.worker).take() {
            let _ = worker.join();
        }
        self.stop_watchdog();
        self.stats()
    }

    /// As [`shutdown`](OutputEngine::shutdown), but waits at most `limit`: then the alerts
    /// still queued are discarded (and counted), and if a channel is still blocked the
    /// worker is left behind.
    pub fn shutdown_timeout(&self, limit: Duration) -> Result<Stats, ShutdownTimeout> {
        self.close();
        let Some(worker) = lock(&self.worker).take() else {
            return Ok(self.stats());
        };
        let deadline = Instant::now() + limit;
        if wait_until(&worker, deadline) {
            let _ = worker.join();
            self.stop_watchdog();
            return Ok(self.stats());
        }
        tracing::warn!("output channels still blocked, discarding all remaining notifications");
        self.shared.discard.store(true, SeqCst);
        // Discarding is quick unless a channel call never returns.
        let grace = Instant::now() + limit.min(Duration::from_millis(200));
        let blocked_channel = if wait_until(&worker, grace) {
            let _ = worker.join();
            None
        } else {
            Some(self.blocked_channel())
        };
        self.stop_watchdog();
        Err(ShutdownTimeout { stats: Box::new(self.stats()), blocked_channel })
    }

    fn close(&self) {
        let s = &*self.shared;
        if s.closed.swap(true, SeqCst) {
            return;
        }
        while s.inflight.load(SeqCst) != 0 {
            std::thread::yield_now();
        }
        let _ = self.control.send(Control::Stop);
    }

    fn blocked_channel(&self) -> String {
        let i = self.shared.busy.slot.load(SeqCst);
        self.shared.channels.get(i).map(|c| c.name.clone()).unwrap_or_default()
    }

    fn stop_watchdog(&self) {
        if let Some(w) = lock(&self.watchdog).take() {
            w.stop();
        }
    }
}

impl Drop for OutputEngine {
    fn drop(&mut self) {
        if lock(&self.worker).is_some()
            && let Err(e) = self.shutdown_timeout(self.output_timeout)
        {
            tracing::error!("{e}");
        }
        self.stop_watchdog();
    }
}

impl std::fmt::Debug for OutputEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputEngine")
            .field("capacity", &self.shared.capacity)
            .field("channels", &self.shared.channels)
            .finish_non_exhaustive()
    }
}

/// Polls until the thread finished or the deadline passed; true if it finished.
fn wait_until(thread: &JoinHandle<()>, deadline: Instant) -> bool {
    while !thread.is_finished() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

struct Worker {
    shared: Arc<Shared>,
    alerts: Receiver<Alert>,
    control: Receiver<Control>,
    formatter: Formatter,
    slots: Vec<Slot>,
    buf: String,
}

impl Worker {
    fn run(mut self) {
        let mut stopping = false;
        while !stopping {
            select! {
                recv(self.alerts) -> a => {
                    // Requests made before this alert was sent apply to it (an alert sent
                    // after `reopen()` returns goes to the reopened file).
                    stopping = self.pending_controls();
                    match a {
                        Ok(a) => self.handle(a),
                        Err(_) => stopping = true,
                    }
                }
                recv(self.control) -> c => {
                    stopping = c.map_or(true, |c| self.apply(c));
                }
            }
        }
        // `close` waited for in-flight sends before asking to stop: nothing enters now.
        while let Ok(a) = self.alerts.try_recv() {
            self.handle(a);
        }
        for slot in &mut self.slots {
            slot.close();
        }
    }

    /// Applies queued control requests; true if one was `Stop`.
    fn pending_controls(&mut self) -> bool {
        let mut stop = false;
        while let Ok(c) = self.control.try_recv() {
            stop |= self.apply(c);
        }
        stop
    }

    fn apply(&mut self, c: Control) -> bool {
        match c {
            Control::Reopen => self.slots.iter_mut().for_each(Slot::reopen),
            Control::Flush => self.slots.iter_mut().for_each(Slot::flush),
            Control::Stop => return true,
        }
        false
    }

    fn handle(&mut self, alert: Alert) {
        let s = &*self.shared;
        lock(&s.counters.dequeued).add(&alert);
        if s.discard.load(Relaxed) {
            s.counters.discarded.fetch_add(1, Relaxed);
            return;
        }
        self.buf.clear();
        self.formatter.format(&alert, &mut self.buf);
        let msg = Message { text: &self.buf, priority: alert.priority };
        for (i, slot) in self.slots.iter_mut().enumerate() {
            s.busy.slot.store(i, Relaxed);
            s.busy.since.store(s.now_ns(), Relaxed);
            slot.emit(&msg);
            s.busy.since.store(0, Relaxed);
        }
        s.counters.delivered.fetch_add(1, Relaxed);
    }
}

/// Reports a channel that blocks the worker for longer than `output_timeout`, as Falco's
/// watchdog does (the alert is not lost: the channel is only reported).
struct Watchdog {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Watchdog {
    fn start(shared: Arc<Shared>, timeout: Duration) -> Result<Watchdog, Error> {
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let period = (timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let limit = timeout.as_nanos() as u64;
        let thread = std::thread::Builder::new()
            .name("falco-outputs-watchdog".into())
            .spawn(move || {
                let mut reported = 0;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
                    let since = shared.busy.since.load(Relaxed);
                    if since == 0 || since == reported || shared.now_ns() - since < limit {
                        continue;
                    }
                    reported = since;
                    shared.counters.output_timeouts.fetch_add(1, Relaxed);
                    let i = shared.busy.slot.load(Relaxed);
                    let name = shared.channels.get(i).map_or("?", |c| c.name.as_str());
                    tracing::error!("\"{name}\" output timeout, all output channels are blocked");
                }
            })
            .map_err(|e| Error::new(ErrorKind::Thread(e)))?;
        Ok(Watchdog { stop, thread })
    }

    fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// The hostname Falco prints: `FALCO_HOSTNAME` if set, else the system's (empty if it
/// cannot be read).
pub fn system_hostname() -> String {
    hostname_from(std::env::var_os("FALCO_HOSTNAME"))
}

fn hostname_from(falco_hostname: Option<std::ffi::OsString>) -> String {
    if let Some(h) = falco_hostname {
        let h = h.to_string_lossy().into_owned();
        tracing::info!("Hostname value has been overridden via environment variable to: {h}");
        return h;
    }
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falco_hostname_overrides_the_system_hostname() {
        assert_eq!(hostname_from(Some("test-falco-hostname".into())), "test-falco-hostname");
        let system = hostname_from(None);
        let uts = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(system, uts.trim());
    }
}
