//! A YAML document tree that remembers where every node came from.
//!
//! Rules files are YAML. Falco reads them with yaml-cpp and reports every problem with the
//! position of the offending node; this module gives the loader the same: each [`Node`]
//! carries a [`Mark`] (byte offset, 0-based line and column, as yaml-cpp counts them), and a
//! syntax error becomes a [`YamlError`] whose message is worded as yaml-cpp words it
//! (`yaml-cpp: error at line 1, column 11: illegal map value`), because tools and tests match
//! on it. Scalars are kept as text; the loader decodes them as yaml-cpp's `as<T>()` would.
//!
//! Data enters as the file's text and leaves as one [`Node`] per YAML document.

use std::borrow::Cow;
use std::collections::HashMap;

use libyaml_safer::{EventData, Parser, ScalarStyle};

/// Where a node starts, counted as yaml-cpp counts (`Mark`): byte offset, 0-based line and
/// 0-based column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    /// Byte offset in the file.
    pub offset: usize,
    /// 0-based line.
    pub line: usize,
    /// 0-based column.
    pub column: usize,
}

/// The shape of a node.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// `~`, `null`, an empty value.
    Null,
    /// A scalar's text; `plain` is false for quoted and block scalars.
    Scalar {
        /// The scalar text.
        text: String,
        /// True for unquoted scalars.
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order (duplicate keys kept; lookups find the first).
    Map(Vec<(Node, Node)>),
}

/// A YAML node with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node is.
    pub kind: NodeKind,
    /// Where it starts.
    pub mark: Mark,
}

impl Node {
    /// The value under `key` if this is a mapping that has it (yaml-cpp's `node[key]` being
    /// defined).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.kind, NodeKind::Scalar { text, .. } if text == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// True for a null node.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// The text of a scalar node.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// True for a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_))
    }

    /// True for a sequence.
    pub fn is_seq(&self) -> bool {
        matches!(self.kind, NodeKind::Seq(_))
    }

    /// The items of a sequence.
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Seq(v) => v,
            _ => &[],
        }
    }

    /// The entries of a mapping.
    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            NodeKind::Map(v) => v,
            _ => &[],
        }
    }

    /// Decodes a scalar as a boolean the way yaml-cpp does (`true`/`yes`/`on`/`y` and their
    /// opposites, in lower, upper or title case).
    pub fn as_bool(&self) -> Option<bool> {
        let s = self.scalar()?;
        const TRUE: [&str; 4] = ["y", "yes", "true", "on"];
        const FALSE: [&str; 4] = ["n", "no", "false", "off"];
        let variants = |w: &str, s: &str| {
            let title = {
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                    None => String::new(),
                }
            };
            s == w || s == w.to_ascii_uppercase() || s == title
        };
        if TRUE.iter().any(|w| variants(w, s)) {
            Some(true)
        } else if FALSE.iter().any(|w| variants(w, s)) {
            Some(false)
        } else {
            None
        }
    }

    /// Decodes a scalar as an unsigned 32-bit number the way yaml-cpp's stream conversion does
    /// (decimal digits, optional `+`, nothing after).
    pub fn as_u32(&self) -> Option<u32> {
        let s = self.scalar()?;
        let digits = s.strip_prefix('+').unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    /// Decodes a scalar as an unsigned 64-bit number (as [`Node::as_u32`]).
    pub fn as_u64(&self) -> Option<u64> {
        let s = self.scalar()?;
        let digits = s.strip_prefix('+').unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }
}

/// A YAML syntax error, worded as yaml-cpp words it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// `yaml-cpp: error at line L, column C: what`.
    pub message: String,
    /// Where the scanner stopped.
    pub mark: Mark,
}

/// Limit on nodes created by alias expansion, against "billion laughs" documents.
const MAX_ALIAS_NODES: usize = 1_000_000;

/// Converts libyaml's character-based marks to byte offsets.
struct Positions<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Positions<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        Positions { text, line_starts }
    }

    /// libyaml marks: 0-based line and column, the column in characters.
    fn mark(&self, line0: usize, col: usize) -> Mark {
        let start = self.line_starts.get(line0).copied().unwrap_or(self.text.len());
        let rest = &self.text[start..];
        let byte_col = rest.char_indices().nth(col).map(|(i, _)| i).unwrap_or(rest.len());
        Mark { offset: start + byte_col, line: line0, column: col }
    }
}

/// Maps libyaml's problem texts to the yaml-cpp messages users and tools know.
fn yaml_cpp_message<'a>(problem: &'a str, context: Option<&str>, at_tab: bool) -> Cow<'a, str> {
    let table: [(&str, &str); 8] = [
        ("mapping values are not allowed", "illegal map value"),
        ("expected ',' or ']'", "end of sequence flow not found"),
        ("expected ',' or '}'", "end of map flow not found"),
        ("did not find expected '-' indicator", "end of sequence not found"),
        ("did not find expected key", "end of map not found"),
        ("found undefined alias", "the referenced anchor is not defined"),
        ("found unknown escape character", "unknown escape character"),
        ("found character that cannot start any token", "unknown token"),
    ];
    if at_tab {
        return Cow::Borrowed("illegal tab when looking for indentation");
    }
    if context.is_some_and(|c| c.contains("quoted scalar")) && problem.contains("end of stream") {
        return Cow::Borrowed("end of string not found");
    }
    for (pat, msg) in table {
        if problem.contains(pat) {
            return Cow::Borrowed(msg);
        }
    }
    Cow::Borrowed(problem)
}

fn scan_error(pos: &Positions<'_>, e: &libyaml_safer::Error) -> YamlError {
    let m = e.problem_mark().unwrap_or_default();
    let mark = pos.mark(m.line as usize, m.column as usize);
    let at_tab = pos.text.as_bytes().get(mark.offset) == Some(&b'\t');
    YamlError {
        message: format!(
            "yaml-cpp: error at line {}, column {}: {}",
            mark.line + 1,
            mark.column + 1,
            yaml_cpp_message(e.problem(), e.context(), at_tab)
        ),
        mark,
    }
}

enum Frame {
    Seq(Vec<Node>, Mark, Option<String>),
    Map(Vec<(Node, Node)>, Option<Node>, Mark, Option<String>),
}

/// Parses every document of `text`, keeping where each node starts.
///
/// ```
/// use falco_engine::rules::yaml::load_all;
/// let docs = load_all("- rule: r\n  priority: INFO\n---\n- list: l\n")?;
/// assert_eq!(docs.len(), 2);
/// let rule = &docs[0].items()[0];
/// assert_eq!(rule.get("priority").and_then(|n| n.scalar()), Some("INFO"));
/// assert_eq!((rule.get("priority").unwrap().mark.line, rule.get("priority").unwrap().mark.column), (1, 12));
/// // Errors read like yaml-cpp's, with 1-based positions in the message.
/// let e = load_all("- a: [1, 2\n").unwrap_err();
/// assert!(e.message.starts_with("yaml-cpp: error at line"), "{}", e.message);
/// // A block scalar may end the file without a line break.
/// let docs = load_all("- macro: m\n  condition: >\n    evt.type = open")?;
/// assert_eq!(docs[0].items()[0].get("condition").and_then(|n| n.scalar()), Some("evt.type = open"));
/// # Ok::<(), falco_engine::rules::yaml::YamlError>(())
/// ```
pub fn load_all(text: &str) -> Result<Vec<Node>, YamlError> {
    // libyaml-safer 0.3 panics on a block scalar that ends the input without a line break
    // (`a: >\n  b` with no final newline, common in hand-written files): give it one, and take
    // the line break it adds back out of that last scalar's value. Any other panic of the
    // parser is turned into an error.
    let owned;
    let (text, appended_at) = if text.ends_with('\n') || text.ends_with('\r') || text.is_empty() {
        (text, None)
    } else {
        owned = format!("{text}\n");
        (owned.as_str(), Some(text.len()))
    };
    match quietly(|| load_all_inner(text, appended_at)) {
        Ok(r) => r,
        Err(()) => Err(YamlError {
            message: "yaml-cpp: error at line 1, column 1: the YAML parser failed on this input"
                .into(),
            mark: Mark::default(),
        }),
    }
}

thread_local! {
    /// Set while this thread runs the parser under [`quietly`].
    static IN_PARSER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` (the YAML parser), turning a panic into `Err(())` without the panic message the
/// default hook would print: libyaml-safer 0.3 still has `panic!("TODO")` paths reachable from
/// input (a tag followed by `,` in a flow collection, `[!t,]`). The hook is wrapped once for
/// the process and defers to the previous hook for every other panic.
fn quietly<R>(f: impl FnOnce() -> R) -> Result<R, ()> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_PARSER.with(|p| p.get()) {
                previous(info);
            }
        }));
    });
    let was = IN_PARSER.with(|p| p.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_PARSER.with(|p| p.set(was));
    r.map_err(|_| ())
}

fn load_all_inner(text: &str, appended_at: Option<usize>) -> Result<Vec<Node>, YamlError> {
    let pos = Positions::new(text);
    let mut input = text.as_bytes();
    let mut parser = Parser::new();
    parser.set_input_string(&mut input);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<String, Node> = HashMap::new();
    let mut alias_nodes = 0usize;
    let mut doc_root: Option<Node> = None;

    loop {
        let event = parser.parse().map_err(|e| scan_error(&pos, &e))?;
        let mark = pos.mark(event.start_mark.line as usize, event.start_mark.column as usize);
        let node = match event.data {
            EventData::StreamStart { .. } => continue,
            EventData::StreamEnd => break,
            EventData::DocumentStart { .. } => {
                doc_root = None;
                continue;
            }
            EventData::DocumentEnd { .. } => {
                docs.push(doc_root.take().unwrap_or(Node { kind: NodeKind::Null, mark }));
                continue;
            }
            EventData::SequenceStart { anchor, .. } => {
                stack.push(Frame::Seq(Vec::new(), mark, anchor));
                continue;
            }
            EventData::MappingStart { anchor, .. } => {
                stack.push(Frame::Map(Vec::new(), None, mark, anchor));
                continue;
            }
            EventData::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, m, anchor)) => {
                    let n = Node { kind: NodeKind::Seq(items), mark: m };
                    if let Some(a) = anchor {
                        anchors.insert(a, n.clone());
                    }
                    n
                }
                _ => return Err(internal_error(mark)),
            },
            EventData::MappingEnd => match stack.pop() {
                Some(Frame::Map(entries, pending, m, anchor)) => {
                    let mut entries = entries;
                    if let Some(k) = pending {
                        // A key without a value: yaml-cpp gives it a null value.
                        let km = k.mark;
                        entries.push((k, Node { kind: NodeKind::Null, mark: km }));
                    }
                    let n = Node { kind: NodeKind::Map(entries), mark: m };
                    if let Some(a) = anchor {
                        anchors.insert(a, n.clone());
                    }
                    n
                }
                _ => return Err(internal_error(mark)),
            },
            EventData::Scalar { anchor, mut value, style, .. } => {
                let plain = matches!(style, ScalarStyle::Plain);
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                if block && appended_at.is_some_and(|at| event.end_mark.index as usize > at) {
                    // The line break we appended to the input.
                    if value.ends_with('\n') {
                        value.pop();
                    }
                }
                let kind = if plain && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL")
                {
                    NodeKind::Null
                } else {
                    NodeKind::Scalar { text: value, plain }
                };
                let n = Node { kind, mark };
                if let Some(a) = anchor {
                    anchors.insert(a, n.clone());
                }
                n
            }
            EventData::Alias { anchor } => {
                let Some(n) = anchors.get(&anchor) else {
                    return Err(YamlError {
                        message: format!(
                            "yaml-cpp: error at line {}, column {}: the referenced anchor is not defined",
                            mark.line + 1,
                            mark.column + 1
                        ),
                        mark,
                    });
                };
                alias_nodes += count_nodes(n);
                if alias_nodes > MAX_ALIAS_NODES {
                    return Err(YamlError {
                        message: format!(
                            "yaml-cpp: error at line {}, column {}: too many nodes created by aliases",
                            mark.line + 1,
                            mark.column + 1
                        ),
                        mark,
                    });
                }
                n.clone()
            }
        };
        // Attach the finished node to its parent.
        match stack.last_mut() {
            None => doc_root = Some(node),
            Some(Frame::Seq(items, ..)) => items.push(node),
            Some(Frame::Map(entries, pending, ..)) => match pending.take() {
                None => *pending = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
    Ok(docs)
}

fn count_nodes(n: &Node) -> usize {
    // Iterative, so that deep documents cannot overflow the stack here.
    let mut count = 0;
    let mut todo = vec![n];
    while let Some(n) = todo.pop() {
        count += 1;
        match &n.kind {
            NodeKind::Seq(v) => todo.extend(v.iter()),
            NodeKind::Map(v) => todo.extend(v.iter().flat_map(|(k, v)| [k, v])),
            _ => {}
        }
    }
    count
}

fn internal_error(mark: Mark) -> YamlError {
    YamlError {
        message: format!(
            "yaml-cpp: error at line {}, column {}: unbalanced document structure",
            mark.line + 1,
            mark.column + 1
        ),
        mark,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_yaml_cpp_marks() {
        let docs = load_all("- rule: a\n  desc: x\n- list: l\n  items: [a, \"b c\"]\n").unwrap();
        assert_eq!(docs.len(), 1);
        let items = docs[0].items();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].mark, Mark { offset: 2, line: 0, column: 2 });
        let list = &items[1];
        assert_eq!(list.get("list").unwrap().scalar(), Some("l"));
        let vals = list.get("items").unwrap().items();
        assert_eq!(vals[1].scalar(), Some("b c"));
        assert_eq!(vals[1].mark.line, 3);
    }

    #[test]
    fn nulls_and_multi_documents() {
        let docs = load_all("---\n- rule:\n  x: ~\n  y: 'null'\n---\n---\nfoo\n").unwrap();
        assert_eq!(docs.len(), 3);
        let item = &docs[0].items()[0];
        assert!(item.get("rule").unwrap().is_null());
        assert!(item.get("x").unwrap().is_null());
        assert_eq!(item.get("y").unwrap().scalar(), Some("null"));
        assert!(docs[1].is_null());
        assert_eq!(docs[2].scalar(), Some("foo"));
    }

    #[test]
    fn yaml_cpp_error_wording() {
        let e = load_all("this : is : not : yaml").unwrap_err();
        assert_eq!(e.message, "yaml-cpp: error at line 1, column 11: illegal map value");
    }

    #[test]
    fn booleans_and_numbers_like_yaml_cpp() {
        let docs = load_all("[true, Yes, OFF, n, maybe, 13, +7, -1, 1.5]").unwrap();
        let v = docs[0].items();
        let b: Vec<_> = v[..5].iter().map(|n| n.as_bool()).collect();
        assert_eq!(b, [Some(true), Some(true), Some(false), Some(false), None]);
        let n: Vec<_> = v[5..].iter().map(|n| n.as_u32()).collect();
        assert_eq!(n, [Some(13), Some(7), None, None]);
    }

    #[test]
    fn inputs_without_a_final_line_break() {
        let scalar = |text: &str, key: &str| {
            let docs = load_all(text).unwrap();
            docs[0].get(key).and_then(|n| n.scalar()).map(str::to_string)
        };
        // A block scalar ending the input: no panic, the value as if the break were absent.
        assert_eq!(scalar("a: >\n  x y", "a").as_deref(), Some("x y"));
        assert_eq!(scalar("a: |\n  x\n  y", "a").as_deref(), Some("x\ny"));
        assert_eq!(scalar("a: |+\n  x", "a").as_deref(), Some("x"));
        // Earlier block scalars keep their line break; other inputs are untouched.
        assert_eq!(scalar("a: |\n  x\nb: c", "a").as_deref(), Some("x\n"));
        assert_eq!(scalar("a: |\n  x\n", "a").as_deref(), Some("x\n"));
        assert_eq!(scalar("a: 'q'", "a").as_deref(), Some("q"));
        for s in [">", "|", ">\n m", "- |\n  x", "a: [\n", "a: >-\n  x\n  # c"] {
            let _ = load_all(s);
        }
    }

    #[test]
    fn parser_panics_are_errors() {
        // libyaml-safer 0.3 reaches `panic!("TODO")` on a tag followed by `,` in a flow sequence.
        let e = load_all("- list: l\n  items: [!t, a]\n").unwrap_err();
        assert!(e.message.contains("the YAML parser failed on this input"), "{}", e.message);
        // The parser still works afterwards, on this thread and others.
        assert!(load_all("- list: l\n  items: [a]\n").is_ok());
        std::thread::spawn(|| assert!(load_all("a: [!t, b]").is_err())).join().unwrap();
    }

    #[test]
    fn aliases_are_expanded() {
        let docs = load_all("a: &x [1, 2]\nb: *x\n").unwrap();
        assert_eq!(docs[0].get("b").unwrap().items().len(), 2);
        assert!(load_all("b: *nope\n").is_err());
    }

    #[test]
    fn flow_sequences_of_quoted_strings_across_lines() {
        // The shape of Falco's own miner_domains lists.
        let docs = load_all("- list: a\n  items: [\n    \"x\",\n    \"y\"\n  ]\n").unwrap();
        assert_eq!(docs[0].items()[0].get("items").unwrap().items().len(), 2);
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let docs = load_all("- é: 1\n  ü: 2\n").unwrap();
        let m = &docs[0].items()[0];
        let (k, _) = &m.entries()[1];
        assert_eq!(k.mark, Mark { offset: 10, line: 1, column: 2 });
    }
}
