//! The configuration document: `falco.yaml` loaded as a YAML tree, with Falco's
//! `config_files` includes, `${ENV}` substitution, and `-o key.path[N]=value` overrides.

use std::path::{Path, PathBuf};

use falco_engine::rules::yaml::{self, Mark, Node, NodeKind};

/// How an included config file merges (`config_files: [{path, strategy}]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Sequences are appended to, other keys replaced (Falco's default).
    Append,
    /// Keys are replaced.
    Override,
    /// Only keys not yet defined are added.
    AddOnly,
}

/// The configuration tree.
#[derive(Clone, Debug)]
pub struct Tree {
    /// The root mapping.
    pub root: Node,
}

fn null() -> Node {
    Node { kind: NodeKind::Null, mark: Mark::default() }
}

fn scalar(s: &str) -> Node {
    Node { kind: NodeKind::Scalar { text: s.to_string(), plain: true }, mark: Mark::default() }
}

impl Default for Tree {
    fn default() -> Self {
        Tree { root: Node { kind: NodeKind::Map(Vec::new()), mark: Mark::default() } }
    }
}

/// Resolves `${VAR}` (and `$${x}` to a literal `${x}`) in a scalar, as Falco does.
pub fn substitute_env(value: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut v = value.to_string();
    let mut start = v.find('$');
    while let Some(s) = start {
        let sub = &v[s..];
        let next_from;
        if sub.starts_with("${") {
            let Some(end) = sub.find('}') else { break };
            let name = sub[2..end].to_string();
            let replacement = env(&name).unwrap_or_default();
            v.replace_range(s..s + end + 1, &replacement);
            next_from = s + replacement.len();
        } else if sub.starts_with("$${") {
            if !sub.contains('}') {
                break;
            }
            v.remove(s);
            next_from = s + 1;
        } else {
            next_from = s + 1;
        }
        start = v.get(next_from..).and_then(|r| r.find('$')).map(|p| p + next_from);
    }
    v
}

fn visit_scalars(n: &mut Node, f: &dyn Fn(&str) -> String) {
    match &mut n.kind {
        NodeKind::Scalar { text, .. } => *text = f(text),
        NodeKind::Seq(items) => items.iter_mut().for_each(|i| visit_scalars(i, f)),
        NodeKind::Map(entries) => entries.iter_mut().for_each(|(_, v)| visit_scalars(v, f)),
        NodeKind::Null => {}
    }
}

/// A `-o` key path component.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(Option<usize>),
}

/// Parses `a.b[2].c`, with `\.`, `\[`, `\]`, `\\` escapes, as Falco's `get_node` does.
fn parse_key(key: &str) -> Result<Vec<Step>, String> {
    let fail = |m: String| Err(format!("Config error at key \"{key}\": {m}"));
    let b = key.as_bytes();
    let mut steps = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\\' => {
                let Some(&n) = b.get(i + 1) else {
                    return fail(format!("Parsing error: trailing backslash at pos {i}"));
                };
                if !matches!(n, b'.' | b'[' | b']' | b'\\') {
                    return fail(format!(
                        "Parsing error: invalid escape sequence '\\{}' at pos {i}",
                        n as char
                    ));
                }
                cur.push(n as char);
                i += 2;
            }
            b'.' => {
                if cur.is_empty() && !matches!(steps.last(), Some(Step::Index(_))) {
                    return fail(format!("Parsing error: unexpected character at pos {i}"));
                }
                if !cur.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut cur)));
                }
                i += 1;
            }
            b'[' => {
                if !cur.is_empty() {
                    steps.push(Step::Key(std::mem::take(&mut cur)));
                }
                let Some(close) = key[i..].find(']') else {
                    return fail("Parsing error: missing ']'".into());
                };
                let idx = &key[i + 1..i + close];
                if idx.is_empty() {
                    steps.push(Step::Index(None));
                } else {
                    match idx.parse::<usize>() {
                        Ok(n) => steps.push(Step::Index(Some(n))),
                        Err(_) => {
                            return fail(format!(
                                "Parsing error: expected a numeric index, found '{idx}'"
                            ));
                        }
                    }
                }
                i += close + 1;
            }
            _ => {
                if cur.is_empty()
                    && matches!(steps.last(), Some(Step::Index(_)))
                    && i > 0
                    && b[i - 1] == b']'
                {
                    return fail(format!("Parsing error: expected '.' character at pos {}", i - 1));
                }
                // Keep multi-byte characters whole.
                let ch = key[i..].chars().next().expect("in bounds");
                cur.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    if !cur.is_empty() {
        steps.push(Step::Key(cur));
    }
    if steps.is_empty() {
        return fail("Parsing error: empty key".into());
    }
    Ok(steps)
}

impl Tree {
    /// Loads a config file (its first YAML document), resolving `${ENV}` in scalars.
    pub fn load_file(path: &Path) -> Result<Tree, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("Cannot read config file ({}): {e}", path.display()))?;
        Tree::load_str(&text)
            .map_err(|e| format!("Cannot read config file ({}): {e}", path.display()))
    }

    /// Loads config text.
    pub fn load_str(text: &str) -> Result<Tree, String> {
        let docs = yaml::load_all(text).map_err(|e| e.message)?;
        let mut root = docs.into_iter().next().unwrap_or_else(null);
        match root.kind {
            NodeKind::Null => root.kind = NodeKind::Map(Vec::new()),
            NodeKind::Map(_) => {}
            _ => return Err("the configuration is not a YAML mapping".into()),
        }
        visit_scalars(&mut root, &|s| substitute_env(s, &|n| std::env::var(n).ok()));
        Ok(Tree { root })
    }

    /// The node at a key path.
    pub fn get(&self, key: &str) -> Option<&Node> {
        let steps = parse_key(key).ok()?;
        let mut n = &self.root;
        for s in steps {
            n = match s {
                Step::Key(k) => n.get(&k)?,
                Step::Index(Some(i)) => n.items().get(i)?,
                Step::Index(None) => return None,
            };
        }
        Some(n)
    }

    /// Sets the node at a key path, creating mappings and sequence entries as needed
    /// (`list[]` appends).
    pub fn set(&mut self, key: &str, value: Node) -> Result<(), String> {
        let steps = parse_key(key)?;
        let mut n = &mut self.root;
        for s in steps {
            n = match s {
                Step::Key(k) => {
                    if !matches!(n.kind, NodeKind::Map(_)) {
                        n.kind = NodeKind::Map(Vec::new());
                    }
                    let NodeKind::Map(entries) = &mut n.kind else { unreachable!() };
                    let pos =
                        match entries.iter().position(|(kk, _)| kk.scalar() == Some(k.as_str())) {
                            Some(p) => p,
                            None => {
                                entries.push((scalar(&k), null()));
                                entries.len() - 1
                            }
                        };
                    &mut entries[pos].1
                }
                Step::Index(idx) => {
                    if !matches!(n.kind, NodeKind::Seq(_)) {
                        n.kind = NodeKind::Seq(Vec::new());
                    }
                    let NodeKind::Seq(items) = &mut n.kind else { unreachable!() };
                    let i = idx.unwrap_or(items.len());
                    while items.len() <= i {
                        items.push(null());
                    }
                    &mut items[i]
                }
            };
        }
        *n = value;
        Ok(())
    }

    /// Applies one `-o key=value`: a `{...}` value is parsed as YAML, any other as a scalar.
    pub fn set_option(&mut self, opt: &str) -> Result<(), String> {
        let Some((key, val)) = opt.split_once('=') else {
            return Err(format!(
                "Error parsing config option \"{opt}\". Must be of the form key=val or key.subkey=val"
            ));
        };
        let node = if val.starts_with('{') && val.ends_with('}') {
            let docs = yaml::load_all(val)
                .map_err(|e| format!("Error parsing config option \"{opt}\": {}", e.message))?;
            docs.into_iter().next().unwrap_or_else(null)
        } else {
            scalar(val)
        };
        self.set(key, node)
    }

    /// Merges an included config file with `strategy`.
    pub fn include(&mut self, other: Tree, strategy: Strategy, path: &Path) -> Result<(), String> {
        for (k, v) in other.root.entries().to_vec() {
            let key = k.scalar().unwrap_or_default().to_string();
            if key == "config_files" {
                return Err(format!(
                    "Config error: 'config_files' directive in included config file {}.",
                    path.display()
                ));
            }
            let existing = self.root.get(&key).cloned();
            let merged = match (strategy, existing) {
                (Strategy::AddOnly, Some(e)) => e,
                (Strategy::Append, Some(e)) if v.is_seq() => {
                    let mut items = e.items().to_vec();
                    items.extend(v.items().iter().cloned());
                    Node { kind: NodeKind::Seq(items), mark: e.mark }
                }
                _ => v,
            };
            self.set(&escape_key(&key), merged)?;
        }
        Ok(())
    }

    /// The `config_files` entries: `(path, strategy)`.
    pub fn config_files(&self) -> Result<Vec<(PathBuf, Strategy)>, String> {
        let Some(n) = self.root.get("config_files") else {
            return Ok(Vec::new());
        };
        let items: Vec<&Node> = if n.is_seq() { n.items().iter().collect() } else { vec![n] };
        let mut out = Vec::new();
        for it in items {
            if let Some(p) = it.scalar() {
                out.push((PathBuf::from(p), Strategy::Append));
            } else if it.is_map() {
                let path = it
                    .get("path")
                    .and_then(|p| p.scalar())
                    .ok_or("config_files entries need a 'path'")?;
                let strategy = match it.get("strategy").and_then(|s| s.scalar()).unwrap_or("append")
                {
                    "append" => Strategy::Append,
                    "override" => Strategy::Override,
                    "add-only" => Strategy::AddOnly,
                    other => {
                        return Err(format!("Unknown strategy '{other}' for config file {path}"));
                    }
                };
                out.push((PathBuf::from(path), strategy));
            }
        }
        Ok(out)
    }
}

/// Escapes a literal key for use in a key path.
fn escape_key(k: &str) -> String {
    let mut s = String::new();
    for c in k.chars() {
        if matches!(c, '.' | '[' | ']' | '\\') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_substitution_like_falco() {
        let env = |n: &str| (n == "HOME").then(|| "/root".to_string());
        assert_eq!(substitute_env("${HOME}/x", &env), "/root/x");
        assert_eq!(substitute_env("a${NOPE}b", &env), "ab");
        assert_eq!(substitute_env("$${HOME}", &env), "${HOME}");
        assert_eq!(substitute_env("cost $5 ${HOME", &env), "cost $5 ${HOME");
    }

    #[test]
    fn overrides_and_lookups() {
        let mut t = Tree::load_str("a:\n  b: 1\nlist: [x, y]\n").unwrap();
        t.set_option("a.b=2").unwrap();
        t.set_option("list[1]=z").unwrap();
        t.set_option("list[]=w").unwrap();
        t.set_option("new.deep.key=v").unwrap();
        t.set_option("obj={k: 1, j: [1, 2]}").unwrap();
        t.set_option("dotted\\.key=d").unwrap();
        assert_eq!(t.get("a.b").unwrap().scalar(), Some("2"));
        assert_eq!(t.get("list[1]").unwrap().scalar(), Some("z"));
        assert_eq!(t.get("list[2]").unwrap().scalar(), Some("w"));
        assert_eq!(t.get("new.deep.key").unwrap().scalar(), Some("v"));
        assert_eq!(t.get("obj.j").unwrap().items().len(), 2);
        assert_eq!(t.root.get("dotted.key").unwrap().scalar(), Some("d"));
        assert!(t.set_option("nokey").unwrap_err().contains("Must be of the form key=val"));
        assert!(t.set_option("a[x]=1").unwrap_err().contains("expected a numeric index"));
    }

    #[test]
    fn includes_merge_with_strategies() {
        let mut t = Tree::load_str("l: [a]\ns: 1\n").unwrap();
        t.include(Tree::load_str("l: [b]\ns: 2\n").unwrap(), Strategy::Append, Path::new("x"))
            .unwrap();
        assert_eq!(t.get("l").unwrap().items().len(), 2);
        assert_eq!(t.get("s").unwrap().scalar(), Some("2"));
        t.include(
            Tree::load_str("l: [c]\nn: 3\ns: 9\n").unwrap(),
            Strategy::AddOnly,
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(t.get("s").unwrap().scalar(), Some("2"));
        assert_eq!(t.get("n").unwrap().scalar(), Some("3"));
        t.include(Tree::load_str("l: [d]\n").unwrap(), Strategy::Override, Path::new("x")).unwrap();
        assert_eq!(t.get("l").unwrap().items().len(), 1);
        let err = t.include(
            Tree::load_str("config_files: [a]\n").unwrap(),
            Strategy::Append,
            Path::new("inc.yaml"),
        );
        assert!(
            err.unwrap_err().contains("'config_files' directive in included config file inc.yaml")
        );
    }
}
