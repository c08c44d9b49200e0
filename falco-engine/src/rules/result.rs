//! The result of loading one rules file: errors and warnings with Falco's codes, each with
//! the chain of places it occurred in and a snippet of the text, rendered as Falco renders
//! them (`falco -V` text, and the JSON of `falco -V FILE -o json_output=true`).
//!
//! Positions follow Falco: items inside the YAML are located by yaml-cpp marks (0-based line
//! and column), positions inside a condition add the condition parser's 1-based line and
//! column to the mark of the condition's YAML value.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Value as Json, json};

use super::yaml::Mark;
use crate::filter::ast::Pos;

/// Error codes of a rules load, as Falco names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The file could not be read.
    FileRead,
    /// The content is not valid YAML.
    YamlParse,
    /// The YAML does not have the structure of a rules file.
    YamlValidate,
    /// A condition does not compile.
    CompileCondition,
    /// An output does not compile.
    CompileOutput,
    /// An item is invalid (undefined macro, version mismatch, bad append, ...).
    Validate,
    /// An extension item is invalid.
    Extension,
}

impl ErrorCode {
    /// The code (`LOAD_ERR_YAML_PARSE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FileRead => "LOAD_ERR_FILE_READ",
            ErrorCode::YamlParse => "LOAD_ERR_YAML_PARSE",
            ErrorCode::YamlValidate => "LOAD_ERR_YAML_VALIDATE",
            ErrorCode::CompileCondition => "LOAD_ERR_COMPILE_CONDITION",
            ErrorCode::CompileOutput => "LOAD_ERR_COMPILE_OUTPUT",
            ErrorCode::Validate => "LOAD_ERR_VALIDATE",
            ErrorCode::Extension => "LOAD_ERR_EXTENSION",
        }
    }

    /// The short description Falco prints next to the code (and, as Falco does, in the JSON
    /// `codedesc`).
    pub fn description(self) -> &'static str {
        match self {
            ErrorCode::FileRead => "File read error",
            ErrorCode::YamlParse => "YAML parse error",
            ErrorCode::YamlValidate => "Error validating internal structure of YAML file",
            ErrorCode::CompileCondition => "Error compiling condition",
            ErrorCode::CompileOutput => "Error compiling output",
            ErrorCode::Validate => "Error validating rule/macro/list/exception objects",
            ErrorCode::Extension => "Error in extension item",
        }
    }
}

/// Warning codes of a rules load, as Falco names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum WarningCode {
    /// A rule's source is not loaded; the rule is skipped.
    UnknownSource,
    /// A comparison with `<NA>`.
    UnsafeNaCheck,
    /// A condition matches too many event types.
    NoEvttype,
    /// An unknown field or event type in a rule with `skip-if-unknown-filter: true`.
    UnknownFilter,
    /// A macro nothing uses.
    UnusedMacro,
    /// A list nothing uses.
    UnusedList,
    /// An unknown top-level item.
    UnknownItem,
    /// A deprecated item or field.
    DeprecatedItem,
    /// A warning in an extension item.
    WarningExtension,
    /// An exception appended or overridden with no values.
    AppendNoValues,
    /// Two exceptions of a rule with the same name.
    ExceptionNameNotUnique,
    /// A macro name that is not an identifier.
    InvalidMacroName,
    /// A list name that is not a bare string.
    InvalidListName,
    /// The condition compiler's own warnings (a regex that could be simpler, ...).
    CompileCondition,
    /// An unknown key in an item.
    UnknownKey,
}

impl WarningCode {
    /// The code. `UnknownFilter` keeps the name Falco's regression suite checks,
    /// `LOAD_UNKNOWN_FIELD` (Falco 0.35 renamed the string to `LOAD_UNKNOWN_FILTER`).
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::UnknownSource => "LOAD_UNKNOWN_SOURCE",
            WarningCode::UnsafeNaCheck => "LOAD_UNSAFE_NA_CHECK",
            WarningCode::NoEvttype => "LOAD_NO_EVTTYPE",
            WarningCode::UnknownFilter => "LOAD_UNKNOWN_FIELD",
            WarningCode::UnusedMacro => "LOAD_UNUSED_MACRO",
            WarningCode::UnusedList => "LOAD_UNUSED_LIST",
            WarningCode::UnknownItem => "LOAD_UNKNOWN_ITEM",
            WarningCode::DeprecatedItem => "LOAD_DEPRECATED_ITEM",
            WarningCode::WarningExtension => "LOAD_WARNING_EXTENSION",
            WarningCode::AppendNoValues => "LOAD_APPEND_NO_VALUES",
            WarningCode::ExceptionNameNotUnique => "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
            WarningCode::InvalidMacroName => "LOAD_INVALID_MACRO_NAME",
            WarningCode::InvalidListName => "LOAD_INVALID_LIST_NAME",
            WarningCode::CompileCondition => "LOAD_COMPILE_CONDITION",
            WarningCode::UnknownKey => "LOAD_UNKNOWN_KEY",
        }
    }

    /// The short description printed next to the code.
    pub fn description(self) -> &'static str {
        match self {
            WarningCode::UnknownSource => "Unknown event source",
            WarningCode::UnsafeNaCheck => "Unsafe <NA> comparison in condition",
            WarningCode::NoEvttype => "Condition has no event-type restriction",
            WarningCode::UnknownFilter => "Unknown field or event-type in condition or output",
            WarningCode::UnusedMacro => "Unused macro",
            WarningCode::UnusedList => "Unused list",
            WarningCode::UnknownItem => "Unknown rules file item",
            WarningCode::DeprecatedItem => "Used deprecated item",
            WarningCode::WarningExtension => "Warning in extension item",
            WarningCode::AppendNoValues => "Overriding/appending with no values",
            WarningCode::ExceptionNameNotUnique => "Multiple exceptions defined with the same name",
            WarningCode::InvalidMacroName => "Invalid macro name",
            WarningCode::InvalidListName => "Invalid list name",
            WarningCode::CompileCondition => "Warning in rule condition",
            WarningCode::UnknownKey => "Unknown key in item definition",
        }
    }

    /// The long description, the JSON `codedesc`.
    pub fn long_description(self) -> &'static str {
        match self {
            WarningCode::UnknownSource => {
                "A rule has a unknown event source. This can occur when reading rules content without having a corresponding plugin loaded, etc. The rule will be silently ignored."
            }
            WarningCode::UnsafeNaCheck => {
                "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead."
            }
            WarningCode::NoEvttype => {
                "A rule condition matches too many evt.type values. This has a significant performance penalty. Make the condition more specific by adding an evt.type field or further restricting the number of evt.type values in the condition."
            }
            WarningCode::UnknownFilter => {
                "A rule condition or output refers to a field or evt.type that does not exist. This is normally an error, but if a rule has a skip-if-unknown-filter property, the error is downgraded to a warning."
            }
            WarningCode::UnusedMacro => {
                "A macro is defined in the rules content but is not used by any other macro or rule."
            }
            WarningCode::UnusedList => {
                "A list is defined in the rules content but is not used by any other list, macro, or rule."
            }
            WarningCode::UnknownItem => {
                "An unknown top-level object is in the rules content. It will be ignored."
            }
            WarningCode::DeprecatedItem => {
                "A deprecated item is employed by lists, macros, or rules."
            }
            WarningCode::WarningExtension => "An extension item has a warning",
            WarningCode::AppendNoValues => {
                "A rule exception is overriding/appending with no values"
            }
            WarningCode::ExceptionNameNotUnique => {
                "A rule is defining multiple exceptions with the same name"
            }
            WarningCode::InvalidMacroName => "A macro is defined with an invalid name",
            WarningCode::InvalidListName => "A list is defined with an invalid name",
            WarningCode::CompileCondition => {
                "A rule condition or output have been parsed with a warning"
            }
            WarningCode::UnknownKey => {
                "An item in the rules content contains an unrecognized key. The key will be ignored. This may indicate a typo or a property placed on the wrong item type."
            }
        }
    }
}

/// The kind of place a location points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ItemType {
    ValueFor,
    Exceptions,
    Exception,
    ExceptionValues,
    ExceptionValue,
    RulesContent,
    RulesContentItem,
    RequiredEngineVersion,
    RequiredPluginVersions,
    RequiredPluginVersionsEntry,
    RequiredPluginVersionsAlternative,
    List,
    ListItem,
    Macro,
    MacroCondition,
    Rule,
    RuleCondition,
    ConditionExpression,
    RuleOutput,
    RuleOutputExpression,
    RulePriority,
    Override,
    ExtensionItem,
}

impl ItemType {
    /// The name Falco prints (`rule`, `macro condition`, `value for`, ...).
    pub fn as_str(self) -> &'static str {
        use ItemType::*;
        match self {
            ValueFor => "value for",
            Exceptions => "exceptions",
            Exception => "exception",
            ExceptionValues => "exception values",
            ExceptionValue => "exception value",
            RulesContent => "rules content",
            RulesContentItem => "rules content item",
            RequiredEngineVersion => "required_engine_version",
            RequiredPluginVersions => "required plugin versions",
            RequiredPluginVersionsEntry => "required plugin versions entry",
            RequiredPluginVersionsAlternative => "required plugin versions alternative",
            List => "list",
            ListItem => "list item",
            Macro => "macro",
            MacroCondition => "macro condition",
            Rule => "rule",
            RuleCondition => "rule condition",
            ConditionExpression => "condition expression",
            RuleOutput => "rule output",
            RuleOutputExpression => "rule output expression",
            RulePriority => "rule priority",
            Override => "overrides",
            ExtensionItem => "extension item",
        }
    }
}

/// A position: byte offset, line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Byte offset.
    pub offset: usize,
    /// Line (0-based for YAML marks, as Falco prints them).
    pub line: usize,
    /// Column (0-based for YAML marks).
    pub column: usize,
}

impl From<Mark> for Position {
    fn from(m: Mark) -> Self {
        Position { offset: m.offset, line: m.line, column: m.column }
    }
}

/// One step of a context chain: an item of some type and name at a position of some content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The content the position is in: a file name, or a quoted condition prefix.
    pub name: String,
    /// Where.
    pub pos: Position,
    /// What kind of item.
    pub item_type: ItemType,
    /// The item's name, if it has one.
    pub item_name: String,
}

/// Where an error or warning occurred: a chain from the file down to the item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    locs: Vec<Location>,
    /// For positions inside a condition: the condition text the snippet is drawn from, and
    /// the byte index in it. (Falco draws the caret at the file offset instead, which lands
    /// past the condition; we point at the real position.)
    alt_content: Option<(String, usize)>,
}

impl Context {
    /// The whole content named `name` (a file).
    pub fn new(name: &str) -> Context {
        Context {
            locs: vec![Location {
                name: name.to_string(),
                pos: Position::default(),
                item_type: ItemType::RulesContent,
                item_name: String::new(),
            }],
            alt_content: None,
        }
    }

    /// A child location at a YAML mark.
    pub fn child(&self, mark: Mark, item_type: ItemType, item_name: &str) -> Context {
        let mut locs = self.locs.clone();
        locs.push(Location {
            name: self.name().to_string(),
            pos: mark.into(),
            item_type,
            item_name: item_name.to_string(),
        });
        Context { locs, alt_content: self.alt_content.clone() }
    }

    /// A location inside a condition: `pos` is the condition parser's position and is added to
    /// the position of this context's last location, as Falco does.
    pub fn in_condition(&self, pos: Pos, condition: &str) -> Context {
        let last = self.locs.last().map(|l| l.pos).unwrap_or_default();
        let prefix: String = if condition.chars().count() > 20 {
            format!("\"{}...\"", condition.chars().take(17).collect::<String>())
        } else {
            format!("\"{condition}\"")
        };
        let name = prefix.replace(['\n', '\r'], " ");
        let mut locs = self.locs.clone();
        locs.push(Location {
            name,
            pos: Position {
                offset: pos.idx as usize + last.offset,
                line: pos.line as usize + last.line,
                column: pos.col as usize + last.column,
            },
            item_type: ItemType::ConditionExpression,
            item_name: String::new(),
        });
        Context { locs, alt_content: Some((condition.to_string(), pos.idx as usize)) }
    }

    /// The content name of the first location (the file).
    pub fn name(&self) -> &str {
        &self.locs[0].name
    }

    /// The chain, outermost first.
    pub fn locations(&self) -> &[Location] {
        &self.locs
    }

    /// Falco's text form: `In rule 'x': (file:3:2)` lines.
    pub fn as_text(&self) -> String {
        let mut s = String::new();
        for (i, loc) in self.locs.iter().enumerate() {
            s.push_str(if i == 0 { "In " } else { "    " });
            s.push_str(loc.item_type.as_str());
            if !loc.item_name.is_empty() {
                let _ = write!(s, " '{}'", loc.item_name);
            }
            let _ = writeln!(s, ": ({}:{}:{})", loc.name, loc.pos.line, loc.pos.column);
        }
        s
    }

    /// The JSON `context` object (without the snippet).
    pub fn as_json(&self) -> Json {
        let locs: Vec<Json> = self
            .locs
            .iter()
            .map(|l| {
                json!({
                    "item_type": l.item_type.as_str(),
                    "item_name": l.item_name,
                    "position": {
                        "name": l.name,
                        "line": l.pos.line,
                        "column": l.pos.column,
                        "offset": l.pos.offset,
                    }
                })
            })
            .collect();
        json!({ "locations": locs })
    }

    /// The line of content around the last location, with a caret under the position, as
    /// Falco draws it (at most `width` characters).
    pub fn snippet(&self, contents: &HashMap<String, String>, width: usize) -> String {
        let loc = self.locs.last().expect("a context has a location");
        let (content, offset) = match (&self.alt_content, contents.get(&loc.name)) {
            (Some((alt, idx)), _) => (alt.as_str(), *idx),
            (None, Some(c)) => (c.as_str(), loc.pos.offset),
            (None, None) => return format!("<No context for file + {}>\n", loc.name),
        };
        let b = content.as_bytes();
        if b.is_empty() {
            return "<No context available>\n".into();
        }
        let half = width / 2;
        let mut pos = offset;
        // A position past the end (a dangling value at the end of the file) or on a newline
        // moves back to the nearest character.
        while pos > 0 && (pos >= b.len() || b[pos] == b'\n') {
            pos -= 1;
        }
        let mut from = pos;
        while from > 0 && b[from] != b'\n' && (pos - from) < half {
            from -= 1;
        }
        let mut to = pos;
        while to + 1 < b.len() && b[to] != b'\n' && (to - pos) < half {
            to += 1;
        }
        if b[from] == b'\n' {
            from += 1;
        }
        if b[to] == b'\n' {
            if to == 0 {
                return "<No context available>\n".into();
            }
            to -= 1;
        }
        if to < from {
            return "<No context available>\n".into();
        }
        let mut ret: Vec<u8> = b[from..=to].to_vec();
        if pos - from >= half && ret.len() >= 3 {
            ret[..3].copy_from_slice(b"...");
        }
        if to - pos >= half && ret.len() >= 3 {
            let n = ret.len();
            ret[n - 3..].copy_from_slice(b"...");
        }
        let caret_ok = pos - from < ret.len();
        let mut out = String::from_utf8_lossy(&ret).into_owned();
        out.push('\n');
        if caret_ok {
            out.push_str(&" ".repeat(pos - from));
            out.push_str("^\n");
        }
        out
    }
}

/// Default snippet width, as Falco's.
pub const SNIPPET_WIDTH: usize = 160;

/// An error of a rules load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The code.
    pub code: ErrorCode,
    /// The message.
    pub message: String,
    /// Where.
    pub context: Context,
}

/// A warning of a rules load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadWarning {
    /// The code.
    pub code: WarningCode,
    /// The message (may be empty for some codes, as in Falco).
    pub message: String,
    /// Where.
    pub context: Context,
    /// For deprecated-field warnings, the field.
    pub deprecated_field: Option<&'static str>,
}

impl LoadWarning {
    fn summary(&self) -> String {
        match self.deprecated_field {
            Some(f) => format!("{}: field '{f}'", self.code.description()),
            None => self.code.description().to_string(),
        }
    }
}

/// Errors and warnings of loading one rules content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadResult {
    /// The content's name (its file name).
    pub name: String,
    /// Errors; any error makes the load unsuccessful.
    pub errors: Vec<LoadError>,
    /// Warnings.
    pub warnings: Vec<LoadWarning>,
}

impl LoadResult {
    /// An empty result for the content named `name`.
    pub fn new(name: &str) -> LoadResult {
        LoadResult { name: name.to_string(), errors: Vec::new(), warnings: Vec::new() }
    }

    /// True when there is no error.
    pub fn successful(&self) -> bool {
        self.errors.is_empty()
    }

    /// True when there is a warning.
    pub fn has_warnings(&self) -> bool {
        !self.warnings.is_empty()
    }

    /// Records an error.
    pub fn add_error(&mut self, code: ErrorCode, message: impl Into<String>, context: Context) {
        self.errors.push(LoadError { code, message: message.into(), context });
    }

    /// Records a warning.
    pub fn add_warning(&mut self, code: WarningCode, message: impl Into<String>, context: Context) {
        self.warnings.push(LoadWarning {
            code,
            message: message.into(),
            context,
            deprecated_field: None,
        });
    }

    /// Records a deprecated-field warning.
    pub fn add_deprecated_field(&mut self, field: &'static str, message: String, context: Context) {
        self.warnings.push(LoadWarning {
            code: WarningCode::DeprecatedItem,
            message,
            context,
            deprecated_field: Some(field),
        });
    }

    /// Falco's one-line-per-problem summary.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        if !self.name.is_empty() {
            let _ = write!(s, "{}: ", self.name);
        }
        s.push_str(if self.successful() { "Ok" } else { "Invalid" });
        if self.successful() && self.has_warnings() {
            s.push_str(", with warnings");
        }
        if !self.errors.is_empty() {
            let items: Vec<String> = self
                .errors
                .iter()
                .map(|e| format!("{} ({})", e.code.as_str(), e.code.description()))
                .collect();
            let _ = write!(s, "\n {} errors: [{}]", self.errors.len(), items.join(" "));
        }
        if !self.warnings.is_empty() {
            let items: Vec<String> = self
                .warnings
                .iter()
                .map(|w| format!("{} ({})", w.code.as_str(), w.summary()))
                .collect();
            let _ = write!(s, "\n {} warnings: [{}]", self.warnings.len(), items.join(" "));
        }
        s
    }

    /// Falco's verbose text: every error and warning with its location chain and snippet.
    pub fn verbose(&self, contents: &HashMap<String, String>) -> String {
        let mut s = String::new();
        if !self.name.is_empty() {
            let _ = write!(s, "{}: ", self.name);
        }
        s.push_str(if self.successful() { "Ok" } else { "Invalid" });
        if self.successful() && self.has_warnings() {
            s.push_str(", with warnings");
        }
        if !self.errors.is_empty() {
            let _ = write!(s, "\n{} Errors:\n", self.errors.len());
            for e in &self.errors {
                s.push_str(&e.context.as_text());
                s.push_str("------\n");
                s.push_str(&e.context.snippet(contents, SNIPPET_WIDTH));
                s.push_str("------\n");
                let _ =
                    writeln!(s, "{} ({}): {}", e.code.as_str(), e.code.description(), e.message);
            }
        }
        if !self.warnings.is_empty() {
            let _ = write!(s, "\n{} Warnings:\n", self.warnings.len());
            for w in &self.warnings {
                s.push_str(&w.context.as_text());
                s.push_str("------\n");
                s.push_str(&w.context.snippet(contents, SNIPPET_WIDTH));
                s.push_str("------\n");
                let _ = writeln!(s, "{} ({}): {}", w.code.as_str(), w.summary(), w.message);
            }
        }
        s
    }

    /// The JSON object Falco prints for this file in `falco_load_results`.
    pub fn as_json(&self, contents: &HashMap<String, String>) -> Json {
        let errors: Vec<Json> = self
            .errors
            .iter()
            .map(|e| {
                let mut ctx = e.context.as_json();
                ctx["snippet"] = Json::String(e.context.snippet(contents, SNIPPET_WIDTH));
                json!({
                    "context": ctx,
                    "code": e.code.as_str(),
                    "codedesc": e.code.description(),
                    "message": e.message,
                })
            })
            .collect();
        let warnings: Vec<Json> = self
            .warnings
            .iter()
            .map(|w| {
                let mut ctx = w.context.as_json();
                ctx["snippet"] = Json::String(w.context.snippet(contents, SNIPPET_WIDTH));
                let mut j = json!({
                    "context": ctx,
                    "code": w.code.as_str(),
                    "codedesc": w.code.long_description(),
                    "message": w.message,
                });
                if let Some(f) = w.deprecated_field {
                    j["deprecated_field"] = Json::String(f.to_string());
                }
                j
            })
            .collect();
        json!({
            "name": self.name,
            "successful": self.successful(),
            "errors": errors,
            "warnings": warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(offset: usize, line: usize, column: usize) -> Mark {
        Mark { offset, line, column }
    }

    #[test]
    fn context_text_and_json() {
        let ctx = Context::new("rules.yaml").child(mark(2, 0, 2), ItemType::Rule, "r1");
        assert_eq!(
            ctx.as_text(),
            "In rules content: (rules.yaml:0:0)\n    rule 'r1': (rules.yaml:0:2)\n"
        );
        let j = ctx.as_json();
        assert_eq!(j["locations"][1]["item_type"], "rule");
        assert_eq!(j["locations"][1]["position"]["column"], 2);
    }

    #[test]
    fn snippet_points_at_the_position() {
        let text = "- rule: r1\n  condition: evt.type=open foo\n";
        let mut contents = HashMap::new();
        contents.insert("f.yaml".to_string(), text.to_string());
        let ctx = Context::new("f.yaml").child(mark(13, 1, 2), ItemType::Rule, "r1");
        assert_eq!(ctx.snippet(&contents, SNIPPET_WIDTH), "  condition: evt.type=open foo\n  ^\n");
        let cond = ctx.in_condition(Pos { idx: 14, line: 1, col: 15 }, "evt.type=open foo");
        assert_eq!(cond.locations()[2].name, "\"evt.type=open foo\"");
        assert_eq!(cond.snippet(&contents, SNIPPET_WIDTH), "evt.type=open foo\n              ^\n");
        let long = ctx.in_condition(Pos::default(), "a.b = 1 and c.d = 2 and e.f = 3");
        assert_eq!(long.locations()[2].name, "\"a.b = 1 and c.d =...\"");
    }

    #[test]
    fn summary_and_json_shapes() {
        let mut r = LoadResult::new("f.yaml");
        assert_eq!(r.summary(), "f.yaml: Ok");
        r.add_warning(
            WarningCode::UnusedMacro,
            "Macro not referred to by any other rule/macro",
            Context::new("f.yaml"),
        );
        assert_eq!(
            r.summary(),
            "f.yaml: Ok, with warnings\n 1 warnings: [LOAD_UNUSED_MACRO (Unused macro)]"
        );
        r.add_error(ErrorCode::YamlParse, "bad", Context::new("f.yaml"));
        assert!(
            r.summary().starts_with(
                "f.yaml: Invalid\n 1 errors: [LOAD_ERR_YAML_PARSE (YAML parse error)]"
            )
        );
        let j = r.as_json(&HashMap::new());
        assert_eq!(j["successful"], false);
        assert_eq!(j["errors"][0]["code"], "LOAD_ERR_YAML_PARSE");
        assert_eq!(j["warnings"][0]["codedesc"], WarningCode::UnusedMacro.long_description());
        assert_eq!(j["errors"][0]["context"]["snippet"], "<No context for file + f.yaml>\n");
    }
}
