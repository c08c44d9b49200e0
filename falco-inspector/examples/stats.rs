//! Reads a capture to the end (read + decode + state) and prints event counts per type,
//! how many threads and fds the state holds, and the read rate.
//!
//! Usage: `cargo run --release -p falco-inspector --example stats -- FILE`

use std::time::Instant;

use falco_inspector::ScapInspector;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: stats FILE")?;
    let start = Instant::now();
    let mut insp = ScapInspector::open(&path)?;
    let mut per_type = vec![0u64; falco_inspector::event::EVENT_TYPE_COUNT as usize];
    let mut n = 0u64;
    while let Some(evt) = insp.next_event()? {
        per_type[evt.raw().etype() as usize] += 1;
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let state = insp.state();
    let fds: usize =
        state.threads.iter().filter_map(|t| state.fd_table(t.pid)).map(|f| f.len()).sum();
    println!("{n} events in {secs:.3}s ({:.2} M events/s)", n as f64 / secs / 1e6);
    println!("{} threads, {fds} fds (counted per thread)", state.threads.len());
    let mut top: Vec<(u64, usize)> =
        per_type.iter().enumerate().filter(|(_, c)| **c > 0).map(|(t, c)| (*c, t)).collect();
    top.sort_unstable_by(|a, b| b.cmp(a));
    for (c, t) in top.iter().take(15) {
        let name = falco_inspector::event::event_info(*t as u16).map_or("?", |i| i.name);
        println!("  {name:>16} ({t:>3}) {c}");
    }
    Ok(())
}
