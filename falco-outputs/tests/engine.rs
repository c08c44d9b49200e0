//! The output engine under load: sources never wait, every alert is delivered or counted as
//! dropped, shutdown delivers everything accepted (design rule D7).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Collect, wait_for};
use falco_engine::Priority;
use falco_outputs::{Alert, Dropped, FormatOptions, OutputEngine};

const PRIORITIES: [Priority; 3] = [Priority::Warning, Priority::Notice, Priority::Critical];

fn alert(source: &'static str, i: u64) -> Alert {
    Alert::new(
        i,
        if i % 2 == 0 { "even rule" } else { "odd rule" },
        PRIORITIES[(i % 3) as usize],
        source,
        format!("alert {i} from {source}"),
    )
    .with_field("n", i)
}

/// The acceptance test of issue 5: 100,000 alerts from 2 threads into a slow channel with a
/// small queue.
#[test]
fn hundred_thousand_alerts_from_two_threads_into_a_slow_channel() {
    const PER_THREAD: u64 = 50_000;
    // 200 µs per alert, and a 300 ms stall every 100 alerts: a `send` that waited for the
    // channel would take at least that long.
    let slow = Collect {
        delay: Duration::from_micros(200),
        stall_every: 100,
        stall: Duration::from_millis(300),
        ..Collect::default()
    };
    let outputs = OutputEngine::builder(FormatOptions::default())
        .queue_capacity(64)
        .channel(slow.clone())
        .build()
        .unwrap();

    let results: Vec<(u64, u64, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = ["syscall", "k8s_audit"]
            .into_iter()
            .map(|source| {
                let outputs = &outputs;
                s.spawn(move || {
                    let (mut ok, mut dropped, mut worst) = (0, 0, Duration::ZERO);
                    for i in 0..PER_THREAD {
                        let a = alert(source, i);
                        let t = Instant::now();
                        let r = outputs.send(a);
                        worst = worst.max(t.elapsed());
                        match r {
                            Ok(()) => ok += 1,
                            Err(Dropped::QueueFull) => dropped += 1,
                            Err(e) => panic!("unexpected {e}"),
                        }
                        // Spread the sends over some time so that the worker also accepts a
                        // fair share (every 1000 alerts, a short pause).
                        if i % 1000 == 999 {
                            std::thread::sleep(Duration::from_millis(2));
                        }
                    }
                    (ok, dropped, worst)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let accepted: u64 = results.iter().map(|r| r.0).sum();
    let dropped: u64 = results.iter().map(|r| r.1).sum();
    let worst = results.iter().map(|r| r.2).max().unwrap();
    let sent = 2 * PER_THREAD;
    eprintln!("accepted {accepted}, dropped {dropped}, slowest send {worst:?}");
    assert_eq!(accepted + dropped, sent);
    assert!(dropped > 0, "the small queue must overflow");
    assert!(accepted > 64, "the worker keeps taking alerts");
    // Generous: a blocked send would wait for a 300 ms stall; scheduling noise on a busy
    // 2-core machine stays far below this.
    assert!(worst < Duration::from_millis(150), "slowest send took {worst:?}");

    let stats = outputs.shutdown();
    assert_eq!(stats.sent, sent);
    assert_eq!(stats.accepted, accepted);
    assert_eq!(stats.dropped, dropped);
    assert_eq!(stats.dropped_queue_full, dropped);
    assert_eq!(stats.delivered + stats.dropped, sent);
    assert_eq!(stats.queued, 0);
    // Everything accepted went through the channel, each exactly once.
    assert_eq!(slow.len() as u64, accepted);
    assert_eq!(stats.channels[0].delivered, accepted);
    let mut seen: Vec<String> = slow.lines();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len() as u64, accepted);
    // Counted by rule, priority and source, delivered or dropped.
    assert_eq!(stats.by_source["syscall"], PER_THREAD);
    assert_eq!(stats.by_source["k8s_audit"], PER_THREAD);
    assert_eq!(stats.by_rule["even rule"], PER_THREAD);
    assert_eq!(stats.by_rule["odd rule"], PER_THREAD);
    assert_eq!(stats.by_priority.values().sum::<u64>(), sent);
    assert_eq!(stats.by_priority[&Priority::Warning], 2 * 16_667);
}

#[test]
fn alerts_keep_their_order_and_sends_after_shutdown_are_counted() {
    let seen = Collect::default();
    let outputs =
        OutputEngine::builder(FormatOptions::default()).channel(seen.clone()).build().unwrap();
    for i in 0..1000 {
        outputs.send(alert("syscall", i)).unwrap();
    }
    let stats = outputs.shutdown();
    assert_eq!(stats.delivered, 1000);
    let lines = seen.lines();
    for (i, l) in lines.iter().enumerate() {
        assert!(l.ends_with(&format!(" alert {i} from syscall")), "{l}");
    }
    assert_eq!(outputs.send(alert("syscall", 1)), Err(Dropped::Closed));
    let stats = outputs.stats();
    assert_eq!((stats.sent, stats.dropped_closed, stats.delivered), (1001, 1, 1000));
    // A second shutdown is harmless.
    assert_eq!(outputs.shutdown().delivered, 1000);
}

#[test]
fn concurrent_senders_racing_shutdown_lose_nothing_accepted() {
    for _ in 0..20 {
        let seen = Collect::default();
        let outputs = Arc::new(
            OutputEngine::builder(FormatOptions::default())
                .queue_capacity(8)
                .channel(seen.clone())
                .build()
                .unwrap(),
        );
        let senders: Vec<_> = (0..2)
            .map(|_| {
                let o = Arc::clone(&outputs);
                std::thread::spawn(move || {
                    let mut ok = 0u64;
                    for i in 0..2000 {
                        if o.send(alert("syscall", i)).is_ok() {
                            ok += 1;
                        }
                    }
                    ok
                })
            })
            .collect();
        std::thread::sleep(Duration::from_micros(300));
        let stats = outputs.shutdown();
        let ok: u64 = senders.into_iter().map(|h| h.join().unwrap()).sum();
        let stats_after = outputs.stats();
        assert_eq!(stats.accepted, ok, "no send accepted after shutdown returned");
        assert_eq!(stats.delivered, ok);
        assert_eq!(seen.len() as u64, ok);
        assert_eq!(stats_after.delivered + stats_after.dropped, 4000);
    }
}

#[test]
fn shutdown_with_a_deadline_discards_and_counts_what_is_left() {
    let slow = Collect::slow(Duration::from_millis(20));
    let outputs =
        OutputEngine::builder(FormatOptions::default()).channel(slow.clone()).build().unwrap();
    for i in 0..200 {
        outputs.send(alert("syscall", i)).unwrap();
    }
    let err = outputs.shutdown_timeout(Duration::from_millis(100)).unwrap_err();
    let s = &err.stats;
    assert!(s.discarded > 100, "{s:?}");
    assert_eq!(s.delivered + s.discarded, 200);
    assert_eq!(s.delivered + s.dropped, s.sent);
    assert_eq!(slow.len() as u64, s.delivered);
    assert!(err.to_string().contains("alerts discarded"), "{err}");
}

#[test]
fn a_channel_blocking_longer_than_output_timeout_is_reported() {
    common::capture_logs();
    let stuck = Collect::slow(Duration::from_millis(300));
    let outputs = OutputEngine::builder(FormatOptions::default())
        .output_timeout(Duration::from_millis(50))
        .channel(stuck)
        .build()
        .unwrap();
    outputs.send(alert("syscall", 0)).unwrap();
    assert!(wait_for(Duration::from_secs(5), || outputs.stats().output_timeouts == 1));
    let stats = outputs.shutdown();
    assert_eq!(stats.delivered, 1);
    assert!(
        common::logs_text().contains("\"collect\" output timeout, all output channels are blocked"),
        "{}",
        common::logs_text()
    );
}

#[test]
fn dropping_the_engine_delivers_queued_alerts() {
    let seen = Collect::default();
    {
        let outputs =
            OutputEngine::builder(FormatOptions::default()).channel(seen.clone()).build().unwrap();
        for i in 0..100 {
            outputs.send(alert("syscall", i)).unwrap();
        }
    }
    assert_eq!(seen.len(), 100);
}
