//! The items of rules files as the reader decodes them and the collector keeps them: lists,
//! macros, rules, rule updates (append / override), exceptions and version requirements.

use std::collections::{BTreeSet, HashMap};

use super::result::Context;
use crate::priority::Priority;

/// A vector of named items where redefining a name replaces the item in place (Falco's
/// `indexed_vector`): order is the order of first definition.
#[derive(Clone, Debug)]
pub struct Indexed<T> {
    items: Vec<T>,
    by_name: HashMap<String, usize>,
}

impl<T> Default for Indexed<T> {
    fn default() -> Self {
        Indexed { items: Vec::new(), by_name: HashMap::new() }
    }
}

impl<T> Indexed<T> {
    /// The item named `name`.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.by_name.get(name).map(|i| &self.items[*i])
    }

    /// The item named `name`, mutably.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut T> {
        match self.by_name.get(name) {
            Some(i) => Some(&mut self.items[*i]),
            None => None,
        }
    }

    /// Inserts, or replaces in place; returns the item's index.
    pub fn insert(&mut self, name: &str, item: T) -> usize {
        match self.by_name.get(name) {
            Some(&i) => {
                self.items[i] = item;
                i
            }
            None => {
                self.items.push(item);
                self.by_name.insert(name.to_string(), self.items.len() - 1);
                self.items.len() - 1
            }
        }
    }

    /// All items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A list definition.
#[derive(Clone, Debug)]
pub struct ListInfo {
    /// Where it was defined.
    pub ctx: Context,
    /// Position of its first definition among all items (lists, macros, rules).
    pub index: usize,
    /// Position of its last definition or append.
    pub visibility: usize,
    /// Its name.
    pub name: String,
    /// Its items, in order.
    pub items: Vec<String>,
}

/// A macro definition.
#[derive(Clone, Debug)]
pub struct MacroInfo {
    /// Where it was defined.
    pub ctx: Context,
    /// Where its condition is.
    pub cond_ctx: Context,
    /// See [`ListInfo::index`].
    pub index: usize,
    /// See [`ListInfo::visibility`].
    pub visibility: usize,
    /// Its name.
    pub name: String,
    /// Its condition text (appends concatenated).
    pub cond: String,
}

/// One of an exception's `fields`, `comps` or `values`: a string or a list of entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// True when it was a YAML sequence.
    pub is_list: bool,
    /// The string, when not a list.
    pub item: String,
    /// The entries, when a list.
    pub items: Vec<Entry>,
}

impl Entry {
    /// A string entry.
    pub fn string(s: &str) -> Entry {
        Entry { is_list: false, item: s.to_string(), items: Vec::new() }
    }

    /// True when the entry was given with content.
    pub fn is_valid(&self) -> bool {
        (self.is_list && !self.items.is_empty()) || (!self.is_list && !self.item.is_empty())
    }
}

/// A rule exception.
#[derive(Clone, Debug)]
pub struct ExceptionInfo {
    /// Where it was defined.
    pub ctx: Context,
    /// Its name.
    pub name: String,
    /// The fields it compares.
    pub fields: Entry,
    /// The comparison operators.
    pub comps: Entry,
    /// The values (tuples when `fields` is a list).
    pub values: Vec<Entry>,
}

/// A rule definition.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    /// Where it was defined.
    pub ctx: Context,
    /// Where its condition is.
    pub cond_ctx: Context,
    /// Where its output is.
    pub output_ctx: Context,
    /// See [`ListInfo::index`].
    pub index: usize,
    /// See [`ListInfo::visibility`].
    pub visibility: usize,
    /// The source is not loaded: the rule is kept but not compiled.
    pub unknown_source: bool,
    /// Its name.
    pub name: String,
    /// Its condition.
    pub cond: String,
    /// Its source (`syscall` by default).
    pub source: String,
    /// Its description.
    pub desc: String,
    /// Its output format.
    pub output: String,
    /// Its tags, sorted.
    pub tags: BTreeSet<String>,
    /// Its exceptions.
    pub exceptions: Vec<ExceptionInfo>,
    /// Its priority.
    pub priority: Priority,
    /// `capture` (accepted, recorded).
    pub capture: bool,
    /// `capture_duration`.
    pub capture_duration: u32,
    /// `enabled`.
    pub enabled: bool,
    /// `warn_evttypes`.
    pub warn_evttypes: bool,
    /// `skip-if-unknown-filter`.
    pub skip_if_unknown_filter: bool,
}

/// An append or a selective replace of an existing rule.
#[derive(Clone, Debug)]
pub struct RuleUpdate {
    /// Where.
    pub ctx: Context,
    /// Where its condition is, when it has one.
    pub cond_ctx: Context,
    /// The rule's name.
    pub name: String,
    /// The source it declares (may be empty).
    pub source: String,
    /// Written with the legacy `append: true` (messages differ).
    pub legacy_append: bool,
    /// New or appended condition.
    pub cond: Option<String>,
    /// New or appended output.
    pub output: Option<String>,
    /// New or appended description.
    pub desc: Option<String>,
    /// New or added tags.
    pub tags: Option<BTreeSet<String>>,
    /// New or appended exceptions.
    pub exceptions: Option<Vec<ExceptionInfo>>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New `capture`.
    pub capture: Option<bool>,
    /// New `capture_duration`.
    pub capture_duration: Option<u32>,
    /// New `enabled`.
    pub enabled: Option<bool>,
    /// New `warn_evttypes`.
    pub warn_evttypes: Option<bool>,
    /// New `skip-if-unknown-filter`.
    pub skip_if_unknown_filter: Option<bool>,
}

impl RuleUpdate {
    /// An update with nothing in it.
    pub fn new(ctx: Context, name: &str, source: &str) -> RuleUpdate {
        RuleUpdate {
            cond_ctx: ctx.clone(),
            ctx,
            name: name.to_string(),
            source: source.to_string(),
            legacy_append: false,
            cond: None,
            output: None,
            desc: None,
            tags: None,
            exceptions: None,
            priority: None,
            capture: None,
            capture_duration: None,
            enabled: None,
            warn_evttypes: None,
            skip_if_unknown_filter: None,
        }
    }

    /// True when the update changes something.
    pub fn has_any_value(&self) -> bool {
        self.cond.is_some()
            || self.output.is_some()
            || self.desc.is_some()
            || self.tags.is_some()
            || self.exceptions.is_some()
            || self.priority.is_some()
            || self.enabled.is_some()
            || self.capture.is_some()
            || self.capture_duration.is_some()
            || self.warn_evttypes.is_some()
            || self.skip_if_unknown_filter.is_some()
    }
}

/// A `major.minor.patch` version, compared as Falco compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl Version {
    /// Parses `x.y.z` as libsinsp's `sinsp_version` does (`sscanf("%u.%u.%u")`: anything may
    /// follow the patch number, e.g. `1.2.3-rc1`).
    ///
    /// ```
    /// use falco_engine::rules::items::Version;
    /// assert_eq!(Version::parse("0.57.0"), Some(Version { major: 0, minor: 57, patch: 0 }));
    /// assert_eq!(Version::parse("1.2.3-rc1").map(|v| v.patch), Some(3));
    /// assert_eq!(Version::parse("1.2"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Version> {
        fn num(s: &str) -> Option<(u32, &str)> {
            let t = s.trim_start();
            let (neg, t) = match t.as_bytes().first() {
                Some(b'+') => (false, &t[1..]),
                Some(b'-') => (true, &t[1..]),
                _ => (false, t),
            };
            let n = t.bytes().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let v: u64 = t[..n].parse().unwrap_or(u64::MAX);
            let v = if neg { (v as u32).wrapping_neg() } else { v as u32 };
            Some((v, &t[n..]))
        }
        let (major, r) = num(s)?;
        let r = r.strip_prefix('.')?;
        let (minor, r) = num(r)?;
        let r = r.strip_prefix('.')?;
        let (patch, _) = num(r)?;
        Some(Version { major, minor, patch })
    }

    /// True when a component providing `self` satisfies a requirement of `required`: same
    /// major and not older.
    pub fn compatible_with(self, required: Version) -> bool {
        self.major == required.major && self >= required
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// One `required_plugin_versions` entry: a plugin and version, or alternatives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginRequirement {
    /// The plugin name.
    pub name: String,
    /// The minimum version, as written.
    pub version: String,
}

/// A requirement satisfied by any of its alternatives.
#[derive(Clone, Debug)]
pub struct PluginRequirementAlternatives {
    /// Where.
    pub ctx: Context,
    /// The alternatives, the first being the entry itself.
    pub alternatives: Vec<PluginRequirement>,
}
