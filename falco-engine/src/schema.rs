//! The field schema of one event source: the seam between the engine and the inspectors.
//!
//! A condition or an output may only name fields that its rule's source declares. An
//! inspector (the syscall capture reader, a plugin source with its extractor plugins)
//! describes its fields with a [`Schema`]; the engine compiles every rule against the schema
//! of the rule's own source and nothing else (design rule D6). Field names are resolved the way
//! libsinsp does: the longest declared name that prefixes the text wins, and what follows is
//! the field's argument (`proc.aname[2]`, `evt.arg.name`, `json.value[/a/b]`).
//!
//! Data enters as a list of [`FieldInfo`] (built by hand, from a table, or from a plugin's
//! `get_fields` JSON) and, for sources whose events have several types, an
//! [`EventTypeTable`] that maps `evt.type` names to event type codes for the evttype index.

use std::collections::HashMap;

use crate::ids::{EventType, FieldId};

/// The type of a field's value, named after libscap's `ppm_param_type` so that field
/// listings read like Falco's. What matters to the engine is [`FieldType::class`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// `INT8`
    I8,
    /// `INT16`
    I16,
    /// `INT32`
    I32,
    /// `INT64`
    I64,
    /// `UINT8`
    U8,
    /// `UINT16`
    U16,
    /// `UINT32`
    U32,
    /// `UINT64`
    U64,
    /// `CHARBUF`: a string.
    CharBuf,
    /// `BYTEBUF`: raw bytes (`bcontains`, `bstartswith`).
    ByteBuf,
    /// `ERRNO`: a signed return value.
    Errno,
    /// `FD`: a file descriptor number.
    Fd,
    /// `PID`: a process or thread id.
    Pid,
    /// `FSPATH`: a filesystem path (a string).
    FsPath,
    /// `FSRELPATH`: a path relative to a directory fd (a string).
    FsRelPath,
    /// `SYSCALLID`
    SyscallId,
    /// `SIGTYPE`
    SigType,
    /// `RELTIME`: a duration in nanoseconds.
    RelTime,
    /// `ABSTIME`: nanoseconds since the epoch.
    AbsTime,
    /// `PORT`
    Port,
    /// `L4PROTO`
    L4Proto,
    /// `SOCKFAMILY`
    SockFamily,
    /// `BOOL`
    Bool,
    /// `IPV4ADDR`
    Ipv4Addr,
    /// `IPV6ADDR`
    Ipv6Addr,
    /// `IPADDR`: an IPv4 or IPv6 address.
    IpAddr,
    /// `IPV4NET`
    Ipv4Net,
    /// `IPV6NET`
    Ipv6Net,
    /// `IPNET`: an address compared against networks (`fd.net = 10.0.0.0/8`).
    IpNet,
    /// `FLAGS8`
    Flags8,
    /// `FLAGS16`
    Flags16,
    /// `FLAGS32`
    Flags32,
    /// `MODE`
    Mode,
    /// `UID`
    Uid,
    /// `GID`
    Gid,
    /// `DOUBLE`
    Double,
    /// `SIGSET`
    SigSet,
    /// `DYNAMIC`: the type depends on the event (e.g. `evt.rawarg.*`); compared as a string.
    Dynamic,
}

/// How the engine compares and renders values of a [`FieldType`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeClass {
    /// Unsigned integer; extracted as [`Value::U64`](crate::Value::U64).
    Unsigned,
    /// Signed integer; extracted as [`Value::I64`](crate::Value::I64).
    Signed,
    /// Floating point; extracted as [`Value::Double`](crate::Value::Double).
    Double,
    /// Boolean; extracted as [`Value::Bool`](crate::Value::Bool).
    Bool,
    /// Text; extracted as [`Value::Str`](crate::Value::Str).
    String,
    /// Raw bytes; extracted as [`Value::Str`](crate::Value::Str).
    Bytes,
    /// An IP address; extracted as [`Value::Ip`](crate::Value::Ip).
    Ip,
    /// An address compared against networks; extracted as [`Value::Ip`](crate::Value::Ip).
    Net,
}

impl FieldType {
    /// The libs name of the type (`CHARBUF`, `UINT64`, ...), as `falco --list` prints it.
    pub fn name(self) -> &'static str {
        use FieldType::*;
        match self {
            I8 => "INT8",
            I16 => "INT16",
            I32 => "INT32",
            I64 => "INT64",
            U8 => "UINT8",
            U16 => "UINT16",
            U32 => "UINT32",
            U64 => "UINT64",
            CharBuf => "CHARBUF",
            ByteBuf => "BYTEBUF",
            Errno => "ERRNO",
            Fd => "FD",
            Pid => "PID",
            FsPath => "FSPATH",
            FsRelPath => "FSRELPATH",
            SyscallId => "SYSCALLID",
            SigType => "SIGTYPE",
            RelTime => "RELTIME",
            AbsTime => "ABSTIME",
            Port => "PORT",
            L4Proto => "L4PROTO",
            SockFamily => "SOCKFAMILY",
            Bool => "BOOL",
            Ipv4Addr => "IPV4ADDR",
            Ipv6Addr => "IPV6ADDR",
            IpAddr => "IPADDR",
            Ipv4Net => "IPV4NET",
            Ipv6Net => "IPV6NET",
            IpNet => "IPNET",
            Flags8 => "FLAGS8",
            Flags16 => "FLAGS16",
            Flags32 => "FLAGS32",
            Mode => "MODE",
            Uid => "UID",
            Gid => "GID",
            Double => "DOUBLE",
            SigSet => "SIGSET",
            Dynamic => "DYNAMIC",
        }
    }

    /// How values of this type are compared and rendered.
    pub fn class(self) -> TypeClass {
        use FieldType::*;
        match self {
            U8 | U16 | U32 | U64 | SyscallId | SigType | RelTime | AbsTime | Port | L4Proto
            | SockFamily | Flags8 | Flags16 | Flags32 | Mode | Uid | Gid | SigSet => {
                TypeClass::Unsigned
            }
            I8 | I16 | I32 | I64 | Errno | Fd | Pid => TypeClass::Signed,
            Double => TypeClass::Double,
            Bool => TypeClass::Bool,
            CharBuf | FsPath | FsRelPath | Dynamic => TypeClass::String,
            ByteBuf => TypeClass::Bytes,
            Ipv4Addr | Ipv6Addr | IpAddr => TypeClass::Ip,
            Ipv4Net | Ipv6Net | IpNet => TypeClass::Net,
        }
    }

    /// Parses a type name as plugins declare it in `get_fields` (`string`, `uint64`, `bool`,
    /// `reltime`, `abstime`, `ipaddr`, `ipnet`) or as libs names it (`CHARBUF`, `UINT64`, ...).
    pub fn parse(s: &str) -> Option<FieldType> {
        use FieldType::*;
        let t = match s.to_ascii_lowercase().as_str() {
            "string" | "charbuf" => CharBuf,
            "uint64" => U64,
            "uint32" => U32,
            "uint16" => U16,
            "uint8" => U8,
            "int64" => I64,
            "int32" => I32,
            "int16" => I16,
            "int8" => I8,
            "bool" => Bool,
            "reltime" => RelTime,
            "abstime" => AbsTime,
            "ipaddr" => IpAddr,
            "ipv4addr" => Ipv4Addr,
            "ipv6addr" => Ipv6Addr,
            "ipnet" => IpNet,
            "ipv4net" => Ipv4Net,
            "ipv6net" => Ipv6Net,
            "bytebuf" => ByteBuf,
            "double" => Double,
            "fspath" => FsPath,
            "fsrelpath" => FsRelPath,
            "errno" => Errno,
            "fd" => Fd,
            "pid" => Pid,
            "port" => Port,
            "l4proto" => L4Proto,
            "sockfamily" => SockFamily,
            "mode" => Mode,
            "uid" => Uid,
            "gid" => Gid,
            "flags8" => Flags8,
            "flags16" => Flags16,
            "flags32" => Flags32,
            "syscallid" => SyscallId,
            "sigtype" => SigType,
            "sigset" => SigSet,
            "dynamic" => Dynamic,
            _ => return None,
        };
        Some(t)
    }
}

/// How a field's extracted values combine in a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Multiplicity {
    /// At most one value per event (most fields).
    #[default]
    One,
    /// The field is a list (libsinsp `EPF_IS_LIST`): `in` means every value is in the right-hand
    /// set (subset), `intersects` means at least one is; only `in`, `intersects` and `exists`
    /// apply. Rendered as `(a,b,c)`.
    List,
    /// Several candidate values, the comparison holds if it holds for any of them
    /// (`proc.aname` and `proc.apid` without an index: "some ancestor").
    Any,
    /// Two ends of a connection (`fd.ip`, `fd.port`, `fd.net`, `fd.proto`): `=` and `in` hold if
    /// either end matches, `!=` holds only if neither end is equal.
    EitherEnd,
}

/// Whether and how a field takes an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ArgSpec {
    /// The field must be written with an argument (`evt.arg`).
    pub required: bool,
    /// The field may be written with an argument (`proc.aname`).
    pub allowed: bool,
    /// Numeric arguments are accepted (`proc.aname[2]`, `evt.arg[0]`).
    pub index: bool,
    /// String arguments are accepted (`evt.arg.name`, `json.value[/a/b]`).
    pub key: bool,
}

impl ArgSpec {
    /// No argument.
    pub const NONE: ArgSpec = ArgSpec { required: false, allowed: false, index: false, key: false };
    /// An optional numeric argument.
    pub const OPTIONAL_INDEX: ArgSpec =
        ArgSpec { required: false, allowed: true, index: true, key: false };
    /// A required numeric argument.
    pub const REQUIRED_INDEX: ArgSpec =
        ArgSpec { required: true, allowed: true, index: true, key: false };
    /// A required string argument.
    pub const REQUIRED_KEY: ArgSpec =
        ArgSpec { required: true, allowed: true, index: false, key: true };
    /// An optional string argument.
    pub const OPTIONAL_KEY: ArgSpec =
        ArgSpec { required: false, allowed: true, index: false, key: true };
    /// A required argument, numeric or string (`evt.arg[0]`, `evt.arg.fd`).
    pub const REQUIRED_INDEX_OR_KEY: ArgSpec =
        ArgSpec { required: true, allowed: true, index: true, key: true };

    /// True if the field may carry an argument at all.
    pub fn accepts_arg(&self) -> bool {
        self.required || self.allowed
    }
}

/// Description of one field a source can extract.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldInfo {
    /// Full name, e.g. `proc.name`.
    pub name: String,
    /// Value type.
    pub ftype: FieldType,
    /// One value, a list, or candidates (see [`Multiplicity`]).
    pub multiplicity: Multiplicity,
    /// Argument rules.
    pub arg: ArgSpec,
    /// Short display name (may be empty).
    pub display: String,
    /// Human description, for `falco --list`.
    pub desc: String,
    /// May be used only in conditions, never in outputs (libsinsp `EPF_FILTER_ONLY`).
    pub filter_only: bool,
    /// Hidden from listings (libsinsp `EPF_TABLE_ONLY`).
    pub hidden: bool,
    /// Deprecated: still accepted, listed as such.
    pub deprecated: bool,
    /// Transformers (`tolower(...)`) may not wrap this field (`EPF_NO_TRANSFORMER`).
    pub no_transformer: bool,
    /// This field may not be compared with another field, nor be the field compared with
    /// (`EPF_NO_RHS`).
    pub no_rhs: bool,
    /// Suggested as an output field (`EPF_FORMAT_SUGGESTED`), for `append_output` suggestions.
    pub format_suggested: bool,
    /// Name of the plugin (or built-in provider) that extracts this field, for listings.
    pub provider: String,
}

impl FieldInfo {
    /// A single-valued field without argument.
    ///
    /// ```
    /// use falco_engine::{FieldInfo, FieldType};
    /// let f = FieldInfo::new("proc.name", FieldType::CharBuf, "the process name");
    /// assert_eq!(f.name, "proc.name");
    /// ```
    pub fn new(name: &str, ftype: FieldType, desc: &str) -> FieldInfo {
        FieldInfo {
            name: name.to_string(),
            ftype,
            multiplicity: Multiplicity::One,
            arg: ArgSpec::NONE,
            display: String::new(),
            desc: desc.to_string(),
            filter_only: false,
            hidden: false,
            deprecated: false,
            no_transformer: false,
            no_rhs: false,
            format_suggested: false,
            provider: String::new(),
        }
    }

    /// Sets the argument rules.
    pub fn with_arg(mut self, arg: ArgSpec) -> FieldInfo {
        self.arg = arg;
        self
    }

    /// Sets the multiplicity.
    pub fn with_multiplicity(mut self, m: Multiplicity) -> FieldInfo {
        self.multiplicity = m;
        self
    }

    /// Marks the field filter-only.
    pub fn filter_only(mut self) -> FieldInfo {
        self.filter_only = true;
        self
    }

    /// Marks the field as one that cannot be compared with another field.
    pub fn no_rhs(mut self) -> FieldInfo {
        self.no_rhs = true;
        self
    }
}

/// The argument a field reference was written with.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum FieldArg {
    /// No argument.
    #[default]
    None,
    /// A numeric argument: `proc.aname[2]`, `evt.arg[0]`.
    Index(u64),
    /// A string argument: `evt.arg.name`, `json.value[/a/b]`, `proc.aenv[HOME]`.
    Key(Box<str>),
}

/// A field of a source resolved at compile time: which field, with which argument. The
/// extractor receives it for every extraction; it is cheap to compare and hash.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldRef {
    /// The field in the source's schema.
    pub id: FieldId,
    /// Its argument, if written.
    pub arg: FieldArg,
}

/// Maps `evt.type` names to event type codes, for sources whose events have several types.
///
/// The evttype index asks it which codes a condition such as `evt.type in (open, openat)` can
/// match. A name may map to several codes (enter and exit events, older event versions,
/// generic syscall events).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventTypeTable {
    codes: HashMap<String, Vec<EventType>>,
    count: u16,
}

impl EventTypeTable {
    /// An empty table for a source with `count` event type codes (`0..count`).
    pub fn new(count: u16) -> EventTypeTable {
        EventTypeTable { codes: HashMap::new(), count }
    }

    /// Declares that the event type name `name` covers the code `code`.
    pub fn add(&mut self, name: &str, code: EventType) {
        let v = self.codes.entry(name.to_string()).or_default();
        if !v.contains(&code) {
            v.push(code);
        }
        if code.0 >= self.count {
            self.count = code.0 + 1;
        }
    }

    /// The codes the name covers, or `None` for an unknown name.
    pub fn codes(&self, name: &str) -> Option<&[EventType]> {
        self.codes.get(name).map(|v| v.as_slice())
    }

    /// Number of event type codes (one past the largest).
    pub fn count(&self) -> u16 {
        self.count
    }

    /// The codes of `names`, if no other name shares any of them: then an event's type code
    /// alone tells whether its `evt.type` is one of `names`. (Names of syscalls without an
    /// event of their own share the generic event codes: for them it is `None`.)
    ///
    /// ```
    /// use falco_engine::{EventType, EventTypeTable};
    /// let mut t = EventTypeTable::new(10);
    /// t.add("open", EventType(2));
    /// t.add("madvise", EventType(0));
    /// t.add("mprotect", EventType(0));
    /// assert_eq!(t.exclusive_codes(&["open"]), Some(vec![EventType(2)]));
    /// assert_eq!(t.exclusive_codes(&["madvise"]), None);
    /// ```
    pub fn exclusive_codes(&self, names: &[&str]) -> Option<Vec<EventType>> {
        let mut codes = Vec::new();
        for n in names {
            codes.extend_from_slice(self.codes(n)?);
        }
        let shared = self
            .codes
            .iter()
            .filter(|(name, _)| !names.contains(&name.as_str()))
            .any(|(_, cs)| cs.iter().any(|c| codes.contains(c)));
        (!shared).then_some(codes)
    }

    /// Every known event type name, unsorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.codes.keys().map(|s| s.as_str())
    }
}

/// The fields (and event types) of one event source.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    source: String,
    fields: Vec<FieldInfo>,
    by_name: HashMap<String, FieldId>,
    event_types: Option<EventTypeTable>,
    event_type_field: Option<FieldId>,
    /// Fields whose value the event type code alone decides, with that value per code.
    type_decided: Vec<(FieldId, Box<[Box<str>]>)>,
}

/// Error returned when building a [`Schema`] with two fields of the same name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field '{field}' is defined twice for source '{source_name}'")]
pub struct DuplicateField {
    /// The event source.
    pub source_name: String,
    /// The duplicated field name.
    pub field: String,
}

impl Schema {
    /// An empty schema for the source named `source`.
    pub fn new(source: &str) -> Schema {
        Schema {
            source: source.to_string(),
            fields: Vec::new(),
            by_name: HashMap::new(),
            event_types: None,
            event_type_field: None,
            type_decided: Vec::new(),
        }
    }

    /// Adds a field; two fields with the same name are an error (as in Falco, where two
    /// plugins exporting the same field for one source is a load error).
    ///
    /// ```
    /// use falco_engine::{FieldInfo, FieldType, Schema};
    /// let mut s = Schema::new("demo");
    /// s.add_field(FieldInfo::new("demo.count", FieldType::U64, "a counter"))?;
    /// assert!(s.add_field(FieldInfo::new("demo.count", FieldType::U64, "again")).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_field(&mut self, field: FieldInfo) -> Result<FieldId, DuplicateField> {
        if self.by_name.contains_key(&field.name) {
            return Err(DuplicateField {
                source_name: self.source.clone(),
                field: field.name.clone(),
            });
        }
        let id = FieldId(self.fields.len() as u32);
        if field.name == "evt.type" {
            self.event_type_field = Some(id);
        }
        self.by_name.insert(field.name.clone(), id);
        self.fields.push(field);
        Ok(id)
    }

    /// Replaces the field of the same name as `field` (another provider taking it over, as the
    /// `container` plugin took over libsinsp's `container.*` fields); its id is unchanged.
    /// Returns that id, or `None` if the schema has no such field.
    ///
    /// ```
    /// use falco_engine::{FieldInfo, FieldType, Schema};
    /// let mut s = Schema::new("demo");
    /// let id = s.add_field(FieldInfo::new("demo.name", FieldType::CharBuf, "built in"))?;
    /// assert_eq!(s.replace_field(FieldInfo::new("demo.name", FieldType::CharBuf, "plugin")), Some(id));
    /// assert_eq!(s.field(id).desc, "plugin");
    /// assert_eq!(s.replace_field(FieldInfo::new("demo.other", FieldType::U64, "")), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace_field(&mut self, field: FieldInfo) -> Option<FieldId> {
        let id = self.by_name(&field.name)?;
        self.fields[id.index()] = field;
        Some(id)
    }

    /// Sets the event type table used by the evttype index for `evt.type` comparisons.
    pub fn set_event_types(&mut self, table: EventTypeTable) {
        self.event_types = Some(table);
    }

    /// Declares that the value of field `name` is decided by the event type alone:
    /// `values[code]` for each event type code (as `evt.dir` is by the code's parity). The
    /// compiler then decides `=`, `!=` and `in` comparisons on it from the type code, like
    /// `evt.type` ones, so programs specialized per event type drop them. Returns false (and
    /// declares nothing) for an unknown field.
    ///
    /// ```
    /// use falco_engine::{FieldInfo, FieldType, Schema};
    /// let mut s = Schema::new("demo");
    /// s.add_field(FieldInfo::new("evt.dir", FieldType::CharBuf, "direction"))?;
    /// assert!(s.set_type_decided_field("evt.dir", vec![">".into(), "<".into()]));
    /// let id = s.by_name("evt.dir").unwrap();
    /// assert_eq!(s.type_decided_values(id).map(|v| v.len()), Some(2));
    /// assert!(!s.set_type_decided_field("evt.nope", vec![]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_type_decided_field(&mut self, name: &str, values: Vec<String>) -> bool {
        let Some(id) = self.by_name(name) else { return false };
        let values: Box<[Box<str>]> = values.into_iter().map(String::into_boxed_str).collect();
        self.type_decided.retain(|(f, _)| *f != id);
        self.type_decided.push((id, values));
        true
    }

    /// The per-event-type values of a field declared with
    /// [`Schema::set_type_decided_field`].
    pub fn type_decided_values(&self, id: FieldId) -> Option<&[Box<str>]> {
        self.type_decided.iter().find(|(f, _)| *f == id).map(|(_, v)| &**v)
    }

    /// The source name (`syscall`, `k8s_audit`, ...).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// All fields, in declaration order.
    pub fn fields(&self) -> &[FieldInfo] {
        &self.fields
    }

    /// The field with this id.
    pub fn field(&self, id: FieldId) -> &FieldInfo {
        &self.fields[id.index()]
    }

    /// The field with exactly this name.
    pub fn by_name(&self, name: &str) -> Option<FieldId> {
        self.by_name.get(name).copied()
    }

    /// The event type table, if the source has several event types.
    pub fn event_types(&self) -> Option<&EventTypeTable> {
        self.event_types.as_ref()
    }

    /// The field whose comparisons the evttype index reads (`evt.type`), if declared.
    pub fn event_type_field(&self) -> Option<FieldId> {
        self.event_type_field
    }

    /// Resolves the longest field name that is a prefix of `text`, as libsinsp does, and
    /// returns it with the length of the matched name. `proc.aname[2]` resolves to
    /// `proc.aname` (length 10); `fd.sip.name` resolves to `fd.sip.name`, not `fd.sip`.
    ///
    /// ```
    /// use falco_engine::{ArgSpec, FieldInfo, FieldType, Schema};
    /// let mut s = Schema::new("syscall");
    /// s.add_field(FieldInfo::new("evt.arg", FieldType::CharBuf, "")
    ///     .with_arg(ArgSpec::REQUIRED_INDEX_OR_KEY))?;
    /// let (id, len) = s.resolve_prefix("evt.arg.name").unwrap();
    /// assert_eq!((s.field(id).name.as_str(), len), ("evt.arg", 7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve_prefix(&self, text: &str) -> Option<(FieldId, usize)> {
        // Try every prefix ending at a '.' or '[' boundary, longest first.
        let bytes = text.as_bytes();
        let mut ends: Vec<usize> = vec![text.len()];
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'.' || *b == b'[' {
                ends.push(i);
            }
        }
        ends.sort_unstable_by(|a, b| b.cmp(a));
        for end in ends {
            if let Some(id) = self.by_name.get(&text[..end]) {
                return Some((*id, end));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_round_trip() {
        for t in [
            FieldType::CharBuf,
            FieldType::U64,
            FieldType::I64,
            FieldType::Bool,
            FieldType::IpAddr,
            FieldType::IpNet,
            FieldType::RelTime,
            FieldType::AbsTime,
        ] {
            assert_eq!(FieldType::parse(t.name()), Some(t));
        }
        assert_eq!(FieldType::parse("string"), Some(FieldType::CharBuf));
        assert_eq!(FieldType::parse("nope"), None);
    }

    #[test]
    fn longest_prefix_wins() {
        let mut s = Schema::new("syscall");
        s.add_field(FieldInfo::new("fd.sip", FieldType::IpAddr, "")).unwrap();
        s.add_field(FieldInfo::new("fd.sip.name", FieldType::CharBuf, "")).unwrap();
        s.add_field(
            FieldInfo::new("proc.aname", FieldType::CharBuf, "").with_arg(ArgSpec::OPTIONAL_INDEX),
        )
        .unwrap();
        let name = |t: &str| s.resolve_prefix(t).map(|(id, n)| (s.field(id).name.clone(), n));
        assert_eq!(name("fd.sip.name"), Some(("fd.sip.name".into(), 11)));
        assert_eq!(name("fd.sip"), Some(("fd.sip".into(), 6)));
        assert_eq!(name("proc.aname[3]"), Some(("proc.aname".into(), 10)));
        assert_eq!(name("proc.anamex"), None);
        assert_eq!(name("fd"), None);
    }

    #[test]
    fn event_type_table() {
        let mut t = EventTypeTable::new(4);
        t.add("open", EventType(2));
        t.add("open", EventType(3));
        t.add("open", EventType(3));
        t.add("close", EventType(9));
        assert_eq!(t.codes("open"), Some(&[EventType(2), EventType(3)][..]));
        assert_eq!(t.count(), 10);
        assert!(t.codes("nope").is_none());
    }

    #[test]
    fn evt_type_field_is_found() {
        let mut s = Schema::new("x");
        s.add_field(FieldInfo::new("evt.num", FieldType::U64, "")).unwrap();
        let id = s.add_field(FieldInfo::new("evt.type", FieldType::CharBuf, "")).unwrap();
        assert_eq!(s.event_type_field(), Some(id));
    }
}
