//! The syscall source's fields: the [`Schema`] rules compile against and the
//! [`SyscallExtractor`] that extracts them from [`SyscallEvent`]s.
//!
//! A field class is a family of fields libsinsp calls a filtercheck: `evt.*` (the event
//! itself), `proc.*`/`thread.*` (the event's thread and its ancestors), `fd.*` and `fs.path.*`
//! (the file descriptor or path the event is about), `user.*`, `group.*`, `container.*` and
//! `k8s.*` (declared so that rules load; there is no orchestrator metadata in a capture, so
//! they never have a value). Each class lives in its own module with its definitions and its
//! extraction code; this module assembles the schema in one table, keeps the mapping from
//! [`FieldId`](falco_engine::FieldId) to field, and dispatches.
//!
//! Values are typed so that the engine's JSON rendering matches libsinsp's `-j` output, and
//! [`Extractor::render_text`] is overridden where libsinsp's `%field` text differs from the
//! typed value (`evt.time` prints a time of day, `user.uid` of a placeholder thread prints
//! `4294967295`, ...).

mod container;
mod evt;
mod fd;
mod fs;
mod group;
mod proc;
mod thread;
mod user;

use std::sync::{Arc, OnceLock};

use falco_engine::{
    ArgSpec, EventType, EventTypeTable, Extractor, FieldArg, FieldInfo, FieldRef, FieldType,
    Multiplicity, Schema, ValueSink, Values,
};

use crate::capture::SyscallEvent;
use crate::event::{self, codes};

/// The time zone `evt.time` and `evt.datetime` are printed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimeZone {
    /// The process's local time zone (`TZ` or `/etc/localtime`), as libsinsp does.
    #[default]
    Local,
    /// UTC.
    Utc,
    /// A fixed offset east of UTC, in seconds.
    Fixed(i32),
}

/// Which field a schema entry is; the extractor dispatches on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Evt(evt::F),
    Proc(proc::F),
    Thread(thread::F),
    Fd(fd::F),
    Fs(fs::F),
    User(user::F),
    Group(group::F),
    Container(container::F),
    /// Declared (rules may name it) but never has a value in a capture.
    NoValue,
}

/// One field definition.
pub(crate) struct Def {
    pub name: &'static str,
    pub ftype: FieldType,
    pub mult: Multiplicity,
    pub arg: ArgSpec,
    pub filter_only: bool,
    /// libsinsp `EPF_NO_RHS | EPF_NO_TRANSFORMER`.
    pub no_rhs: bool,
    pub desc: &'static str,
    pub kind: Kind,
}

pub(crate) const fn def(
    name: &'static str,
    ftype: FieldType,
    desc: &'static str,
    kind: Kind,
) -> Def {
    Def {
        name,
        ftype,
        mult: Multiplicity::One,
        arg: ArgSpec::NONE,
        filter_only: false,
        no_rhs: false,
        desc,
        kind,
    }
}

impl Def {
    pub(crate) const fn arg(mut self, a: ArgSpec) -> Def {
        self.arg = a;
        self
    }
    pub(crate) const fn mult(mut self, m: Multiplicity) -> Def {
        self.mult = m;
        self
    }
    pub(crate) const fn filter_only(mut self) -> Def {
        self.filter_only = true;
        self
    }
    /// Cannot be compared with another field nor wrapped in a transformer.
    pub(crate) const fn no_rhs(mut self) -> Def {
        self.no_rhs = true;
        self
    }
}

fn all_defs() -> Vec<Def> {
    let mut v = Vec::new();
    v.extend(evt::defs());
    v.extend(proc::defs());
    v.extend(thread::defs());
    v.extend(fd::defs());
    v.extend(fs::defs());
    v.extend(user::defs());
    v.extend(group::defs());
    v.extend(container::defs());
    v.extend(k8s_defs());
    v
}

fn k8s_defs() -> Vec<Def> {
    use FieldType::CharBuf as S;
    let mut v = Vec::new();
    for kind in ["pod", "rc", "svc", "ns", "rs", "deployment"] {
        let name =
            |s: &str| -> &'static str { Box::leak(format!("k8s.{kind}.{s}").into_boxed_str()) };
        v.push(def(
            name("name"),
            S,
            "Kubernetes object name (no value in captures)",
            Kind::NoValue,
        ));
        v.push(def(name("id"), S, "Kubernetes object id (no value in captures)", Kind::NoValue));
        v.push(
            def(name("label"), S, "Kubernetes object label (no value in captures)", Kind::NoValue)
                .arg(ArgSpec::REQUIRED_KEY),
        );
        v.push(def(
            name("labels"),
            S,
            "Kubernetes object labels (no value in captures)",
            Kind::NoValue,
        ));
    }
    for extra in [
        "k8s.pod.uid",
        "k8s.pod.sandbox_id",
        "k8s.pod.full_sandbox_id",
        "k8s.pod.ip",
        "k8s.pod.cni.json",
    ] {
        v.push(def(extra, S, "Kubernetes pod metadata (no value in captures)", Kind::NoValue));
    }
    v
}

struct Built {
    schema: Arc<Schema>,
    kinds: Vec<Kind>,
}

fn built() -> &'static Built {
    static B: OnceLock<Built> = OnceLock::new();
    B.get_or_init(|| {
        let mut s = Schema::new("syscall");
        let mut kinds = Vec::new();
        for d in all_defs() {
            let mut fi =
                FieldInfo::new(d.name, d.ftype, d.desc).with_arg(d.arg).with_multiplicity(d.mult);
            fi.filter_only = d.filter_only;
            fi.no_rhs = d.no_rhs;
            fi.no_transformer = d.no_rhs;
            fi.provider = if d.name.starts_with("container.") {
                "container (built-in)".into()
            } else {
                "syscall".into()
            };
            s.add_field(fi).expect("field names are unique");
            kinds.push(d.kind);
        }
        s.set_event_types(event_type_table());
        // Even codes are enter events, odd ones exit events (`RawEvent::is_enter`).
        let dirs = (0..event::EVENT_TYPE_COUNT).map(|c| if c & 1 == 0 { ">" } else { "<" });
        s.set_type_decided_field("evt.dir", dirs.map(String::from).collect());
        Built { schema: Arc::new(s), kinds }
    })
}

/// The schema of the `syscall` source.
///
/// ```
/// let s = falco_inspector::fields::schema();
/// assert!(s.by_name("proc.name").is_some());
/// let open = s.event_types().unwrap().codes("open").unwrap();
/// assert!(open.len() >= 2); // enter and exit
/// ```
pub fn schema() -> Arc<Schema> {
    built().schema.clone()
}

/// Maps every `evt.type` name to its event codes: the table's event names (enter and exit,
/// every version) and the syscall names of generic events (which map to the two generic
/// codes, as libsinsp's `evt.type = madvise` can only be decided on `PPME_GENERIC_E/X`).
pub fn event_type_table() -> EventTypeTable {
    let mut t = EventTypeTable::new(event::EVENT_TYPE_COUNT);
    for code in 0..event::EVENT_TYPE_COUNT {
        let info = event::event_info(code).expect("in range");
        if info.name == "NA" || info.flags & event::info::flags::UNUSED != 0 {
            continue;
        }
        if code == codes::GENERIC_E || code == codes::GENERIC_X {
            continue;
        }
        t.add(info.name, EventType(code));
    }
    for id in 0..u16::MAX {
        let Some(sc) = event::syscall_info(id) else {
            break;
        };
        if sc.name.is_empty() {
            continue;
        }
        t.add(sc.name, EventType(codes::GENERIC_E));
        t.add(sc.name, EventType(codes::GENERIC_X));
    }
    t
}

/// Scratch buffers reused across extractions.
#[derive(Default)]
pub(crate) struct Scratch {
    pub a: Vec<u8>,
    pub b: Vec<u8>,
}

/// Extracts syscall fields from [`SyscallEvent`]s (implements the engine's [`Extractor`]).
///
/// ```
/// use falco_engine::{Extractor, FieldArg, FieldRef, Values};
/// use falco_inspector::fields::SyscallExtractor;
/// let x = SyscallExtractor::new(falco_inspector::fields::schema());
/// let id = x.schema().by_name("evt.type").unwrap();
/// let _field = FieldRef { id, arg: FieldArg::None };
/// ```
pub struct SyscallExtractor {
    schema: Arc<Schema>,
    kinds: &'static [Kind],
    tz: TimeZone,
    scratch: Scratch,
    vals: Values,
}

impl std::fmt::Debug for SyscallExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyscallExtractor").field("tz", &self.tz).finish()
    }
}

impl SyscallExtractor {
    /// An extractor for `schema` (the one [`schema()`] returns).
    pub fn new(schema: Arc<Schema>) -> SyscallExtractor {
        SyscallExtractor {
            schema,
            kinds: &built().kinds,
            tz: TimeZone::Local,
            scratch: Scratch::default(),
            vals: Values::new(),
        }
    }

    /// The schema this extractor serves.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Sets the time zone of `evt.time` / `evt.datetime`.
    pub fn set_time_zone(&mut self, tz: TimeZone) {
        self.tz = tz;
    }

    /// Resolves a field as written in a rule (`proc.aname[2]`, `evt.arg.name`) to a
    /// [`FieldRef`], for users of the extractor without the engine.
    ///
    /// ```
    /// use falco_inspector::fields::SyscallExtractor;
    /// let x = SyscallExtractor::new(falco_inspector::fields::schema());
    /// let f = x.field_ref("proc.aname[2]").unwrap();
    /// assert_eq!(f.arg, falco_engine::FieldArg::Index(2));
    /// assert!(x.field_ref("nope.nope").is_none());
    /// ```
    pub fn field_ref(&self, text: &str) -> Option<FieldRef> {
        let (id, len) = self.schema.resolve_prefix(text)?;
        let rest = &text[len..];
        let arg = if rest.is_empty() {
            FieldArg::None
        } else if let Some(inner) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            match inner.parse::<u64>() {
                Ok(n) => FieldArg::Index(n),
                Err(_) => FieldArg::Key(inner.into()),
            }
        } else if let Some(key) = rest.strip_prefix('.') {
            FieldArg::Key(key.into())
        } else {
            return None;
        };
        Some(FieldRef { id, arg })
    }

    /// Extracts `field` into a fresh buffer and renders it as text (`None`: no value), a
    /// convenience for tests and tools.
    pub fn text(&mut self, evt: &SyscallEvent<'_>, field: &FieldRef) -> Option<String> {
        let info = self.schema.field(field.id).clone();
        let mut s = String::new();
        self.render_text(evt, field, &info, &mut s).then_some(s)
    }
}

impl Extractor for SyscallExtractor {
    type Event<'e> = SyscallEvent<'e>;

    fn extract(&mut self, evt: &SyscallEvent<'_>, field: &FieldRef, out: &mut ValueSink<'_>) {
        let Some(kind) = self.kinds.get(field.id.index()).copied() else {
            return;
        };
        let arg = &field.arg;
        let sc = &mut self.scratch;
        match kind {
            Kind::Evt(f) => evt::extract(f, evt, arg, out, sc),
            Kind::Proc(f) => proc::extract(f, evt, arg, out, sc),
            Kind::Thread(f) => thread::extract(f, evt, arg, out, sc),
            Kind::Fd(f) => fd::extract(f, evt, arg, out, sc),
            Kind::Fs(f) => fs::extract(f, evt, arg, out, sc),
            Kind::User(f) => user::extract(f, evt, out),
            Kind::Group(f) => group::extract(f, evt, out),
            Kind::Container(f) => container::extract(f, evt, arg, out),
            Kind::NoValue => {}
        }
    }

    fn render_text(
        &mut self,
        evt: &SyscallEvent<'_>,
        field: &FieldRef,
        info: &FieldInfo,
        out: &mut String,
    ) -> bool {
        let Some(kind) = self.kinds.get(field.id.index()).copied() else {
            return false;
        };
        if let Kind::Evt(f) = kind {
            if let Some(r) = evt::render_text(f, evt, self.tz, out) {
                return r;
            }
        }
        if let Kind::User(f) = kind {
            if let Some(r) = user::render_text(f, evt, out) {
                return r;
            }
        }
        let mut vals = std::mem::take(&mut self.vals);
        vals.clear();
        self.extract(evt, field, &mut vals.sink());
        // A single IPv6 address prints as libsinsp prints it; everything else as the engine
        // renders values.
        let ok = match vals.iter().next() {
            Some(falco_engine::Value::Ip(std::net::IpAddr::V6(a)))
                if info.multiplicity != Multiplicity::List =>
            {
                use std::fmt::Write;
                let _ = write!(out, "{}", crate::event::render::Ipv6Text(a.octets()));
                true
            }
            _ => falco_engine::render_values(&vals, info, out),
        };
        self.vals = vals;
        ok
    }
}

/// Index argument of a field (`proc.aname[2]`), or `default` without one.
pub(crate) fn index_arg(arg: &FieldArg, default: u64) -> Option<u64> {
    match arg {
        FieldArg::None => Some(default),
        FieldArg::Index(n) => Some(*n),
        FieldArg::Key(k) => k.parse().ok(),
    }
}
