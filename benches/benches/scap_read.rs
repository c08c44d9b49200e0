//! Read + decode + state on a multi-million-event syscall capture, side by side with
//! `sysdig -r FILE -q` on the same file in the same run.
//!
//! The capture is `$FALCO_BENCH_SCAP`, or else it is made once with
//! `python3 ../shared/tools/scapgen.py -k 35280 --once-types procinfo,container` from the
//! public `open-multiple-files` trace (~3M events, ~1/3 open, 1/3 fstat, 1/3 close) into
//! `target/bench-data/`. Run with `cargo bench -p falco-benches --bench scap_read`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use falco_engine::{Extractor, Values};
use falco_inspector::{Inspector, ScapInspector};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn capture() -> PathBuf {
    if let Ok(p) = std::env::var("FALCO_BENCH_SCAP") {
        return PathBuf::from(p);
    }
    let out = repo_root().join("target/bench-data/omf_3m.scap");
    if !out.exists() {
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let shared = repo_root().join("../shared");
        let status = Command::new("python3")
            .arg(shared.join("tools/scapgen.py"))
            .args(["-k", "35280", "--once-types", "procinfo,container", "-o"])
            .arg(&out)
            .arg(shared.join("conformance/traces/open-multiple-files.scap"))
            .status()
            .expect("python3 runs scapgen.py");
        assert!(status.success(), "scapgen.py failed");
    }
    out
}

fn count_events(path: &Path) -> u64 {
    let mut insp = ScapInspector::open(path).unwrap();
    let mut n = 0;
    while insp.next_event().unwrap().is_some() {
        n += 1;
    }
    n
}

fn sysdig_available() -> bool {
    Command::new("sysdig").arg("--version").output().is_ok_and(|o| o.status.success())
}

fn scap_read(c: &mut Criterion) {
    let path = capture();
    let n = count_events(&path);
    let mut g = c.benchmark_group("scap_read");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("falco-rs read+decode+state", |b| {
        b.iter(|| {
            let mut insp = ScapInspector::open(&path).unwrap();
            let mut k = 0u64;
            while let Some(e) = insp.next_event().unwrap() {
                k += e.num() & 1;
            }
            k
        })
    });
    g.bench_function("falco-rs read+decode+state+extract(proc.name,fd.name)", |b| {
        b.iter(|| {
            let mut insp = ScapInspector::open(&path).unwrap();
            let mut x = insp.extractor();
            let f1 = x.field_ref("proc.name").unwrap();
            let f2 = x.field_ref("fd.name").unwrap();
            let mut vals = Values::new();
            let mut k = 0usize;
            while let Some(e) = insp.next_event().unwrap() {
                vals.clear();
                x.extract(&e, &f1, &mut vals.sink());
                x.extract(&e, &f2, &mut vals.sink());
                k += vals.len();
            }
            k
        })
    });
    if sysdig_available() {
        g.bench_function("sysdig -r FILE -q", |b| {
            b.iter(|| {
                let st = Command::new("sysdig").arg("-r").arg(&path).arg("-q").status().unwrap();
                assert!(st.success());
            })
        });
    } else {
        eprintln!("sysdig not installed: the side-by-side sysdig measurement is not run");
    }
    g.finish();
}

criterion_group!(benches, scap_read);
criterion_main!(benches);
