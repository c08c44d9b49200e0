//! Output engine benchmarks.
//!
//! - `outputs/file`: alerts per second through the whole engine (queue, worker, Falco text or
//!   JSON formatting) into a file channel, shutdown (drain + close) included.
//! - `outputs/send_2_threads_slow_channel`: the time one `send` takes while 2 source threads
//!   send at once and the only channel is slow (100 µs per alert), so the queue is full
//!   and most sends drop: what a source thread pays when outputs cannot keep up.
//!
//! Run: `cargo bench -p falco-benches --bench outputs`

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use falco_engine::Priority;
use falco_outputs::{
    Alert, Channel, ChannelError, FileChannel, FormatOptions, Message, OutputEngine,
};

const BATCH: u64 = 20_000;

/// What the engine builds per match: shared rule/source/tags, an owned message and fields.
struct AlertFactory {
    rule: Arc<str>,
    source: Arc<str>,
    tags: Arc<[Arc<str>]>,
    names: [Arc<str>; 4],
}

impl AlertFactory {
    fn new() -> AlertFactory {
        AlertFactory {
            rule: "Read sensitive file untrusted".into(),
            source: "syscall".into(),
            tags: ["filesystem", "mitre_credential_access", "T1555"]
                .into_iter()
                .map(Arc::from)
                .collect(),
            names: ["proc.name", "proc.pid", "fd.name", "user.name"].map(Arc::from),
        }
    }

    fn alert(&self, i: u64) -> Alert {
        let output = format!(
            "Sensitive file opened for reading by non-trusted program \
             (file=/etc/shadow process=cat pid={i} user=root)"
        );
        Alert::new(
            1_470_327_477_881_781_397 + i,
            Arc::clone(&self.rule),
            Priority::Warning,
            Arc::clone(&self.source),
            output,
        )
        .with_field(Arc::clone(&self.names[0]), "cat")
        .with_field(Arc::clone(&self.names[1]), i)
        .with_field(Arc::clone(&self.names[2]), "/etc/shadow")
        .with_field(Arc::clone(&self.names[3]), "root")
        .with_shared_tags(Arc::clone(&self.tags))
    }
}

fn file_throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let factory = AlertFactory::new();
    let mut g = c.benchmark_group("outputs/file");
    g.throughput(Throughput::Elements(BATCH));
    g.sample_size(20);
    for (name, json, buffered) in [
        ("text_unbuffered", false, false),
        ("text_buffered", false, true),
        ("json_buffered", true, true),
    ] {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            let path = dir.path().join(format!("{name}.txt"));
            b.iter(|| {
                let opts = FormatOptions {
                    json_output: json,
                    ..FormatOptions::default()
                };
                let outputs = OutputEngine::builder(opts)
                    .hostname("bench")
                    .channel(FileChannel::new(&path, true, buffered))
                    .build()
                    .unwrap();
                for i in 0..BATCH {
                    outputs.send(factory.alert(i)).unwrap();
                }
                let stats = outputs.shutdown();
                assert_eq!(stats.channels[0].delivered, BATCH);
                std::fs::remove_file(&path).unwrap();
            });
        });
    }
    g.finish();
}

/// A channel that takes 100 µs per alert.
struct Slow;

impl Channel for Slow {
    fn name(&self) -> &str {
        "slow"
    }
    fn emit(&mut self, _: &Message<'_>) -> Result<(), ChannelError> {
        std::thread::sleep(Duration::from_micros(100));
        Ok(())
    }
}

fn send_latency(c: &mut Criterion) {
    let factory = Arc::new(AlertFactory::new());
    let mut g = c.benchmark_group("outputs/send_2_threads_slow_channel");
    g.throughput(Throughput::Elements(1));
    g.bench_function("send", |b| {
        b.iter_custom(|iters| {
            let outputs = OutputEngine::builder(FormatOptions::default())
                .queue_capacity(1024)
                .channel(Slow)
                .build()
                .unwrap();
            let per_thread = iters.div_ceil(2);
            let start = Barrier::new(2);
            // Each thread times its own sends (alert building excluded); the sum over both
            // threads divided by the sends is the mean cost of one send.
            let total: Duration = std::thread::scope(|s| {
                let hs: Vec<_> = (0..2)
                    .map(|_| {
                        let (outputs, factory, start) = (&outputs, &factory, &start);
                        s.spawn(move || {
                            start.wait();
                            let mut spent = Duration::ZERO;
                            for i in 0..per_thread {
                                let a = factory.alert(i);
                                let t = Instant::now();
                                let _ = outputs.send(a);
                                spent += t.elapsed();
                            }
                            spent
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).sum()
            });
            let _ = outputs.shutdown_timeout(Duration::from_millis(10));
            total
        });
    });
    g.finish();
}

criterion_group!(benches, file_throughput, send_latency);
criterion_main!(benches);
