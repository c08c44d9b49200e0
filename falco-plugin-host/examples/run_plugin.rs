//! Loads a source plugin (and optional extractor plugins), prints what `falco --list-plugins`
//! prints, then reads events and prints every compatible field of each.
//!
//! ```text
//! cargo run -p falco-plugin-host --example run_plugin -- \
//!     SOURCE.so[:INIT_CONFIG] OPEN_PARAMS MAX_EVENTS [EXTRACTOR.so[:INIT_CONFIG] ...]
//! ```

use std::ffi::CString;

use falco_engine::{FieldArg, Values};
use falco_plugin_host::{
    BatchStatus, EventBatch, EventInput, Plugin, PluginInstance, SourceInstance, list_plugins_text,
};

fn split(arg: &str) -> (&str, &str) {
    arg.split_once(':').unwrap_or((arg, ""))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err("usage: run_plugin SOURCE.so[:CONFIG] OPEN_PARAMS MAX_EVENTS [EXTRACTOR.so[:CONFIG] ...]".into());
    }
    let (path, config) = split(&args[0]);
    let source = Plugin::load(path)?;
    let mut extractors = Vec::new();
    for a in &args[3..] {
        let (p, c) = split(a);
        extractors.push((Plugin::load(p)?, c.to_string()));
    }
    let all: Vec<Plugin> =
        std::iter::once(source.clone()).chain(extractors.iter().map(|(p, _)| p.clone())).collect();
    print!("{}", list_plugins_text(&all));

    let name = source.caps().source.as_ref().ok_or("not a source plugin")?.event_source.clone();
    let source_c = CString::new(name.clone())?;
    let others: Vec<PluginInstance> = extractors
        .iter()
        .filter(|(p, _)| p.caps().extracts_from(&name))
        .map(|(p, c)| p.init(c))
        .collect::<Result<_, _>>()?;
    let mut src = SourceInstance::open(source.init(config)?, &args[1])?;
    let max: u64 = args[2].parse()?;
    let (mut batch, mut values, mut num) = (EventBatch::new(), Values::new(), 0u64);
    'outer: loop {
        let status = src.next_batch(&mut batch)?;
        for i in 0..batch.len() {
            num += 1;
            let input =
                EventInput { event: batch.get(i).ok_or("bad event")?, num, source: &source_c };
            println!("#{num} ts={} {}", input.event.ts(), src.instance().event_to_string(&input));
            let plugins = std::iter::once(src.instance()).chain(others.iter());
            for inst in plugins {
                for (fi, f) in inst.fields().iter().enumerate() {
                    if f.info.arg.required || !inst.extracts_event_type(input.event.event_type()) {
                        continue;
                    }
                    values.clear();
                    match inst.extract(&input, fi, &FieldArg::None, &mut values.sink()) {
                        Ok(_) => {
                            let v: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                            println!(
                                "    {} = {}",
                                f.info.name,
                                if v.is_empty() { "<NA>".into() } else { v.join(",") }
                            );
                        }
                        Err(e) => println!("    {} -> error: {e}", f.info.name),
                    }
                }
            }
            if num >= max {
                break 'outer;
            }
        }
        if status == BatchStatus::Eof {
            break;
        }
    }
    println!("{num} events; metrics: {:?}", src.instance().metrics());
    Ok(())
}
