//! Macro expansion (Falco's `filter_macro_resolver`): every identifier that names a visible
//! macro is replaced by a copy of the macro's condition, recursively, with loop detection.
//!
//! Expansion is bounded: the expanded tree may not be deeper than [`MAX_DEPTH`], so chains of
//! thousands of nested macros end in a clear error instead of exhausting the stack.

use std::collections::HashMap;

use super::ast::{Expr, ExprKind, Pos};

/// Deepest expanded condition tree accepted (real rules stay far below: the upstream ruleset's
/// deepest expanded condition has a depth under 40). Every later pass and the evaluation walk
/// the tree recursively, so this bound is what keeps them within a thread's stack.
pub const MAX_DEPTH: usize = 500;

/// Where expansion finds the condition of a macro by name.
pub trait MacroSource {
    /// The condition of the visible macro `name`, if any.
    fn lookup(&self, name: &str) -> Option<&Expr>;
}

impl MacroSource for HashMap<String, Expr> {
    fn lookup(&self, name: &str) -> Option<&Expr> {
        self.get(name)
    }
}

/// What expansion found.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Macros that were expanded, with where they were referenced.
    pub used: Vec<(String, Pos)>,
    /// Identifiers that name no visible macro.
    pub unknown: Vec<(String, Pos)>,
    /// Errors (reference loops, excessive depth).
    pub errors: Vec<(String, Pos)>,
}

/// Expands macro references in `expr`: `macros` gives the condition of a visible macro by
/// name (any map works: `&HashMap<String, Expr>` does).
///
/// ```
/// use std::collections::HashMap;
/// use falco_engine::filter::{macros, parse::Parser};
/// let mut defs = HashMap::new();
/// defs.insert("is_cat".to_string(), Parser::new("proc.name = cat").parse()?);
/// let mut e = Parser::new("evt.type = open and is_cat").parse()?;
/// let r = macros::expand(&mut e, &defs);
/// assert!(r.unknown.is_empty() && r.errors.is_empty());
/// assert_eq!(e.to_string(), "(evt.type = open and proc.name = cat)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn expand(expr: &mut Expr, macros: &dyn MacroSource) -> Resolved {
    let mut st = State { macros, path: Vec::new(), out: Resolved::default() };
    st.visit(expr, 1);
    st.out
}

struct State<'a> {
    macros: &'a dyn MacroSource,
    path: Vec<String>,
    out: Resolved,
}

impl State<'_> {
    #[cold]
    fn too_deep(&mut self, pos: super::ast::Pos) {
        self.out
            .errors
            .push((format!("exceeded max depth limit of {MAX_DEPTH} after expanding macros"), pos));
    }

    /// Visits `e` found at `depth` in the output tree.
    fn visit(&mut self, e: &mut Expr, depth: usize) {
        if depth > MAX_DEPTH {
            self.too_deep(e.pos);
            return;
        }
        match &mut e.kind {
            ExprKind::And(children) | ExprKind::Or(children) => {
                for c in children {
                    self.visit(c, depth + 1);
                    if !self.out.errors.is_empty() {
                        return;
                    }
                }
            }
            ExprKind::Not(child) => self.visit(child, depth + 1),
            ExprKind::Identifier(name) => {
                let name = name.clone();
                let Some(body) = self.macros.lookup(&name) else {
                    self.out.unknown.push((name, e.pos));
                    return;
                };
                if self.path.contains(&name) {
                    self.out.errors.push((format!("reference loop in macro '{name}'"), e.pos));
                    self.out.unknown.push((name, e.pos));
                    return;
                }
                if self.path.len() >= MAX_DEPTH {
                    self.too_deep(e.pos);
                    return;
                }
                self.path.push(name.clone());
                let mut new = body.clone();
                self.visit(&mut new, depth);
                self.path.pop();
                self.out.used.push((name, e.pos));
                *e = new;
            }
            // Checks, values and fields contain no macro references.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse::Parser;

    fn parse(s: &str) -> Expr {
        Parser::new(s).max_depth(1000).parse().unwrap()
    }

    #[test]
    fn nested_and_unknown() {
        let mut m = HashMap::new();
        m.insert("a".to_string(), parse("x.y = 1"));
        m.insert("b".to_string(), parse("a or x.z = 2"));
        let mut e = parse("b and not c");
        let r = expand(&mut e, &m);
        assert_eq!(e.to_string(), "((x.y = 1 or x.z = 2) and not c)");
        assert_eq!(r.unknown.iter().map(|u| u.0.as_str()).collect::<Vec<_>>(), ["c"]);
        let used: Vec<_> = r.used.iter().map(|u| u.0.as_str()).collect();
        assert_eq!(used, ["a", "b"]);
    }

    #[test]
    fn loops_are_errors() {
        let mut m = HashMap::new();
        m.insert("a".to_string(), parse("b"));
        m.insert("b".to_string(), parse("a"));
        let mut e = parse("a");
        let r = expand(&mut e, &m);
        assert!(r.errors[0].0.starts_with("reference loop in macro"));
    }

    #[test]
    fn ten_thousand_nested_macros_is_an_error() {
        let mut m = HashMap::new();
        m.insert("m0".to_string(), parse("x.y = 1"));
        for i in 1..10_000 {
            m.insert(format!("m{i}"), parse(&format!("x.z = {i} and m{}", i - 1)));
        }
        let mut e = parse("m9999");
        let r = expand(&mut e, &m);
        assert!(r.errors[0].0.contains("exceeded max depth limit"), "{:?}", r.errors);
        // A chain of bare references does not deepen the tree but is bounded too.
        let mut m = HashMap::new();
        m.insert("m0".to_string(), parse("x.y = 1"));
        for i in 1..10_000 {
            m.insert(format!("m{i}"), parse(&format!("m{}", i - 1)));
        }
        let mut e = parse("m9999");
        let r = expand(&mut e, &m);
        assert!(r.errors[0].0.contains("exceeded max depth limit"), "{:?}", r.errors);
    }
}
