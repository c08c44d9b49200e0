//! Resolves a condition AST against a source's [`Schema`] into a typed [`Program`].
//!
//! Fields become [`FieldRef`]s interned in the source's [`SlotTable`]; constants are parsed
//! into the left-hand field's type (numbers as libsinsp's `sscanf` parses them, addresses,
//! networks, booleans); `in`/`intersects` lists become hash sets, `pmatch` lists prefix trees,
//! globs and regexes are compiled once. Errors and warnings use libsinsp's messages. Nothing
//! after this module sees condition text.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use super::ast::{CmpOp, Expr, ExprKind, Op, Pos};
use super::ops::{self, Glob, PathPrefixSet};
use super::parse::{Parser, supported_transformers};
use super::program::{
    Check, Const, FastSet, Instr, PC_FALSE, PC_TRUE, Program, Rhs, SlotDef, SlotId, SlotTable,
    StrSet, Transform,
};
use crate::schema::{FieldArg, FieldInfo, FieldRef, FieldType, Multiplicity, Schema, TypeClass};

/// A compile error: libsinsp's message and the position of the offending node.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    /// The message.
    pub message: String,
    /// Where.
    pub pos: Pos,
}

/// The type of a value expression.
#[derive(Clone, Debug)]
pub struct ValType {
    /// Its type.
    pub ftype: FieldType,
    /// Several values that form a list (`EPF_IS_LIST`).
    pub list: bool,
    /// How several values combine in comparisons.
    pub multiplicity: Multiplicity,
    /// Its name, for messages (`proc.name`, or the transformer text).
    pub name: String,
    /// May not be compared with another field.
    pub no_rhs: bool,
    /// Filter only (cannot be printed).
    pub filter_only: bool,
}

fn err<T>(message: impl Into<String>, pos: Pos) -> Result<T, CompileError> {
    Err(CompileError { message: message.into(), pos })
}

/// Resolves `name` (possibly with a dotted argument, `evt.arg.fd`) and an optional bracketed
/// argument into a field reference, with libsinsp's "nonexistent field" error.
pub fn resolve_field<'s>(
    schema: &'s Schema,
    name: &str,
    arg: Option<&str>,
) -> Result<(FieldRef, &'s FieldInfo), String> {
    let full = match arg {
        Some(a) => format!("{name}[{a}]"),
        None => name.to_string(),
    };
    let nonexistent = || format!("filter_check called with nonexistent field {full}");
    let (id, len) = schema.resolve_prefix(name).ok_or_else(nonexistent)?;
    let info = schema.field(id);
    let rest = &name[len..];
    let arg_text: Option<&str> = match (rest, arg) {
        ("", a) => a,
        (r, None) if r.starts_with('.') && info.arg.accepts_arg() => Some(&r[1..]),
        _ => return Err(nonexistent()),
    };
    let fa = match arg_text {
        None => {
            if info.arg.required {
                return Err(format!("filter error: field '{}' requires an argument", info.name));
            }
            FieldArg::None
        }
        Some(a) => {
            if !info.arg.accepts_arg() {
                return Err(format!(
                    "filter error: field '{}' does not accept an argument",
                    info.name
                ));
            }
            let numeric = !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit());
            if info.arg.index && numeric {
                FieldArg::Index(a.parse().map_err(|_| {
                    format!("filter error: invalid argument '{a}' for field '{}'", info.name)
                })?)
            } else if info.arg.key && !a.is_empty() {
                FieldArg::Key(a.into())
            } else {
                return Err(format!(
                    "filter error: invalid argument '{a}' for field '{}'",
                    info.name
                ));
            }
        }
    };
    Ok((FieldRef { id, arg: fa }, info))
}

/// True when `text` is a field (or transformer over fields) usable on the left of a
/// comparison, as exception `fields` must be.
pub fn is_valid_lhs_field(schema: &Schema, text: &str) -> bool {
    let mut slots = SlotTable::default();
    if text.contains('(') {
        let cond = format!("{text} exists");
        return match Parser::new(&cond).parse() {
            Ok(e) => Compiler::new(schema, &mut slots).compile(&e).is_ok(),
            Err(_) => false,
        };
    }
    let mut p = Parser::new(text);
    match p.parse_field_or_transformer() {
        Ok(e) if p.pos().idx as usize == text.len() => {
            Compiler::new(schema, &mut slots).value_expr(&e).is_ok()
        }
        _ => false,
    }
}

/// Turns ASTs into programs for one source.
pub struct Compiler<'a> {
    schema: &'a Schema,
    slots: &'a mut SlotTable,
    /// Warnings found while compiling (`LOAD_COMPILE_CONDITION`).
    pub warnings: Vec<(String, Pos)>,
}

impl<'a> Compiler<'a> {
    /// A compiler that interns value slots in `slots`.
    pub fn new(schema: &'a Schema, slots: &'a mut SlotTable) -> Compiler<'a> {
        Compiler { schema, slots, warnings: Vec::new() }
    }

    /// Compiles a condition (macros already expanded) into jumps over checks.
    pub fn compile(&mut self, e: &Expr) -> Result<Program, CompileError> {
        // Checks are compiled left to right first, so the first error reported is the
        // leftmost, as in libsinsp; then the jumps are laid out from the right.
        let mut ids = Vec::new();
        self.compile_checks(e, &mut ids)?;
        let mut code = Vec::new();
        let entry = emit(e, PC_TRUE, PC_FALSE, &mut ids, &mut code);
        Ok(Program { code, entry })
    }

    fn compile_checks(&mut self, e: &Expr, ids: &mut Vec<u32>) -> Result<(), CompileError> {
        match &e.kind {
            ExprKind::And(c) | ExprKind::Or(c) => {
                c.iter().try_for_each(|x| self.compile_checks(x, ids))
            }
            ExprKind::Not(c) => self.compile_checks(c, ids),
            ExprKind::Identifier(id) => {
                err(format!("filter error: unexpected identifier '{id}'"), e.pos)
            }
            ExprKind::Unary { left, op } => {
                let (lhs, t) = self.value_expr(left)?;
                check_op(*op, &t, e.pos)?;
                let check = Check {
                    lhs,
                    class: t.ftype.class(),
                    multiplicity: t.multiplicity,
                    cmp: CmpOp::Exists,
                    modifier: None,
                    rhs: Rhs::None,
                };
                ids.push(self.slots.intern_check(e.to_string(), || check));
                Ok(())
            }
            ExprKind::Binary { left, op, right } => {
                let check = self.binary(left, *op, right, e.pos)?;
                ids.push(self.slots.intern_check(e.to_string(), || check));
                Ok(())
            }
            _ => err("filter error: unexpected value expression in filter", e.pos),
        }
    }

    fn binary(
        &mut self,
        left: &Expr,
        op: Op,
        right: &Expr,
        pos: Pos,
    ) -> Result<Check, CompileError> {
        let (lhs, t) = self.value_expr(left)?;
        check_op(op, &t, pos)?;
        let rhs = match &right.kind {
            ExprKind::Field { .. }
            | ExprKind::Transformer { .. }
            | ExprKind::TransformerList(_) => {
                if matches!(op.cmp, CmpOp::PMatch | CmpOp::Regex) {
                    return err(
                        format!(
                            "operator '{}' doesn't support right-hand side fields",
                            cmpop_upper(op.cmp)
                        ),
                        pos,
                    );
                }
                if t.ftype.class() == TypeClass::Net {
                    return err("field type 'IPNET' doesn't support right-hand side fields", pos);
                }
                let (rslot, rt) = self.value_expr(right)?;
                if t.no_rhs {
                    return err(
                        format!("field '{}' doesn't support right-hand side fields", t.name),
                        pos,
                    );
                }
                if rt.no_rhs {
                    return err(
                        format!("field '{}' can't be used as a right-hand side field", rt.name),
                        pos,
                    );
                }
                if t.ftype != rt.ftype || t.list != rt.list {
                    return err(
                        format!(
                            "field '{}' has type '{}{}' while the right-hand side field '{}' has incompatible type '{}{}'",
                            t.name,
                            t.ftype.name(),
                            if t.list { " (list)" } else { "" },
                            rt.name,
                            rt.ftype.name(),
                            if rt.list { " (list)" } else { "" },
                        ),
                        pos,
                    );
                }
                Rhs::Slot(rslot)
            }
            ExprKind::Value(v) => {
                self.constants(op, &t, left, std::slice::from_ref(v), right.pos)?
            }
            ExprKind::List(vals) => self.constants(op, &t, left, vals, right.pos)?,
            _ => return err("filter error: unexpected right-hand side", right.pos),
        };
        Ok(Check {
            lhs,
            class: t.ftype.class(),
            multiplicity: t.multiplicity,
            cmp: op.cmp,
            modifier: op.modifier,
            rhs,
        })
    }

    fn constants(
        &mut self,
        op: Op,
        t: &ValType,
        left: &Expr,
        vals: &[String],
        pos: Pos,
    ) -> Result<Rhs, CompileError> {
        // evt.type values must be event types the source knows.
        let is_evttype = matches!(&left.kind, ExprKind::Field { name, arg: None } if Some(name.as_str()) == self.schema.event_type_field().map(|f| self.schema.field(f).name.as_str()));
        for v in vals {
            self.value_warnings(op.cmp, v, pos);
            if v.as_bytes().contains(&0) {
                return err("filter error: filter value cannot contain a NUL byte (\\x00)", pos);
            }
            if is_evttype {
                if let Some(table) = self.schema.event_types() {
                    if table.codes(v).is_none() {
                        return err(format!("unknown event type {v}"), pos);
                    }
                }
            }
        }
        if is_evttype
            && op.modifier.is_none()
            && matches!(op.cmp, CmpOp::Eq | CmpOp::Ne | CmpOp::In)
        {
            let names: Vec<&str> = vals.iter().map(String::as_str).collect();
            if let Some(codes) = self.schema.event_types().and_then(|t| t.exclusive_codes(&names)) {
                let n = self.schema.event_types().map_or(0, |t| t.count() as usize);
                let mut bits = vec![0u64; n.div_ceil(64).max(1)];
                for c in codes {
                    bits[c.index() / 64] |= 1 << (c.index() % 64);
                }
                return Ok(Rhs::Codes(bits.into_boxed_slice()));
            }
        }
        // A field the event type decides (`evt.dir`): the same set of codes as for `evt.type`.
        if let ExprKind::Field { name, arg: None } = &left.kind {
            let decided =
                self.schema.by_name(name).and_then(|id| self.schema.type_decided_values(id));
            if let Some(values) = decided {
                if op.modifier.is_none() && matches!(op.cmp, CmpOp::Eq | CmpOp::Ne | CmpOp::In) {
                    let mut bits = vec![0u64; values.len().div_ceil(64).max(1)];
                    for (code, v) in values.iter().enumerate() {
                        if vals.iter().any(|x| x.as_str() == &**v) {
                            bits[code / 64] |= 1 << (code % 64);
                        }
                    }
                    return Ok(Rhs::Codes(bits.into_boxed_slice()));
                }
            }
        }
        let class = t.ftype.class();
        let parse =
            |v: &str| parse_const(t.ftype, op.cmp, v).map_err(|m| CompileError { message: m, pos });
        let build_many = |vals: &[String]| -> Result<Vec<Const>, CompileError> {
            vals.iter().map(|v| parse(v)).collect()
        };
        if op.modifier.is_some() {
            return Ok(match op.cmp {
                CmpOp::Glob | CmpOp::IGlob => Rhs::Globs(
                    vals.iter().map(|v| Glob::new(v.as_bytes(), op.cmp == CmpOp::IGlob)).collect(),
                ),
                CmpOp::Regex => Rhs::Regexes(
                    vals.iter()
                        .map(|v| compile_regex(v).map_err(|m| CompileError { message: m, pos }))
                        .collect::<Result<_, _>>()?,
                ),
                _ => Rhs::Many(build_many(vals)?),
            });
        }
        Ok(match op.cmp {
            CmpOp::In | CmpOp::Intersects => match class {
                TypeClass::String | TypeClass::Bytes => {
                    Rhs::StrSet(Box::new(StrSet::new(vals.iter().map(|v| v.as_bytes()))))
                }
                TypeClass::Unsigned | TypeClass::Signed | TypeClass::Bool => {
                    let mut set = FastSet::default();
                    for c in build_many(vals)? {
                        set.insert(match c {
                            Const::U(x) => x,
                            Const::I(x) => x as u64,
                            Const::B(b) => b as u64,
                            _ => continue,
                        });
                    }
                    Rhs::NumSet(set)
                }
                _ => Rhs::Many(build_many(vals)?),
            },
            CmpOp::PMatch => {
                let mut p = PathPrefixSet::default();
                for v in vals {
                    p.add(v.as_bytes());
                }
                Rhs::Prefixes(p)
            }
            _ => {
                let v = vals.first().map(String::as_str).unwrap_or("");
                match op.cmp {
                    CmpOp::Contains | CmpOp::BContains => match parse(v)? {
                        Const::Bytes(b) => {
                            Rhs::Finder(Box::new(memchr::memmem::Finder::new(&b[..]).into_owned()))
                        }
                        c => Rhs::Single(c),
                    },
                    CmpOp::IContains => {
                        Rhs::Lower(v.as_bytes().to_ascii_lowercase().into_boxed_slice())
                    }
                    CmpOp::Glob | CmpOp::IGlob => {
                        Rhs::Glob(Glob::new(v.as_bytes(), op.cmp == CmpOp::IGlob))
                    }
                    CmpOp::Regex => Rhs::Regex(Box::new(
                        compile_regex(v).map_err(|m| CompileError { message: m, pos })?,
                    )),
                    _ => Rhs::Single(parse(v)?),
                }
            }
        })
    }

    /// Compiles the left (or right) side of a check: a field, a transformer, or (inside
    /// transformers) a constant or list.
    pub fn value_expr(&mut self, e: &Expr) -> Result<(SlotId, ValType), CompileError> {
        match &e.kind {
            ExprKind::Field { name, arg } => {
                let (fref, info) = resolve_field(self.schema, name, arg.as_deref())
                    .map_err(|m| CompileError { message: m, pos: e.pos })?;
                let t = ValType {
                    ftype: info.ftype,
                    list: info.multiplicity == Multiplicity::List,
                    multiplicity: info.multiplicity,
                    name: info.name.clone(),
                    no_rhs: info.no_rhs,
                    filter_only: info.filter_only,
                };
                let key = format!("#{}{:?}", fref.id.0, fref.arg);
                Ok((self.slots.intern(key, SlotDef::Field(fref)), t))
            }
            ExprKind::Value(v) => Ok((
                self.slots.intern(format!("\"{v}\""), SlotDef::Const(vec![v.as_bytes().into()])),
                string_type(v, false),
            )),
            ExprKind::TransformerList(items) => {
                let mut slots = Vec::new();
                for it in items {
                    let (s, t) = self.value_expr(it)?;
                    if t.list {
                        return err(
                            "filter error: transformer list elements must be single values",
                            it.pos,
                        );
                    }
                    slots.push(s);
                }
                Ok((
                    self.slots.intern(e.to_string(), SlotDef::List(slots)),
                    string_type(&e.to_string(), true),
                ))
            }
            ExprKind::Transformer { name, args, arg } => {
                self.transformer(e, name, args, arg.as_deref())
            }
            _ => err("filter error: expected a field or a transformer", e.pos),
        }
    }

    fn transformer(
        &mut self,
        e: &Expr,
        name: &str,
        args: &[Expr],
        arg: Option<&str>,
    ) -> Result<(SlotId, ValType), CompileError> {
        if name == "val" {
            if arg.is_some() {
                return err(
                    "filter error: transformer 'val' does not support field arguments",
                    e.pos,
                );
            }
            return self.value_expr(&args[0]);
        }
        let mut compiled = Vec::new();
        for a in args {
            compiled.push(self.value_expr(a)?);
        }
        let key = e.to_string();
        let kind = match name {
            "tolower" => Transform::ToLower,
            "toupper" => Transform::ToUpper,
            "b64" => Transform::B64,
            "basename" => Transform::Basename,
            "len" => Transform::Len,
            "join" => Transform::Join,
            "concat" => Transform::Concat,
            "getopt" => Transform::Getopt,
            other => return err(format!("transformer '{other}' is not supported"), e.pos),
        };
        let single = matches!(
            kind,
            Transform::ToLower
                | Transform::ToUpper
                | Transform::B64
                | Transform::Basename
                | Transform::Len
        );
        if single {
            if compiled.len() != 1 {
                return err("unknown multivalue transformer", e.pos);
            }
            if arg.is_some() {
                return err(
                    format!("filter error: transformer '{name}' does not support field arguments"),
                    e.pos,
                );
            }
            let (slot, t) = compiled.pop().expect("one argument");
            if let ExprKind::Field { name: fname, arg: farg } = &args[0].kind {
                if let Ok((_, info)) = resolve_field(self.schema, fname, farg.as_deref()) {
                    if info.no_transformer {
                        return err(
                            format!("field '{}' does not support transformers", info.name),
                            e.pos,
                        );
                    }
                }
            }
            use FieldType::*;
            let out = match kind {
                Transform::ToLower | Transform::ToUpper | Transform::Basename => {
                    matches!(t.ftype, CharBuf | FsPath | FsRelPath).then_some((t.ftype, t.list))
                }
                Transform::B64 => matches!(t.ftype, CharBuf | ByteBuf).then_some((t.ftype, t.list)),
                _ => {
                    if t.list {
                        Some((U64, false))
                    } else {
                        matches!(t.ftype, CharBuf | ByteBuf | FsPath | FsRelPath)
                            .then_some((U64, false))
                    }
                }
            };
            let Some((ftype, list)) = out else {
                return err(
                    format!(
                        "can't add field transformer: type '{}' is not supported by '{name}' transformer applied on {}field '{}'",
                        t.ftype.name(),
                        if t.list { "list " } else { "" },
                        t.name
                    ),
                    e.pos,
                );
            };
            let multiplicity = if list {
                Multiplicity::List
            } else if t.list {
                Multiplicity::One
            } else {
                t.multiplicity
            };
            let def =
                SlotDef::Transform { kind, args: vec![slot], select: None, input_is_list: t.list };
            return Ok((
                self.slots.intern(key.clone(), def),
                ValType {
                    ftype,
                    list,
                    multiplicity,
                    name: key,
                    no_rhs: false,
                    filter_only: t.filter_only,
                },
            ));
        }
        let types: Vec<&ValType> = compiled.iter().map(|c| &c.1).collect();
        let (list, select) = match kind {
            Transform::Join => {
                if types.len() != 2 {
                    return err("join() requires exactly 2 arguments: separator and list", e.pos);
                }
                if types[0].list {
                    return err(
                        "join() first argument (separator) must be a single value, not a list",
                        e.pos,
                    );
                }
                if !types[1].list {
                    return err("join() second argument must be a list", e.pos);
                }
                if arg.is_some() {
                    return err("transformer 'join' does not support field arguments", e.pos);
                }
                (false, None)
            }
            Transform::Concat => {
                if types.len() < 2 {
                    return err("concat() requires at least 2 arguments", e.pos);
                }
                if types.iter().any(|t| t.ftype != FieldType::CharBuf || t.list) {
                    return err("concat() arguments must be strings", e.pos);
                }
                if arg.is_some() {
                    return err("transformer 'concat' does not support field arguments", e.pos);
                }
                (false, None)
            }
            _ => {
                if types.len() != 2 {
                    return err(
                        "getopt() requires exactly 2 arguments: args list and optstring",
                        e.pos,
                    );
                }
                if !types[0].list {
                    return err("getopt() first argument must be a list", e.pos);
                }
                if types[1].list {
                    return err(
                        "getopt() second argument (optstring) must be a single value",
                        e.pos,
                    );
                }
                if types[0].ftype != FieldType::CharBuf || types[1].ftype != FieldType::CharBuf {
                    return err("getopt() arguments must be strings", e.pos);
                }
                match arg {
                    None => (true, None),
                    Some(a) if a.len() == 1 => (false, Some(a.as_bytes()[0])),
                    Some(_) => {
                        return err(
                            "getopt() field argument must be a single option character",
                            e.pos,
                        );
                    }
                }
            }
        };
        let def = SlotDef::Transform {
            kind,
            args: compiled.iter().map(|c| c.0).collect(),
            select,
            input_is_list: false,
        };
        let t = ValType {
            ftype: FieldType::CharBuf,
            list,
            multiplicity: if list { Multiplicity::List } else { Multiplicity::One },
            name: key.clone(),
            no_rhs: false,
            filter_only: false,
        };
        Ok((self.slots.intern(key, def), t))
    }

    /// libsinsp's hints about constants that look like mistakes.
    fn value_warnings(&mut self, cmp: CmpOp, v: &str, pos: Pos) {
        let nospaces: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        if cmp == CmpOp::Regex {
            if let Some(msg) = regex_hint(v) {
                self.warnings.push((msg, pos));
            }
        }
        if !nospaces.is_empty()
            && self.schema.resolve_prefix(&nospaces).is_some_and(|(_, n)| {
                let rest = &nospaces[n..];
                rest.is_empty() || rest.starts_with('[') || rest.starts_with('.')
            })
            && nospaces.contains('.')
        {
            self.warnings
                .push((format!("'{v}' may be a valid field misused as a const string value"), pos));
        }
        for t in supported_transformers(true) {
            if nospaces.len() >= t.len() + 2
                && nospaces.starts_with(t)
                && nospaces.as_bytes()[t.len()] == b'('
                && nospaces.ends_with(')')
            {
                self.warnings.push((
                    format!(
                        "'{v}' may be a valid field transformer misused as a const string value"
                    ),
                    pos,
                ));
            }
        }
    }
}

/// Lays out the jumps of `e` (checks already compiled, their ids in `ids` in left-to-right
/// order: consumed from the end, as this walks right to left). Returns the entry step.
fn emit(e: &Expr, t: u32, f: u32, ids: &mut Vec<u32>, code: &mut Vec<Instr>) -> u32 {
    match &e.kind {
        ExprKind::And(c) => c.iter().rev().fold(t, |next, x| emit(x, next, f, ids, code)),
        ExprKind::Or(c) => c.iter().rev().fold(f, |next, x| emit(x, t, next, ids, code)),
        ExprKind::Not(c) => emit(c, f, t, ids, code),
        _ => {
            let check = ids.pop().expect("one id per check");
            code.push(Instr { check, on_true: t, on_false: f });
            (code.len() - 1) as u32
        }
    }
}

fn string_type(name: &str, list: bool) -> ValType {
    ValType {
        ftype: FieldType::CharBuf,
        list,
        multiplicity: if list { Multiplicity::List } else { Multiplicity::One },
        name: name.to_string(),
        no_rhs: false,
        filter_only: false,
    }
}

fn cmpop_upper(c: CmpOp) -> String {
    match c {
        CmpOp::Eq => "EQ".into(),
        CmpOp::Ne => "NE".into(),
        CmpOp::Lt => "LT".into(),
        CmpOp::Le => "LE".into(),
        CmpOp::Gt => "GT".into(),
        CmpOp::Ge => "GE".into(),
        other => other.as_str().to_ascii_uppercase(),
    }
}

/// Whether the operator applies to the left-hand type (libsinsp's `flt_is_comparable`).
fn check_op(op: Op, t: &ValType, pos: Pos) -> Result<(), CompileError> {
    use CmpOp::*;
    let c = op.cmp;
    if c == Exists {
        return Ok(());
    }
    let name = c.as_str();
    if t.list {
        use FieldType::*;
        if !matches!(t.ftype, CharBuf | U64 | RelTime | AbsTime | Bool | IpAddr | IpNet) {
            return err(
                format!(
                    "filter error: list filters are not supported for type '{}'",
                    t.ftype.name()
                ),
                pos,
            );
        }
        if !matches!(c, In | Intersects) {
            return err(format!("filter error: '{name}' operator not supported list filters"), pos);
        }
        return Ok(());
    }
    let ok = match t.ftype.class() {
        TypeClass::Unsigned | TypeClass::Signed | TypeClass::Double => {
            matches!(c, Eq | Ne | Lt | Le | Gt | Ge | In | Intersects)
        }
        TypeClass::Bool => matches!(c, Eq | Ne | In | Intersects),
        TypeClass::Ip | TypeClass::Net => {
            if op.modifier.is_some() && !matches!(c, Eq | Ne | In | Intersects) {
                return err(
                    format!(
                        "filter error: '{name}' with modifier not supported for ip address and network filters"
                    ),
                    pos,
                );
            }
            matches!(c, Eq | Ne | In | Intersects)
        }
        TypeClass::String => !matches!(c, BContains | BStartsWith),
        TypeClass::Bytes => matches!(
            c,
            Eq | Ne | Contains | In | StartsWith | EndsWith | Intersects | BContains | BStartsWith
        ),
    };
    if ok {
        return Ok(());
    }
    let kind = match t.ftype.class() {
        TypeClass::Unsigned | TypeClass::Signed | TypeClass::Double | TypeClass::Bool => "numeric",
        TypeClass::Ip | TypeClass::Net => "ip address and network",
        TypeClass::String => "string",
        TypeClass::Bytes => "buffer",
    };
    err(format!("filter error: '{name}' operator not supported for {kind} filters"), pos)
}

/// Parses a constant into the left-hand type, as libsinsp's `string_to_rawval` does.
fn parse_const(t: FieldType, cmp: CmpOp, v: &str) -> Result<Const, String> {
    use FieldType::*;
    Ok(match t {
        I8 => Const::I(ops::parse_signed(v, 8)?),
        I16 => Const::I(ops::parse_signed(v, 16)?),
        I32 => Const::I(ops::parse_signed(v, 32)?),
        I64 | Errno | Fd | Pid => Const::I(ops::parse_signed(v, 64)?),
        U8 | Flags8 | SigType | L4Proto | SockFamily => Const::U(ops::parse_unsigned(v, 8)?),
        U16 | Flags16 | SyscallId => Const::U(ops::parse_unsigned(v, 16)?),
        Port => {
            if v.is_empty() {
                Const::U(0)
            } else if v.bytes().all(|b| b.is_ascii_digit()) {
                Const::U(v.parse::<u64>().map(|x| x & 0xffff).unwrap_or(0))
            } else {
                return Err(format!("unrecognized protocol {v}"));
            }
        }
        U32 | Flags32 | Mode | Uid | Gid => Const::U(ops::parse_unsigned(v, 32)?),
        U64 | RelTime | AbsTime | SigSet => Const::U(ops::parse_unsigned(v, 64)?),
        Double => Const::F(ops::parse_signed(v, 32)? as f64),
        Bool => match v {
            "true" => Const::B(true),
            "false" => Const::B(false),
            _ => return Err(format!("filter error: unrecognized boolean value {v}")),
        },
        ByteBuf if matches!(cmp, CmpOp::BContains | CmpOp::BStartsWith) => Const::Bytes(
            ops::unhex(v)
                .ok_or_else(|| {
                    "filter error: bcontains and bstartswith operator support hex strings only"
                        .to_string()
                })?
                .into(),
        ),
        CharBuf | FsPath | FsRelPath | Dynamic | ByteBuf => Const::Bytes(v.as_bytes().into()),
        Ipv4Addr | Ipv6Addr | IpAddr => Const::Ip(parse_ip(v)?),
        Ipv4Net | Ipv6Net | IpNet => Const::Net(parse_net(v)?),
    })
}

fn parse_ip(v: &str) -> Result<IpAddr, String> {
    if v.contains('.') {
        std::net::Ipv4Addr::from_str(v)
            .map(IpAddr::V4)
            .map_err(|_| format!("unrecognized IPv4 address {v}"))
    } else {
        std::net::Ipv6Addr::from_str(v)
            .map(IpAddr::V6)
            .map_err(|_| format!("unrecognized IPv6 address {v}"))
    }
}

fn parse_net(v: &str) -> Result<IpNet, String> {
    let Some((ip, mask)) = v.split_once('/') else {
        return Err(format!("unrecognized IP network {v}"));
    };
    if v.contains('.') {
        let addr =
            std::net::Ipv4Addr::from_str(ip).map_err(|_| format!("unrecognized IP address {v}"))?;
        let bits = ops::parse_unsigned(mask, 8)? as u8;
        if bits > 32 {
            return Err(format!("invalid netmask {mask}"));
        }
        Ok(IpNet::V4(
            ipnet::Ipv4Net::new(addr, bits).map_err(|_| format!("invalid netmask {mask}"))?,
        ))
    } else {
        let addr = std::net::Ipv6Addr::from_str(ip)
            .map_err(|_| format!("unrecognized IPv6 network {v}"))?;
        let bits = ops::parse_unsigned(mask, 8)? as u8;
        Ok(IpNet::V6(
            ipnet::Ipv6Net::new(addr, bits).map_err(|_| format!("invalid netmask {mask}"))?,
        ))
    }
}

fn compile_regex(v: &str) -> Result<regex::bytes::Regex, String> {
    regex::bytes::Regex::new(&format!("^(?:{v})$"))
        .map_err(|e| format!("invalid regex pattern: {e}"))
}

/// libsinsp's hint that a regex could be a simpler operator.
fn regex_hint(v: &str) -> Option<String> {
    const SPECIAL: &[u8] = b".+*?^$()[]{}|\\";
    let b = v.as_bytes();
    let len = b.len();
    let mut i = 0;
    while i < len {
        if (i == 0 && b[i] == b'^') || (i == len - 1 && b[i] == b'$') {
            i += 1;
            continue;
        }
        if ((i == 0 && len > 1) || (len >= 2 && i == len - 2))
            && b[i] == b'.'
            && i + 1 < len
            && b"+*?".contains(&b[i + 1])
        {
            i += 2;
            continue;
        }
        if SPECIAL.contains(&b[i]) {
            return None;
        }
        i += 1;
    }
    Some(format!(
        "regex check with '{v}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'"
    ))
}
