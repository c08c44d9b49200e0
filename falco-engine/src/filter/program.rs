//! Compiled conditions and their evaluation.
//!
//! A [`Program`] is a tree of `and`/`or`/`not` over [`Check`]s. A check names a value slot (a
//! field reference, a constant or a transformer over other slots), an operator and a
//! prebuilt right-hand side (a typed constant, a hash set for `in`, a prefix tree for
//! `pmatch`, compiled globs and regexes, or another slot). Slots are shared by all the rules
//! of a source and their values are extracted lazily, at most once per event, into the
//! per-thread [`Scratch`]; nothing is allocated per event once the scratch is warm.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

use ipnet::IpNet;
use memchr::memmem;

use super::ast::{CmpOp, Modifier};
use super::ops::{Glob, PathPrefixSet, icontains};
use crate::extract::{Extractor, Value, Values};
use crate::schema::{FieldRef, Multiplicity, TypeClass};

/// Index of a value slot in a source's [`SlotTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlotId(pub u32);

/// FxHash-style hasher: fast for the short keys of `in` sets.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            h = (h.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for b in chunks.remainder() {
            h = (h.rotate_left(5) ^ (*b as u64)).wrapping_mul(K);
        }
        self.0 = h;
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// A hash set with [`FastHasher`].
pub type FastSet<T> = HashSet<T, BuildHasherDefault<FastHasher>>;

/// The strings of an `in` list: a hash set behind a mask of the lengths it holds, so most
/// values that are not in the list are turned away without hashing them.
#[derive(Clone, Debug, Default)]
pub struct StrSet {
    /// Bit `n` set if the set holds a string of `n` bytes (bit 63: 63 or more).
    lengths: u64,
    set: FastSet<Box<[u8]>>,
}

impl StrSet {
    /// The set of `items`.
    ///
    /// ```
    /// use falco_engine::filter::program::StrSet;
    /// let long = "x".repeat(100);
    /// let set = StrSet::new([&b""[..], b"sh", long.as_bytes()]);
    /// assert!(set.contains(b"") && set.contains(b"sh") && set.contains(long.as_bytes()));
    /// // Same length as a member, or past the mask's last bit: still a real lookup.
    /// assert!(!set.contains(b"ls") && !set.contains("y".repeat(100).as_bytes()));
    /// assert!(!set.contains(b"bash"));
    /// assert_eq!(set.len(), 3);
    /// ```
    pub fn new<'a>(items: impl IntoIterator<Item = &'a [u8]>) -> StrSet {
        let mut s = StrSet::default();
        for i in items {
            s.lengths |= Self::bit(i.len());
            s.set.insert(i.into());
        }
        s
    }

    fn bit(len: usize) -> u64 {
        1 << len.min(63)
    }

    /// True if `s` is in the set.
    #[inline]
    pub fn contains(&self, s: &[u8]) -> bool {
        self.lengths & Self::bit(s.len()) != 0 && self.set.contains(s)
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// The transformers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transform {
    /// `tolower`
    ToLower,
    /// `toupper`
    ToUpper,
    /// `b64` (decodes base64)
    B64,
    /// `basename`
    Basename,
    /// `len`
    Len,
    /// `join(sep, list)`
    Join,
    /// `concat(a, b, ...)`
    Concat,
    /// `getopt(args, optstring)[opt]`
    Getopt,
}

/// How a slot's values are produced.
#[derive(Clone, Debug)]
pub enum SlotDef {
    /// Extracted from the event.
    Field(FieldRef),
    /// Constant values (a transformer's literal argument or list).
    Const(Vec<Box<[u8]>>),
    /// The values of several slots, in order (a transformer list argument).
    List(Vec<SlotId>),
    /// A transformer over argument slots.
    Transform {
        /// Which one.
        kind: Transform,
        /// Its arguments.
        args: Vec<SlotId>,
        /// `getopt(...)[x]`: the selected option.
        select: Option<u8>,
        /// Whether the input of a `len` is a list (length = number of values).
        input_is_list: bool,
    },
}

/// The value slots of one source: every distinct field or transformer expression used by its
/// rules and outputs, extracted at most once per event.
#[derive(Clone, Debug, Default)]
pub struct SlotTable {
    pub(crate) defs: Vec<SlotDef>,
    pub(crate) by_key: std::collections::HashMap<String, SlotId>,
    /// Distinct checks: the same check in several rules (macros expand into many) is stored
    /// once and evaluated once per event.
    pub(crate) checks: Vec<Check>,
    pub(crate) check_ids: std::collections::HashMap<String, u32>,
}

impl SlotTable {
    /// Interns a slot under its canonical text.
    pub fn intern(&mut self, key: String, def: SlotDef) -> SlotId {
        if let Some(id) = self.by_key.get(&key) {
            return *id;
        }
        let id = SlotId(self.defs.len() as u32);
        self.defs.push(def);
        self.by_key.insert(key, id);
        id
    }

    /// Interns a check under its canonical text; returns its id.
    pub fn intern_check(&mut self, key: String, check: impl FnOnce() -> Check) -> u32 {
        if let Some(id) = self.check_ids.get(&key) {
            return *id;
        }
        let id = self.checks.len() as u32;
        self.checks.push(check());
        self.check_ids.insert(key, id);
        id
    }

    /// Number of distinct checks.
    pub fn check_count(&self) -> usize {
        self.checks.len()
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }
}

/// A typed constant.
#[derive(Clone, Debug)]
pub enum Const {
    /// Unsigned number.
    U(u64),
    /// Signed number.
    I(i64),
    /// Floating point.
    F(f64),
    /// Boolean.
    B(bool),
    /// String or bytes.
    Bytes(Box<[u8]>),
    /// An IP address.
    Ip(IpAddr),
    /// An IP network.
    Net(IpNet),
}

/// The prebuilt right-hand side of a check.
#[derive(Clone, Debug)]
pub enum Rhs {
    /// `exists`: nothing.
    None,
    /// One constant.
    Single(Const),
    /// `contains`: a prebuilt substring finder.
    Finder(Box<memmem::Finder<'static>>),
    /// `icontains`: the lowercase needle.
    Lower(Box<[u8]>),
    /// `glob`/`iglob`.
    Glob(Glob),
    /// `regex`.
    Regex(Box<regex::bytes::Regex>),
    /// `in`/`intersects` on strings.
    StrSet(Box<StrSet>),
    /// `in`/`intersects` on numbers (stored as their 64-bit pattern) and booleans.
    NumSet(FastSet<u64>),
    /// `in`/`intersects` on addresses and networks, and modifiers: compared one by one.
    Many(Vec<Const>),
    /// Modifier over globs.
    Globs(Vec<Glob>),
    /// Modifier over regexes.
    Regexes(Vec<regex::bytes::Regex>),
    /// `pmatch`.
    Prefixes(PathPrefixSet),
    /// Another field (`val(...)` or a transformer).
    Slot(SlotId),
    /// `evt.type =/!=/in` names whose event type codes are their own: decided from the
    /// event's type code (a bitset), without extracting the name.
    Codes(Box<[u64]>),
}

/// One comparison.
#[derive(Clone, Debug)]
pub struct Check {
    /// The left-hand value.
    pub lhs: SlotId,
    /// How the left-hand values compare.
    pub class: TypeClass,
    /// How several left-hand values combine.
    pub multiplicity: Multiplicity,
    /// The operator.
    pub cmp: CmpOp,
    /// Its modifier.
    pub modifier: Option<Modifier>,
    /// The right-hand side.
    pub rhs: Rhs,
}

/// Where evaluation goes when the condition is decided true.
pub const PC_TRUE: u32 = u32::MAX;
/// Where evaluation goes when the condition is decided false.
pub const PC_FALSE: u32 = u32::MAX - 1;

/// One step of a compiled condition: evaluate a check, then continue at `on_true` or
/// `on_false` (another step, or [`PC_TRUE`]/[`PC_FALSE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instr {
    /// The check, an index into the source's checks.
    pub check: u32,
    /// Next step when it holds.
    pub on_true: u32,
    /// Next step when it does not.
    pub on_false: u32,
}

/// A compiled condition: `and`, `or` and `not` are compiled away into jumps (short-circuit
/// evaluation as a flat sequence of steps), so evaluating a condition is a loop over a small
/// contiguous array, with no recursion.
#[derive(Clone, Debug)]
pub struct Program {
    pub(crate) code: Vec<Instr>,
    pub(crate) entry: u32,
}

/// Per-thread evaluation state: the values extracted for the current event, per slot.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) values: Values,
    epoch: u32,
    slot_epoch: Vec<u32>,
    slot_range: Vec<(u32, u32)>,
    /// Per check: `epoch << 1 | result` of its last evaluation (one load to test and read).
    check_state: Vec<u32>,
    tmp: Vec<u8>,
    tmp_spans: Vec<(u32, u32)>,
}

impl Scratch {
    /// Starts a new event: forgets cached values and check results (in O(1)) and sizes the
    /// caches for `table`.
    pub fn begin_event(&mut self, table: &SlotTable) {
        let (slots, checks) = (table.len(), table.check_count());
        if self.slot_epoch.len() < slots {
            self.slot_epoch.resize(slots, 0);
            self.slot_range.resize(slots, (0, 0));
        }
        if self.check_state.len() < checks {
            self.check_state.resize(checks, 0);
        }
        self.epoch += 1;
        // Check states hold `epoch << 1`: start over before that wraps.
        if self.epoch == 1 << 31 {
            self.slot_epoch.iter_mut().for_each(|e| *e = 0);
            self.check_state.iter_mut().for_each(|e| *e = 0);
            self.epoch = 1;
        }
        self.values.clear();
    }

    /// The values of `slot` for the current event, extracting them if needed.
    pub fn slot<X: Extractor>(
        &mut self,
        table: &SlotTable,
        slot: SlotId,
        evt: &X::Event<'_>,
        x: &mut X,
    ) -> (usize, usize) {
        let i = slot.0 as usize;
        if self.slot_epoch[i] == self.epoch {
            let (a, b) = self.slot_range[i];
            return (a as usize, b as usize);
        }
        let range = match &table.defs[i] {
            SlotDef::Field(f) => {
                let start = self.values.len();
                x.extract(evt, f, &mut self.values.sink());
                (start, self.values.len())
            }
            SlotDef::Const(vals) => {
                let start = self.values.len();
                let mut sink = self.values.sink();
                for v in vals {
                    sink.push_bytes(v);
                }
                (start, self.values.len())
            }
            SlotDef::List(items) => {
                // Evaluate the items first, then copy their values next to each other.
                let mut spans = std::mem::take(&mut self.tmp_spans);
                spans.clear();
                for s in items {
                    let (a, b) = self.slot(table, *s, evt, x);
                    spans.push((a as u32, b as u32));
                }
                let start = self.values.len();
                for (a, b) in spans.iter() {
                    for k in *a..*b {
                        let v = owned(self.values.get(k as usize), &mut self.tmp);
                        push_owned(&mut self.values, v, &self.tmp);
                    }
                }
                self.tmp_spans = spans;
                (start, self.values.len())
            }
            SlotDef::Transform { kind, args, select, input_is_list } => {
                let mut spans = [(0usize, 0usize); 8];
                let n = args.len().min(8);
                for (k, s) in args.iter().take(n).enumerate() {
                    spans[k] = self.slot(table, *s, evt, x);
                }
                let start = self.values.len();
                self.transform(*kind, &spans[..n], *select, *input_is_list);
                (start, self.values.len())
            }
        };
        self.slot_epoch[i] = self.epoch;
        self.slot_range[i] = (range.0 as u32, range.1 as u32);
        range
    }

    fn transform(
        &mut self,
        kind: Transform,
        args: &[(usize, usize)],
        select: Option<u8>,
        list: bool,
    ) {
        let (a, b) = args[0];
        match kind {
            Transform::ToLower | Transform::ToUpper | Transform::Basename | Transform::B64 => {
                for k in a..b {
                    self.tmp.clear();
                    let Value::Str(s) = self.values.get(k) else {
                        continue;
                    };
                    let s = strip_nuls(s);
                    match kind {
                        Transform::ToLower => self.tmp.extend(s.iter().map(u8::to_ascii_lowercase)),
                        Transform::ToUpper => self.tmp.extend(s.iter().map(u8::to_ascii_uppercase)),
                        Transform::Basename => {
                            let start = s.iter().rposition(|c| *c == b'/').map_or(0, |p| p + 1);
                            self.tmp.extend_from_slice(&s[start..]);
                        }
                        _ => {
                            use base64::Engine;
                            use base64::engine::{
                                DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig,
                            };
                            let cfg = GeneralPurposeConfig::new()
                                .with_decode_padding_mode(DecodePaddingMode::Indifferent);
                            match GeneralPurpose::new(&base64::alphabet::STANDARD, cfg).decode(s) {
                                Ok(d) => self.tmp.extend_from_slice(&d),
                                // libsinsp: a failed decode makes the extraction fail.
                                Err(_) => return,
                            }
                        }
                    }
                    let tmp = std::mem::take(&mut self.tmp);
                    self.values.sink().push_bytes(&tmp);
                    self.tmp = tmp;
                }
            }
            Transform::Len => {
                if list {
                    if b > a {
                        self.values.sink().push_u64((b - a) as u64);
                    }
                } else if b > a {
                    let n = match self.values.get(a) {
                        Value::Str(s) => strip_nuls(s).len(),
                        _ => 0,
                    };
                    self.values.sink().push_u64(n as u64);
                }
            }
            Transform::Join => {
                let (la, lb) = args[1];
                if b == a || lb == la {
                    return;
                }
                self.tmp.clear();
                let sep = match self.values.get(a) {
                    Value::Str(s) => s.to_vec(),
                    v => v.to_string().into_bytes(),
                };
                for k in la..lb {
                    if k > la {
                        self.tmp.extend_from_slice(&sep);
                    }
                    append_text(&mut self.tmp, self.values.get(k));
                }
                let tmp = std::mem::take(&mut self.tmp);
                self.values.sink().push_bytes(&tmp);
                self.tmp = tmp;
            }
            Transform::Concat => {
                self.tmp.clear();
                for (x, y) in args {
                    if y == x {
                        return;
                    }
                    append_text(&mut self.tmp, self.values.get(*x));
                }
                let tmp = std::mem::take(&mut self.tmp);
                self.values.sink().push_bytes(&tmp);
                self.tmp = tmp;
            }
            Transform::Getopt => self.getopt(args, select),
        }
    }

    fn getopt(&mut self, args: &[(usize, usize)], select: Option<u8>) {
        let (a, b) = args[0];
        let (oa, ob) = args[1];
        if ob == oa {
            return;
        }
        let optstring: Vec<u8> = match self.values.get(oa) {
            Value::Str(s) => s.to_vec(),
            _ => return,
        };
        let colon_first = optstring.first() == Some(&b':');
        let mut valid = [false; 256];
        let mut with_arg = [false; 256];
        let mut i = usize::from(colon_first);
        while i < optstring.len() {
            let o = optstring[i];
            if o != b':' {
                valid[o as usize] = true;
                if optstring.get(i + 1) == Some(&b':') {
                    with_arg[o as usize] = true;
                    i += 1;
                }
            }
            i += 1;
        }
        let argv: Vec<Vec<u8>> = (a..b)
            .map(|k| match self.values.get(k) {
                Value::Str(s) => s.to_vec(),
                v => v.to_string().into_bytes(),
            })
            .collect();
        let mut results: Vec<Vec<u8>> = Vec::new();
        let mut selected: Option<Vec<u8>> = None;
        let mut idx = 0;
        'outer: while idx < argv.len() {
            let arg = &argv[idx];
            if arg.as_slice() == b"--" {
                break;
            }
            if arg.len() > 2 && arg[0] == b'-' && arg[1] == b'-' {
                idx += 1;
                continue;
            }
            if arg.is_empty() || arg[0] != b'-' || arg.len() == 1 {
                break;
            }
            let mut j = 1;
            while j < arg.len() {
                let opt = arg[j];
                if opt == b':' || !valid[opt as usize] {
                    if select.is_none() {
                        results.push(b"?".to_vec());
                    }
                    j += 1;
                    continue;
                }
                let matches = select.is_none_or(|s| s == opt);
                let name = vec![opt];
                if !with_arg[opt as usize] {
                    if matches {
                        match select {
                            Some(_) => selected = Some(name),
                            None => results.push(name),
                        }
                    }
                    j += 1;
                    continue;
                }
                let value = if j + 1 < arg.len() {
                    Some(arg[j + 1..].to_vec())
                } else if idx + 1 < argv.len() {
                    idx += 1;
                    Some(argv[idx].clone())
                } else {
                    None
                };
                if matches {
                    match (select, value) {
                        (Some(_), v) => selected = Some(v.unwrap_or_default()),
                        (None, Some(v)) => {
                            results.push(name);
                            results.push(v);
                        }
                        (None, None) => results.push(Vec::new()),
                    }
                }
                idx += 1;
                continue 'outer;
            }
            idx += 1;
        }
        let mut sink = self.values.sink();
        match select {
            Some(_) => {
                if let Some(v) = selected {
                    sink.push_bytes(&v);
                }
            }
            None => results.iter().for_each(|r| sink.push_bytes(r)),
        }
    }
}

fn strip_nuls(s: &[u8]) -> &[u8] {
    let mut n = s.len();
    while n > 0 && s[n - 1] == 0 {
        n -= 1;
    }
    &s[..n]
}

fn append_text(buf: &mut Vec<u8>, v: Value<'_>) {
    match v {
        // Values are C strings in libsinsp: they end at the first NUL.
        Value::Str(s) => buf.extend_from_slice(s.split(|b| *b == 0).next().unwrap_or(&[])),
        other => buf.extend_from_slice(other.to_string().as_bytes()),
    }
}

/// A value copied out of the buffer (strings into `tmp`), so it can be pushed back.
enum Owned {
    V(Value<'static>),
    S,
}

fn owned(v: Value<'_>, tmp: &mut Vec<u8>) -> Owned {
    match v {
        Value::Str(s) => {
            tmp.clear();
            tmp.extend_from_slice(s);
            Owned::S
        }
        Value::U64(x) => Owned::V(Value::U64(x)),
        Value::I64(x) => Owned::V(Value::I64(x)),
        Value::Double(x) => Owned::V(Value::Double(x)),
        Value::Bool(x) => Owned::V(Value::Bool(x)),
        Value::Ip(x) => Owned::V(Value::Ip(x)),
    }
}

fn push_owned(values: &mut Values, v: Owned, tmp: &[u8]) {
    match v {
        Owned::V(v) => values.sink().push(v),
        Owned::S => values.sink().push_bytes(tmp),
    }
}

fn as_u64(v: Value<'_>) -> Option<u64> {
    match v {
        Value::U64(x) => Some(x),
        Value::I64(x) => Some(x as u64),
        Value::Bool(b) => Some(b as u64),
        Value::Double(d) => Some(d as u64),
        _ => None,
    }
}

fn as_i64(v: Value<'_>) -> Option<i64> {
    match v {
        Value::I64(x) => Some(x),
        Value::U64(x) => Some(x as i64),
        Value::Double(d) => Some(d as i64),
        _ => None,
    }
}

fn ord_holds(cmp: CmpOp, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match cmp {
        CmpOp::Eq | CmpOp::In | CmpOp::Intersects => o == Equal,
        CmpOp::Ne => o != Equal,
        CmpOp::Lt => o == Less,
        CmpOp::Le => o != Greater,
        CmpOp::Gt => o == Greater,
        CmpOp::Ge => o != Less,
        _ => false,
    }
}

/// Compares a value with a constant under an operator (no sets, no modifiers).
fn cmp_const(cmp: CmpOp, v: Value<'_>, c: &Const) -> bool {
    match c {
        Const::U(k) => as_u64(v).is_some_and(|x| ord_holds(cmp, x.cmp(k))),
        Const::I(k) => as_i64(v).is_some_and(|x| ord_holds(cmp, x.cmp(k))),
        Const::F(k) => match v {
            Value::Double(x) => x.partial_cmp(k).is_some_and(|o| ord_holds(cmp, o)),
            other => as_i64(other)
                .is_some_and(|x| (x as f64).partial_cmp(k).is_some_and(|o| ord_holds(cmp, o))),
        },
        Const::B(k) => match v {
            Value::Bool(x) => ord_holds(cmp, x.cmp(k)),
            other => as_u64(other).is_some_and(|x| ord_holds(cmp, (x != 0).cmp(k))),
        },
        Const::Bytes(k) => match v {
            Value::Str(s) => cmp_bytes(cmp, s, k),
            _ => false,
        },
        Const::Ip(k) => match v {
            Value::Ip(x) => {
                let eq = x == *k;
                if cmp == CmpOp::Ne { !eq } else { eq }
            }
            _ => false,
        },
        Const::Net(n) => match v {
            Value::Ip(x) => {
                let inside = n.contains(&x);
                if cmp == CmpOp::Ne { !inside } else { inside }
            }
            _ => false,
        },
    }
}

fn cmp_bytes(cmp: CmpOp, s: &[u8], k: &[u8]) -> bool {
    match cmp {
        CmpOp::Contains | CmpOp::BContains => memmem::find(s, k).is_some(),
        CmpOp::IContains => icontains(s, &k.to_ascii_lowercase()),
        CmpOp::StartsWith | CmpOp::BStartsWith => s.starts_with(k),
        CmpOp::EndsWith => s.ends_with(k),
        CmpOp::Glob => Glob::new(k, false).matches(s),
        CmpOp::IGlob => Glob::new(k, true).matches(s),
        CmpOp::PMatch => {
            let mut p = PathPrefixSet::default();
            p.add(k);
            p.matches(s)
        }
        _ => ord_holds(cmp, s.cmp(k)),
    }
}

fn num_key(v: Value<'_>) -> Option<u64> {
    match v {
        Value::U64(x) => Some(x),
        Value::I64(x) => Some(x as u64),
        Value::Bool(b) => Some(b as u64),
        _ => None,
    }
}

impl Check {
    /// Whether one left-hand value satisfies this check's operator and right-hand side.
    fn one(&self, v: Value<'_>, rhs_vals: Option<(&Values, usize, usize)>) -> bool {
        match &self.rhs {
            Rhs::None => true,
            Rhs::Single(c) => cmp_const(self.cmp, v, c),
            Rhs::Finder(f) => matches!(v, Value::Str(s) if f.find(s).is_some()),
            Rhs::Lower(n) => matches!(v, Value::Str(s) if icontains(s, n)),
            Rhs::Glob(g) => matches!(v, Value::Str(s) if g.matches(s)),
            Rhs::Regex(r) => matches!(v, Value::Str(s) if r.is_match(s)),
            Rhs::StrSet(set) => matches!(v, Value::Str(s) if set.contains(s)),
            Rhs::NumSet(set) => num_key(v).is_some_and(|k| set.contains(&k)),
            Rhs::Prefixes(p) => matches!(v, Value::Str(s) if p.matches(s)),
            Rhs::Many(cs) => self.many(cs.len(), |i, op| cmp_const(op, v, &cs[i])),
            Rhs::Globs(gs) => {
                self.many(gs.len(), |i, _| matches!(v, Value::Str(s) if gs[i].matches(s)))
            }
            Rhs::Regexes(rs) => {
                self.many(rs.len(), |i, _| matches!(v, Value::Str(s) if rs[i].is_match(s)))
            }
            Rhs::Codes(_) => false,
            Rhs::Slot(_) => {
                let Some((vals, a, b)) = rhs_vals else {
                    return false;
                };
                if b == a {
                    return false;
                }
                match self.cmp {
                    CmpOp::In | CmpOp::Intersects => (a..b).any(|k| values_equal(v, vals.get(k))),
                    cmp => cmp_values(cmp, v, vals.get(a)),
                }
            }
        }
    }

    /// Applies the modifier (or plain `in`/`intersects`) over `n` right-hand items.
    fn many(&self, n: usize, item: impl Fn(usize, CmpOp) -> bool) -> bool {
        let base = match self.cmp {
            CmpOp::In | CmpOp::Intersects => CmpOp::Eq,
            c => c,
        };
        match self.modifier {
            None | Some(Modifier::AnyOf) => (0..n).any(|i| item(i, base)),
            Some(Modifier::AllOf) => n > 0 && (0..n).all(|i| item(i, base)),
            Some(Modifier::OneOf) => (0..n).filter(|i| item(*i, base)).take(2).count() == 1,
        }
    }

    #[inline(always)]
    fn eval<X: Extractor>(
        &self,
        id: u32,
        table: &SlotTable,
        s: &mut Scratch,
        evt: &X::Event<'_>,
        x: &mut X,
    ) -> bool {
        let m = id as usize;
        let tag = s.epoch << 1;
        let state = s.check_state[m];
        if state & !1 == tag {
            return state & 1 != 0;
        }
        let v = self.eval_uncached(table, s, evt, x);
        s.check_state[m] = tag | u32::from(v);
        v
    }

    /// The result of this check for events of type `t`, if the type alone decides it (an
    /// `evt.type` comparison compiled to a set of codes).
    pub fn decided_by_type(&self, t: usize) -> Option<bool> {
        let Rhs::Codes(bits) = &self.rhs else { return None };
        let hit = bits.get(t / 64).is_some_and(|w| w & (1 << (t % 64)) != 0);
        Some(if self.cmp == CmpOp::Ne { !hit } else { hit })
    }

    #[inline(never)]
    fn eval_uncached<X: Extractor>(
        &self,
        table: &SlotTable,
        s: &mut Scratch,
        evt: &X::Event<'_>,
        x: &mut X,
    ) -> bool {
        if let Rhs::Codes(_) = &self.rhs {
            use crate::event::Event;
            return self.decided_by_type(evt.event_type().index()).unwrap_or(false);
        }
        let (a, b) = s.slot(table, self.lhs, evt, x);
        if a == b {
            return false;
        }
        if self.cmp == CmpOp::Exists {
            return true;
        }
        let rhs = match self.rhs {
            Rhs::Slot(r) => Some(s.slot(table, r, evt, x)),
            _ => None,
        };
        let vals = &s.values;
        let rv = rhs.map(|(ra, rb)| (vals, ra, rb));
        match self.multiplicity {
            Multiplicity::One => self.one(vals.get(a), rv),
            Multiplicity::Any => (a..b).any(|k| self.one(vals.get(k), rv)),
            Multiplicity::EitherEnd => {
                if self.cmp == CmpOp::Ne {
                    (a..b).all(|k| self.one(vals.get(k), rv))
                } else {
                    (a..b).any(|k| self.one(vals.get(k), rv))
                }
            }
            Multiplicity::List => match self.cmp {
                CmpOp::In => (a..b).all(|k| self.one(vals.get(k), rv)),
                _ => (a..b).any(|k| self.one(vals.get(k), rv)),
            },
        }
    }
}

fn values_equal(a: Value<'_>, b: Value<'_>) -> bool {
    cmp_values(CmpOp::Eq, a, b)
}

fn cmp_values(cmp: CmpOp, a: Value<'_>, b: Value<'_>) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => cmp_bytes(cmp, x, y),
        (Value::Ip(x), Value::Ip(y)) => {
            let eq = x == y;
            if cmp == CmpOp::Ne { !eq } else { eq }
        }
        (Value::Double(x), Value::Double(y)) => {
            x.partial_cmp(&y).is_some_and(|o| ord_holds(cmp, o))
        }
        (Value::Bool(x), Value::Bool(y)) => ord_holds(cmp, x.cmp(&y)),
        (Value::I64(x), y) => as_i64(y).is_some_and(|y| ord_holds(cmp, x.cmp(&y))),
        (x, Value::I64(y)) => as_i64(x).is_some_and(|x| ord_holds(cmp, x.cmp(&y))),
        (x, y) => match (as_u64(x), as_u64(y)) {
            (Some(x), Some(y)) => ord_holds(cmp, x.cmp(&y)),
            _ => false,
        },
    }
}

/// Runs jump code from `pc` until it reaches [`PC_TRUE`] or [`PC_FALSE`].
#[inline]
fn run_code<X: Extractor>(
    code: &[Instr],
    mut pc: u32,
    table: &SlotTable,
    scratch: &mut Scratch,
    evt: &X::Event<'_>,
    x: &mut X,
) -> bool {
    loop {
        match pc {
            PC_TRUE => return true,
            PC_FALSE => return false,
            _ => {}
        }
        let ins = code[pc as usize];
        let check = &table.checks[ins.check as usize];
        pc = if check.eval(ins.check, table, scratch, evt, x) { ins.on_true } else { ins.on_false };
    }
}

impl Program {
    /// Evaluates the condition for the current event. `scratch` must have been started for
    /// this event with [`Scratch::begin_event`].
    pub fn eval<X: Extractor>(
        &self,
        table: &SlotTable,
        scratch: &mut Scratch,
        evt: &X::Event<'_>,
        x: &mut X,
    ) -> bool {
        run_code(&self.code, self.entry, table, scratch, evt, x)
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// True for a condition without checks (never produced by the compiler).
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }
}

/// The programs of all the rules of a source in one contiguous code array, so that an event
/// meeting several rules walks one small block of memory instead of one allocation per rule.
///
/// A program may also be specialized for one event type ([`CodeArena::specialize`]): its
/// `evt.type` checks are decided in advance and compiled away, so the rules an event meets
/// through the evttype index run only the checks its type leaves open.
#[derive(Clone, Debug, Default)]
pub struct CodeArena {
    code: Vec<Instr>,
    entries: Vec<u32>,
    /// Specialized copies, by (program, event type), deduplicated by content.
    specialized: std::collections::HashMap<(u32, u16), u32>,
    copies: std::collections::HashMap<Vec<Instr>, u32>,
}

impl CodeArena {
    /// Lays out `programs` one after the other (jump targets relocated); program `i` is then
    /// evaluated with [`CodeArena::eval`]`(i, ...)`.
    pub fn new<'a>(programs: impl IntoIterator<Item = &'a Program>) -> CodeArena {
        let mut arena = CodeArena::default();
        for p in programs {
            let base = arena.code.len() as u32;
            let reloc = |pc: u32| if pc == PC_TRUE || pc == PC_FALSE { pc } else { pc + base };
            arena.code.extend(p.code.iter().map(|i| Instr {
                check: i.check,
                on_true: reloc(i.on_true),
                on_false: reloc(i.on_false),
            }));
            arena.entries.push(reloc(p.entry));
        }
        arena
    }

    /// The entry of program `i` (evaluated with [`CodeArena::eval_at`]).
    pub fn entry(&self, i: usize) -> u32 {
        self.entries.get(i).copied().unwrap_or(PC_FALSE)
    }

    /// The entry of program `i` specialized for events of type `t`: every check the type alone
    /// decides is replaced by the jump it would take. Returns a constant [`PC_TRUE`] or
    /// [`PC_FALSE`] when the type decides the whole condition.
    pub fn specialize(&mut self, i: usize, t: u16, table: &SlotTable) -> u32 {
        let Some(&entry) = self.entries.get(i) else { return PC_FALSE };
        if let Some(&pc) = self.specialized.get(&(i as u32, t)) {
            return pc;
        }
        let decided = |pc: u32, code: &[Instr]| -> Option<bool> {
            let ins = code.get(pc as usize)?;
            table.checks.get(ins.check as usize)?.decided_by_type(t as usize)
        };
        // Follows decided checks from `pc` to the first open one (or a verdict).
        let resolve = |mut pc: u32, code: &[Instr]| -> u32 {
            while pc != PC_TRUE && pc != PC_FALSE {
                match decided(pc, code) {
                    Some(v) => {
                        let ins = code[pc as usize];
                        pc = if v { ins.on_true } else { ins.on_false };
                    }
                    None => break,
                }
            }
            pc
        };
        // Copy the open checks reachable from the entry, in order, with resolved jumps.
        let start = resolve(entry, &self.code);
        let mut order: Vec<u32> = Vec::new();
        let mut stack = vec![start];
        while let Some(pc) = stack.pop() {
            if pc == PC_TRUE || pc == PC_FALSE || order.contains(&pc) {
                continue;
            }
            order.push(pc);
            let ins = self.code[pc as usize];
            stack.push(resolve(ins.on_false, &self.code));
            stack.push(resolve(ins.on_true, &self.code));
        }
        let local = |pc: u32| -> u32 {
            if pc == PC_TRUE || pc == PC_FALSE {
                pc
            } else {
                order.iter().position(|x| *x == pc).map_or(PC_FALSE, |p| p as u32)
            }
        };
        let copy: Vec<Instr> = order
            .iter()
            .map(|&pc| {
                let ins = self.code[pc as usize];
                Instr {
                    check: ins.check,
                    on_true: local(resolve(ins.on_true, &self.code)),
                    on_false: local(resolve(ins.on_false, &self.code)),
                }
            })
            .collect();
        let pc = if copy.is_empty() {
            start
        } else if let Some(&base) = self.copies.get(&copy) {
            base
        } else {
            let base = self.code.len() as u32;
            let reloc = |pc: u32| if pc == PC_TRUE || pc == PC_FALSE { pc } else { pc + base };
            self.code.extend(copy.iter().map(|i| Instr {
                check: i.check,
                on_true: reloc(i.on_true),
                on_false: reloc(i.on_false),
            }));
            self.copies.insert(copy, base);
            base
        };
        self.specialized.insert((i as u32, t), pc);
        pc
    }

    /// Evaluates program `i` for the current event (see [`Program::eval`]).
    #[inline]
    pub fn eval<X: Extractor>(
        &self,
        i: usize,
        table: &SlotTable,
        scratch: &mut Scratch,
        evt: &X::Event<'_>,
        x: &mut X,
    ) -> bool {
        self.eval_at(self.entry(i), table, scratch, evt, x)
    }

    /// Evaluates the code at `pc` (an [`entry`](CodeArena::entry) or a
    /// [`specialized`](CodeArena::specialize) entry) for the current event.
    #[inline]
    pub fn eval_at<X: Extractor>(
        &self,
        pc: u32,
        table: &SlotTable,
        scratch: &mut Scratch,
        evt: &X::Event<'_>,
        x: &mut X,
    ) -> bool {
        run_code(&self.code, pc, table, scratch, evt, x)
    }
}
