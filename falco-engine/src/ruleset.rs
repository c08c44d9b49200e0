//! The compiled, immutable rules of every source (one [`Rules`] snapshot) and their matching.
//!
//! Each source has its own [`SourceRules`]: its rules, the value slots they share, and per
//! ruleset an evttype index (event type code -> candidate rules, in the order they were
//! enabled, as Falco's `evttype_index_ruleset` keeps them). A source thread holds the snapshot
//! and only ever calls its own source's [`SourceRules`] (design rule D6); the snapshot is
//! `Send + Sync` and never mutated, so matching needs no locks, and a reload swaps a new one
//! in whole.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::event::Event;
use crate::extract::Extractor;
use crate::filter::program::{CodeArena, Scratch, SlotTable};
use crate::ids::{EventType, RuleId, RulesetId, SourceIdx};
use crate::rules::compiler::{CompiledRule, ExtraFieldFormat};
use crate::schema::Schema;

/// First match (Falco's default) or all matches (`rule_matching: all`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RuleMatching {
    /// Stop at the first rule that matches, in rule order.
    #[default]
    First,
    /// Report every rule that matches.
    All,
}

impl RuleMatching {
    /// Parses `first` / `all` (any case), as Falco does.
    pub fn parse(s: &str) -> Option<RuleMatching> {
        if s.eq_ignore_ascii_case("first") {
            Some(RuleMatching::First)
        } else if s.eq_ignore_ascii_case("all") {
            Some(RuleMatching::All)
        } else {
            None
        }
    }
}

/// The event-type index of one ruleset of one source.
#[derive(Clone, Debug, Default)]
pub(crate) struct EvttypeIndex {
    /// Candidate rules per event type code, in enable order: (local index, entry of its
    /// program specialized for the type).
    pub(crate) by_type: Vec<Vec<(u32, u32)>>,
    /// Rules for event types past the table (and sources without event types), with their
    /// generic entries.
    pub(crate) all_types: Vec<(u32, u32)>,
    /// Enabled rules, in enable order.
    pub(crate) enabled: Vec<u32>,
}

/// One rule with its global id.
#[derive(Clone, Debug)]
pub struct RuleEntry {
    /// The rule's id (load order across all sources).
    pub id: RuleId,
    /// The rule.
    pub rule: CompiledRule,
}

/// The rules of one source.
#[derive(Clone, Debug)]
pub struct SourceRules {
    pub(crate) idx: SourceIdx,
    pub(crate) name: String,
    pub(crate) schema: Arc<Schema>,
    pub(crate) slots: SlotTable,
    pub(crate) rules: Vec<RuleEntry>,
    /// The rules' programs, laid out together (index = position in `rules`).
    pub(crate) code: CodeArena,
    pub(crate) rulesets: Vec<EvttypeIndex>,
}

impl SourceRules {
    /// The source's index.
    pub fn source_idx(&self) -> SourceIdx {
        self.idx
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source's schema.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// Every rule of this source (enabled or not), in load order.
    pub fn rules(&self) -> &[RuleEntry] {
        &self.rules
    }

    /// The rule with this global id, if it belongs to this source.
    pub fn rule(&self, id: RuleId) -> Option<&CompiledRule> {
        self.local(id).map(|i| &self.rules[i].rule)
    }

    fn local(&self, id: RuleId) -> Option<usize> {
        self.rules.binary_search_by_key(&id, |e| e.id).ok()
    }

    /// Number of rules enabled in `ruleset`.
    pub fn enabled_count(&self, ruleset: RulesetId) -> usize {
        self.rulesets.get(ruleset.index()).map_or(0, |r| r.enabled.len())
    }

    /// The event types with at least one enabled rule in `ruleset` (libsinsp's "interesting"
    /// events).
    pub fn enabled_event_types(&self, ruleset: RulesetId) -> Vec<EventType> {
        let Some(rs) = self.rulesets.get(ruleset.index()) else {
            return Vec::new();
        };
        rs.by_type
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(t, _)| EventType(t as u16))
            .collect()
    }

    /// Evaluates the event against the enabled rules of `ruleset` and pushes the ids of the
    /// matching rules into `matches` (cleared first): the first match in rule order, or all
    /// of them. Returns the number of matches.
    ///
    /// `scratch` is the calling thread's evaluation state; it caches extracted values for this
    /// event, so formatting the matches' outputs afterwards reuses them.
    pub fn run<X: Extractor>(
        &self,
        ruleset: RulesetId,
        mode: RuleMatching,
        evt: &X::Event<'_>,
        x: &mut X,
        scratch: &mut Scratch,
        matches: &mut Vec<RuleId>,
    ) -> usize {
        matches.clear();
        let Some(rs) = self.rulesets.get(ruleset.index()) else {
            return 0;
        };
        let t = evt.event_type().index();
        let candidates: &[(u32, u32)] = match rs.by_type.get(t) {
            Some(v) => v,
            None => &rs.all_types,
        };
        if candidates.is_empty() {
            return 0;
        }
        scratch.begin_event(&self.slots);
        for &(i, pc) in candidates {
            if self.code.eval_at(pc, &self.slots, scratch, evt, x) {
                matches.push(self.rules[i as usize].id);
                if mode == RuleMatching::First {
                    break;
                }
            }
        }
        matches.len()
    }

    /// Appends the rule's formatted output for the current event to `out`. Call after
    /// [`SourceRules::run`] with the same scratch, so values extracted for the condition are
    /// reused.
    pub fn format_output<X: Extractor>(
        &self,
        id: RuleId,
        evt: &X::Event<'_>,
        x: &mut X,
        scratch: &mut Scratch,
        out: &mut String,
    ) {
        if let Some(r) = self.rule(id) {
            r.formatter.render(&self.slots, scratch, evt, x, out);
        }
    }

    /// The typed values of the rule's output fields (and `append_output` extra fields) for the
    /// current event.
    pub fn output_fields<X: Extractor>(
        &self,
        id: RuleId,
        evt: &X::Event<'_>,
        x: &mut X,
        scratch: &mut Scratch,
        out: &mut serde_json::Map<String, Json>,
    ) {
        let Some(r) = self.rule(id) else { return };
        r.formatter.output_fields(&self.slots, scratch, evt, x, out);
        for (key, f) in &r.extra_fields {
            match f {
                ExtraFieldFormat::Text(f) => {
                    let mut s = String::new();
                    f.render(&self.slots, scratch, evt, x, &mut s);
                    out.insert(key.clone(), Json::String(s));
                }
                ExtraFieldFormat::Raw(f) => {
                    let mut m = serde_json::Map::new();
                    f.output_fields(&self.slots, scratch, evt, x, &mut m);
                    out.insert(
                        key.clone(),
                        m.into_iter().next().map(|(_, v)| v).unwrap_or(Json::Null),
                    );
                }
            }
        }
    }
}

/// An immutable snapshot of the compiled rules of every source.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub(crate) sources: Vec<SourceRules>,
    pub(crate) names: Vec<String>,
}

impl Rules {
    /// The rules of one source.
    pub fn source(&self, idx: SourceIdx) -> Option<&SourceRules> {
        self.sources.get(idx.index())
    }

    /// The rules of the source named `name`.
    pub fn source_by_name(&self, name: &str) -> Option<&SourceRules> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// All sources' rules.
    pub fn sources(&self) -> &[SourceRules] {
        &self.sources
    }

    /// The rule with this id, from whichever source it belongs to.
    pub fn rule(&self, id: RuleId) -> Option<&CompiledRule> {
        self.sources.iter().find_map(|s| s.rule(id))
    }

    /// Number of rules compiled (all sources).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True if no rule was compiled.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Number of enabled rules in `ruleset`, all sources.
    pub fn enabled_count(&self, ruleset: RulesetId) -> usize {
        self.sources.iter().map(|s| s.enabled_count(ruleset)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn snapshot_is_send_and_sync() {
        assert_send_sync::<Rules>();
        assert_send_sync::<SourceRules>();
    }

    #[test]
    fn rule_matching_names() {
        assert_eq!(RuleMatching::parse("ALL"), Some(RuleMatching::All));
        assert_eq!(RuleMatching::parse("first"), Some(RuleMatching::First));
        assert_eq!(RuleMatching::parse("some"), None);
    }
}
