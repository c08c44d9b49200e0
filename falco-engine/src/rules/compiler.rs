//! Compiles everything collected so far (Falco's `rule_loader::compiler`): expands lists into
//! lists and conditions, parses and expands macros (each sees only the macros defined before
//! it), rewrites exceptions into conditions, then compiles every rule's condition and output
//! against its own source's schema (design rule D6) and works out its event types.
//!
//! Data enters as the [`Collector`]; it leaves as one [`CompiledSource`] per loaded source, or
//! as the first error in the [`LoadResult`] (like Falco, compilation stops there).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use memchr::memmem;

use super::collector::Collector;
use super::items::{ExceptionInfo, RuleInfo};
use super::result::{Context, ErrorCode, LoadResult, WarningCode};
use crate::filter::ast::{Expr, Op};
use crate::filter::compile::Compiler;
use crate::filter::evttypes;
use crate::filter::macros;
use crate::filter::parse::Parser;
use crate::filter::program::{Program, SlotTable};
use crate::filter::warnings;
use crate::format::Formatter;
use crate::ids::EventType;
use crate::priority::Priority;
use crate::schema::Schema;

/// Text appended to the outputs of matching rules (`append_output` in falco.yaml).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraOutput {
    /// Only rules of this source (empty: all).
    pub source: String,
    /// Only rules having all these tags.
    pub tags: BTreeSet<String>,
    /// Only this rule (empty: all).
    pub rule: String,
    /// The format appended (after a space).
    pub format: String,
}

/// An extra field added to the `output_fields` of matching rules (`append_output` with
/// `extra_fields`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraField {
    /// Only rules of this source (empty: all).
    pub source: String,
    /// Only rules having all these tags.
    pub tags: BTreeSet<String>,
    /// Only this rule (empty: all).
    pub rule: String,
    /// The key in `output_fields`.
    pub key: String,
    /// A format string, or a single field when `raw`.
    pub format: String,
    /// The value is the field's typed value, not a formatted string.
    pub raw: bool,
}

/// Compile-time configuration.
#[derive(Clone, Debug, Default)]
pub struct CompileConfig {
    /// Extra output text.
    pub extra_output: Vec<ExtraOutput>,
    /// Extra output fields.
    pub extra_fields: Vec<ExtraField>,
}

/// One compiled rule.
#[derive(Clone, Debug)]
pub struct CompiledRule {
    /// Name.
    pub name: String,
    /// Source name.
    pub source: String,
    /// Description.
    pub desc: String,
    /// Priority.
    pub priority: Priority,
    /// Tags.
    pub tags: BTreeSet<String>,
    /// Enabled by the rules file.
    pub enabled: bool,
    /// The final output format (with appended text).
    pub output: String,
    /// The condition after list, macro and exception expansion.
    pub condition: Expr,
    /// The fields its exceptions compare.
    pub exception_fields: BTreeSet<String>,
    /// The event types it can match (for sources with event types).
    pub evttypes: Option<Vec<EventType>>,
    /// `capture`.
    pub capture: bool,
    /// `capture_duration`.
    pub capture_duration: u32,
    pub(crate) program: Program,
    pub(crate) formatter: Formatter,
    pub(crate) extra_fields: Vec<(String, ExtraFieldFormat)>,
}

/// How an extra field's value is produced.
#[derive(Clone, Debug)]
pub(crate) enum ExtraFieldFormat {
    /// A formatted string.
    Text(Formatter),
    /// The typed value of the (single) field of the format.
    Raw(Formatter),
}

/// The compiled rules of one source, sharing one slot table.
#[derive(Clone, Debug)]
pub struct CompiledSource {
    /// The source.
    pub name: String,
    /// Its schema.
    pub schema: Arc<Schema>,
    /// Value slots shared by its rules.
    pub(crate) slots: SlotTable,
    /// Rules in load order, with their global index.
    pub rules: Vec<(usize, CompiledRule)>,
}

/// Everything one compile produced.
#[derive(Clone, Debug, Default)]
pub struct CompileOutput {
    /// Per source, in the order the sources were registered.
    pub sources: Vec<CompiledSource>,
    /// Every compiled rule name, in load order (the global rule index order).
    pub rule_names: Vec<String>,
}

struct Fail {
    code: ErrorCode,
    message: String,
    ctx: Context,
}

fn quote_item(e: &str) -> String {
    if e.contains(' ') && !e.starts_with('"') && !e.starts_with('\'') {
        format!("\"{e}\"")
    } else {
        e.to_string()
    }
}

fn paren_item(e: &str) -> String {
    if e.starts_with('(') { e.to_string() } else { format!("({e})") }
}

fn is_operator_for_list(op: &str) -> bool {
    matches!(op, "in" | "intersects" | "pmatch")
        || matches!(Op::parse(op), Some(o) if o.modifier.is_some())
}

/// Appends `and not (...)` for each exception to `condition`, exactly as Falco writes it.
fn build_exceptions(
    exceptions: &[ExceptionInfo],
    fields: &mut BTreeSet<String>,
    condition: &mut String,
) -> Result<(), Fail> {
    *condition = format!("({condition})");
    for ex in exceptions {
        let mut icond = String::new();
        if !ex.fields.is_list {
            for val in &ex.values {
                if val.is_list {
                    return Err(Fail {
                        code: ErrorCode::Validate,
                        message: "Expected values array to contain a list of strings".into(),
                        ctx: ex.ctx.clone(),
                    });
                }
                if icond.is_empty() {
                    icond = format!("({} {} (", ex.fields.item, ex.comps.item);
                } else {
                    icond.push_str(", ");
                }
                fields.insert(ex.fields.item.clone());
                icond.push_str(&quote_item(&val.item));
            }
            if !icond.is_empty() {
                icond.push_str("))");
            }
        } else {
            icond.push('(');
            for values in &ex.values {
                if ex.fields.items.len() != values.items.len() {
                    return Err(Fail {
                        code: ErrorCode::Validate,
                        message: "Fields and values lists must have equal length".into(),
                        ctx: ex.ctx.clone(),
                    });
                }
                if icond != "(" {
                    icond.push_str(" or ");
                }
                icond.push('(');
                for (k, field) in ex.fields.items.iter().enumerate() {
                    if k > 0 {
                        icond.push_str(" and ");
                    }
                    let comp = &ex.comps.items[k].item;
                    let istr = if values.items[k].is_list {
                        let parts: Vec<String> =
                            values.items[k].items.iter().map(|v| quote_item(&v.item)).collect();
                        format!("({})", parts.join(", "))
                    } else if is_operator_for_list(comp) {
                        paren_item(&values.items[k].item)
                    } else {
                        quote_item(&values.items[k].item)
                    };
                    icond.push_str(&format!(" {} {} {}", field.item, comp, istr));
                    fields.insert(field.item.clone());
                }
                icond.push(')');
            }
            icond.push(')');
            if icond == "()" {
                icond.clear();
            }
        }
        if !icond.is_empty() {
            condition.push_str(" and not ");
            condition.push_str(&icond);
        }
    }
    Ok(())
}

/// Substitutes list references in condition text, exactly as Falco does (text, not syntax:
/// a list name between delimiters is replaced by its quoted items). Returns whether the list
/// was used.
fn resolve_list(cnd: &mut String, name: &str, items: &[String]) -> bool {
    const BLANKS: &[u8] = b" \t\n\r";
    const DELIMS: &[u8] = b" \t\n\r(),=";
    if name.is_empty() {
        return false;
    }
    let finder = memmem::Finder::new(name.as_bytes());
    let mut used = false;
    let mut start = finder.find(cnd.as_bytes());
    while let Some(mut s) = start {
        let b = cnd.as_bytes();
        let mut end = s + name.len();
        let before_ok = s == 0 || DELIMS.contains(&b[s - 1]);
        let after_ok = end >= b.len() || DELIMS.contains(&b[end]);
        if before_ok && after_ok {
            while s > 0 && BLANKS.contains(&b[s - 1]) {
                s -= 1;
            }
            while end < b.len() && BLANKS.contains(&b[end]) {
                end += 1;
            }
            let sub: Vec<String> = items.iter().map(|v| quote_item(v)).collect();
            let sub = sub.join(", ");
            if sub.is_empty() {
                if s > 0 && b[s - 1] == b',' {
                    s -= 1;
                } else if end < b.len() && b[end] == b',' {
                    end += 1;
                }
            }
            let mut new = String::with_capacity(cnd.len() + sub.len() + 2);
            if s > 0 {
                new.push_str(&cnd[..s]);
                new.push(' ');
            }
            new.push_str(&sub);
            new.push(' ');
            if end <= cnd.len() {
                new.push_str(&cnd[end..]);
            }
            *cnd = new;
            s += sub.len() + 1;
            used = true;
        }
        start = finder.find(&cnd.as_bytes()[(s + 1).min(cnd.len())..]).map(|p| p + s + 1);
    }
    used
}

/// The macros visible to an item: those first defined before `limit`.
struct Visible<'a> {
    asts: &'a [(String, Expr)],
    infos: &'a [&'a crate::rules::items::MacroInfo],
    by_name: &'a HashMap<&'a str, usize>,
    limit: usize,
}

impl macros::MacroSource for Visible<'_> {
    fn lookup(&self, name: &str) -> Option<&Expr> {
        let i = *self.by_name.get(name)?;
        (self.infos[i].index < self.limit).then(|| &self.asts[i].1)
    }
}

struct ListOut {
    name: String,
    items: Vec<String>,
    used: bool,
}

fn parse_condition(condition: &str, lists: &mut [ListOut], ctx: &Context) -> Result<Expr, Fail> {
    let mut cnd = condition.to_string();
    for l in lists.iter_mut() {
        if resolve_list(&mut cnd, &l.name, &l.items) {
            l.used = true;
        }
    }
    let mut p = Parser::new(&cnd).max_depth(1000);
    p.parse().map_err(|e| Fail {
        code: ErrorCode::CompileCondition,
        message: e.message,
        ctx: ctx.in_condition(e.pos, &cnd),
    })
}

fn err_is_unknown_type_or_field(err: &str) -> bool {
    err.contains("nonexistent field")
        || err.contains("invalid formatting token")
        || err.contains("unknown event type")
        || err.contains("unknown filter:")
}

/// Compiles the collected definitions.
pub fn compile(
    cfg: &CompileConfig,
    sources: &[(String, Arc<Schema>)],
    col: &Collector,
    res: &mut LoadResult,
) -> Option<CompileOutput> {
    match compile_inner(cfg, sources, col, res) {
        Ok(out) => Some(out),
        Err(f) => {
            res.add_error(f.code, f.message, f.ctx);
            None
        }
    }
}

fn compile_inner(
    cfg: &CompileConfig,
    sources: &[(String, Arc<Schema>)],
    col: &Collector,
    res: &mut LoadResult,
) -> Result<CompileOutput, Fail> {
    // Lists: items naming a list defined before this one's last definition are expanded.
    let mut lists: Vec<ListOut> = Vec::new();
    let mut used_lists = Vec::new();
    for l in col.lists.iter() {
        let mut items = Vec::new();
        for it in &l.items {
            match col.lists.get(it) {
                Some(r) if r.index < l.visibility => {
                    used_lists.push(r.name.clone());
                    items.extend(r.items.iter().cloned());
                }
                _ => items.push(it.clone()),
            }
        }
        lists.push(ListOut { name: l.name.clone(), items, used: false });
    }
    for n in used_lists {
        if let Some(l) = lists.iter_mut().find(|l| l.name == n) {
            l.used = true;
        }
    }

    // Macros: parse all, then expand each with the macros visible to it, in order.
    let mut macro_asts: Vec<(String, Expr)> = Vec::new();
    for m in col.macros.iter() {
        let ast = parse_condition(&m.cond, &mut lists, &m.cond_ctx)?;
        macro_asts.push((m.name.clone(), ast));
    }
    let mut macro_used: HashMap<String, bool> = HashMap::new();
    let infos: Vec<_> = col.macros.iter().collect();
    let by_name: HashMap<&str, usize> =
        infos.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
    for i in 0..macro_asts.len() {
        let info = infos[i];
        // Expand macro i with the macros defined before its last definition; the others are
        // already expanded, in order, as in Falco.
        let mut ast = macro_asts[i].1.clone();
        let visible =
            Visible { asts: &macro_asts, infos: &infos, by_name: &by_name, limit: info.visibility };
        let r = macros::expand(&mut ast, &visible);
        check_resolved(&r, &info.cond, &info.ctx)?;
        for (u, _) in &r.used {
            macro_used.insert(u.clone(), true);
        }
        macro_asts[i].1 = ast;
    }
    let all_macros =
        Visible { asts: &macro_asts, infos: &infos, by_name: &by_name, limit: usize::MAX };

    let mut out = CompileOutput::default();
    for (name, schema) in sources {
        out.sources.push(CompiledSource {
            name: name.clone(),
            schema: schema.clone(),
            slots: SlotTable::default(),
            rules: Vec::new(),
        });
    }

    for r in col.rules.iter() {
        if r.unknown_source {
            continue;
        }
        let Some(si) = out.sources.iter().position(|s| s.name == r.source) else {
            return Err(Fail {
                code: ErrorCode::Validate,
                message: format!("Unknown source at compile-time{}", r.source),
                ctx: r.ctx.clone(),
            });
        };
        if let Some(rule) = compile_rule(
            cfg,
            r,
            &mut lists,
            &all_macros,
            &mut macro_used,
            &mut out.sources[si],
            res,
        )? {
            let idx = out.rule_names.len();
            out.rule_names.push(rule.name.clone());
            out.sources[si].rules.push((idx, rule));
        }
    }

    for m in col.macros.iter() {
        if !macro_used.get(&m.name).copied().unwrap_or(false) {
            res.add_warning(
                WarningCode::UnusedMacro,
                "Macro not referred to by any other rule/macro",
                m.ctx.clone(),
            );
        }
    }
    for (l, info) in lists.iter().zip(col.lists.iter()) {
        if !l.used {
            res.add_warning(
                WarningCode::UnusedList,
                "List not referred to by any other rule/macro",
                info.ctx.clone(),
            );
        }
    }
    Ok(out)
}

fn check_resolved(r: &macros::Resolved, condition: &str, ctx: &Context) -> Result<(), Fail> {
    if let Some((msg, pos)) = r.errors.first() {
        return Err(Fail {
            code: ErrorCode::Validate,
            message: msg.clone(),
            ctx: ctx.in_condition(*pos, condition),
        });
    }
    if let Some((name, pos)) = r.unknown.first() {
        return Err(Fail {
            code: ErrorCode::Validate,
            message: format!("Undefined macro '{name}' used in filter."),
            ctx: ctx.in_condition(*pos, condition),
        });
    }
    Ok(())
}

fn matches_selector(source: &str, tags: &BTreeSet<String>, rule: &str, r: &RuleInfo) -> bool {
    (source.is_empty() || source == r.source)
        && tags.is_subset(&r.tags)
        && (rule.is_empty() || rule == r.name)
}

fn compile_rule(
    cfg: &CompileConfig,
    r: &RuleInfo,
    lists: &mut [ListOut],
    macros_all: &dyn macros::MacroSource,
    macro_used: &mut HashMap<String, bool>,
    src: &mut CompiledSource,
    res: &mut LoadResult,
) -> Result<Option<CompiledRule>, Fail> {
    let mut condition = r.cond.clone();
    let mut exception_fields = BTreeSet::new();
    if !r.exceptions.is_empty() {
        build_exceptions(&r.exceptions, &mut exception_fields, &mut condition)?;
    }

    let mut output = r.output.clone();
    for extra in &cfg.extra_output {
        if matches_selector(&extra.source, &extra.tags, &extra.rule, r) {
            output = format!("{output} {}", extra.format);
        }
    }
    if output.contains("%container.info") {
        res.add_warning(
            WarningCode::DeprecatedItem,
            "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.",
            r.ctx.clone(),
        );
        output = output.replace("%container.info", "");
    }

    let schema = src.schema.clone();
    let formatter = match Formatter::new(&output, &schema, &mut src.slots) {
        Ok(f) => f,
        Err(e) => {
            if err_is_unknown_type_or_field(&e.0) && r.skip_if_unknown_filter {
                res.add_warning(WarningCode::UnknownFilter, e.0, r.output_ctx.clone());
                return Ok(None);
            }
            return Err(Fail {
                code: ErrorCode::CompileOutput,
                message: e.0,
                ctx: r.output_ctx.clone(),
            });
        }
    };
    let mut extra_fields = Vec::new();
    for ef in &cfg.extra_fields {
        if !matches_selector(&ef.source, &ef.tags, &ef.rule, r) {
            continue;
        }
        let f = Formatter::new(&ef.format, &schema, &mut src.slots).map_err(|e| Fail {
            code: ErrorCode::CompileOutput,
            message: e.0,
            ctx: r.output_ctx.clone(),
        })?;
        let fmt = if ef.raw { ExtraFieldFormat::Raw(f) } else { ExtraFieldFormat::Text(f) };
        extra_fields.retain(|(k, _): &(String, ExtraFieldFormat)| k != &ef.key);
        extra_fields.push((ef.key.clone(), fmt));
    }

    // The condition: lists, macros, warnings, then compile against the rule's source.
    let mut ast = parse_condition(&condition, lists, &r.cond_ctx)?;
    let resolved = macros::expand(&mut ast, macros_all);
    check_resolved(&resolved, &condition, &r.ctx)?;
    for (u, _) in &resolved.used {
        macro_used.insert(u.clone(), true);
    }
    let wctx = r.cond_ctx.in_condition(Default::default(), &condition);
    if warnings::has_unsafe_na_check(&ast) {
        res.add_warning(WarningCode::UnsafeNaCheck, "", wctx);
    }
    let mut compiler = Compiler::new(&schema, &mut src.slots);
    let program = match compiler.compile(&ast) {
        Ok(p) => p,
        Err(e) => {
            let ctx = r.cond_ctx.in_condition(e.pos, &condition);
            if err_is_unknown_type_or_field(&e.message) && r.skip_if_unknown_filter {
                res.add_warning(WarningCode::UnknownFilter, e.message, ctx);
                return Ok(None);
            }
            return Err(Fail { code: ErrorCode::CompileCondition, message: e.message, ctx });
        }
    };
    for (msg, pos) in std::mem::take(&mut compiler.warnings) {
        res.add_warning(
            WarningCode::CompileCondition,
            msg,
            r.cond_ctx.in_condition(pos, &condition),
        );
    }

    let evttypes = schema.event_types().map(|table| {
        let codes = evttypes::event_codes(&ast, table);
        if codes.len() > 100 && r.warn_evttypes {
            res.add_warning(
                WarningCode::NoEvttype,
                "Rule matches too many evt.type values. This has a significant performance penalty.",
                r.ctx.clone(),
            );
        }
        codes.iter().map(|c| EventType(c as u16)).collect()
    });

    Ok(Some(CompiledRule {
        name: r.name.clone(),
        source: r.source.clone(),
        desc: r.desc.clone(),
        priority: r.priority,
        tags: r.tags.clone(),
        enabled: r.enabled,
        output,
        condition: ast,
        exception_fields,
        evttypes,
        capture: r.capture,
        capture_duration: r.capture_duration,
        program,
        formatter,
        extra_fields,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_substitution_is_textual_like_falco() {
        let items = vec!["cat".to_string(), "a b".to_string()];
        let mut c = "proc.name in (my_list) and x.y=my_list_2".to_string();
        assert!(resolve_list(&mut c, "my_list", &items));
        assert_eq!(c, "proc.name in ( cat, \"a b\" ) and x.y=my_list_2");
        let mut c = "proc.name in (a, my_list)".to_string();
        assert!(resolve_list(&mut c, "my_list", &[]));
        assert_eq!(c, "proc.name in (a  )");
        let mut c = "proc.name=my_listx".to_string();
        assert!(!resolve_list(&mut c, "my_list", &items));
    }

    #[test]
    fn exceptions_are_written_like_falco() {
        use crate::rules::items::Entry;
        let ctx = Context::new("f");
        let list = |v: &[&str]| Entry {
            is_list: true,
            items: v.iter().map(|s| Entry::string(s)).collect(),
            ..Entry::default()
        };
        let ex = ExceptionInfo {
            ctx: ctx.clone(),
            name: "e".into(),
            fields: list(&["proc.name", "fd.name"]),
            comps: list(&["=", "in"]),
            values: vec![list(&["cat", "/tmp/a b"]), list(&["my cmd", "(a, b)"])],
        };
        let mut cond = "evt.type=open".to_string();
        let mut fields = BTreeSet::new();
        build_exceptions(&[ex], &mut fields, &mut cond).ok().unwrap();
        assert_eq!(
            cond,
            "(evt.type=open) and not (( proc.name = cat and  fd.name in (/tmp/a b)) or ( proc.name = \"my cmd\" and  fd.name in (a, b)))"
        );
        let single = ExceptionInfo {
            ctx,
            name: "s".into(),
            fields: Entry::string("proc.name"),
            comps: Entry::string("in"),
            values: vec![Entry::string("cat"), Entry::string("x y")],
        };
        let mut cond = "a".to_string();
        build_exceptions(&[single], &mut fields, &mut cond).ok().unwrap();
        assert_eq!(cond, "(a) and not (proc.name in (cat, \"x y\"))");
    }
}
