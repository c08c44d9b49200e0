//! The condition AST, as libsinsp's filter parser builds it.
//!
//! Every node keeps the position where its text started. [`Expr`]'s `Display` prints the
//! canonical form libsinsp prints (`(evt.type = open and not proc.name in (cat, "a b"))`), which
//! tests and error messages use; printing and re-parsing gives the same tree.
//!
//! Data enters from [`parse`](super::parse) and leaves to the macro resolver and the compiler.

use std::fmt;

/// A position in a condition: byte index (0-based), line and column (1-based), as libsinsp's
/// parser counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pos {
    /// Byte index.
    pub idx: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl Default for Pos {
    fn default() -> Self {
        Pos { idx: 0, line: 1, col: 1 }
    }
}

impl Pos {
    /// Advances over one byte, as libsinsp does (`\r` and `\n` start a new line).
    pub fn advance(&mut self, b: u8) {
        self.col += 1;
        if b == b'\r' || b == b'\n' {
            self.col = 1;
            self.line += 1;
        }
        self.idx += 1;
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=` or `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `contains`
    Contains,
    /// `icontains`
    IContains,
    /// `bcontains` (hex bytes)
    BContains,
    /// `startswith`
    StartsWith,
    /// `bstartswith` (hex bytes)
    BStartsWith,
    /// `endswith`
    EndsWith,
    /// `glob`
    Glob,
    /// `iglob`
    IGlob,
    /// `regex`
    Regex,
    /// `in`
    In,
    /// `intersects`
    Intersects,
    /// `pmatch`
    PMatch,
    /// `exists`
    Exists,
}

impl CmpOp {
    /// The operator as written in conditions.
    pub fn as_str(self) -> &'static str {
        use CmpOp::*;
        match self {
            Eq => "=",
            Ne => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Contains => "contains",
            IContains => "icontains",
            BContains => "bcontains",
            StartsWith => "startswith",
            BStartsWith => "bstartswith",
            EndsWith => "endswith",
            Glob => "glob",
            IGlob => "iglob",
            Regex => "regex",
            In => "in",
            Intersects => "intersects",
            PMatch => "pmatch",
            Exists => "exists",
        }
    }

    /// Parses an operator word (`==` is `=`).
    pub fn parse(s: &str) -> Option<CmpOp> {
        use CmpOp::*;
        Some(match s {
            "=" | "==" => Eq,
            "!=" => Ne,
            "<" => Lt,
            "<=" => Le,
            ">" => Gt,
            ">=" => Ge,
            "contains" => Contains,
            "icontains" => IContains,
            "bcontains" => BContains,
            "startswith" => StartsWith,
            "bstartswith" => BStartsWith,
            "endswith" => EndsWith,
            "glob" => Glob,
            "iglob" => IGlob,
            "regex" => Regex,
            "in" => In,
            "intersects" => Intersects,
            "pmatch" => PMatch,
            "exists" => Exists,
            _ => return None,
        })
    }

    /// True for `in`, `intersects`, `pmatch`: the right side is a list.
    pub fn is_list_op(self) -> bool {
        matches!(self, CmpOp::In | CmpOp::Intersects | CmpOp::PMatch)
    }
}

/// `oneof`, `anyof`, `allof`: a string operator applied to each value of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// Exactly one right-hand value matches.
    OneOf,
    /// At least one matches.
    AnyOf,
    /// All match.
    AllOf,
}

impl Modifier {
    /// The modifier word.
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::OneOf => "oneof",
            Modifier::AnyOf => "anyof",
            Modifier::AllOf => "allof",
        }
    }

    /// Parses a modifier word.
    pub fn parse(s: &str) -> Option<Modifier> {
        Some(match s {
            "oneof" => Modifier::OneOf,
            "anyof" => Modifier::AnyOf,
            "allof" => Modifier::AllOf,
            _ => return None,
        })
    }
}

/// An operator with its optional modifier, e.g. `startswith anyof`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    /// The comparison.
    pub cmp: CmpOp,
    /// The modifier, if written.
    pub modifier: Option<Modifier>,
}

impl Op {
    /// Parses an operator as written in a condition or an exception's `comps`
    /// (`startswith oneof`).
    pub fn parse(s: &str) -> Option<Op> {
        match s.split_once(' ') {
            None => Some(Op { cmp: CmpOp::parse(s)?, modifier: None }),
            Some((c, m)) => Some(Op { cmp: CmpOp::parse(c)?, modifier: Some(Modifier::parse(m)?) }),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cmp.as_str())?;
        if let Some(m) = self.modifier {
            write!(f, " {}", m.as_str())?;
        }
        Ok(())
    }
}

/// One node of a condition.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where its text starts.
    pub pos: Pos,
}

/// The kinds of condition nodes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `a and b and ...`
    And(Vec<Expr>),
    /// `a or b or ...`
    Or(Vec<Expr>),
    /// `not a`
    Not(Box<Expr>),
    /// A bare identifier: a macro reference.
    Identifier(String),
    /// `left exists`
    Unary {
        /// The field (or transformer).
        left: Box<Expr>,
        /// The operator (`exists`).
        op: Op,
    },
    /// `left op right`
    Binary {
        /// The field (or transformer).
        left: Box<Expr>,
        /// The operator.
        op: Op,
        /// A value, a list, a list name or another field (`val(...)` or a transformer).
        right: Box<Expr>,
    },
    /// A constant value (unquoted and unescaped).
    Value(String),
    /// A list literal `(a, b, "c d")`.
    List(Vec<String>),
    /// A field with its optional argument, `proc.aname[2]`.
    Field {
        /// The field name.
        name: String,
        /// The text inside `[...]`.
        arg: Option<String>,
    },
    /// A transformer applied to fields or values, `tolower(proc.name)`, `val(fd.name)`.
    Transformer {
        /// `tolower`, `toupper`, `b64`, `basename`, `len`, `join`, `concat`, `getopt`, `val`.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
        /// The text inside a trailing `[...]`.
        arg: Option<String>,
    },
    /// A parenthesised list as a transformer argument, `join(",", (a, b))`.
    TransformerList(Vec<Expr>),
}

impl Expr {
    /// A node at `pos`.
    pub fn new(kind: ExprKind, pos: Pos) -> Expr {
        Expr { kind, pos }
    }

    /// The children of this node, for traversals.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::And(c) | ExprKind::Or(c) | ExprKind::TransformerList(c) => c.iter().collect(),
            ExprKind::Not(c) => vec![c],
            ExprKind::Unary { left, .. } => vec![left],
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::Transformer { args, .. } => args.iter().collect(),
            ExprKind::Identifier(_)
            | ExprKind::Value(_)
            | ExprKind::List(_)
            | ExprKind::Field { .. } => vec![],
        }
    }

    /// Depth of the tree (a leaf has depth 1), computed without recursion.
    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut todo = vec![(self, 1usize)];
        while let Some((e, d)) = todo.pop() {
            max = max.max(d);
            todo.extend(e.children().into_iter().map(|c| (c, d + 1)));
        }
        max
    }
}

/// Escapes a value for printing as libsinsp does: quoted with escapes when it contains
/// blanks, `=`, quotes, backslashes or control characters; bare otherwise. Unlike libsinsp it
/// also quotes empty values and values with `(`, `)` or `,`, so that printed conditions always
/// parse back to the same tree.
pub fn escape_str(s: &str) -> String {
    let mut res = String::with_capacity(s.len() + 2);
    let mut quote = s.is_empty() || s.contains(['(', ')', ',']);
    for c in s.chars() {
        match c {
            '\u{8}' => {
                quote = true;
                res.push_str("\\b")
            }
            '\u{c}' => {
                quote = true;
                res.push_str("\\f")
            }
            '\n' => {
                quote = true;
                res.push_str("\\n")
            }
            '\r' => {
                quote = true;
                res.push_str("\\r")
            }
            '\t' => {
                quote = true;
                res.push_str("\\t")
            }
            '\\' => {
                quote = true;
                res.push_str("\\\\")
            }
            '"' => {
                quote = true;
                res.push_str("\\\"")
            }
            ' ' | '=' | '\'' | '\0' => {
                quote = true;
                res.push(c)
            }
            c => res.push(c),
        }
    }
    if quote { format!("\"{res}\"") } else { res }
}

/// Writes a transformer argument: values there must be quoted unless they are numbers.
fn write_transformer_arg(f: &mut fmt::Formatter<'_>, e: &Expr) -> fmt::Result {
    match &e.kind {
        ExprKind::Value(v) => {
            let numeric = !v.is_empty()
                && v.trim_start_matches(['+', '-']).starts_with(|c: char| c.is_ascii_digit())
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
            let escaped = escape_str(v);
            if numeric || escaped.starts_with('"') {
                f.write_str(&escaped)
            } else {
                write!(f, "\"{escaped}\"")
            }
        }
        _ => write!(f, "{e}"),
    }
}

fn write_arg(f: &mut fmt::Formatter<'_>, arg: &Option<String>) -> fmt::Result {
    if let Some(a) = arg {
        write!(f, "[{a}]")?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::And(c) | ExprKind::Or(c) => {
                let op = if matches!(self.kind, ExprKind::And(_)) { "and" } else { "or" };
                f.write_str("(")?;
                for (i, e) in c.iter().enumerate() {
                    if i > 0 {
                        write!(f, " {op} ")?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str(")")
            }
            ExprKind::Not(c) => write!(f, "not {c}"),
            ExprKind::Identifier(s) => f.write_str(s),
            ExprKind::Unary { left, op } => write!(f, "{left} {op}"),
            ExprKind::Binary { left, op, right } => write!(f, "{left} {op} {right}"),
            ExprKind::Value(v) => f.write_str(&escape_str(v)),
            ExprKind::List(vals) => {
                f.write_str("(")?;
                for (i, v) in vals.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&escape_str(v))?;
                }
                f.write_str(")")
            }
            ExprKind::TransformerList(c) => {
                f.write_str("(")?;
                for (i, e) in c.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write_transformer_arg(f, e)?;
                }
                f.write_str(")")
            }
            ExprKind::Field { name, arg } => {
                f.write_str(name)?;
                write_arg(f, arg)
            }
            ExprKind::Transformer { name, args, arg } => {
                write!(f, "{name}(")?;
                for (i, e) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write_transformer_arg(f, e)?;
                }
                f.write_str(")")?;
                write_arg(f, arg)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_libsinsp() {
        assert_eq!(escape_str("cat"), "cat");
        assert_eq!(escape_str("a b"), "\"a b\"");
        assert_eq!(escape_str("a=b"), "\"a=b\"");
        assert_eq!(escape_str("it's"), "\"it's\"");
        assert_eq!(escape_str("q\"x\\"), "\"q\\\"x\\\\\"");
        assert_eq!(escape_str("t\tn\n"), "\"t\\tn\\n\"");
        assert_eq!(escape_str(""), "\"\"");
        assert_eq!(escape_str("a,b"), "\"a,b\"");
    }

    #[test]
    fn ops_parse_and_print() {
        assert_eq!(Op::parse("startswith anyof").unwrap().to_string(), "startswith anyof");
        assert_eq!(Op::parse("==").unwrap().to_string(), "=");
        assert!(Op::parse("startswith sometimes").is_none());
        assert!(Op::parse("like").is_none());
        assert!(CmpOp::In.is_list_op() && !CmpOp::Eq.is_list_op());
    }
}
