//! Warnings about conditions that compile but are probably wrong (Falco's
//! `filter_warning_resolver`): comparing `ka.*`/`jevt.*` fields (Kubernetes audit JSON) with the
//! text `<NA>`, which Falco's JSON extractors used for missing values, is unsafe.

use super::ast::{CmpOp, Expr, ExprKind};

/// True when `expr` compares a `ka.*`/`jevt.*` field for equality with `<NA>`.
///
/// ```
/// use falco_engine::filter::{parse::Parser, warnings};
/// let e = Parser::new("ka.user.name = <NA>").parse()?;
/// assert!(warnings::has_unsafe_na_check(&e));
/// let e = Parser::new("ka.user.name exists").parse()?;
/// assert!(!warnings::has_unsafe_na_check(&e));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn has_unsafe_na_check(expr: &Expr) -> bool {
    let mut todo = vec![expr];
    while let Some(e) = todo.pop() {
        if let ExprKind::Binary { left, op, right } = &e.kind {
            let unsafe_field = matches!(&left.kind, ExprKind::Field { name, .. }
                if name.starts_with("ka.") || name.starts_with("jevt."));
            let equality = op.modifier.is_none()
                && matches!(
                    op.cmp,
                    CmpOp::Eq | CmpOp::Ne | CmpOp::In | CmpOp::Intersects | CmpOp::PMatch
                );
            if unsafe_field && equality {
                let na = match &right.kind {
                    ExprKind::Value(v) => v == "<NA>",
                    ExprKind::List(vals) => vals.iter().any(|v| v == "<NA>"),
                    _ => false,
                };
                if na {
                    return true;
                }
            }
        }
        todo.extend(e.children());
    }
    false
}
