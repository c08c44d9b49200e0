//! Syscall event drop monitoring (`syscall_event_drops` in falco.yaml), as Falco's
//! `syscall_evt_drop_mgr`: once per second of event time, the drops seen since the last check
//! are compared with the threshold; if over it, and the token bucket (`rate`, `max_burst`)
//! allows, the configured actions run (`log`, `alert` as a Falco internal alert, `exit`).
//! Capture files carry no drop counters, so drops only occur with `simulate_drops: true`.

use falco_engine::Priority;
use falco_outputs::Alert;

use crate::config::DropsConfig;

const ONE_SECOND_NS: u64 = 1_000_000_000;

/// What the caller must do after an event.
#[derive(Debug)]
pub enum DropOutcome {
    /// Nothing.
    Continue,
    /// Send this internal alert.
    Alert(Box<Alert>),
    /// Stop the source: the `exit` action fired.
    Exit(String),
}

/// Falco's token bucket: `rate` tokens per second up to `max_tokens`.
#[derive(Debug)]
struct TokenBucket {
    rate: f64,
    max: f64,
    tokens: f64,
    last_ns: Option<u64>,
}

impl TokenBucket {
    fn claim(&mut self, now_ns: u64) -> bool {
        let last = *self.last_ns.get_or_insert(now_ns);
        let gain = now_ns.saturating_sub(last) as f64 * self.rate / 1e9;
        self.tokens = (self.tokens + gain).min(self.max);
        self.last_ns = Some(now_ns);
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

/// The per-source drop monitor.
#[derive(Debug)]
pub struct DropMonitor {
    cfg: DropsConfig,
    bucket: TokenBucket,
    next_check_ns: u64,
    last_evts: u64,
    last_drops: u64,
    /// Checks that found drops over the threshold.
    pub detected: u64,
    /// Times the actions ran.
    pub actions: u64,
}

impl DropMonitor {
    /// A monitor with the configured actions.
    pub fn new(cfg: DropsConfig) -> DropMonitor {
        let bucket = TokenBucket {
            rate: cfg.rate,
            max: cfg.max_burst,
            tokens: cfg.max_burst,
            last_ns: None,
        };
        DropMonitor {
            cfg,
            bucket,
            next_check_ns: 0,
            last_evts: 0,
            last_drops: 0,
            detected: 0,
            actions: 0,
        }
    }

    /// Called for every event: `n_evts`/`n_drops` are the source's counters so far.
    pub fn on_event(&mut self, ts: u64, n_evts: u64, n_drops: u64) -> DropOutcome {
        if self.next_check_ns == 0 {
            self.next_check_ns = ts.saturating_add(ONE_SECOND_NS);
        }
        if self.next_check_ns >= ts {
            return DropOutcome::Continue;
        }
        self.next_check_ns = ts.saturating_add(ONE_SECOND_NS);
        let d_evts = n_evts - self.last_evts;
        let mut d_drops = n_drops - self.last_drops;
        self.last_evts = n_evts;
        self.last_drops = n_drops;
        let mut threshold = self.cfg.threshold;
        if self.cfg.simulate_drops {
            crate::log::info("Simulating syscall event drop");
            d_drops += 1;
            threshold = 0.0;
        }
        if d_drops == 0 {
            return DropOutcome::Continue;
        }
        let ratio = d_drops as f64 / d_evts.max(1) as f64;
        if ratio <= threshold {
            return DropOutcome::Continue;
        }
        self.detected += 1;
        if !self.bucket.claim(ts) {
            crate::log::debug("Syscall event drop but token bucket depleted, skipping actions");
            return DropOutcome::Continue;
        }
        self.actions += 1;
        let rule = "Falco internal: syscall event drop";
        let msg = format!("{rule}. {d_drops} system calls dropped in last second.");
        for act in &self.cfg.actions {
            match act.as_str() {
                "ignore" => return DropOutcome::Continue,
                "log" => {
                    crate::log::debug(&msg);
                    return DropOutcome::Continue;
                }
                "alert" => {
                    let alert = Alert::internal(ts, Priority::Debug, msg, rule)
                        .with_field("n_evts", d_evts.to_string())
                        .with_field("n_drops", d_drops.to_string())
                        .with_field("ebpf_enabled", "0");
                    return DropOutcome::Alert(Box::new(alert));
                }
                "exit" => {
                    crate::log::critical(&msg);
                    crate::log::critical("Exiting.");
                    return DropOutcome::Exit(msg);
                }
                _ => {}
            }
        }
        DropOutcome::Continue
    }

    /// Falco's end-of-run lines (on stderr).
    pub fn stats(&self) -> String {
        format!(
            "Syscall event drop monitoring:\n   - event drop detected: {} occurrences\n   - num times actions taken: {}\n",
            self.detected, self.actions
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(actions: &[&str], simulate: bool) -> DropsConfig {
        DropsConfig {
            actions: actions.iter().map(|s| s.to_string()).collect(),
            threshold: 0.1,
            rate: 0.03333,
            max_burst: 10.0,
            simulate_drops: simulate,
        }
    }

    #[test]
    fn simulated_drops_once_per_second() {
        let mut m = DropMonitor::new(cfg(&["alert"], true));
        let mut alerts = 0;
        // 9.6 seconds of events, 100 per second: a check each 1.01 s.
        for i in 0..960u64 {
            if let DropOutcome::Alert(_) = m.on_event(i * 10_000_000 + 1, i + 1, 0) {
                alerts += 1;
            }
        }
        assert_eq!((m.detected, m.actions, alerts), (9, 9, 9));
        assert!(m.stats().contains("event drop detected: 9 occurrences"));
    }

    #[test]
    fn no_drops_no_actions_and_bucket_limits() {
        let mut m = DropMonitor::new(cfg(&["alert"], false));
        for i in 0..500u64 {
            assert!(matches!(m.on_event(i * 10_000_000 + 1, i, 0), DropOutcome::Continue));
        }
        let mut m = DropMonitor::new(DropsConfig { max_burst: 1.0, ..cfg(&["exit"], true) });
        let mut exits = 0;
        for i in 0..500u64 {
            if let DropOutcome::Exit(_) = m.on_event(i * 10_000_000 + 1, i, 0) {
                exits += 1;
            }
        }
        assert_eq!((m.detected, m.actions, exits), (4, 1, 1), "one token, then depleted");
    }
}
