//! The building blocks of comparisons, with libsinsp's semantics: `fnmatch`-style globs,
//! path-prefix sets for `pmatch`, ASCII case-insensitive search for `icontains`, and number
//! parsing as `sscanf` does it (so `user.uid = -1` means 4294967295, as in Falco).

use std::collections::HashMap;

/// A compiled `fnmatch(3)` pattern without `FNM_PATHNAME`: `*` and `?` also match `/`;
/// `[...]` classes with ranges, `!`/`^` negation and `[:alpha:]`-style classes; `\` escapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    tokens: Vec<GlobTok>,
    casefold: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum GlobTok {
    Lit(u8),
    Any,
    Star,
    Class { negated: bool, items: Vec<ClassItem> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ClassItem {
    Range(u8, u8),
    Named(NamedClass),
}

/// The POSIX character classes (`[:alpha:]` ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NamedClass {
    Alpha,
    Digit,
    Alnum,
    Upper,
    Lower,
    Space,
    Blank,
    Punct,
    XDigit,
    Cntrl,
    Print,
    Graph,
}

impl NamedClass {
    fn parse(name: &[u8]) -> Option<NamedClass> {
        use NamedClass::*;
        Some(match name {
            b"alpha" => Alpha,
            b"digit" => Digit,
            b"alnum" => Alnum,
            b"upper" => Upper,
            b"lower" => Lower,
            b"space" => Space,
            b"blank" => Blank,
            b"punct" => Punct,
            b"xdigit" => XDigit,
            b"cntrl" => Cntrl,
            b"print" => Print,
            b"graph" => Graph,
            _ => return None,
        })
    }

    fn contains(self, c: u8) -> bool {
        use NamedClass::*;
        match self {
            Alpha => c.is_ascii_alphabetic(),
            Digit => c.is_ascii_digit(),
            Alnum => c.is_ascii_alphanumeric(),
            Upper => c.is_ascii_uppercase(),
            Lower => c.is_ascii_lowercase(),
            Space => matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
            Blank => c == b' ' || c == b'\t',
            Punct => c.is_ascii_punctuation(),
            XDigit => c.is_ascii_hexdigit(),
            Cntrl => c.is_ascii_control(),
            Print => (0x20..0x7f).contains(&c),
            Graph => c.is_ascii_graphic(),
        }
    }
}

impl Glob {
    /// Compiles a pattern. A malformed class (`[` without `]`) matches a literal `[`, as
    /// fnmatch does.
    ///
    /// ```
    /// use falco_engine::filter::ops::Glob;
    /// let g = Glob::new(b"/etc/*.conf", false);
    /// assert!(g.matches(b"/etc/a/b.conf"));
    /// assert!(!g.matches(b"/etc/a.confx"));
    /// assert!(Glob::new(b"*BASH*", true).matches(b"/bin/bash"));
    /// ```
    pub fn new(pattern: &[u8], casefold: bool) -> Glob {
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < pattern.len() {
            let c = pattern[i];
            match c {
                b'*' => {
                    if tokens.last() != Some(&GlobTok::Star) {
                        tokens.push(GlobTok::Star);
                    }
                    i += 1;
                }
                b'?' => {
                    tokens.push(GlobTok::Any);
                    i += 1;
                }
                b'\\' if i + 1 < pattern.len() => {
                    tokens.push(GlobTok::Lit(pattern[i + 1]));
                    i += 2;
                }
                b'[' => match Self::parse_class(&pattern[i + 1..]) {
                    Some((tok, used)) => {
                        tokens.push(tok);
                        i += 1 + used;
                    }
                    None => {
                        tokens.push(GlobTok::Lit(b'['));
                        i += 1;
                    }
                },
                _ => {
                    tokens.push(GlobTok::Lit(c));
                    i += 1;
                }
            }
        }
        Glob { tokens, casefold }
    }

    /// Parses a class after `[`; returns the token and the bytes used (including `]`).
    fn parse_class(p: &[u8]) -> Option<(GlobTok, usize)> {
        let mut i = 0;
        let negated = matches!(p.first(), Some(b'!' | b'^'));
        if negated {
            i += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let c = *p.get(i)?;
            if c == b']' && !first {
                return Some((GlobTok::Class { negated, items }, i + 1));
            }
            first = false;
            if c == b'[' && p.get(i + 1) == Some(&b':') {
                let rest = &p[i + 2..];
                if let Some(end) = rest.windows(2).position(|w| w == b":]") {
                    if let Some(f) = NamedClass::parse(&rest[..end]) {
                        items.push(ClassItem::Named(f));
                        i += 2 + end + 2;
                        continue;
                    }
                    return None;
                }
            }
            let (lo, used) = if c == b'\\' { (*p.get(i + 1)?, 2) } else { (c, 1) };
            i += used;
            if p.get(i) == Some(&b'-') && p.get(i + 1).is_some_and(|b| *b != b']') {
                let (hi, used) =
                    if p[i + 1] == b'\\' { (*p.get(i + 2)?, 3) } else { (p[i + 1], 2) };
                items.push(ClassItem::Range(lo, hi));
                i += used;
            } else {
                items.push(ClassItem::Range(lo, lo));
            }
        }
    }

    fn fold(&self, c: u8) -> u8 {
        if self.casefold { c.to_ascii_lowercase() } else { c }
    }

    fn tok_matches(&self, t: &GlobTok, c: u8) -> bool {
        match t {
            GlobTok::Lit(l) => self.fold(*l) == self.fold(c),
            GlobTok::Any => true,
            GlobTok::Star => true,
            GlobTok::Class { negated, items } => {
                let hit = items.iter().any(|it| match it {
                    ClassItem::Range(lo, hi) => {
                        (*lo..=*hi).contains(&c)
                            || (self.casefold
                                && ((*lo..=*hi).contains(&c.to_ascii_lowercase())
                                    || (*lo..=*hi).contains(&c.to_ascii_uppercase())))
                    }
                    ClassItem::Named(f) => f.contains(c),
                });
                hit != *negated
            }
        }
    }

    /// True when the whole of `s` matches.
    pub fn matches(&self, s: &[u8]) -> bool {
        // Classic iterative matcher with one backtrack point per star.
        let (mut ti, mut si) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while si < s.len() {
            match self.tokens.get(ti) {
                Some(GlobTok::Star) => {
                    star = Some((ti, si));
                    ti += 1;
                }
                Some(t) if self.tok_matches(t, s[si]) => {
                    ti += 1;
                    si += 1;
                }
                _ => match star {
                    Some((st, ss)) => {
                        ti = st + 1;
                        si = ss + 1;
                        star = Some((st, ss + 1));
                    }
                    None => return false,
                },
            }
        }
        self.tokens[ti..].iter().all(|t| *t == GlobTok::Star)
    }
}

/// A set of path prefixes for `pmatch`: a path matches when some prefix equals it or is one of
/// its leading directories (`/etc` matches `/etc` and `/etc/passwd`, not `/etcd`). Components
/// may be globs.
#[derive(Clone, Debug, Default)]
pub struct PathPrefixSet {
    root: PrefixNode,
}

#[derive(Clone, Debug, Default)]
struct PrefixNode {
    dirs: HashMap<Vec<u8>, Option<PrefixNode>>,
    globs: Vec<(Glob, Vec<u8>, Option<PrefixNode>)>,
}

fn components(path: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = vec![b"root"];
    v.extend(path.split(|b| *b == b'/').filter(|c| !c.is_empty()));
    v
}

impl PrefixNode {
    fn add(&mut self, comps: &[&[u8]]) {
        let (head, rest) = comps.split_first().expect("components start with the root");
        let is_glob = head.iter().any(|b| matches!(b, b'?' | b'*' | b'['));
        let existing = if is_glob {
            self.globs.iter_mut().find(|(_, k, _)| k.as_slice() == *head).map(|e| &mut e.2)
        } else {
            self.dirs.get_mut(*head)
        };
        match existing {
            Some(slot) => {
                if rest.is_empty() {
                    // A shorter prefix replaces whatever was below it.
                    *slot = None;
                } else if let Some(sub) = slot {
                    sub.add(rest);
                }
                // else: an existing shorter prefix already covers this path.
            }
            None => {
                let sub = (!rest.is_empty()).then(|| {
                    let mut n = PrefixNode::default();
                    n.add(rest);
                    n
                });
                if is_glob {
                    self.globs.push((Glob::new(head, false), head.to_vec(), sub));
                } else {
                    self.dirs.insert(head.to_vec(), sub);
                }
            }
        }
    }

    fn matches(&self, comps: &[&[u8]]) -> bool {
        let Some((head, rest)) = comps.split_first() else {
            return false;
        };
        let check = |sub: &Option<PrefixNode>| match sub {
            None => true,
            Some(n) => !rest.is_empty() && n.matches(rest),
        };
        if let Some(sub) = self.dirs.get(*head) {
            if check(sub) {
                return true;
            }
        }
        self.globs.iter().any(|(g, _, sub)| g.matches(head) && check(sub))
    }
}

impl PathPrefixSet {
    /// Adds a prefix.
    pub fn add(&mut self, path: &[u8]) {
        self.root.add(&components(path));
    }

    /// True when some prefix covers `path`.
    ///
    /// ```
    /// use falco_engine::filter::ops::PathPrefixSet;
    /// let mut s = PathPrefixSet::default();
    /// s.add(b"/var/run");
    /// s.add(b"/etc");
    /// assert!(s.matches(b"/var/run/docker.sock"));
    /// assert!(s.matches(b"/etc"));
    /// assert!(!s.matches(b"/var"));
    /// assert!(!s.matches(b"/etcd/x"));
    /// ```
    pub fn matches(&self, path: &[u8]) -> bool {
        self.root.matches(&components(path))
    }
}

/// ASCII case-insensitive substring search (`strcasestr`); `needle_lower` is lowercase.
pub fn icontains(hay: &[u8], needle_lower: &[u8]) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if needle_lower.len() > hay.len() {
        return false;
    }
    hay.windows(needle_lower.len())
        .any(|w| w.iter().zip(needle_lower).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

/// Parses an integer as `sscanf("%d")`/`"%u"` do: leading blanks, an optional sign, decimal
/// digits, nothing after. Returns the value modulo 2^64 (negatives wrap, as `strtoul` does)
/// with overflow saturated as glibc does.
fn scan_integer(s: &str, signed: bool) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mag: u128 = digits
        .bytes()
        .fold(0u128, |acc, b| (acc.saturating_mul(10)).saturating_add((b - b'0') as u128));
    if signed {
        let v: i64 = if neg {
            if mag > (i64::MAX as u128) + 1 {
                i64::MIN
            } else {
                (mag as i128).wrapping_neg() as i64
            }
        } else if mag > i64::MAX as u128 {
            i64::MAX
        } else {
            mag as i64
        };
        Some(v as u64)
    } else {
        let v: u64 = if mag > u64::MAX as u128 { u64::MAX } else { mag as u64 };
        Some(if neg { v.wrapping_neg() } else { v })
    }
}

/// Parses an unsigned constant of `bits` width as libsinsp does (`parseu8` ... `parseu64`).
///
/// ```
/// use falco_engine::filter::ops::parse_unsigned;
/// assert_eq!(parse_unsigned("42", 32), Ok(42));
/// assert_eq!(parse_unsigned("-1", 32), Ok(4294967295));
/// assert_eq!(parse_unsigned("0x10", 64), Err("0x10 is not a valid number".to_string()));
/// ```
pub fn parse_unsigned(s: &str, bits: u32) -> Result<u64, String> {
    let v = scan_integer(s, false).ok_or_else(|| format!("{s} is not a valid number"))?;
    Ok(if bits >= 64 { v } else { v & ((1u64 << bits) - 1) })
}

/// Parses a signed constant of `bits` width as libsinsp does (`parsed8` ... `parsed64`).
pub fn parse_signed(s: &str, bits: u32) -> Result<i64, String> {
    let v = scan_integer(s, true).ok_or_else(|| format!("{s} is not a valid number"))? as i64;
    Ok(match bits {
        8 => v as i8 as i64,
        16 => v as i16 as i64,
        32 => v as i32 as i64,
        _ => v,
    })
}

/// Decodes a hex string for `bcontains`/`bstartswith`.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    b.chunks(2).map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let m = |p: &str, s: &str| Glob::new(p.as_bytes(), false).matches(s.as_bytes());
        assert!(m("*", ""));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("?at", "cat"));
        assert!(!m("?at", "at"));
        assert!(m("[bc]at", "bat"));
        assert!(!m("[!bc]at", "bat"));
        assert!(m("[a-c]x", "bx"));
        assert!(m("[[:digit:]]*", "7up"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("[", "["));
        assert!(m("/usr/*/bin", "/usr/local/x/bin"));
        assert!(m("{a,b}", "{a,b}"), "braces are literal in fnmatch");
        assert!(Glob::new(b"[A-C]*", true).matches(b"bash"));
        assert!(m("é*", "été"));
    }

    #[test]
    fn path_prefixes() {
        let mut s = PathPrefixSet::default();
        for p in ["/usr/lib", "/usr", "/opt/*/bin", "/"] {
            s.add(p.as_bytes());
        }
        assert!(s.matches(b"/usr/lib/x"));
        assert!(s.matches(b"/usr/bin"));
        assert!(s.matches(b"/opt/app/bin/x"));
        assert!(s.matches(b"/anything"), "/ covers everything");
        let mut s = PathPrefixSet::default();
        s.add(b"/opt/*/bin");
        assert!(!s.matches(b"/opt/app/lib"));
        assert!(!s.matches(b"/opt"));
        assert!(s.matches(b"opt/a/bin"), "components, not text");
    }

    #[test]
    fn numbers_like_sscanf() {
        assert_eq!(parse_unsigned(" 7", 8), Ok(7));
        assert_eq!(parse_unsigned("256", 8), Ok(0));
        assert_eq!(parse_unsigned("18446744073709551616", 64), Ok(u64::MAX));
        assert!(parse_unsigned("7 ", 64).is_err());
        assert!(parse_unsigned("1.5", 64).is_err());
        assert!(parse_unsigned("", 64).is_err());
        assert_eq!(parse_signed("-1", 64), Ok(-1));
        assert_eq!(parse_signed("4294967295", 32), Ok(-1));
        assert_eq!(parse_signed("-99999999999999999999", 64), Ok(i64::MIN));
    }

    #[test]
    fn icontains_and_unhex() {
        assert!(icontains(b"Hello World", b"o w"));
        assert!(!icontains(b"Hello", b"hellos"));
        assert!(icontains(b"", b""));
        assert_eq!(unhex("0a0B"), Some(vec![10, 11]));
        assert_eq!(unhex("0a0"), None);
        assert_eq!(unhex("zz"), None);
    }
}
