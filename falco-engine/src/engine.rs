//! The [`Engine`]: register event sources, load rules files, choose which rules run, and
//! build immutable [`Rules`] snapshots.
//!
//! Loading follows Falco: every file is read into the same collector (so a file may append to
//! what an earlier one defined), then everything collected so far is compiled; the result of
//! each load is a [`LoadResult`] with Falco's codes. Rule selection (enable/disable by name,
//! substring, wildcard or tag, per ruleset; minimum priority) applies when a snapshot is built.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use crate::ids::{EventType, RuleId, RulesetId, SourceIdx};
use crate::priority::Priority;
use crate::rules::collector::Collector;
use crate::rules::compiler::{self, CompileConfig, CompileOutput, ExtraField, ExtraOutput};
use crate::rules::items::Version;
use crate::rules::reader::{self, ReadConfig};
use crate::rules::result::{Context, ErrorCode, LoadResult};
use crate::ruleset::{EvttypeIndex, RuleEntry, Rules, SourceRules};
use crate::schema::Schema;

/// The version of Falco's rules engine whose language this engine implements
/// (`FALCO_ENGINE_VERSION` in Falco's `falco_engine_version.h`).
pub const ENGINE_VERSION: Version = Version { major: 0, minor: 63, patch: 0 };

/// `PPME_ASYNCEVENT_E`: asynchronous plugin events are checked against every rule.
const ASYNC_EVENT: EventType = EventType(402);

/// Errors of the engine itself (not of rules content, which go in a [`LoadResult`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// Two sources with the same name (design rule L1).
    #[error("an event source named '{0}' is already registered")]
    DuplicateSource(String),
    /// No source with that name.
    #[error("unknown event source '{0}'")]
    UnknownSource(String),
    /// A `required_plugin_versions` requirement is not met.
    #[error("{0}")]
    PluginRequirement(String),
}

/// How a rule name pattern selects rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameMatch {
    /// The whole name.
    Exact,
    /// A substring of the name (`""` selects every rule), as `falco -D` does.
    Substring,
    /// A pattern with `*` wildcards.
    Wildcard,
}

#[derive(Clone, Debug)]
enum Selection {
    Name { pattern: String, how: NameMatch, enabled: bool, ruleset: RulesetId },
    Tags { tags: BTreeSet<String>, enabled: bool, ruleset: RulesetId },
}

/// Falco's rule engine, for any number of event sources.
///
/// ```
/// use falco_engine::{Engine, FieldInfo, FieldType, Schema};
/// let mut schema = Schema::new("demo");
/// schema.add_field(FieldInfo::new("demo.user", FieldType::CharBuf, "the user"))?;
/// let mut engine = Engine::new();
/// engine.add_source(schema)?;
/// let res = engine.load_rules(
///     "- rule: root\n  desc: d\n  condition: demo.user = root\n  output: root seen (user=%demo.user)\n  priority: WARNING\n  source: demo\n",
///     "demo.yaml",
/// );
/// assert!(res.successful(), "{}", res.summary());
/// let rules = engine.rules();
/// assert_eq!(rules.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Engine {
    sources: Vec<(String, Arc<Schema>)>,
    collector: Collector,
    contents: HashMap<String, String>,
    compiled: Option<CompileOutput>,
    config: CompileConfig,
    min_priority: Option<Priority>,
    selections: Vec<Selection>,
}

impl Selection {
    fn ruleset(&self) -> RulesetId {
        match self {
            Selection::Name { ruleset, .. } | Selection::Tags { ruleset, .. } => *ruleset,
        }
    }

    fn enables(&self) -> bool {
        match self {
            Selection::Name { enabled, .. } | Selection::Tags { enabled, .. } => *enabled,
        }
    }

    fn selects(&self, e: &RuleEntry) -> bool {
        match self {
            Selection::Name { pattern, how, .. } => match how {
                NameMatch::Exact => pattern.is_empty() || e.rule.name == *pattern,
                NameMatch::Substring => {
                    pattern.is_empty() || e.rule.name.contains(pattern.as_str())
                }
                NameMatch::Wildcard => wildcard_match(pattern, &e.rule.name),
            },
            Selection::Tags { tags, .. } => !e.rule.tags.is_disjoint(tags),
        }
    }
}

fn wildcard_match(pattern: &str, s: &str) -> bool {
    crate::filter::ops::Glob::new(pattern.as_bytes(), false).matches(s.as_bytes())
}

impl Engine {
    /// An engine with no sources and no rules.
    pub fn new() -> Engine {
        Engine::default()
    }

    /// The engine version rules files may require.
    pub fn version() -> Version {
        ENGINE_VERSION
    }

    /// Registers an event source with its field schema. Two sources with the same name are
    /// refused (design rule L1).
    pub fn add_source(&mut self, schema: Schema) -> Result<SourceIdx, EngineError> {
        let name = schema.source().to_string();
        if self.sources.iter().any(|(n, _)| *n == name) {
            return Err(EngineError::DuplicateSource(name));
        }
        self.sources.push((name, Arc::new(schema)));
        Ok(SourceIdx(self.sources.len() as u32 - 1))
    }

    /// The index of the source named `name`.
    pub fn source_idx(&self, name: &str) -> Option<SourceIdx> {
        self.sources.iter().position(|(n, _)| n == name).map(|i| SourceIdx(i as u32))
    }

    /// The registered sources and their schemas.
    pub fn sources(&self) -> impl Iterator<Item = (&str, &Arc<Schema>)> {
        self.sources.iter().map(|(n, s)| (n.as_str(), s))
    }

    /// Rules less severe than `p` are not loaded into the rulesets (`priority` in falco.yaml).
    pub fn set_min_priority(&mut self, p: Priority) {
        self.min_priority = Some(p);
    }

    /// Text appended to the outputs of matching rules (`append_output`); affects later loads.
    pub fn add_extra_output(&mut self, extra: ExtraOutput) {
        self.config.extra_output.push(extra);
    }

    /// Extra `output_fields` for matching rules (`append_output.extra_fields`); affects later
    /// loads.
    pub fn add_extra_field(&mut self, extra: ExtraField) {
        self.config.extra_fields.push(extra);
    }

    /// The text of every content loaded so far, by name (for snippets in load results).
    pub fn contents(&self) -> &HashMap<String, String> {
        &self.contents
    }

    /// Loads rules from text named `name` (usually the file name).
    pub fn load_rules(&mut self, content: &str, name: &str) -> LoadResult {
        self.contents.insert(name.to_string(), content.to_string());
        let mut res = LoadResult::new(name);
        let cfg = ReadConfig { sources: &self.sources, engine_version: ENGINE_VERSION };
        if reader::read(&cfg, content, name, &mut self.collector, &mut res) {
            if let Some(out) =
                compiler::compile(&self.config, &self.sources, &self.collector, &mut res)
            {
                if res.successful() {
                    self.compiled = Some(out);
                    // As in Falco, a new load rebuilds the rulesets: earlier selections are gone.
                    self.selections.clear();
                }
            }
        }
        res
    }

    /// Loads a rules file.
    pub fn load_rules_file(&mut self, path: &Path) -> LoadResult {
        let name = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => {
                let content = String::from_utf8_lossy(&bytes).into_owned();
                self.load_rules(&content, &name)
            }
            Err(e) => {
                let mut res = LoadResult::new(&name);
                res.add_error(
                    ErrorCode::FileRead,
                    format!("Could not open file {name} for reading: {e}"),
                    Context::new(&name),
                );
                res
            }
        }
    }

    /// Enables or disables the rules whose name matches `pattern`, in `ruleset`.
    pub fn enable_rule(
        &mut self,
        pattern: &str,
        how: NameMatch,
        enabled: bool,
        ruleset: RulesetId,
    ) {
        self.selections.push(Selection::Name {
            pattern: pattern.to_string(),
            how,
            enabled,
            ruleset,
        });
    }

    /// Enables or disables the rules having any of `tags`, in `ruleset`.
    pub fn enable_tags(&mut self, tags: &[&str], enabled: bool, ruleset: RulesetId) {
        let tags = tags.iter().map(|t| t.to_string()).collect();
        self.selections.push(Selection::Tags { tags, enabled, ruleset });
    }

    /// Checks the `required_plugin_versions` of the loaded rules against the plugins
    /// `(name, version)` that are loaded, with Falco's messages.
    pub fn check_plugin_requirements(
        &self,
        plugins: &[(String, String)],
    ) -> Result<(), EngineError> {
        for req in &self.collector.required_plugin_versions {
            let mut err = None;
            let mut ok = false;
            'alts: for alt in &req.alternatives {
                for (name, version) in plugins {
                    if *name != alt.name {
                        continue;
                    }
                    let Some(have) = Version::parse(version) else {
                        err =
                            Some(format!("Plugin '{name}' has invalid version string '{version}'"));
                        break 'alts;
                    };
                    let want = Version::parse(&alt.version).unwrap_or(have);
                    if !have.compatible_with(want) {
                        err = Some(format!(
                            "Plugin '{name}' version '{version}' is not compatible with required plugin version '{}'",
                            alt.version
                        ));
                        break 'alts;
                    }
                    ok = true;
                    break 'alts;
                }
            }
            if !ok {
                let msg = err.unwrap_or_else(|| {
                    let list: Vec<String> = req
                        .alternatives
                        .iter()
                        .map(|a| format!("{} (>= {})", a.name, a.version))
                        .collect();
                    format!(
                        "Plugin requirement not satisfied, must load one of: {}",
                        list.join(", ")
                    )
                });
                return Err(EngineError::PluginRequirement(msg));
            }
        }
        Ok(())
    }

    /// Builds the immutable snapshot of the compiled rules with the current selection.
    pub fn rules(&self) -> Rules {
        let Some(out) = &self.compiled else {
            return Rules {
                sources: self
                    .sources
                    .iter()
                    .enumerate()
                    .map(|(i, (n, s))| SourceRules {
                        idx: SourceIdx(i as u32),
                        name: n.clone(),
                        schema: s.clone(),
                        slots: Default::default(),
                        rules: Vec::new(),
                        code: Default::default(),
                        rulesets: Vec::new(),
                    })
                    .collect(),
                names: Vec::new(),
            };
        };
        let min = self.min_priority.unwrap_or(Priority::Debug);
        let mut sources = Vec::new();
        for (i, cs) in out.sources.iter().enumerate() {
            let rules: Vec<RuleEntry> = cs
                .rules
                .iter()
                .map(|(gid, r)| RuleEntry { id: RuleId(*gid as u32), rule: r.clone() })
                .collect();
            let max_ruleset =
                self.selections.iter().map(|s| s.ruleset().index()).max().unwrap_or(0);
            let mut enabled: Vec<Vec<u32>> = vec![Vec::new(); max_ruleset + 1];
            // Rules below the minimum priority are not part of any ruleset.
            let eligible: Vec<u32> = (0..rules.len() as u32)
                .filter(|i| rules[*i as usize].rule.priority <= min)
                .collect();
            for &i in &eligible {
                if rules[i as usize].rule.enabled {
                    enabled[0].push(i);
                }
            }
            for sel in &self.selections {
                let list = &mut enabled[sel.ruleset().index()];
                for &i in &eligible {
                    if sel.selects(&rules[i as usize]) {
                        let pos = list.iter().position(|x| *x == i);
                        match (sel.enables(), pos) {
                            (true, None) => list.push(i),
                            (false, Some(p)) => {
                                list.remove(p);
                            }
                            _ => {}
                        }
                    }
                }
            }
            let table = cs.schema.event_types();
            let mut code =
                crate::filter::program::CodeArena::new(rules.iter().map(|e| &e.rule.program));
            let rulesets = enabled
                .into_iter()
                .map(|order| {
                    let mut idx = EvttypeIndex { enabled: order.clone(), ..Default::default() };
                    match table {
                        Some(t) => {
                            idx.by_type = vec![Vec::new(); t.count() as usize];
                            for &i in &order {
                                let types =
                                    rules[i as usize].rule.evttypes.as_deref().unwrap_or(&[]);
                                for ty in types.iter().chain(std::iter::once(&ASYNC_EVENT)) {
                                    if let Some(b) = idx.by_type.get_mut(ty.index()) {
                                        if !b.iter().any(|(r, _)| *r == i) {
                                            let pc = code.specialize(i as usize, ty.0, &cs.slots);
                                            // A rule the type alone rules out is no candidate.
                                            if pc != crate::filter::program::PC_FALSE {
                                                b.push((i, pc));
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        None => {
                            idx.all_types =
                                order.iter().map(|&i| (i, code.entry(i as usize))).collect()
                        }
                    }
                    idx
                })
                .collect();
            sources.push(SourceRules {
                idx: SourceIdx(i as u32),
                name: cs.name.clone(),
                schema: cs.schema.clone(),
                slots: cs.slots.clone(),
                code,
                rules,
                rulesets,
            });
        }
        Rules { sources, names: out.rule_names.clone() }
    }

    /// The names of all compiled rules, in load order.
    pub fn rule_names(&self) -> &[String] {
        self.compiled.as_ref().map_or(&[], |c| &c.rule_names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{FieldInfo, FieldType};

    fn engine() -> Engine {
        let mut s = Schema::new("syscall");
        s.add_field(FieldInfo::new("proc.name", FieldType::CharBuf, "")).unwrap();
        let mut e = Engine::new();
        e.add_source(s).unwrap();
        e
    }

    /// Programs specialized per event type (evt.type checks compiled away) match exactly the
    /// events their generic programs match, in every and/or/not arrangement.
    #[test]
    fn type_specialized_programs_agree_with_generic_ones() {
        use crate::event::Event;
        use crate::extract::{Extractor, ValueSink};
        use crate::filter::program::Scratch;
        use crate::ruleset::RuleMatching;
        use crate::schema::{EventTypeTable, FieldRef};

        struct Ev(u16, &'static str);
        impl Event for Ev {
            fn event_type(&self) -> EventType {
                EventType(self.0)
            }
            fn timestamp(&self) -> u64 {
                0
            }
        }
        struct X;
        impl Extractor for X {
            type Event<'e> = Ev;
            fn extract(&mut self, e: &Ev, f: &FieldRef, out: &mut ValueSink<'_>) {
                match f.id.0 {
                    0 => out.push_str(["open", "close", "execve", "read"][(e.0 / 2 % 4) as usize]),
                    2 => out.push_str(if e.0 % 2 == 0 { ">" } else { "<" }),
                    _ => out.push_str(e.1),
                }
            }
        }
        let conditions = [
            "evt.type = open and proc.name = cat",
            "evt.type in (open, close) and not proc.name = cat",
            "(evt.type = open or proc.name = sh) and evt.type != close",
            "not (evt.type = execve and proc.name = sh) and (evt.type = read or evt.type = execve)",
            "evt.type = open or (evt.type = close and (proc.name = cat or evt.type = read))",
            "(evt.type = read and proc.name = cat) or (evt.type = read and proc.name = sh)",
            "proc.name = cat and evt.type in (execve, read) and not evt.type = read",
            "evt.type = execve and evt.dir = < and proc.name = sh",
            "evt.dir != > and (proc.name = cat or evt.type = open)",
            "evt.dir in (<, x) and not evt.type = read",
        ];
        let mut text = String::new();
        for (i, c) in conditions.iter().enumerate() {
            text.push_str(&format!(
                "- rule: r{i}\n  desc: d\n  condition: {c}\n  output: o\n  priority: INFO\n"
            ));
        }
        // `evt.dir` decided by the type code, or compared as a string: the same matches.
        let load = |dir_by_type: bool| {
            let mut s = Schema::new("syscall");
            s.add_field(FieldInfo::new("evt.type", FieldType::CharBuf, "")).unwrap();
            s.add_field(FieldInfo::new("proc.name", FieldType::CharBuf, "")).unwrap();
            s.add_field(FieldInfo::new("evt.dir", FieldType::CharBuf, "")).unwrap();
            let mut t = EventTypeTable::new(12);
            for (i, n) in ["open", "close", "execve", "read"].iter().enumerate() {
                t.add(n, EventType(2 * i as u16));
                t.add(n, EventType(2 * i as u16 + 1));
            }
            s.set_event_types(t);
            if dir_by_type {
                let dirs = (0..12).map(|c| if c % 2 == 0 { ">" } else { "<" }.to_string());
                assert!(s.set_type_decided_field("evt.dir", dirs.collect()));
            }
            let mut e = Engine::new();
            let idx = e.add_source(s).unwrap();
            let res = e.load_rules(&text, "r.yaml");
            assert!(res.successful(), "{}", res.summary());
            (e.rules(), idx)
        };
        let (by_type, idx) = load(true);
        let (by_string, _) = load(false);
        let (src, plain) = (by_type.source(idx).unwrap(), by_string.source(idx).unwrap());
        let (mut scratch, mut matches, mut plain_matches) =
            (Scratch::default(), Vec::new(), Vec::new());
        let mut checked = 0;
        for ty in 0..8u16 {
            for name in ["cat", "sh", "ls"] {
                let evt = Ev(ty, name);
                let mode = RuleMatching::All;
                src.run(RulesetId::DEFAULT, mode, &evt, &mut X, &mut scratch, &mut matches);
                let mut expected = Vec::new();
                scratch.begin_event(&src.slots);
                for r in src.rules() {
                    if r.rule.program.eval(&src.slots, &mut scratch, &evt, &mut X) {
                        expected.push(r.id);
                    }
                }
                assert_eq!(matches, expected, "type {ty}, proc.name {name}");
                let mut s2 = Scratch::default();
                plain.run(RulesetId::DEFAULT, mode, &evt, &mut X, &mut s2, &mut plain_matches);
                assert_eq!(matches, plain_matches, "evt.dir by type, type {ty}, proc.name {name}");
                checked += expected.len();
            }
        }
        assert!(checked > 10, "the conditions match some events");
        // The `evt.dir` rules match where they should: an execve exit of sh, not its enter.
        let r7 = src.rules().iter().find(|r| r.rule.name == "r7").unwrap().id;
        let mut s3 = Scratch::default();
        for (ty, want) in [(5u16, 1), (4, 0)] {
            src.run(
                RulesetId::DEFAULT,
                RuleMatching::All,
                &Ev(ty, "sh"),
                &mut X,
                &mut s3,
                &mut matches,
            );
            assert_eq!(matches.iter().filter(|&&m| m == r7).count(), want, "type {ty}");
        }
    }

    #[test]
    fn duplicate_sources_are_refused() {
        let mut e = engine();
        let err = e.add_source(Schema::new("syscall")).unwrap_err();
        assert_eq!(err.to_string(), "an event source named 'syscall' is already registered");
    }

    #[test]
    fn plugin_requirements() {
        let mut e = engine();
        let res = e.load_rules(
            "- required_plugin_versions:\n  - name: k8saudit\n    version: 0.7.0\n    alternatives:\n      - name: k8saudit-eks\n        version: 0.4.0\n",
            "r.yaml",
        );
        assert!(res.successful(), "{}", res.summary());
        let p = |n: &str, v: &str| vec![(n.to_string(), v.to_string())];
        assert!(e.check_plugin_requirements(&p("k8saudit", "0.7.1")).is_ok());
        assert!(e.check_plugin_requirements(&p("k8saudit-eks", "0.5.0")).is_ok());
        assert_eq!(
            e.check_plugin_requirements(&p("k8saudit", "0.6.0")).unwrap_err().to_string(),
            "Plugin 'k8saudit' version '0.6.0' is not compatible with required plugin version '0.7.0'"
        );
        assert_eq!(
            e.check_plugin_requirements(&[]).unwrap_err().to_string(),
            "Plugin requirement not satisfied, must load one of: k8saudit (>= 0.7.0), k8saudit-eks (>= 0.4.0)"
        );
    }

    #[test]
    fn missing_file_is_a_file_read_error() {
        let mut e = engine();
        let res = e.load_rules_file(Path::new("/nonexistent/rules.yaml"));
        assert_eq!(res.errors[0].code, ErrorCode::FileRead);
    }
}
