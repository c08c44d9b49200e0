//! Counters of the output engine, for Falco's end-of-run summary and for metrics.
//!
//! Every alert handed to [`OutputEngine::send`](crate::OutputEngine::send) is counted exactly
//! once as accepted (queued) or dropped, and by rule, priority and source whether it was
//! delivered or dropped, so that `delivered + dropped == sent` once the engine is shut down.
//! Counting costs source threads nothing on the normal path: accepted alerts are counted by
//! the output worker; a source thread only counts the alerts it drops.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use falco_engine::Priority;

use crate::alert::Alert;

/// A snapshot of the engine's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Alerts handed to `send` (accepted + rejected).
    pub sent: u64,
    /// Alerts `send` put in the queue.
    pub accepted: u64,
    /// Accepted alerts the worker formatted and handed to every channel.
    pub delivered: u64,
    /// Alerts that will never be delivered: `dropped_queue_full + dropped_closed + discarded`.
    pub dropped: u64,
    /// Rejected by `send` because the queue was full (`outputs_queue.capacity`).
    pub dropped_queue_full: u64,
    /// Rejected by `send` because the engine was shutting down.
    pub dropped_closed: u64,
    /// Accepted, then thrown away because a shutdown deadline passed.
    pub discarded: u64,
    /// Accepted and still waiting in the queue.
    pub queued: u64,
    /// Times a channel blocked the worker longer than `output_timeout`.
    pub output_timeouts: u64,
    /// Alerts sent, by priority (only priorities with a non-zero count).
    pub by_priority: BTreeMap<Priority, u64>,
    /// Alerts sent, by rule name.
    pub by_rule: BTreeMap<String, u64>,
    /// Alerts sent, by source name.
    pub by_source: BTreeMap<String, u64>,
    /// One entry per channel, in configuration order.
    pub channels: Vec<ChannelStats>,
}

/// Counters of one channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelStats {
    /// The channel's name (`stdout`, `file`, `http`, ...).
    pub name: String,
    /// Alerts the channel delivered without error.
    pub delivered: u64,
    /// Alerts the channel failed to deliver (plus failed reopen/flush/close).
    pub errors: u64,
    /// Alerts a channel running on its own thread had no room for, or discarded at a
    /// shutdown deadline.
    pub dropped: u64,
}

/// Live counters of one channel, shared by the thread that runs it and by snapshots.
#[derive(Debug, Default)]
pub(crate) struct ChannelCounters {
    pub(crate) name: String,
    pub(crate) delivered: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) dropped: AtomicU64,
}

impl ChannelCounters {
    pub(crate) fn new(name: &str) -> Arc<ChannelCounters> {
        Arc::new(ChannelCounters { name: name.to_string(), ..ChannelCounters::default() })
    }

    fn snapshot(&self) -> ChannelStats {
        ChannelStats {
            name: self.name.clone(),
            delivered: self.delivered.load(Relaxed),
            errors: self.errors.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
        }
    }
}

/// Alerts counted by priority, rule and source.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    by_priority: [u64; 8],
    by_rule: HashMap<Arc<str>, u64>,
    by_source: HashMap<Arc<str>, u64>,
}

impl Tally {
    pub(crate) fn add(&mut self, alert: &Alert) {
        self.by_priority[alert.priority as usize] += 1;
        bump(&mut self.by_rule, &alert.rule);
        bump(&mut self.by_source, &alert.source);
    }

    fn merge_into(&self, stats: &mut Stats) {
        for p in Priority::ALL {
            let n = self.by_priority[p as usize];
            if n > 0 {
                *stats.by_priority.entry(p).or_default() += n;
            }
        }
        for (k, n) in &self.by_rule {
            *stats.by_rule.entry(k.to_string()).or_default() += n;
        }
        for (k, n) in &self.by_source {
            *stats.by_source.entry(k.to_string()).or_default() += n;
        }
    }
}

fn bump(map: &mut HashMap<Arc<str>, u64>, key: &Arc<str>) {
    match map.get_mut(&**key) {
        Some(n) => *n += 1,
        None => {
            map.insert(Arc::clone(key), 1);
        }
    }
}

/// Every counter of one engine.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) dropped_queue_full: AtomicU64,
    pub(crate) dropped_closed: AtomicU64,
    pub(crate) discarded: AtomicU64,
    pub(crate) output_timeouts: AtomicU64,
    /// Alerts the worker took from the queue (locked by the worker, and by snapshots).
    pub(crate) dequeued: Mutex<Tally>,
    /// Alerts `send` rejected (locked only on the drop path, and by snapshots).
    pub(crate) rejected: Mutex<Tally>,
}

impl Counters {
    pub(crate) fn snapshot(&self, channels: &[Arc<ChannelCounters>]) -> Stats {
        // Read the tallies first: an alert counted in `accepted` is then never missing from
        // them because the worker tallies before it counts `delivered`.
        let mut stats = Stats::default();
        lock(&self.dequeued).merge_into(&mut stats);
        lock(&self.rejected).merge_into(&mut stats);
        stats.delivered = self.delivered.load(Relaxed);
        stats.discarded = self.discarded.load(Relaxed);
        stats.accepted = self.accepted.load(Relaxed);
        stats.dropped_queue_full = self.dropped_queue_full.load(Relaxed);
        stats.dropped_closed = self.dropped_closed.load(Relaxed);
        stats.output_timeouts = self.output_timeouts.load(Relaxed);
        stats.dropped = stats.dropped_queue_full + stats.dropped_closed + stats.discarded;
        stats.sent = stats.accepted + stats.dropped_queue_full + stats.dropped_closed;
        stats.queued = stats.accepted.saturating_sub(stats.delivered + stats.discarded);
        stats.channels = channels.iter().map(|c| c.snapshot()).collect();
        stats
    }
}

/// Locks a counter table; a panic elsewhere cannot leave a count half-written, so a
/// poisoned lock is still good to read.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
