//! The extractor seam: values of fields for the current event.
//!
//! An [`Extractor`] belongs to one source thread (it is `Send`, never shared: design rule
//! L2). For every field reference a condition or output needs, the engine asks it once per
//! event and caches the answer. Values are pushed into a caller-owned [`Values`] buffer whose
//! storage is reused from event to event, so extraction allocates nothing once warm.
//!
//! Data enters as an event plus a compiled [`FieldRef`]; it leaves as zero or more typed
//! [`Value`]s (zero values means the field has no value for this event: `<NA>` in outputs,
//! and every comparison but `not` is false).

use std::fmt;
use std::net::IpAddr;
use std::ops::Range;

use crate::event::Event;
use crate::schema::{FieldInfo, FieldRef, Multiplicity};

/// One extracted value, borrowed from a [`Values`] buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// An unsigned integer (every unsigned [`FieldType`](crate::FieldType), times, ports...).
    U64(u64),
    /// A signed integer (`INT64`, `PID`, `FD`, `ERRNO`...).
    I64(i64),
    /// A floating point number.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// A string or byte buffer (not necessarily UTF-8).
    Str(&'a [u8]),
    /// An IP address.
    Ip(IpAddr),
}

impl fmt::Display for Value<'_> {
    /// Renders the value as libsinsp's text rendering does for the default print format.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::U64(v) => v.fmt(f),
            Value::I64(v) => v.fmt(f),
            Value::Double(v) => v.fmt(f),
            Value::Bool(v) => f.write_str(if *v { "true" } else { "false" }),
            Value::Str(b) => f.write_str(&String::from_utf8_lossy(b)),
            Value::Ip(ip) => ip.fmt(f),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Slot {
    U64(u64),
    I64(i64),
    Double(f64),
    Bool(bool),
    Str { start: u32, len: u32 },
    Ip(IpAddr),
}

/// A reusable buffer of extracted values (caller-owned, cleared per event).
#[derive(Default, Debug, Clone)]
pub struct Values {
    slots: Vec<Slot>,
    bytes: Vec<u8>,
}

impl Values {
    /// An empty buffer.
    pub fn new() -> Values {
        Values::default()
    }

    /// Forgets every value, keeping the storage.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.bytes.clear();
    }

    /// Number of values held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True if no value is held.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The value at `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn get(&self, i: usize) -> Value<'_> {
        match self.slots[i] {
            Slot::U64(v) => Value::U64(v),
            Slot::I64(v) => Value::I64(v),
            Slot::Double(v) => Value::Double(v),
            Slot::Bool(v) => Value::Bool(v),
            Slot::Str { start, len } => {
                Value::Str(&self.bytes[start as usize..start as usize + len as usize])
            }
            Slot::Ip(ip) => Value::Ip(ip),
        }
    }

    /// The values in `range` (item indices, as returned by [`Values::len`] before and after an
    /// extraction).
    pub fn range(&self, range: Range<usize>) -> impl Iterator<Item = Value<'_>> + '_ {
        range.map(move |i| self.get(i))
    }

    /// Every value, in order.
    pub fn iter(&self) -> impl Iterator<Item = Value<'_>> + '_ {
        self.range(0..self.len())
    }

    /// A sink that appends to this buffer.
    pub fn sink(&mut self) -> ValueSink<'_> {
        ValueSink { values: self }
    }
}

/// Append-only access to a [`Values`] buffer, handed to [`Extractor::extract`].
///
/// ```
/// use falco_engine::{Value, Values};
/// let mut vals = Values::new();
/// let mut sink = vals.sink();
/// sink.push_str("bash");
/// sink.push_u64(7);
/// sink.push_str_with(|buf| { buf.extend(b"a/"); buf.push(b'b') });
/// assert_eq!(vals.get(0), Value::Str(b"bash"));
/// assert_eq!(vals.get(1), Value::U64(7));
/// assert_eq!(vals.get(2), Value::Str(b"a/b"));
/// ```
pub struct ValueSink<'a> {
    values: &'a mut Values,
}

impl ValueSink<'_> {
    fn push_slot(&mut self, s: Slot) {
        self.values.slots.push(s);
    }

    /// Appends an unsigned integer.
    pub fn push_u64(&mut self, v: u64) {
        self.push_slot(Slot::U64(v));
    }

    /// Appends a signed integer.
    pub fn push_i64(&mut self, v: i64) {
        self.push_slot(Slot::I64(v));
    }

    /// Appends a floating point number.
    pub fn push_double(&mut self, v: f64) {
        self.push_slot(Slot::Double(v));
    }

    /// Appends a boolean.
    pub fn push_bool(&mut self, v: bool) {
        self.push_slot(Slot::Bool(v));
    }

    /// Appends an IP address.
    pub fn push_ip(&mut self, ip: IpAddr) {
        self.push_slot(Slot::Ip(ip));
    }

    /// Appends a string.
    pub fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    /// Appends a byte string (copied into the buffer's reused storage).
    pub fn push_bytes(&mut self, b: &[u8]) {
        self.push_str_with(|buf| buf.extend(b));
    }

    /// Appends a string written in place by `write`. Lets an extractor build a value (a joined
    /// path, a formatted number) without a temporary allocation.
    pub fn push_str_with(&mut self, write: impl FnOnce(&mut ByteWriter<'_>)) {
        let start = self.values.bytes.len();
        write(&mut ByteWriter(&mut self.values.bytes));
        let len = self.values.bytes.len() - start;
        let (start, len) = (start as u32, len as u32);
        self.push_slot(Slot::Str { start, len });
    }

    /// Appends any value.
    pub fn push(&mut self, v: Value<'_>) {
        match v {
            Value::U64(v) => self.push_u64(v),
            Value::I64(v) => self.push_i64(v),
            Value::Double(v) => self.push_double(v),
            Value::Bool(v) => self.push_bool(v),
            Value::Str(b) => self.push_bytes(b),
            Value::Ip(ip) => self.push_ip(ip),
        }
    }
}

/// Append-only writer for one string value (see [`ValueSink::push_str_with`]). Implements
/// [`std::fmt::Write`], so `write!(w, "{n}")` works.
pub struct ByteWriter<'a>(&'a mut Vec<u8>);

impl ByteWriter<'_> {
    /// Appends bytes.
    pub fn extend(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    /// Appends one byte.
    pub fn push(&mut self, b: u8) {
        self.0.push(b);
    }
}

impl fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.extend(s.as_bytes());
        Ok(())
    }
}

/// Writes extracted values as an output shows them: nothing (returns false) for no value, the
/// first value, or `(a,b,c)` for [`Multiplicity::List`] fields. This is what
/// [`Extractor::render_text`] does by default, for extractors overriding it for some fields.
///
/// ```
/// use falco_engine::{FieldInfo, FieldType, Multiplicity, Values, render_values};
/// let mut vals = Values::new();
/// vals.sink().push_str("a");
/// vals.sink().push_str("b");
/// let mut info = FieldInfo::new("x.words", FieldType::CharBuf, "words");
/// info.multiplicity = Multiplicity::List;
/// let mut out = String::new();
/// assert!(render_values(&vals, &info, &mut out));
/// assert_eq!(out, "(a,b)");
/// ```
pub fn render_values(vals: &Values, info: &FieldInfo, out: &mut String) -> bool {
    use std::fmt::Write;
    if vals.is_empty() {
        return false;
    }
    if info.multiplicity == Multiplicity::List {
        out.push('(');
        for (i, v) in vals.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{v}");
        }
        out.push(')');
    } else {
        let _ = write!(out, "{}", vals.get(0));
    }
    true
}

/// What [`Extractor::render_text`] does unless overridden: extracts `field` and renders its
/// values with [`render_values`]. Overrides that handle some fields themselves call it for
/// the others.
///
/// ```
/// use falco_engine::*;
/// struct Num;
/// struct Ev;
/// impl Event for Ev {
///     fn event_type(&self) -> EventType { EventType(0) }
///     fn timestamp(&self) -> u64 { 0 }
/// }
/// impl Extractor for Num {
///     type Event<'e> = Ev;
///     fn extract(&mut self, _: &Ev, _: &FieldRef, out: &mut ValueSink<'_>) { out.push_u64(7) }
/// }
/// let info = FieldInfo::new("n", FieldType::U64, "");
/// let field = FieldRef { id: FieldId(0), arg: Default::default() };
/// let mut out = String::new();
/// assert!(default_render_text(&mut Num, &Ev, &field, &info, &mut out));
/// assert_eq!(out, "7");
/// ```
pub fn default_render_text<X: Extractor + ?Sized>(
    x: &mut X,
    evt: &X::Event<'_>,
    field: &FieldRef,
    info: &FieldInfo,
    out: &mut String,
) -> bool {
    let mut vals = Values::new();
    x.extract(evt, field, &mut vals.sink());
    render_values(&vals, info, out)
}

/// Extracts field values from the events of one source.
///
/// An extractor is per source thread and owns whatever scratch state or caches it needs.
/// `Event` is the source's event type, which may borrow the inspector's state (thread and fd
/// tables), hence the lifetime.
///
/// ```
/// use falco_engine::{Event, EventType, Extractor, FieldRef, ValueSink, Values};
/// struct Tick { n: u64 }
/// impl Event for Tick {
///     fn event_type(&self) -> EventType { EventType::PLUGIN_EVENT }
///     fn timestamp(&self) -> u64 { 0 }
/// }
/// struct TickFields;
/// impl Extractor for TickFields {
///     type Event<'e> = Tick;
///     fn extract(&mut self, evt: &Tick, _field: &FieldRef, out: &mut ValueSink<'_>) {
///         out.push_u64(evt.n);
///     }
/// }
/// let mut vals = Values::new();
/// let field = FieldRef { id: falco_engine::FieldId(0), arg: Default::default() };
/// TickFields.extract(&Tick { n: 3 }, &field, &mut vals.sink());
/// assert_eq!(vals.get(0), falco_engine::Value::U64(3));
/// ```
pub trait Extractor {
    /// The events this extractor reads.
    type Event<'e>: Event;

    /// Pushes the values of `field` for `evt` into `out`; pushes nothing when the field has no
    /// value for this event. Must only append.
    fn extract(&mut self, evt: &Self::Event<'_>, field: &FieldRef, out: &mut ValueSink<'_>);

    /// Writes the text rendering of `field` (what `%field` prints in an output) into `out` and
    /// returns true, or returns false when the field has no value (the engine prints `<NA>`).
    ///
    /// The default renders the extracted values with [`Value`]'s `Display`: the first value,
    /// or `(a,b,c)` for [`Multiplicity::List`] fields. Override it for fields whose text form is
    /// not their typed value's (libsinsp renders `evt.time`, an absolute time, as a time of
    /// day). Used only when formatting an alert, never while matching.
    fn render_text(
        &mut self,
        evt: &Self::Event<'_>,
        field: &FieldRef,
        info: &FieldInfo,
        out: &mut String,
    ) -> bool {
        default_render_text(self, evt, field, info, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_reuse_storage() {
        let mut v = Values::new();
        for round in 0..3 {
            v.clear();
            let mut s = v.sink();
            s.push_str("hello");
            s.push_i64(-1);
            s.push_bool(true);
            s.push_ip("10.0.0.1".parse().unwrap());
            s.push_bytes(b"\x00\xff");
            assert_eq!(v.len(), 5, "round {round}");
            assert_eq!(v.get(0), Value::Str(b"hello"));
            assert_eq!(v.get(4), Value::Str(b"\x00\xff"));
        }
        let rendered: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        assert_eq!(rendered[..4], ["hello", "-1", "true", "10.0.0.1"]);
    }

    #[test]
    fn writer_formats_in_place() {
        use std::fmt::Write;
        let mut v = Values::new();
        v.sink().push_str("abc");
        let (n, t) = (1, "x");
        v.sink().push_str_with(|w| write!(w, "{n}-{t}").unwrap());
        assert_eq!(v.get(0), Value::Str(b"abc"));
        assert_eq!(v.get(1), Value::Str(b"1-x"));
    }
}
