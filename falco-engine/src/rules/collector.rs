//! Collects the definitions of every rules file in order (Falco's `rule_loader::collector`):
//! defines, appends, selective replaces and enables lists, macros and rules, and validates
//! what can be validated before compiling (exceptions, version requirements).
//!
//! Items keep the order of their first definition; each has an `index` (when first defined)
//! and a `visibility` (when last defined or appended), which decide what a macro or list may
//! refer to.

use std::collections::HashSet;

use super::items::{
    Entry, ExceptionInfo, Indexed, ListInfo, MacroInfo, PluginRequirementAlternatives, RuleInfo,
    RuleUpdate, Version,
};
use super::result::{Context, ErrorCode};
use crate::filter::ast::Op;
use crate::filter::compile;
use crate::schema::Schema;

/// A load error raised while reading or collecting (Falco's `rule_load_exception`).
#[derive(Clone, Debug)]
pub struct Fail {
    /// The code.
    pub code: ErrorCode,
    /// The message.
    pub message: String,
    /// Where.
    pub ctx: Context,
}

impl Fail {
    /// A `LOAD_ERR_VALIDATE` failure.
    pub fn validate(message: impl Into<String>, ctx: &Context) -> Fail {
        Fail { code: ErrorCode::Validate, message: message.into(), ctx: ctx.clone() }
    }
}

/// Result of a collector step.
pub type Step = Result<(), Fail>;

fn ensure(cond: bool, message: impl FnOnce() -> String, ctx: &Context) -> Step {
    if cond { Ok(()) } else { Err(Fail::validate(message(), ctx)) }
}

/// The sources known while loading: name -> schema.
pub type Sources<'a> = &'a [(String, std::sync::Arc<Schema>)];

fn find_source<'a>(sources: Sources<'a>, name: &str) -> Option<&'a Schema> {
    sources.iter().find(|(n, _)| n == name).map(|(_, s)| s.as_ref())
}

/// Everything collected so far, across files.
#[derive(Clone, Debug, Default)]
pub struct Collector {
    cur_index: usize,
    /// Lists.
    pub lists: Indexed<ListInfo>,
    /// Macros.
    pub macros: Indexed<MacroInfo>,
    /// Rules.
    pub rules: Indexed<RuleInfo>,
    /// `required_plugin_versions` entries.
    pub required_plugin_versions: Vec<PluginRequirementAlternatives>,
    /// The highest `required_engine_version` seen.
    pub required_engine_version: Option<Version>,
}

/// Whether `op` is an operator an exception's `comps` may use.
fn is_operator_defined(op: &str) -> bool {
    crate::filter::parse::supported_operators().contains(&op)
}

/// `startswith oneof` and friends: a string operator with a modifier.
fn is_str_operator_with_modifier(op: &str) -> bool {
    use crate::filter::ast::CmpOp::*;
    match Op::parse(op) {
        Some(Op { cmp, modifier: Some(_) }) => matches!(
            cmp,
            Eq | Ne
                | Contains
                | IContains
                | BContains
                | StartsWith
                | BStartsWith
                | EndsWith
                | Glob
                | IGlob
                | Regex
        ),
        _ => false,
    }
}

fn normalize_comp(s: &mut String) {
    *s = s.trim_matches([' ', '\t', '\r', '\n']).to_string();
}

fn validate_exception(source: Option<&Schema>, ex: &mut ExceptionInfo) -> Step {
    if ex.fields.is_list {
        if !ex.comps.is_valid() {
            ex.comps.is_list = true;
            ex.comps.items = ex.fields.items.iter().map(|_| Entry::string("=")).collect();
        }
        ensure(
            ex.fields.items.len() == ex.comps.items.len(),
            || "Fields and comps lists must have equal length".into(),
            &ex.ctx,
        )?;
        for c in &mut ex.comps.items {
            normalize_comp(&mut c.item);
            ensure(
                is_operator_defined(&c.item) || is_str_operator_with_modifier(&c.item),
                || format!("'{}' is not a supported comparison operator", c.item),
                &ex.ctx,
            )?;
        }
        if let Some(schema) = source {
            for f in &ex.fields.items {
                ensure(
                    compile::is_valid_lhs_field(schema, &f.item),
                    || format!("'{}' is not a supported filter field", f.item),
                    &ex.ctx,
                )?;
            }
        }
    } else {
        if !ex.comps.is_valid() {
            ex.comps = Entry::string("in");
        }
        ensure(!ex.comps.is_list, || "Fields and comps must both be strings".into(), &ex.ctx)?;
        normalize_comp(&mut ex.comps.item);
        let c = ex.comps.item.as_str();
        ensure(
            c == "in" || c == "pmatch" || c == "intersects" || is_str_operator_with_modifier(c),
            || {
                "When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)".into()
            },
            &ex.ctx,
        )?;
        if let Some(schema) = source {
            ensure(
                compile::is_valid_lhs_field(schema, &ex.fields.item),
                || format!("'{}' is not a supported filter field", ex.fields.item),
                &ex.ctx,
            )?;
        }
    }
    Ok(())
}

impl Collector {
    fn next_index(&mut self) -> usize {
        let i = self.cur_index;
        self.cur_index += 1;
        i
    }

    /// `required_engine_version`: fails when this engine is older.
    pub fn require_engine_version(
        &mut self,
        required: Version,
        written: &str,
        engine: Version,
        ctx: &Context,
    ) -> Step {
        ensure(
            engine.compatible_with(required),
            || format!("Rules require engine version {written}, but engine version is {engine}"),
            ctx,
        )?;
        if self.required_engine_version.is_none_or(|v| v < required) {
            self.required_engine_version = Some(required);
        }
        Ok(())
    }

    /// `required_plugin_versions` entry.
    pub fn require_plugin_versions(&mut self, req: PluginRequirementAlternatives) -> Step {
        let mut names = HashSet::new();
        for r in &req.alternatives {
            ensure(
                Version::parse(&r.version).is_some(),
                || format!("Invalid required version '{}' for plugin '{}'", r.version, r.name),
                &req.ctx,
            )?;
            ensure(
                names.insert(r.name.clone()),
                || {
                    format!(
                        "Defined multiple alternative version requirements for plugin '{}'",
                        r.name
                    )
                },
                &req.ctx,
            )?;
        }
        self.required_plugin_versions.push(req);
        Ok(())
    }

    /// Defines (or redefines) a list.
    pub fn define_list(&mut self, mut info: ListInfo) {
        let id = self.next_index();
        info.visibility = id;
        info.index = self.lists.get(&info.name).map(|p| p.index).unwrap_or(id);
        let name = info.name.clone();
        self.lists.insert(&name, info);
    }

    /// Appends items to an existing list.
    pub fn append_list(&mut self, info: ListInfo, legacy: bool) -> Step {
        let id = self.next_index();
        let Some(prev) = self.lists.get_mut(&info.name) else {
            return Err(Fail::validate(
                if legacy {
                    "List has 'append' key but no list by that name already exists"
                } else {
                    "List uses 'append' or 'override.items: append' but no list by that name already exists"
                },
                &info.ctx,
            ));
        };
        prev.items.extend(info.items);
        prev.visibility = id;
        Ok(())
    }

    /// Defines (or redefines) a macro.
    pub fn define_macro(&mut self, mut info: MacroInfo) {
        let id = self.next_index();
        info.visibility = id;
        info.index = self.macros.get(&info.name).map(|p| p.index).unwrap_or(id);
        let name = info.name.clone();
        self.macros.insert(&name, info);
    }

    /// Appends a condition to an existing macro.
    pub fn append_macro(&mut self, info: MacroInfo, legacy: bool) -> Step {
        let id = self.next_index();
        let Some(prev) = self.macros.get_mut(&info.name) else {
            return Err(Fail::validate(
                if legacy {
                    "Macro has 'append' key but no macro by that name already exists"
                } else {
                    "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists"
                },
                &info.ctx,
            ));
        };
        prev.cond.push(' ');
        prev.cond.push_str(&info.cond);
        prev.visibility = id;
        Ok(())
    }

    fn find_prev_rule(&self, name: &str, source: &str, ctx: &Context) -> Result<bool, Fail> {
        let prev = self.rules.get(name);
        if let Some(p) = prev {
            ensure(
                p.source.is_empty() || source.is_empty() || p.source == source,
                || "Rule has been re-defined with a different source".into(),
                ctx,
            )?;
        }
        Ok(prev.is_some())
    }

    /// Defines (or redefines) a rule. Returns whether its source is unknown (for the warning).
    pub fn define_rule(&mut self, sources: Sources<'_>, mut info: RuleInfo) -> Result<bool, Fail> {
        self.find_prev_rule(&info.name, &info.source, &info.ctx)?;
        let source = find_source(sources, &info.source);
        info.unknown_source = source.is_none();
        for ex in &mut info.exceptions {
            ensure(
                ex.fields.is_valid(),
                || "Rule exception item must have fields property with a list of fields".into(),
                &ex.ctx,
            )?;
            validate_exception(source, ex)?;
        }
        let id = self.next_index();
        info.visibility = id;
        info.index = self.rules.get(&info.name).map(|p| p.index).unwrap_or(id);
        let name = info.name.clone();
        self.rules.insert(&name, info);
        Ok(source.is_none())
    }

    fn prev_source<'a>(
        &self,
        sources: Sources<'a>,
        prev: &RuleInfo,
        ctx: &Context,
    ) -> Result<Option<&'a Schema>, Fail> {
        if prev.unknown_source {
            return Ok(None);
        }
        match find_source(sources, &prev.source) {
            Some(s) => Ok(Some(s)),
            None => Err(Fail::validate(format!("Unknown source {}", prev.source), ctx)),
        }
    }

    /// Appends to an existing rule.
    pub fn append_rule(&mut self, sources: Sources<'_>, info: RuleUpdate) -> Step {
        let exists = self.find_prev_rule(&info.name, &info.source, &info.ctx)?;
        ensure(
            exists,
            || {
                if info.legacy_append {
                    "Rule has 'append' key but no rule by that name already exists".into()
                } else {
                    "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists".into()
                }
            },
            &info.ctx,
        )?;
        ensure(
            info.has_any_value(),
            || "Appended rule must have exceptions or condition property".into(),
            &info.ctx,
        )?;
        let prev = self.rules.get(&info.name).expect("checked above").clone();
        let source = self.prev_source(sources, &prev, &info.ctx)?;
        let mut prev = prev;
        if let Some(c) = info.cond.as_ref().filter(|c| !c.is_empty()) {
            prev.cond.push(' ');
            prev.cond.push_str(c);
        }
        if let Some(o) = info.output.as_ref().filter(|o| !o.is_empty()) {
            prev.output.push(' ');
            prev.output.push_str(o);
        }
        if let Some(d) = info.desc.as_ref().filter(|d| !d.is_empty()) {
            prev.desc.push(' ');
            prev.desc.push_str(d);
        }
        if let Some(tags) = &info.tags {
            prev.tags.extend(tags.iter().cloned());
        }
        if let Some(exceptions) = info.exceptions {
            for mut ex in exceptions {
                match prev.exceptions.iter_mut().find(|p| p.name == ex.name) {
                    None => {
                        ensure(
                            ex.fields.is_valid(),
                            || {
                                "Rule exception must have fields property with a list of fields"
                                    .into()
                            },
                            &ex.ctx,
                        )?;
                        ensure(
                            !ex.values.is_empty(),
                            || {
                                "Rule exception must have values property with a list of values"
                                    .into()
                            },
                            &ex.ctx,
                        )?;
                        validate_exception(source, &mut ex)?;
                        prev.exceptions.push(ex);
                    }
                    Some(p) => {
                        ensure(
                            !ex.fields.is_valid(),
                            || {
                                "Can not append exception fields to existing exception, only values"
                                    .into()
                            },
                            &ex.ctx,
                        )?;
                        ensure(
                            !ex.comps.is_valid(),
                            || {
                                "Can not append exception comps to existing exception, only values"
                                    .into()
                            },
                            &ex.ctx,
                        )?;
                        p.values.extend(ex.values);
                    }
                }
            }
        }
        prev.visibility = self.next_index();
        let name = prev.name.clone();
        self.rules.insert(&name, prev);
        Ok(())
    }

    /// Replaces some properties of an existing rule (`override: {key: replace}`).
    pub fn replace_rule(&mut self, sources: Sources<'_>, info: RuleUpdate) -> Step {
        let exists = self.find_prev_rule(&info.name, &info.source, &info.ctx)?;
        ensure(
            exists,
            || {
                "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists".into()
            },
            &info.ctx,
        )?;
        ensure(
            info.has_any_value(),
            || "The rule must have at least one field that can be replaced".into(),
            &info.ctx,
        )?;
        let mut prev = self.rules.get(&info.name).expect("checked above").clone();
        let _source = self.prev_source(sources, &prev, &info.ctx)?;
        if let Some(c) = info.cond {
            prev.cond = c;
            prev.cond_ctx = info.cond_ctx.clone();
        }
        if let Some(o) = info.output {
            prev.output = o;
        }
        if let Some(d) = info.desc {
            prev.desc = d;
        }
        if let Some(t) = info.tags {
            prev.tags = t;
        }
        if let Some(e) = info.exceptions {
            prev.exceptions = e;
        }
        if let Some(p) = info.priority {
            prev.priority = p;
        }
        if let Some(c) = info.capture {
            prev.capture = c;
        }
        if let Some(c) = info.capture_duration {
            prev.capture_duration = c;
        }
        if let Some(e) = info.enabled {
            prev.enabled = e;
        }
        if let Some(w) = info.warn_evttypes {
            prev.warn_evttypes = w;
        }
        if let Some(s) = info.skip_if_unknown_filter {
            prev.skip_if_unknown_filter = s;
        }
        prev.visibility = self.next_index();
        let name = prev.name.clone();
        self.rules.insert(&name, prev);
        Ok(())
    }

    /// Sets `enabled` of an existing rule (an item with only `rule` and `enabled`).
    pub fn enable_rule(&mut self, name: &str, enabled: bool, ctx: &Context) -> Step {
        match self.rules.get_mut(name) {
            Some(prev) => {
                prev.enabled = enabled;
                Ok(())
            }
            None => Err(Fail::validate(
                "Rule has 'enabled' key but no rule by that name already exists",
                ctx,
            )),
        }
    }
}
