//! How the output worker drives one channel: inline on the worker, or on a thread of its
//! own behind a bounded queue (for channels that may be slow, like HTTP), with error
//! counting and rate-limited logging either way.

use std::fmt::Display;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};
use falco_engine::Priority;

use crate::channel::{Channel, Message};
use crate::error::{ChannelError, Error, ErrorKind};
use crate::stats::ChannelCounters;

/// At most one error line per channel in this interval; the others are counted and the
/// next line says how many were not logged.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Rate-limited error logging for one channel.
#[derive(Debug, Default)]
pub(crate) struct ErrorLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl ErrorLog {
    pub(crate) fn report(&mut self, channel: &str, what: &str, err: &dyn Display) {
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < LOG_INTERVAL) {
            self.suppressed += 1;
            return;
        }
        if self.suppressed > 0 {
            tracing::error!(
                channel,
                "{channel} output: {what}: {err} ({} similar errors not logged)",
                self.suppressed
            );
        } else {
            tracing::error!(channel, "{channel} output: {what}: {err}");
        }
        self.last = Some(now);
        self.suppressed = 0;
    }
}

/// Calls `f` on the channel, counting and logging a failure.
fn run(
    channel: &mut dyn Channel,
    counters: &ChannelCounters,
    log: &mut ErrorLog,
    what: &str,
    f: impl FnOnce(&mut dyn Channel) -> Result<(), ChannelError>,
) -> bool {
    match f(channel) {
        Ok(()) => true,
        Err(e) => {
            counters.errors.fetch_add(1, Relaxed);
            log.report(&counters.name, what, &e);
            false
        }
    }
}

/// Work for a channel on its own thread.
enum Job {
    Emit(Box<str>, Priority),
    Reopen,
    Flush,
}

/// One configured channel as the worker sees it.
pub(crate) struct Slot {
    pub(crate) counters: Arc<ChannelCounters>,
    sink: Sink,
    log: ErrorLog,
}

enum Sink {
    Inline(Box<dyn Channel>),
    Detached { jobs: Option<Sender<Job>>, thread: Option<JoinHandle<()>> },
}

impl Slot {
    pub(crate) fn inline(channel: Box<dyn Channel>) -> Slot {
        Slot {
            counters: ChannelCounters::new(channel.name()),
            sink: Sink::Inline(channel),
            log: ErrorLog::default(),
        }
    }

    /// Starts `channel` on its own thread behind a queue of `capacity` alerts (0: unbounded).
    /// Once `discard` is set, alerts still queued there are counted as dropped.
    pub(crate) fn detached(
        mut channel: Box<dyn Channel>,
        capacity: usize,
        discard: Arc<AtomicBool>,
    ) -> Result<Slot, Error> {
        let counters = ChannelCounters::new(channel.name());
        let (tx, rx) = if capacity == 0 {
            crossbeam_channel::unbounded()
        } else {
            crossbeam_channel::bounded(capacity)
        };
        let c = Arc::clone(&counters);
        let thread = std::thread::Builder::new()
            .name(format!("falco-out-{}", counters.name))
            .spawn(move || detached_loop(&mut *channel, &c, &rx, &discard))
            .map_err(|e| Error::new(ErrorKind::Thread(e)))?;
        Ok(Slot {
            counters,
            sink: Sink::Detached { jobs: Some(tx), thread: Some(thread) },
            log: ErrorLog::default(),
        })
    }

    pub(crate) fn emit(&mut self, msg: &Message<'_>) {
        match &mut self.sink {
            Sink::Inline(ch) => {
                if run(&mut **ch, &self.counters, &mut self.log, "alert", |c| c.emit(msg)) {
                    self.counters.delivered.fetch_add(1, Relaxed);
                }
            }
            Sink::Detached { jobs, .. } => {
                let Some(jobs) = jobs else { return };
                let job = Job::Emit(msg.text.into(), msg.priority);
                if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
                    jobs.try_send(job)
                {
                    self.counters.dropped.fetch_add(1, Relaxed);
                    self.log.report(&self.counters.name, "alert", &ChannelError::QueueFull);
                }
            }
        }
    }

    pub(crate) fn reopen(&mut self) {
        self.control(Job::Reopen);
    }

    pub(crate) fn flush(&mut self) {
        self.control(Job::Flush);
    }

    fn control(&mut self, job: Job) {
        match &mut self.sink {
            Sink::Inline(ch) => {
                let what = if matches!(job, Job::Reopen) { "reopen" } else { "flush" };
                run(&mut **ch, &self.counters, &mut self.log, what, |c| match job {
                    Job::Reopen => c.reopen(),
                    _ => c.flush(),
                });
            }
            Sink::Detached { jobs, .. } => {
                // Control jobs wait for room: they are rare and must not be lost.
                if let Some(jobs) = jobs {
                    let _ = jobs.send(job);
                }
            }
        }
    }

    /// Flushes and closes the channel; a detached channel first delivers what it queued.
    pub(crate) fn close(&mut self) {
        match &mut self.sink {
            Sink::Inline(ch) => {
                run(&mut **ch, &self.counters, &mut self.log, "close", |c| c.close());
            }
            Sink::Detached { jobs, thread } => {
                drop(jobs.take());
                if let Some(t) = thread.take()
                    && t.join().is_err()
                {
                    self.counters.errors.fetch_add(1, Relaxed);
                    tracing::error!("{} output thread panicked", self.counters.name);
                }
            }
        }
    }
}

fn detached_loop(
    channel: &mut dyn Channel,
    counters: &ChannelCounters,
    jobs: &Receiver<Job>,
    discard: &AtomicBool,
) {
    let mut log = ErrorLog::default();
    for job in jobs.iter() {
        match job {
            Job::Emit(_, _) if discard.load(Relaxed) => {
                counters.dropped.fetch_add(1, Relaxed);
            }
            Job::Emit(text, priority) => {
                let msg = Message { text: &text, priority };
                if run(channel, counters, &mut log, "alert", |c| c.emit(&msg)) {
                    counters.delivered.fetch_add(1, Relaxed);
                }
            }
            Job::Reopen => {
                run(channel, counters, &mut log, "reopen", |c| c.reopen());
            }
            Job::Flush => {
                run(channel, counters, &mut log, "flush", |c| c.flush());
            }
        }
    }
    run(channel, counters, &mut log, "close", |c| c.close());
}
