//! The alert: what a source thread hands to the output engine when a rule matches.
//!
//! An [`Alert`] carries everything Falco prints about a match, already evaluated on the
//! source thread (the output message, the typed field values), so that the output worker
//! never touches events or extractors. Strings that repeat across alerts (rule, source,
//! field names, tags) are `Arc`s the engine builds once per rule and clones per alert.

use std::sync::Arc;

use falco_engine::Priority;
use serde_json::Value;

/// Where an alert comes from, which decides how Falco prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlertKind {
    /// A rule matched an event (Falco's `handle_event`): printed as
    /// `<time>: <Priority> <output>`, or as JSON with every `json_include_*` option.
    Rule,
    /// A message Falco generates itself (Falco's `handle_msg`: dropped syscall events,
    /// metrics): source `internal`, printed as `<time>: <Priority> <msg> (k=v ...)`, or as JSON
    /// without `tags` and ignoring the `json_include_*` options.
    Internal,
}

/// The typed values of an alert's output fields, Falco's JSON `output_fields`.
///
/// Pushed in any order, possibly with repeated names: the formatter prints them sorted by
/// name, and for a repeated name the last value wins (as assigning into Falco's JSON object
/// does).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields(Vec<(Arc<str>, Value)>);

impl Fields {
    /// No fields.
    pub fn new() -> Fields {
        Fields(Vec::new())
    }

    /// Room for `n` fields without reallocating.
    pub fn with_capacity(n: usize) -> Fields {
        Fields(Vec::with_capacity(n))
    }

    /// Adds one field; `Value::Null` is how a field without a value (`<NA>`) appears in JSON.
    pub fn push(&mut self, name: impl Into<Arc<str>>, value: impl Into<Value>) {
        self.0.push((name.into(), value.into()));
    }

    /// The fields in the order they were pushed.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    /// Number of fields pushed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no field was pushed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn entry(&self, i: usize) -> (&str, &Value) {
        let (k, v) = &self.0[i];
        (k, v)
    }
}

impl<K: Into<Arc<str>>, V: Into<Value>> FromIterator<(K, V)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Fields(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

/// One alert: a rule's match (or an internal message), fully evaluated.
///
/// Building one costs the output string, the field values and one `Vec`; everything else
/// is shared. Falco's sorting of tags and output fields happens later, on the output worker.
///
/// ```
/// use falco_engine::Priority;
/// use falco_outputs::Alert;
///
/// let alert = Alert::new(
///     1_470_327_477_881_781_397,
///     "open_from_cat",
///     Priority::Warning,
///     "syscall",
///     "An open was seen (command=cat /dev/null)",
/// )
/// .with_field("proc.cmdline", "cat /dev/null")
/// .with_tags(["filesystem"]);
/// assert_eq!(alert.rule(), "open_from_cat");
/// assert_eq!(alert.fields().len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Alert {
    pub(crate) time: u64,
    pub(crate) rule: Arc<str>,
    pub(crate) priority: Priority,
    pub(crate) source: Arc<str>,
    pub(crate) output: String,
    pub(crate) fields: Fields,
    pub(crate) tags: Arc<[Arc<str>]>,
    pub(crate) hostname: Option<Arc<str>>,
    pub(crate) kind: AlertKind,
}

impl Alert {
    /// A rule's alert: event time (ns since the epoch), rule name, priority, source name and
    /// the rule's output message, final (with any `append_output` text already applied).
    pub fn new(
        time: u64,
        rule: impl Into<Arc<str>>,
        priority: Priority,
        source: impl Into<Arc<str>>,
        output: impl Into<String>,
    ) -> Alert {
        Alert {
            time,
            rule: rule.into(),
            priority,
            source: source.into(),
            output: output.into(),
            fields: Fields::new(),
            tags: Arc::from([]),
            hostname: None,
            kind: AlertKind::Rule,
        }
    }

    /// An internal message (Falco's `handle_msg`): source `internal`, no tags.
    ///
    /// ```
    /// use falco_engine::Priority;
    /// use falco_outputs::{Alert, AlertKind};
    /// let a = Alert::internal(0, Priority::Critical, "Falco internal: syscall event drop",
    ///     "Falco internal: syscall event drop").with_field("n_drops", 12u64);
    /// assert_eq!(a.kind(), AlertKind::Internal);
    /// assert_eq!(a.source(), "internal");
    /// ```
    pub fn internal(
        time: u64,
        priority: Priority,
        msg: impl Into<String>,
        rule: impl Into<Arc<str>>,
    ) -> Alert {
        Alert { kind: AlertKind::Internal, ..Alert::new(time, rule, priority, "internal", msg) }
    }

    /// Sets the output fields (Falco's JSON `output_fields`).
    pub fn with_fields(mut self, fields: Fields) -> Alert {
        self.fields = fields;
        self
    }

    /// Adds one output field.
    pub fn with_field(mut self, name: impl Into<Arc<str>>, value: impl Into<Value>) -> Alert {
        self.fields.push(name, value);
        self
    }

    /// Sets the rule's tags (any order; printed sorted and without repeats).
    pub fn with_tags<T: Into<Arc<str>>>(mut self, tags: impl IntoIterator<Item = T>) -> Alert {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the rule's tags from a list shared by every alert of the rule.
    pub fn with_shared_tags(mut self, tags: Arc<[Arc<str>]>) -> Alert {
        self.tags = tags;
        self
    }

    /// Prints this hostname instead of the engine's (`FALCO_HOSTNAME` or the system's).
    pub fn with_hostname(mut self, hostname: impl Into<Arc<str>>) -> Alert {
        self.hostname = Some(hostname.into());
        self
    }

    /// Event time, ns since the Unix epoch.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// Rule name.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// Rule priority.
    pub fn priority(&self) -> Priority {
        self.priority
    }

    /// Event source name (`syscall`, `k8s_audit`, ..., or `internal`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The rule's formatted output message (without time and priority).
    pub fn output(&self) -> &str {
        &self.output
    }

    /// The output fields.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The rule's tags, as given.
    pub fn tags(&self) -> &[Arc<str>] {
        &self.tags
    }

    /// The hostname override, if any.
    pub fn hostname(&self) -> Option<&str> {
        self.hostname.as_deref()
    }

    /// Rule alert or internal message.
    pub fn kind(&self) -> AlertKind {
        self.kind
    }
}
