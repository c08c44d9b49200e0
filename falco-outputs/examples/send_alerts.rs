//! Sends alerts from two "source" threads through an output engine configured like
//! `falco.yaml`, then prints the counters.
//!
//! ```text
//! cargo run -p falco-outputs --example send_alerts            # text lines on stdout
//! cargo run -p falco-outputs --example send_alerts -- json    # JSON lines
//! FALCO_HOSTNAME=node-1 cargo run -p falco-outputs --example send_alerts -- json
//! ```

use falco_engine::Priority;
use falco_outputs::{Alert, OutputEngine, OutputsConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let json = std::env::args().nth(1).as_deref() == Some("json");
    // What the CLI would deserialize from falco.yaml.
    let config: OutputsConfig = serde_json::from_value(serde_json::json!({
        "json_output": json,
        "time_format_iso_8601": true,
        "outputs_queue": {"capacity": 1000},
        "stdout_output": {"enabled": true},
    }))?;
    let outputs = OutputEngine::from_config(&config)?;
    std::thread::scope(|s| {
        for (source, rule) in
            [("syscall", "Terminal shell in container"), ("k8s_audit", "Create Privileged Pod")]
        {
            let outputs = &outputs;
            s.spawn(move || {
                for i in 0..3u64 {
                    let alert = Alert::new(
                        1_700_000_000_000_000_000 + i,
                        rule,
                        Priority::Notice,
                        source,
                        format!("{rule} (n={i})"),
                    )
                    .with_field("n", i)
                    .with_tags(["example", source]);
                    // Never blocks; a full queue drops and counts.
                    let _ = outputs.send(alert);
                }
            });
        }
    });
    let stats = outputs.shutdown();
    eprintln!(
        "sent {} delivered {} dropped {}; by source {:?}",
        stats.sent, stats.delivered, stats.dropped, stats.by_source
    );
    Ok(())
}
