//! Prints fields of every event of a capture, like `sysdig -r FILE -p FORMAT`.
//!
//! Usage: `cargo run -p falco-inspector --example dump -- FILE [field ...]`
//! (default fields: evt.num evt.type evt.dir proc.name fd.name evt.args). Fields are separated
//! by spaces, or by `$DUMP_SEP` if set; `$DUMP_RS` starts each record.

use falco_inspector::fields::TimeZone;
use falco_inspector::{Inspector, ScapInspector};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: dump FILE [field ...]")?;
    let mut fields: Vec<String> = args.collect();
    if fields.is_empty() {
        fields = ["evt.num", "evt.type", "evt.dir", "proc.name", "fd.name", "evt.args"]
            .map(String::from)
            .to_vec();
    }
    let mut insp = ScapInspector::open(&path)?;
    let mut x = insp.extractor();
    x.set_time_zone(TimeZone::Utc);
    let refs = fields
        .iter()
        .map(|f| x.field_ref(f).ok_or_else(|| format!("unknown field {f}")))
        .collect::<Result<Vec<_>, _>>()?;
    let sep = std::env::var("DUMP_SEP").unwrap_or_else(|_| " ".into());
    let rs = std::env::var("DUMP_RS").unwrap_or_default();
    while let Some(evt) = insp.next_event()? {
        let line: Vec<String> =
            refs.iter().map(|r| x.text(&evt, r).unwrap_or_else(|| "<NA>".into())).collect();
        println!("{rs}{}", line.join(&sep));
    }
    Ok(())
}
