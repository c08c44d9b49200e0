//! Falco's alert formats: the text line and the JSON object, byte for byte.
//!
//! Text (`json_output: false`): `<time>: <Priority> <output>`, where `<time>` is the local
//! `HH:MM:SS.nnnnnnnnn` or, with `time_format_iso_8601`, `2016-08-04T16:17:57.881781397+0000`;
//! the whole line is escaped the way a JSON string is (control characters become `\n`,
//! `\u0000`, quotes and backslashes are escaped) but printed without the quotes, as current
//! Falco does.
//!
//! JSON (`json_output: true`): one compact object with sorted keys, `hostname`, `message`
//! (`json_include_message_property`), `output` (`json_include_output_property`: the full text
//! line, unescaped), `priority`, `rule`, `source`, `tags` (`json_include_tags_property`) and
//! `time` (ISO 8601, UTC, `Z`), then `output_fields` (`json_include_output_fields_property`:
//! the rule's fields plus `evt.time` or `evt.time.iso8601` as the event time in ns) grafted on
//! last as `, "output_fields": {...}}`, byte for byte what Falco 0.34.1 printed and its
//! regression suite compares line by line (current Falco sorts `output_fields` in with the
//! other keys: the same object to any JSON reader).

use std::sync::Arc;

use serde_json::Value;

use crate::alert::{Alert, AlertKind};
use crate::json::{write_escaped, write_str, write_value};
use crate::time::{LocalTime, OffsetClock, write_iso8601, write_local_time};

/// The options that shape an alert's text, named as in `falco.yaml` (where they are
/// top-level keys; missing keys take Falco's defaults).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct FormatOptions {
    /// `json_output`: print JSON objects instead of text lines.
    pub json_output: bool,
    /// `json_include_output_property` (default true).
    pub json_include_output_property: bool,
    /// `json_include_tags_property` (default true).
    pub json_include_tags_property: bool,
    /// `json_include_message_property` (default false).
    pub json_include_message_property: bool,
    /// `json_include_output_fields_property` (default true).
    pub json_include_output_fields_property: bool,
    /// `time_format_iso_8601`: text lines start with the UTC ISO 8601 time.
    pub time_format_iso_8601: bool,
    /// Which offset the local `HH:MM:SS` time uses (the system's, unless a test fixes it;
    /// not a `falco.yaml` key).
    #[serde(skip)]
    pub local_time: LocalTime,
}

impl Default for FormatOptions {
    /// Falco's defaults: text, local time; the JSON options as `falco.yaml` documents them.
    fn default() -> Self {
        FormatOptions {
            json_output: false,
            json_include_output_property: true,
            json_include_tags_property: true,
            json_include_message_property: false,
            json_include_output_fields_property: true,
            time_format_iso_8601: false,
            local_time: LocalTime::System,
        }
    }
}

/// Turns alerts into the exact text Falco's channels receive. One per output worker; it
/// keeps reusable scratch space, so formatting allocates nothing once warm.
///
/// ```
/// use falco_engine::Priority;
/// use falco_outputs::{Alert, FormatOptions, Formatter};
///
/// let opts = FormatOptions { time_format_iso_8601: true, ..FormatOptions::default() };
/// let mut f = Formatter::new(opts, "my-host");
/// let alert = Alert::new(1_470_327_477_881_781_397, "open_from_cat", Priority::Warning,
///     "syscall", "An open was seen (command=cat /dev/null)");
/// let mut line = String::new();
/// f.format(&alert, &mut line);
/// assert_eq!(line,
///     "2016-08-04T16:17:57.881781397+0000: Warning An open was seen (command=cat /dev/null)");
/// ```
#[derive(Debug)]
pub struct Formatter {
    opts: FormatOptions,
    hostname: Arc<str>,
    clock: OffsetClock,
    prefix: String,
    order: Vec<usize>,
}

impl Formatter {
    /// A formatter printing `hostname` in JSON alerts that carry no hostname of their own.
    pub fn new(opts: FormatOptions, hostname: impl Into<Arc<str>>) -> Formatter {
        Formatter {
            clock: OffsetClock::new(opts.local_time),
            opts,
            hostname: hostname.into(),
            prefix: String::new(),
            order: Vec::new(),
        }
    }

    /// The options in use.
    pub fn options(&self) -> &FormatOptions {
        &self.opts
    }

    /// Appends the alert's text (without a trailing newline) to `out`.
    pub fn format(&mut self, alert: &Alert, out: &mut String) {
        match (alert.kind, self.opts.json_output) {
            (AlertKind::Rule, false) => self.rule_text(alert, out),
            (AlertKind::Rule, true) => self.rule_json(alert, out),
            (AlertKind::Internal, false) => self.internal_text(alert, out),
            (AlertKind::Internal, true) => self.internal_json(alert, out),
        }
    }

    /// `<time>: <Priority>` into `self.prefix`.
    fn build_prefix(&mut self, alert: &Alert, iso: bool) {
        self.prefix.clear();
        if iso {
            write_iso8601(&mut self.prefix, alert.time, "+0000");
        } else {
            let offset = self.clock.offset();
            write_local_time(&mut self.prefix, alert.time, offset);
        }
        self.prefix.push_str(": ");
        self.prefix.push_str(alert.priority.name());
    }

    fn rule_text(&mut self, alert: &Alert, out: &mut String) {
        self.build_prefix(alert, self.opts.time_format_iso_8601);
        // The prefix has nothing to escape; the message may.
        out.push_str(&self.prefix);
        out.push(' ');
        write_escaped(out, &alert.output);
    }

    fn rule_json(&mut self, alert: &Alert, out: &mut String) {
        let iso = self.opts.time_format_iso_8601;
        self.build_prefix(alert, iso);
        out.push_str("{\"hostname\":");
        write_str(out, alert.hostname.as_deref().unwrap_or(&self.hostname));
        if self.opts.json_include_message_property {
            out.push_str(",\"message\":");
            write_str(out, &alert.output);
        }
        if self.opts.json_include_output_property {
            out.push_str(",\"output\":\"");
            write_escaped(out, &self.prefix);
            out.push(' ');
            write_escaped(out, &alert.output);
            out.push('"');
        }
        self.write_common(alert, out);
        if self.opts.json_include_tags_property {
            out.push_str(",\"tags\":[");
            self.write_tags(alert, out);
            out.push(']');
        }
        out.push_str(",\"time\":\"");
        write_iso8601(out, alert.time, "Z");
        out.push('"');
        if self.opts.json_include_output_fields_property {
            out.push_str(", \"output_fields\": ");
            let time_field = if iso { "evt.time.iso8601" } else { "evt.time" };
            let time = Value::from(alert.time);
            self.write_fields(alert, Some((time_field, &time)), out);
        }
        out.push('}');
    }

    /// `"priority"`, `"rule"`, `"source"`, in key order.
    fn write_common(&self, alert: &Alert, out: &mut String) {
        out.push_str(",\"priority\":");
        write_str(out, alert.priority.name());
        out.push_str(",\"rule\":");
        write_str(out, &alert.rule);
        out.push_str(",\"source\":");
        write_str(out, &alert.source);
    }

    fn internal_text(&mut self, alert: &Alert, out: &mut String) {
        // Falco's handle_msg: always the local time, fields as `k=<JSON value>`, no escaping
        // of the message itself.
        let offset = self.clock.offset();
        write_local_time(out, alert.time, offset);
        out.push_str(": ");
        out.push_str(alert.priority.name());
        out.push(' ');
        out.push_str(&alert.output);
        out.push_str(" (");
        self.sort_fields(alert, None);
        for (n, &i) in self.order.iter().enumerate() {
            let (k, v) = alert.fields.entry(i);
            if n > 0 {
                out.push(' ');
            }
            out.push_str(k);
            out.push('=');
            write_value(out, v);
        }
        out.push(')');
    }

    fn internal_json(&mut self, alert: &Alert, out: &mut String) {
        out.push_str("{\"hostname\":");
        write_str(out, alert.hostname.as_deref().unwrap_or(&self.hostname));
        out.push_str(",\"output\":");
        write_str(out, &alert.output);
        out.push_str(",\"output_fields\":");
        self.write_fields(alert, None, out);
        self.write_common(alert, out);
        out.push_str(",\"time\":\"");
        write_iso8601(out, alert.time, "Z");
        out.push_str("\"}");
    }

    /// Sorts field indices by name, keeping only the last of each repeated name (and none
    /// named like `extra`, which is printed in their place).
    fn sort_fields(&mut self, alert: &Alert, extra: Option<&str>) {
        let fields = &alert.fields;
        self.order.clear();
        self.order.extend(0..fields.len());
        // Stable: equal names keep push order, so the last of a run is the latest value.
        self.order.sort_by(|&a, &b| fields.entry(a).0.as_bytes().cmp(fields.entry(b).0.as_bytes()));
        let mut w = 0;
        for r in 0..self.order.len() {
            let name = fields.entry(self.order[r]).0;
            let next_same = self.order.get(r + 1).is_some_and(|&n| fields.entry(n).0 == name);
            if !next_same && Some(name) != extra {
                self.order[w] = self.order[r];
                w += 1;
            }
        }
        self.order.truncate(w);
    }

    /// The sorted `output_fields` object, with `extra` (the time prefix field) merged in.
    fn write_fields(&mut self, alert: &Alert, extra: Option<(&str, &Value)>, out: &mut String) {
        self.sort_fields(alert, extra.map(|e| e.0));
        let mut extra = extra;
        out.push('{');
        let mut first = true;
        let mut emit = |out: &mut String, k: &str, v: &Value| {
            if !first {
                out.push(',');
            }
            first = false;
            write_str(out, k);
            out.push(':');
            write_value(out, v);
        };
        for &i in &self.order {
            let (k, v) = alert.fields.entry(i);
            if let Some((ek, ev)) = extra
                && ek.as_bytes() < k.as_bytes()
            {
                emit(out, ek, ev);
                extra = None;
            }
            emit(out, k, v);
        }
        if let Some((ek, ev)) = extra {
            emit(out, ek, ev);
        }
        out.push('}');
    }

    /// Tags sorted, without repeats (Falco keeps them in a `std::set`).
    fn write_tags(&mut self, alert: &Alert, out: &mut String) {
        let tags = &alert.tags;
        self.order.clear();
        self.order.extend(0..tags.len());
        self.order.sort_unstable_by(|&a, &b| tags[a].as_bytes().cmp(tags[b].as_bytes()));
        self.order.dedup_by(|a, b| tags[*a] == tags[*b]);
        for (n, &i) in self.order.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            write_str(out, &tags[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use falco_engine::Priority;

    const TS: u64 = 1_470_327_477_881_781_397;

    fn fmt(opts: FormatOptions, alert: &Alert) -> String {
        let mut f =
            Formatter::new(FormatOptions { local_time: LocalTime::Fixed(0), ..opts }, "host");
        let mut s = String::new();
        f.format(alert, &mut s);
        s
    }

    fn alert() -> Alert {
        Alert::new(TS, "r", Priority::Notice, "syscall", "say \"hi\"\nnow")
            .with_field("b.x", 1u64)
            .with_field("a.y", Value::Null)
            .with_field("b.x", "later")
            .with_tags(["z", "a", "z"])
    }

    #[test]
    fn text_escapes_the_message() {
        let s = fmt(FormatOptions::default(), &alert());
        assert_eq!(s, "16:17:57.881781397: Notice say \\\"hi\\\"\\nnow");
    }

    #[test]
    fn json_all_properties() {
        let opts = FormatOptions {
            json_output: true,
            json_include_message_property: true,
            ..FormatOptions::default()
        };
        let s = fmt(opts, &alert());
        assert_eq!(
            s,
            concat!(
                r#"{"hostname":"host","message":"say \"hi\"\nnow","#,
                r#""output":"16:17:57.881781397: Notice say \"hi\"\nnow","#,
                r#""priority":"Notice","rule":"r","source":"syscall","tags":["a","z"],"#,
                r#""time":"2016-08-04T16:17:57.881781397Z", "#,
                r#""output_fields": {"a.y":null,"b.x":"later","evt.time":1470327477881781397}}"#
            )
        );
        let parsed: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(parsed["output"], "16:17:57.881781397: Notice say \"hi\"\nnow");
    }

    #[test]
    fn json_minimal_properties_and_iso_field() {
        let opts = FormatOptions {
            json_output: true,
            json_include_output_property: false,
            json_include_tags_property: false,
            json_include_output_fields_property: true,
            time_format_iso_8601: true,
            ..FormatOptions::default()
        };
        let a = alert().with_hostname("other").with_field("zz", true);
        assert_eq!(
            fmt(opts.clone(), &a),
            concat!(
                r#"{"hostname":"other","priority":"Notice","rule":"r","source":"syscall","#,
                r#""time":"2016-08-04T16:17:57.881781397Z", "output_fields": {"a.y":null,"#,
                r#""b.x":"later","evt.time.iso8601":1470327477881781397,"zz":true}}"#
            )
        );
        let opts = FormatOptions { json_include_output_fields_property: false, ..opts };
        assert!(!fmt(opts, &a).contains("output_fields"));
    }

    #[test]
    fn time_field_from_the_event_wins_over_a_rule_field_of_the_same_name() {
        let opts = FormatOptions { json_output: true, ..FormatOptions::default() };
        let a = Alert::new(TS, "r", Priority::Debug, "s", "o").with_field("evt.time", "x");
        let v: Value = serde_json::from_str(&fmt(opts, &a)).unwrap();
        assert_eq!(v["output_fields"]["evt.time"], TS);
        assert_eq!(v["tags"], serde_json::json!([]));
    }

    #[test]
    fn internal_messages() {
        let a = Alert::internal(TS, Priority::Critical, "Falco internal: drop", "Falco internal")
            .with_field("n_drops", 3u64)
            .with_field("ebpf_enabled", "0");
        assert_eq!(
            fmt(FormatOptions::default(), &a),
            "16:17:57.881781397: Critical Falco internal: drop (ebpf_enabled=\"0\" n_drops=3)"
        );
        let opts = FormatOptions {
            json_output: true,
            json_include_tags_property: true,
            ..FormatOptions::default()
        };
        assert_eq!(
            fmt(opts, &a),
            concat!(
                r#"{"hostname":"host","output":"Falco internal: drop","#,
                r#""output_fields":{"ebpf_enabled":"0","n_drops":3},"priority":"Critical","#,
                r#""rule":"Falco internal","source":"internal","#,
                r#""time":"2016-08-04T16:17:57.881781397Z"}"#
            )
        );
    }
}
