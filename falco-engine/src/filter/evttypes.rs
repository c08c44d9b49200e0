//! Which event types can a condition match? (libsinsp's `ppm_event_codes`.)
//!
//! The evttype index puts each rule in the buckets of the event types its condition can be true
//! for, so that an event is only checked against rules that could match it. The analysis follows
//! boolean algebra on sets: `and` intersects, `or` unites, checks on `evt.type` with `=`, `!=`
//! and `in` give explicit sets, every other check matches all types. Negations are pushed down to
//! the leaves (De Morgan), where a set is complemented. `evt.num`, always at least 1, lets
//! conditions such as `evt.num = 0` be recognised as matching nothing.

use super::ast::{CmpOp, Expr, ExprKind};
use crate::schema::EventTypeTable;

/// A set of event type codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeSet {
    bits: Vec<u64>,
    universe: usize,
}

impl CodeSet {
    /// The empty set over codes `0..universe`.
    pub fn empty(universe: usize) -> CodeSet {
        CodeSet { bits: vec![0; universe.div_ceil(64)], universe }
    }

    /// Every code in `0..universe`.
    pub fn all(universe: usize) -> CodeSet {
        let mut s = CodeSet::empty(universe);
        for c in 0..universe {
            s.insert(c);
        }
        s
    }

    /// Adds a code (ignored when outside the universe).
    pub fn insert(&mut self, code: usize) {
        if code < self.universe {
            self.bits[code / 64] |= 1 << (code % 64);
        }
    }

    /// True when the code is in the set.
    pub fn contains(&self, code: usize) -> bool {
        code < self.universe && self.bits[code / 64] & (1 << (code % 64)) != 0
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|w| *w == 0)
    }

    /// The codes, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.universe).filter(|c| self.contains(*c))
    }

    fn complement(&self) -> CodeSet {
        let mut s = self.clone();
        for w in &mut s.bits {
            *w = !*w;
        }
        // Clear the bits past the universe.
        let tail = self.universe % 64;
        if tail != 0 {
            if let Some(last) = s.bits.last_mut() {
                *last &= (1u64 << tail) - 1;
            }
        }
        s
    }

    fn intersect(&mut self, o: &CodeSet) {
        for (a, b) in self.bits.iter_mut().zip(&o.bits) {
            *a &= *b;
        }
    }

    fn unite(&mut self, o: &CodeSet) {
        for (a, b) in self.bits.iter_mut().zip(&o.bits) {
            *a |= *b;
        }
    }
}

/// The event types `expr` can match, given the source's event type table.
///
/// ```
/// use falco_engine::{EventType, EventTypeTable};
/// use falco_engine::filter::{evttypes, parse::Parser};
/// let mut t = EventTypeTable::new(10);
/// t.add("open", EventType(2));
/// t.add("open", EventType(3));
/// let e = Parser::new("evt.type = open and proc.name = cat").parse()?;
/// let codes = evttypes::event_codes(&e, &t);
/// assert_eq!(codes.iter().collect::<Vec<_>>(), [2, 3]);
/// let e = Parser::new("not evt.type = open").parse()?;
/// assert_eq!(evttypes::event_codes(&e, &t).len(), 8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn event_codes(expr: &Expr, table: &EventTypeTable) -> CodeSet {
    let mut v = Visitor {
        table,
        universe: table.count() as usize,
        negated: false,
        last: CodeSet::empty(table.count() as usize),
        has_codes: false,
        is_evttype_field: false,
    };
    v.visit(expr);
    v.last
}

struct Visitor<'a> {
    table: &'a EventTypeTable,
    universe: usize,
    negated: bool,
    last: CodeSet,
    /// The last leaf produced a set that depends on event types (invertible).
    has_codes: bool,
    is_evttype_field: bool,
}

enum Invariant {
    Empty,
    All,
    Unknown,
}

/// `evt.num` starts at 1: some comparisons on it are decidable.
fn evt_num_invariant(left: &Expr, op: CmpOp, right: &Expr) -> Invariant {
    let ExprKind::Field { name, arg: None } = &left.kind else {
        return Invariant::Unknown;
    };
    if name != "evt.num" {
        return Invariant::Unknown;
    }
    let parse = |s: &str| -> Option<u64> {
        let t = s.trim_start();
        let (neg, d) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u64 = d.parse().ok()?;
        Some(if neg { v.wrapping_neg() } else { v })
    };
    if op == CmpOp::In {
        let ExprKind::List(vals) = &right.kind else {
            return Invariant::Unknown;
        };
        if vals.is_empty() || vals.iter().all(|v| parse(v) == Some(0)) {
            return Invariant::Empty;
        }
        return Invariant::Unknown;
    }
    let ExprKind::Value(v) = &right.kind else {
        return Invariant::Unknown;
    };
    let Some(n) = parse(v) else {
        return Invariant::Unknown;
    };
    match op {
        CmpOp::Eq if n == 0 => Invariant::Empty,
        CmpOp::Ne if n == 0 => Invariant::All,
        CmpOp::Lt if n <= 1 => Invariant::Empty,
        CmpOp::Le if n == 0 => Invariant::Empty,
        CmpOp::Gt if n == 0 => Invariant::All,
        CmpOp::Ge if n <= 1 => Invariant::All,
        _ => Invariant::Unknown,
    }
}

impl Visitor<'_> {
    fn all(&self) -> CodeSet {
        CodeSet::all(self.universe)
    }

    fn invert(&self, s: &mut CodeSet) {
        if self.has_codes {
            *s = s.complement();
        }
    }

    fn try_invert(&self, s: &mut CodeSet) {
        if self.negated {
            self.invert(s);
        }
    }

    fn names_to_codes<'n>(&self, names: impl Iterator<Item = &'n String>) -> CodeSet {
        let mut s = CodeSet::empty(self.universe);
        for n in names {
            for c in self.table.codes(n).unwrap_or(&[]) {
                s.insert(c.index());
            }
        }
        s
    }

    fn conjunction(&mut self, children: &[Expr]) {
        let mut types = self.all();
        for c in children {
            self.visit(c);
            types.intersect(&self.last);
        }
        self.last = types;
        self.is_evttype_field = false;
    }

    fn disjunction(&mut self, children: &[Expr]) {
        let mut types = CodeSet::empty(self.universe);
        for c in children {
            self.visit(c);
            types.unite(&self.last);
        }
        self.last = types;
        self.is_evttype_field = false;
    }

    fn visit(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::And(c) => {
                if self.negated {
                    self.disjunction(c)
                } else {
                    self.conjunction(c)
                }
            }
            ExprKind::Or(c) => {
                if self.negated {
                    self.conjunction(c)
                } else {
                    self.disjunction(c)
                }
            }
            ExprKind::Not(child) => {
                self.last = CodeSet::empty(self.universe);
                self.negated = !self.negated;
                self.visit(child);
                self.negated = !self.negated;
                self.is_evttype_field = false;
            }
            ExprKind::Binary { left, op, right } => {
                self.has_codes = false;
                match evt_num_invariant(left, op.cmp, right) {
                    Invariant::Empty | Invariant::All => {
                        let empty =
                            matches!(evt_num_invariant(left, op.cmp, right), Invariant::Empty);
                        self.last = if empty { CodeSet::empty(self.universe) } else { self.all() };
                        self.has_codes = true;
                        self.is_evttype_field = false;
                        let mut l = std::mem::replace(&mut self.last, CodeSet::empty(0));
                        self.try_invert(&mut l);
                        self.last = l;
                        return;
                    }
                    Invariant::Unknown => {}
                }
                if op.modifier.is_none() && matches!(op.cmp, CmpOp::Eq | CmpOp::Ne | CmpOp::In) {
                    self.visit(left);
                    if self.is_evttype_field {
                        self.visit(right);
                        if op.cmp == CmpOp::Ne {
                            let mut l = std::mem::replace(&mut self.last, CodeSet::empty(0));
                            self.invert(&mut l);
                            self.last = l;
                        }
                        self.is_evttype_field = false;
                        return;
                    }
                }
                self.last = self.all();
                self.is_evttype_field = false;
                let mut l = std::mem::replace(&mut self.last, CodeSet::empty(0));
                self.try_invert(&mut l);
                self.last = l;
            }
            ExprKind::Unary { left, op } => {
                self.visit(left);
                self.has_codes = self.is_evttype_field && op.cmp == CmpOp::Exists;
                self.last = self.all();
                self.is_evttype_field = false;
                let mut l = std::mem::replace(&mut self.last, CodeSet::empty(0));
                self.try_invert(&mut l);
                self.last = l;
            }
            ExprKind::Identifier(_) => {
                self.has_codes = false;
                self.last = self.all();
                self.is_evttype_field = false;
            }
            ExprKind::Value(v) => {
                self.has_codes = true;
                let mut l = self.names_to_codes(std::iter::once(v));
                self.is_evttype_field = false;
                self.try_invert(&mut l);
                self.last = l;
            }
            ExprKind::List(vals) => {
                self.has_codes = true;
                let mut l = self.names_to_codes(vals.iter());
                self.is_evttype_field = false;
                self.try_invert(&mut l);
                self.last = l;
            }
            ExprKind::Field { name, arg } => {
                self.has_codes = false;
                self.is_evttype_field =
                    (name == "evt.type" || name == "syscall.type") && arg.is_none();
                self.last = self.all();
            }
            ExprKind::Transformer { .. } | ExprKind::TransformerList(_) => {
                // A transformed field (even evt.type) restricts nothing.
                self.has_codes = false;
                self.is_evttype_field = false;
                self.last = self.all();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse::Parser;
    use crate::ids::EventType;

    fn table() -> EventTypeTable {
        let mut t = EventTypeTable::new(200);
        t.add("open", EventType(2));
        t.add("open", EventType(3));
        t.add("execve", EventType(10));
        t.add("execve", EventType(11));
        t.add("connect", EventType(20));
        t
    }

    fn codes(s: &str) -> Vec<usize> {
        let e = Parser::new(s).parse().unwrap();
        let c = event_codes(&e, &table());
        if c.len() > 100 { vec![999] } else { c.iter().collect() }
    }

    #[test]
    fn falco_warning_cases() {
        // From Falco's test_warnings: these match "too many" event types.
        for s in [
            "proc.name = foo",
            "evt.type != execve",
            "not evt.type = execve",
            "evt.type = execve and not proc.name = foo or evt.type != open",
            "(evt.type = execve or evt.type = open) and not evt.type = connect or proc.name = x",
        ] {
            assert_eq!(codes(s), [999], "{s}");
        }
        assert_eq!(codes("evt.type = execve and proc.name = foo"), [10, 11]);
        assert_eq!(codes("evt.type = execve and not evt.type = open"), [10, 11]);
        assert_eq!(codes("evt.type in (execve, open)"), [2, 3, 10, 11]);
        assert_eq!(codes("not (evt.type != execve)"), [10, 11]);
        assert_eq!(codes("evt.type = nosuch"), Vec::<usize>::new());
    }

    #[test]
    fn evt_num_invariants() {
        assert_eq!(codes("evt.num = 0"), Vec::<usize>::new());
        assert_eq!(codes("evt.num > 0"), [999]);
        assert_eq!(codes("not evt.num > 0"), Vec::<usize>::new());
        assert_eq!(codes("evt.num in (0, 0)"), Vec::<usize>::new());
    }
}
