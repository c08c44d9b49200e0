//! Reads rules content (YAML) into the [`Collector`], item by item, as Falco's
//! `rule_loader::reader` does: same structure checks, same messages, same warnings.
//!
//! Data enters as text and a file name; it leaves as definitions in the collector, plus errors
//! and warnings in the [`LoadResult`]. Like Falco, reading stops at the first error.

use std::collections::BTreeSet;

use super::collector::{Collector, Fail, Sources, Step};
use super::items::{
    Entry, ExceptionInfo, ListInfo, MacroInfo, PluginRequirement, PluginRequirementAlternatives,
    RuleInfo, RuleUpdate, Version,
};
use super::result::{Context, ErrorCode, ItemType, LoadResult, WarningCode};
use super::yaml::{self, Node};
use crate::priority::Priority;

const WARNING_APPEND: &str = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED: &str = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'override' entry (e.g. 'enabled: replace') under 'override' instead.";
const ERROR_OVERRIDE_APPEND: &str = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

/// What the reader needs besides the collector.
pub struct ReadConfig<'a> {
    /// The loaded sources.
    pub sources: Sources<'a>,
    /// This engine's version, for `required_engine_version`.
    pub engine_version: Version,
}

fn fail(message: impl Into<String>, ctx: &Context) -> Fail {
    Fail { code: ErrorCode::YamlValidate, message: message.into(), ctx: ctx.clone() }
}

fn ensure(cond: bool, message: impl FnOnce() -> String, ctx: &Context) -> Step {
    if cond { Ok(()) } else { Err(fail(message(), ctx)) }
}

/// How a value may be absent or empty.
#[derive(Clone, Copy)]
enum Need {
    /// Must be present and non-empty.
    Required,
    /// May be absent; if present, non-empty.
    Optional,
    /// May be absent, null or empty.
    OptionalEmpty,
}

/// Decodes `item[key]` as a scalar, with Falco's checks and messages. `Ok(None)` when absent
/// (or empty) and allowed to be.
fn scalar<'n>(
    item: &'n Node,
    key: &str,
    ctx: &Context,
    need: Need,
) -> Result<Option<&'n Node>, Fail> {
    let optional = !matches!(need, Need::Required);
    let can_be_empty = matches!(need, Need::OptionalEmpty);
    let Some(val) = item.get(key) else {
        if optional {
            return Ok(None);
        }
        return Err(fail(format!("Item has no mapping for key '{key}'"), ctx));
    };
    if val.is_null() {
        if can_be_empty {
            return Ok(None);
        }
        return Err(fail(format!("Mapping for key '{key}' is empty"), ctx));
    }
    let vctx = ctx.child(val.mark, ItemType::ValueFor, key);
    let Some(text) = val.scalar() else {
        return Err(fail("Value is not a scalar value", &vctx));
    };
    if text.is_empty() {
        if can_be_empty {
            return Ok(None);
        }
        return Err(fail("Value must be non-empty", &vctx));
    }
    Ok(Some(val))
}

fn decode_str(item: &Node, key: &str, ctx: &Context, need: Need) -> Result<Option<String>, Fail> {
    Ok(scalar(item, key, ctx, need)?.and_then(|n| n.scalar()).map(str::to_string))
}

fn required_str(item: &Node, key: &str, ctx: &Context) -> Result<String, Fail> {
    Ok(decode_str(item, key, ctx, Need::Required)?.unwrap_or_default())
}

fn decode_bool(item: &Node, key: &str, ctx: &Context, need: Need) -> Result<Option<bool>, Fail> {
    match scalar(item, key, ctx, need)? {
        None => Ok(None),
        Some(n) => n.as_bool().map(Some).ok_or_else(|| {
            fail("Can't decode YAML scalar value", &ctx.child(n.mark, ItemType::ValueFor, key))
        }),
    }
}

fn decode_u32(item: &Node, key: &str, ctx: &Context, need: Need) -> Result<Option<u32>, Fail> {
    match scalar(item, key, ctx, need)? {
        None => Ok(None),
        Some(n) => n.as_u32().map(Some).ok_or_else(|| {
            fail("Can't decode YAML scalar value", &ctx.child(n.mark, ItemType::ValueFor, key))
        }),
    }
}

/// Decodes a sequence of scalars (`items`, `tags`).
fn decode_seq(
    item: &Node,
    key: &str,
    ctx: &Context,
    optional: bool,
) -> Result<Option<Vec<String>>, Fail> {
    let Some(val) = item.get(key) else {
        if optional {
            return Ok(None);
        }
        return Err(fail(format!("Item has no mapping for key '{key}'"), ctx));
    };
    let vctx = ctx.child(val.mark, ItemType::ValueFor, key);
    ensure(val.is_seq(), || "Value is not a sequence".into(), &vctx)?;
    let mut out = Vec::new();
    for v in val.items() {
        let ictx = vctx.child(v.mark, ItemType::ListItem, "");
        match &v.kind {
            yaml::NodeKind::Scalar { text, .. } => out.push(text.clone()),
            // yaml-cpp decodes a null item as the string "null"... no: it fails to decode.
            _ => return Err(fail("sequence value is not scalar", &ictx)),
        }
    }
    Ok(Some(out))
}

fn decode_tags(item: &Node, ctx: &Context) -> Result<Option<BTreeSet<String>>, Fail> {
    Ok(decode_seq(item, "tags", ctx, true)?.map(|v| v.into_iter().collect()))
}

/// Decodes `override:` into the keys to append and to replace.
fn decode_overrides(
    item: &Node,
    appendable: &[&str],
    replaceable: &[&str],
    ctx: &Context,
) -> Result<(BTreeSet<String>, BTreeSet<String>), Fail> {
    let mut append = BTreeSet::new();
    let mut replace = BTreeSet::new();
    let Some(val) = item.get("override") else {
        return Ok((append, replace));
    };
    let octx = ctx.child(item.mark, ItemType::Override, "");
    for (k, v) in val.entries() {
        let key = k.scalar().unwrap_or_default().to_string();
        let op = v.scalar().unwrap_or_default();
        let can_append = appendable.contains(&key.as_str());
        let can_replace = replaceable.contains(&key.as_str());
        let kctx = octx.child(k.mark, ItemType::Override, &key);
        match op {
            "append" => {
                ensure(
                    can_append,
                    || format!("Key '{key}' cannot be appended to, use 'replace' instead"),
                    &kctx,
                )?;
                append.insert(key);
            }
            "replace" => {
                ensure(can_replace, || format!("Key '{key}' cannot be replaced"), &kctx)?;
                replace.insert(key);
            }
            _ => {
                let mut msg = format!(
                    "Invalid override operation for key '{key}': '{op}'. Allowed values are: "
                );
                if can_append {
                    msg.push_str("append ");
                }
                if can_replace {
                    msg.push_str("replace ");
                }
                return Err(fail(msg, &octx.child(v.mark, ItemType::ValueFor, &key)));
            }
        }
    }
    Ok((append, replace))
}

/// One of an exception's `fields`/`comps`/`values`: a scalar or a (nested) sequence.
fn decode_exception_entry(val: &Node, key: &str, ctx: &Context) -> Result<Entry, Fail> {
    let vctx = ctx.child(val.mark, ItemType::ValueFor, key);
    match &val.kind {
        yaml::NodeKind::Scalar { text, .. } => {
            ensure(!text.is_empty(), || "Value must be non-empty".into(), &vctx)?;
            Ok(Entry::string(text))
        }
        yaml::NodeKind::Seq(items) => {
            let mut out = Entry { is_list: true, ..Entry::default() };
            for v in items {
                let lctx = vctx.child(v.mark, ItemType::Exception, "");
                out.items.push(decode_exception_entry(v, "", &lctx)?);
            }
            Ok(out)
        }
        // yaml-cpp leaves null or mapping entries undecoded: neither string nor list.
        _ => Ok(Entry::default()),
    }
}

fn read_exceptions(
    item: &Node,
    parent: &Context,
    append: bool,
    res: &mut LoadResult,
) -> Result<Option<Vec<ExceptionInfo>>, Fail> {
    let Some(exs) = item.get("exceptions") else {
        return Ok(None);
    };
    if exs.is_null() {
        return Ok(Some(Vec::new()));
    }
    let exes_ctx = parent.child(exs.mark, ItemType::Exceptions, "");
    ensure(exs.is_seq(), || "Rule exceptions must be a sequence".into(), &exes_ctx)?;
    let mut out: Vec<ExceptionInfo> = Vec::new();
    for ex in exs.items() {
        let tmp = exes_ctx.child(ex.mark, ItemType::Exception, "");
        ensure(ex.is_map(), || "Rule exception must be a mapping".into(), &tmp)?;
        let name = required_str(ex, "name", &tmp)?;
        let ex_ctx = parent.child(ex.mark, ItemType::Exception, &name);
        if out.iter().any(|e| e.name == name) {
            res.add_warning(
                WarningCode::ExceptionNameNotUnique,
                format!("Multiple definitions of exception '{name}' in the same rule"),
                ex_ctx.clone(),
            );
        }
        let fields = match ex.get("fields") {
            Some(f) => decode_exception_entry(f, "fields", &ex_ctx)?,
            None if append => Entry::default(),
            None => return Err(fail("Item has no mapping for key 'fields'", &ex_ctx)),
        };
        let comps = match ex.get("comps") {
            Some(c) => decode_exception_entry(c, "comps", &ex_ctx)?,
            None => Entry::default(),
        };
        let mut values = Vec::new();
        match ex.get("values") {
            Some(vals) => {
                let vals_ctx = ex_ctx.child(vals.mark, ItemType::ExceptionValues, "");
                ensure(
                    vals.is_seq(),
                    || "Rule exception values must be a sequence".into(),
                    &vals_ctx,
                )?;
                for v in vals.items() {
                    let vctx = vals_ctx.child(v.mark, ItemType::ExceptionValue, "");
                    values.push(decode_exception_entry(v, "", &vctx)?);
                }
            }
            None if append => res.add_warning(
                WarningCode::AppendNoValues,
                "Overriding/appending exception with no values",
                ex_ctx.clone(),
            ),
            None => {}
        }
        out.push(ExceptionInfo { ctx: ex_ctx, name, fields, comps, values });
    }
    Ok(Some(out))
}

fn warn_unknown_keys(item: &Node, expected: &[&str], res: &mut LoadResult, ctx: &Context) {
    for (k, _) in item.entries() {
        let key = k.scalar().unwrap_or_default();
        if !expected.contains(&key) {
            res.add_warning(
                WarningCode::UnknownKey,
                format!("Unknown key '{key}'. The key will be ignored."),
                ctx.clone(),
            );
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

fn is_bare_str(s: &str) -> bool {
    !s.is_empty()
        && !s.bytes().any(|c| {
            matches!(c, b'(' | b')' | b'"' | b'\'' | b'=' | b',')
                || c.is_ascii_whitespace()
                || c == 0x0b
        })
}

/// Reads `content` into `collector`. Returns false (with the error in `res`) on the first
/// error, as Falco does.
pub fn read(
    cfg: &ReadConfig<'_>,
    content: &str,
    name: &str,
    collector: &mut Collector,
    res: &mut LoadResult,
) -> bool {
    let ctx = Context::new(name);
    let docs = match yaml::load_all(content) {
        Ok(d) => d,
        Err(e) => {
            let ictx = ctx.child(e.mark, ItemType::ValueFor, "");
            res.add_error(ErrorCode::YamlParse, e.message, ictx);
            return false;
        }
    };
    for doc in &docs {
        if doc.is_null() {
            continue;
        }
        let step = (|| -> Step {
            ensure(doc.is_map() || doc.is_seq(), || "Rules content is not yaml".into(), &ctx)?;
            ensure(doc.is_seq(), || "Rules content is not yaml array of objects".into(), &ctx)?;
            for item in doc.items() {
                if !item.is_null() {
                    read_item(cfg, collector, item, &ctx, res)?;
                }
            }
            Ok(())
        })();
        if let Err(f) = step {
            res.add_error(f.code, f.message, f.ctx);
            return false;
        }
    }
    true
}

fn read_item(
    cfg: &ReadConfig<'_>,
    collector: &mut Collector,
    item: &Node,
    parent: &Context,
    res: &mut LoadResult,
) -> Step {
    {
        let tmp = parent.child(item.mark, ItemType::RulesContentItem, "");
        ensure(
            item.is_map(),
            || "Unexpected element type. Each element should be a yaml associative array.".into(),
            &tmp,
        )?;
    }

    if item.get("required_engine_version").is_some() {
        let ctx = parent.child(item.mark, ItemType::RequiredEngineVersion, "");
        let node = scalar(item, "required_engine_version", &ctx, Need::Required)?
            .expect("required values are present");
        let written = node.scalar().unwrap_or_default();
        let required = match node.as_u32() {
            Some(n) => Some(Version {
                major: cfg.engine_version.major,
                minor: n,
                patch: cfg.engine_version.patch,
            }),
            None => Version::parse(written),
        };
        let Some(required) = required else {
            // Falco 0.35+ words this "Unable to parse engine version '...' as a semver string";
            // the regression suite checks yaml-cpp's decode message.
            return Err(fail(
                "Can't decode YAML scalar value",
                &ctx.child(node.mark, ItemType::ValueFor, "required_engine_version"),
            ));
        };
        collector.require_engine_version(required, written, cfg.engine_version, &ctx)?;
        warn_unknown_keys(item, &["required_engine_version"], res, &ctx);
    } else if let Some(reqs) = item.get("required_plugin_versions") {
        let ctx = parent.child(reqs.mark, ItemType::RequiredPluginVersions, "");
        ensure(
            reqs.is_seq(),
            || "Value of required_plugin_versions must be a sequence".into(),
            &ctx,
        )?;
        for plugin in reqs.items() {
            let tmp = ctx.child(plugin.mark, ItemType::RequiredPluginVersionsEntry, "");
            ensure(plugin.is_map(), || "Plugin version must be a mapping".into(), &tmp)?;
            let pname = required_str(plugin, "name", &tmp)?;
            let pctx = ctx.child(plugin.mark, ItemType::RequiredPluginVersionsEntry, &pname);
            let version = required_str(plugin, "version", &pctx)?;
            let mut alternatives = vec![PluginRequirement { name: pname, version }];
            if let Some(alts) = plugin.get("alternatives") {
                ensure(
                    alts.is_seq(),
                    || "Value of plugin version alternatives must be a sequence".into(),
                    &pctx,
                )?;
                for alt in alts.items() {
                    let tmp = pctx.child(alt.mark, ItemType::RequiredPluginVersionsAlternative, "");
                    ensure(
                        alt.is_map(),
                        || "Plugin version alternative must be a mapping".into(),
                        &tmp,
                    )?;
                    let aname = required_str(alt, "name", &tmp)?;
                    let actx =
                        pctx.child(alt.mark, ItemType::RequiredPluginVersionsAlternative, &aname);
                    let version = required_str(alt, "version", &actx)?;
                    alternatives.push(PluginRequirement { name: aname, version });
                }
            }
            collector.require_plugin_versions(PluginRequirementAlternatives {
                ctx: pctx,
                alternatives,
            })?;
        }
        let rctx = parent.child(item.mark, ItemType::RequiredPluginVersions, "");
        warn_unknown_keys(item, &["required_plugin_versions"], res, &rctx);
    } else if item.get("list").is_some() {
        let tmp = parent.child(item.mark, ItemType::List, "");
        let name = required_str(item, "list", &tmp)?;
        let ctx = parent.child(item.mark, ItemType::List, &name);
        if !is_bare_str(&name) {
            res.add_warning(
                WarningCode::InvalidListName,
                "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)",
                ctx.clone(),
            );
        }
        let items = decode_seq(item, "items", &ctx, false)?.unwrap_or_default();
        let legacy_append = decode_bool(item, "append", &ctx, Need::Optional)?.unwrap_or(false);
        if legacy_append {
            res.add_warning(WarningCode::DeprecatedItem, WARNING_APPEND, ctx.clone());
        }
        let (oa, or) = decode_overrides(item, &["items"], &["items"], &ctx)?;
        ensure(
            !(legacy_append && !(oa.is_empty() && or.is_empty())),
            || ERROR_OVERRIDE_APPEND.into(),
            &ctx,
        )?;
        let info = ListInfo { ctx: ctx.clone(), index: 0, visibility: 0, name, items };
        if legacy_append || oa.contains("items") {
            collector.append_list(info, legacy_append)?;
        } else {
            collector.define_list(info);
        }
        warn_unknown_keys(item, &["list", "items", "append", "override"], res, &ctx);
    } else if item.get("macro").is_some() {
        let tmp = parent.child(item.mark, ItemType::Macro, "");
        let name = required_str(item, "macro", &tmp)?;
        let ctx = parent.child(item.mark, ItemType::Macro, &name);
        if !is_identifier(&name) {
            res.add_warning(
                WarningCode::InvalidMacroName,
                "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
                ctx.clone(),
            );
        }
        let cond = required_str(item, "condition", &ctx)?;
        let cond_node = item.get("condition").expect("decoded above");
        let cond_ctx = ctx.child(cond_node.mark, ItemType::MacroCondition, "");
        let legacy_append = decode_bool(item, "append", &ctx, Need::Optional)?.unwrap_or(false);
        if legacy_append {
            res.add_warning(WarningCode::DeprecatedItem, WARNING_APPEND, ctx.clone());
        }
        let (oa, or) = decode_overrides(item, &["condition"], &["condition"], &ctx)?;
        ensure(
            !(legacy_append && !(oa.is_empty() && or.is_empty())),
            || ERROR_OVERRIDE_APPEND.into(),
            &ctx,
        )?;
        let info = MacroInfo { ctx: ctx.clone(), cond_ctx, index: 0, visibility: 0, name, cond };
        if legacy_append || oa.contains("condition") {
            collector.append_macro(info, legacy_append)?;
        } else {
            collector.define_macro(info);
        }
        warn_unknown_keys(item, &["macro", "condition", "append", "override"], res, &ctx);
    } else if item.get("rule").is_some() {
        read_rule(cfg, collector, item, parent, res)?;
    } else {
        let ctx = parent.child(item.mark, ItemType::RulesContentItem, "");
        res.add_warning(WarningCode::UnknownItem, "Unknown top level item", ctx);
    }
    Ok(())
}

const RULE_APPENDABLE: [&str; 5] = ["condition", "output", "desc", "tags", "exceptions"];
const RULE_REPLACEABLE: [&str; 11] = [
    "condition",
    "output",
    "desc",
    "priority",
    "capture",
    "capture_duration",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
];
const RULE_KEYS: [&str; 15] = [
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "enabled",
    "capture",
    "capture_duration",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "tags",
    "exceptions",
    "override",
    "append",
];

fn parse_priority(item: &Node, ctx: &Context) -> Result<Priority, Fail> {
    let p = required_str(item, "priority", ctx)?;
    let node = item.get("priority").expect("decoded above");
    Priority::parse(&p)
        .ok_or_else(|| fail("Invalid priority", &ctx.child(node.mark, ItemType::RulePriority, "")))
}

fn read_rule(
    cfg: &ReadConfig<'_>,
    collector: &mut Collector,
    item: &Node,
    parent: &Context,
    res: &mut LoadResult,
) -> Step {
    let tmp = parent.child(item.mark, ItemType::Rule, "");
    let name = required_str(item, "rule", &tmp)?;
    let ctx = parent.child(item.mark, ItemType::Rule, &name);
    let source = decode_str(item, "source", &ctx, Need::OptionalEmpty)?.unwrap_or_default();
    let has_append = decode_bool(item, "append", &ctx, Need::Optional)?.unwrap_or(false);
    if has_append {
        res.add_warning(WarningCode::DeprecatedItem, WARNING_APPEND, ctx.clone());
    }
    let (oa, or) = decode_overrides(item, &RULE_APPENDABLE, &RULE_REPLACEABLE, &ctx)?;
    let has_overrides = !oa.is_empty() || !or.is_empty();
    ensure(!(has_append && has_overrides), || ERROR_OVERRIDE_APPEND.into(), &ctx)?;

    if has_overrides {
        // The keys present that an override may name; each must be named by one.
        let mut expected: BTreeSet<&str> = RULE_APPENDABLE
            .iter()
            .chain(RULE_REPLACEABLE.iter())
            .copied()
            .filter(|k| item.get(k).is_some())
            .collect();
        let mut take = |set: &BTreeSet<String>,
                        kind: &str,
                        key: &'static str|
         -> Result<bool, Fail> {
            if !set.contains(key) {
                return Ok(false);
            }
            ensure(
                expected.contains(key),
                || {
                    format!(
                        "An {kind} override for '{key}' was specified but '{key}' is not defined"
                    )
                },
                &ctx,
            )?;
            expected.remove(key);
            Ok(true)
        };
        for (set, kind) in [(&oa, "append"), (&or, "replace")] {
            if set.is_empty() {
                continue;
            }
            let mut v = RuleUpdate::new(ctx.clone(), &name, "");
            if take(set, kind, "condition")? {
                v.source = source.clone();
                v.cond = Some(required_str(item, "condition", &ctx)?);
                let n = item.get("condition").expect("decoded above");
                v.cond_ctx = ctx.child(n.mark, ItemType::RuleCondition, "");
            }
            if take(set, kind, "exceptions")? {
                v.exceptions = read_exceptions(item, &ctx, kind == "append", res)?;
            }
            if take(set, kind, "output")? {
                v.output = Some(required_str(item, "output", &ctx)?);
            }
            if take(set, kind, "desc")? {
                v.desc = Some(required_str(item, "desc", &ctx)?);
            }
            if take(set, kind, "tags")? {
                v.tags = decode_tags(item, &ctx)?;
            }
            if kind == "replace" {
                if take(set, kind, "priority")? {
                    v.priority = Some(parse_priority(item, &ctx)?);
                }
                if take(set, kind, "capture")? {
                    v.capture = decode_bool(item, "capture", &ctx, Need::Required)?;
                }
                if take(set, kind, "capture_duration")? {
                    v.capture_duration =
                        decode_u32(item, "capture_duration", &ctx, Need::Required)?;
                }
                if take(set, kind, "enabled")? {
                    v.enabled = decode_bool(item, "enabled", &ctx, Need::Required)?;
                }
                if take(set, kind, "warn_evttypes")? {
                    v.warn_evttypes = decode_bool(item, "warn_evttypes", &ctx, Need::Required)?;
                }
                if take(set, kind, "skip-if-unknown-filter")? {
                    v.skip_if_unknown_filter =
                        decode_bool(item, "skip-if-unknown-filter", &ctx, Need::Required)?;
                }
                collector.replace_rule(cfg.sources, v)?;
            } else {
                collector.append_rule(cfg.sources, v)?;
            }
        }
        if let Some(key) = expected.iter().next() {
            let node = item.get(key).expect("expected keys are present");
            return Err(fail(
                format!(
                    "Unexpected key '{key}': no corresponding entry under 'override' is defined."
                ),
                &ctx.child(node.mark, ItemType::Override, key),
            ));
        }
    } else if has_append {
        let mut v = RuleUpdate::new(ctx.clone(), &name, &source);
        v.legacy_append = true;
        if let Some(n) = item.get("condition") {
            v.cond_ctx = ctx.child(n.mark, ItemType::RuleCondition, "");
            v.cond = Some(required_str(item, "condition", &ctx)?);
        }
        if item.get("exceptions").is_some() {
            v.exceptions = read_exceptions(item, &ctx, true, res)?;
        }
        collector.append_rule(cfg.sources, v)?;
    } else if item.get("condition").is_none()
        && item.get("output").is_none()
        && item.get("desc").is_none()
        && item.get("priority").is_none()
    {
        let enabled = decode_bool(item, "enabled", &ctx, Need::Required)?.unwrap_or(true);
        res.add_warning(WarningCode::DeprecatedItem, WARNING_ENABLED, ctx.clone());
        collector.enable_rule(&name, enabled, &ctx)?;
    } else {
        let cond = required_str(item, "condition", &ctx)?;
        let cond_ctx =
            ctx.child(item.get("condition").expect("decoded").mark, ItemType::RuleCondition, "");
        let output = required_str(item, "output", &ctx)?;
        let output_ctx =
            ctx.child(item.get("output").expect("decoded").mark, ItemType::RuleOutput, "");
        let desc = required_str(item, "desc", &ctx)?;
        let priority = parse_priority(item, &ctx)?;
        let source =
            decode_str(item, "source", &ctx, Need::Optional)?.unwrap_or_else(|| "syscall".into());
        let info = RuleInfo {
            ctx: ctx.clone(),
            cond_ctx,
            output_ctx,
            index: 0,
            visibility: 0,
            unknown_source: false,
            name: name.clone(),
            cond,
            source: source.clone(),
            desc,
            output: output.trim().to_string(),
            tags: decode_tags(item, &ctx)?.unwrap_or_default(),
            priority,
            enabled: decode_bool(item, "enabled", &ctx, Need::Optional)?.unwrap_or(true),
            capture: decode_bool(item, "capture", &ctx, Need::Optional)?.unwrap_or(false),
            capture_duration: decode_u32(item, "capture_duration", &ctx, Need::Optional)?
                .unwrap_or(0),
            warn_evttypes: decode_bool(item, "warn_evttypes", &ctx, Need::Optional)?
                .unwrap_or(true),
            skip_if_unknown_filter: decode_bool(
                item,
                "skip-if-unknown-filter",
                &ctx,
                Need::Optional,
            )?
            .unwrap_or(false),
            exceptions: read_exceptions(item, &ctx, false, res)?.unwrap_or_default(),
        };
        let unknown = collector.define_rule(cfg.sources, info)?;
        if unknown {
            res.add_warning(
                WarningCode::UnknownSource,
                format!("Unknown source {source}, skipping"),
                ctx.clone(),
            );
        }
    }
    warn_unknown_keys(item, &RULE_KEYS, res, &ctx);
    Ok(())
}
