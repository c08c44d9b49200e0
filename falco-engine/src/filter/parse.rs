//! Condition text to [`Expr`], with the grammar, tokens and error messages of libsinsp's
//! filter parser.
//!
//! ```text
//! Expr       ::= OrExpr
//! OrExpr     ::= AndExpr ('or' (' ' AndExpr | '(' Expr ')'))*
//! AndExpr    ::= NotExpr ('and' (' ' NotExpr | '(' Expr ')'))*
//! NotExpr    ::= ('not ')* ('not(' Expr ')' | Check)
//! Check      ::= Field Condition | Transformer Condition | Identifier | '(' Expr ')'
//! Condition  ::= 'exists' | NumOp (Num | Transformer) | StrOp (Str | Transformer)
//!              | StrOp ('oneof'|'anyof'|'allof') List | ListOp (List | Transformer)
//! ```
//!
//! It is a recursive-descent parser whose depth is capped ([`Parser::max_depth`], 1000 for rule
//! conditions as in Falco), so hostile input such as 10,000 nested parentheses yields the error
//! `exceeded max depth limit of 1000` instead of exhausting the stack. Errors carry the position
//! where the parser stopped.

use super::ast::{CmpOp, Expr, ExprKind, Op, Pos};

/// A condition syntax error: libsinsp's message and where the parser stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// The message, worded as libsinsp words it.
    pub message: String,
    /// Where parsing stopped.
    pub pos: Pos,
}

type Result<T> = std::result::Result<T, ParseError>;

const UNARY_OPS: [&str; 1] = ["exists"];
const NUM_OPS: [&str; 4] = ["<=", "<", ">=", ">"];
/// A trailing space means the operator must be followed by a blank.
const STR_OPS: [&str; 12] = [
    "==",
    "=",
    "!=",
    "glob ",
    "iglob ",
    "contains ",
    "icontains ",
    "bcontains ",
    "startswith ",
    "bstartswith ",
    "endswith ",
    "regex ",
];
const STR_MODIFIERS: [&str; 3] = ["oneof ", "anyof ", "allof "];
const LIST_OPS: [&str; 3] = ["intersects", "in", "pmatch"];
const TRANSFORMERS: [&str; 8] =
    ["tolower(", "toupper(", "b64(", "basename(", "len(", "join(", "concat(", "getopt("];

/// Every operator the parser knows, for error messages and exception validation.
pub fn supported_operators() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    v.extend(UNARY_OPS);
    v.extend(NUM_OPS);
    v.extend(STR_OPS.iter().map(|s| s.trim_end()));
    v.extend(LIST_OPS);
    v
}

/// The transformer names, with `val` first when `include_val`.
pub fn supported_transformers(include_val: bool) -> Vec<&'static str> {
    let mut v = Vec::new();
    if include_val {
        v.push("val");
    }
    v.extend(TRANSFORMERS.iter().map(|t| &t[..t.len() - 1]));
    v
}

fn token_list(vals: &[&str]) -> String {
    vals.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ")
}

fn is_space(b: u8) -> bool {
    // POSIX [[:space:]]
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Parses Falco filter conditions.
pub struct Parser<'a> {
    input: &'a [u8],
    text: &'a str,
    pos: Pos,
    depth: u32,
    max_depth: u32,
    partial: bool,
    last_token: String,
}

impl<'a> Parser<'a> {
    /// A parser over `input` with libsinsp's default depth limit (100). Like libsinsp, which
    /// reads the condition as a C string, the input ends at its first NUL character.
    pub fn new(input: &'a str) -> Parser<'a> {
        let input = input.split('\0').next().unwrap_or_default();
        Parser {
            input: input.as_bytes(),
            text: input,
            pos: Pos::default(),
            depth: 0,
            max_depth: 100,
            partial: false,
            last_token: String::new(),
        }
    }

    /// Sets the nesting limit (Falco uses 1000 for rule conditions).
    pub fn max_depth(mut self, max: u32) -> Self {
        self.max_depth = max;
        self
    }

    /// Where the parser is.
    pub fn pos(&self) -> Pos {
        self.pos
    }

    fn err<T>(&self, msg: impl Into<String>) -> Result<T> {
        Err(ParseError { message: msg.into(), pos: self.pos })
    }

    /// Parses a whole condition.
    ///
    /// ```
    /// use falco_engine::filter::parse::Parser;
    /// let e = Parser::new("evt.type=open and not proc.name in (cat, 'a b')").parse()?;
    /// assert_eq!(e.to_string(), r#"(evt.type = open and not proc.name in (cat, "a b"))"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(&mut self) -> Result<Expr> {
        if self.input.is_empty() {
            return self.err("filter input string is empty");
        }
        self.pos = Pos::default();
        self.last_token.clear();
        self.depth = 0;
        let res = self.parse_or()?;
        if !self.partial && self.pos.idx as usize != self.input.len() {
            return self.err(format!(
                "unexpected token after '{}', expecting 'or', 'and'",
                self.last_token
            ));
        }
        Ok(res)
    }

    /// Parses one field or transformer at the start of the input and stops there (used by the
    /// output formatter). [`Parser::pos`] then tells how much was consumed.
    pub fn parse_field_or_transformer(&mut self) -> Result<Expr> {
        self.guarded(|p| {
            let pos = p.pos;
            if p.lex_field_name() {
                let name = p.last_token.clone();
                return p.parse_field_remainder(name, pos);
            }
            if p.lex_transformer_type() {
                p.lex_blank();
                let name = p.transformer_name();
                return p.parse_transformer_remainder(name, pos);
            }
            p.err(format!("unexpected token after '{}", p.last_token))
        })
    }

    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.depth += 1;
        if self.depth >= self.max_depth {
            let r = self.err(format!("exceeded max depth limit of {}", self.max_depth));
            self.depth -= 1;
            return r;
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn parse_or(&mut self) -> Result<Expr> {
        self.guarded(|p| {
            let pos = p.pos;
            let mut children = Vec::new();
            p.lex_blank();
            children.push(p.parse_and()?);
            p.lex_blank();
            while p.lex_str("or") {
                let child = if !p.lex_blank() {
                    if p.lex_str("(") {
                        p.parse_embedded_remainder()?
                    } else {
                        return p.err("expected blank or '(' after 'or'");
                    }
                } else {
                    p.parse_and()?
                };
                children.push(child);
                p.lex_blank();
            }
            Ok(if children.len() > 1 {
                Expr::new(ExprKind::Or(children), pos)
            } else {
                children.pop().expect("one child")
            })
        })
    }

    fn parse_and(&mut self) -> Result<Expr> {
        self.guarded(|p| {
            let pos = p.pos;
            let mut children = Vec::new();
            p.lex_blank();
            children.push(p.parse_not()?);
            p.lex_blank();
            while p.lex_str("and") {
                let child = if !p.lex_blank() {
                    if p.lex_str("(") {
                        p.parse_embedded_remainder()?
                    } else {
                        return p.err("expected blank or '(' after 'and'");
                    }
                } else {
                    p.parse_not()?
                };
                children.push(child);
                p.lex_blank();
            }
            Ok(if children.len() > 1 {
                Expr::new(ExprKind::And(children), pos)
            } else {
                children.pop().expect("one child")
            })
        })
    }

    fn parse_not(&mut self) -> Result<Expr> {
        self.guarded(|p| {
            let pos = p.pos;
            let mut is_not = false;
            p.lex_blank();
            while p.lex_not_blank() {
                is_not = !is_not;
            }
            let child = if p.lex_str("not(") {
                is_not = !is_not;
                p.parse_embedded_remainder()?
            } else {
                p.parse_check()?
            };
            Ok(if is_not { Expr::new(ExprKind::Not(Box::new(child)), pos) } else { child })
        })
    }

    fn parse_embedded_remainder(&mut self) -> Result<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            let child = p.parse_or()?;
            p.lex_blank();
            if !p.lex_str(")") {
                return p.err("expected a ')' token");
            }
            Ok(child)
        })
    }

    fn parse_check(&mut self) -> Result<Expr> {
        self.guarded(|p| {
            let pos = p.pos;
            p.lex_blank();
            if p.lex_str("(") {
                return p.parse_embedded_remainder();
            }
            if p.lex_field_name() {
                let name = p.last_token.clone();
                let left = p.parse_field_remainder(name, pos)?;
                return p.parse_condition(left, pos);
            }
            if p.lex_transformer_type() {
                p.lex_blank();
                let name = p.transformer_name();
                let left = p.parse_transformer_remainder(name, pos)?;
                return p.parse_condition(left, pos);
            }
            if p.lex_identifier() {
                return Ok(Expr::new(ExprKind::Identifier(p.last_token.clone()), pos));
            }
            p.err("expected a '(' token, a field check, or an identifier")
        })
    }

    fn parse_field_remainder(&mut self, name: String, pos: Pos) -> Result<Expr> {
        self.guarded(|p| {
            let arg = p.parse_optional_field_arg()?;
            Ok(Expr::new(ExprKind::Field { name, arg }, pos))
        })
    }

    fn parse_optional_field_arg(&mut self) -> Result<Option<String>> {
        if !self.lex_str("[") {
            return Ok(None);
        }
        if !self.lex_quoted_str()? && !self.lex_field_arg_bare_str() {
            return self.err("expected a valid field argument: a quoted string or a bare string");
        }
        let arg = self.last_token.clone();
        if !self.lex_str("]") {
            return self.err("expected a ']' token");
        }
        Ok(Some(arg))
    }

    /// The transformer name of the last token (`tolower(` without its parenthesis).
    fn transformer_name(&self) -> String {
        let t = &self.last_token;
        t[..t.len() - 1].to_string()
    }

    fn parse_transformer_remainder(&mut self, name: String, pos: Pos) -> Result<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            let mut args = Vec::new();
            loop {
                let apos = p.pos;
                args.push(p.parse_transformer_arg(apos)?);
                p.lex_blank();
                if !p.lex_str(",") {
                    break;
                }
            }
            p.lex_blank();
            if !p.lex_str(")") {
                return p.err("expected a ')' token closing the transformer");
            }
            let arg = p.parse_optional_field_arg()?;
            Ok(Expr::new(ExprKind::Transformer { name, args, arg }, pos))
        })
    }

    fn parse_transformer_arg(&mut self, pos: Pos) -> Result<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            if p.lex_hex_num() || p.lex_num() {
                return Ok(Expr::new(ExprKind::Value(p.last_token.clone()), pos));
            }
            if p.lex_quoted_str()? {
                return Ok(Expr::new(ExprKind::Value(p.last_token.clone()), pos));
            }
            if p.lex_str("(") {
                return p.parse_transformer_list(pos);
            }
            if p.lex_transformer_type() {
                let name = p.transformer_name();
                return p.parse_transformer_remainder(name, pos);
            }
            if p.lex_field_name() {
                let name = p.last_token.clone();
                return p.parse_field_remainder(name, pos);
            }
            p.err(
                "expected field transformer argument: field, transformer, quoted string, number, or transformer list",
            )
        })
    }

    fn parse_transformer_list(&mut self, pos: Pos) -> Result<Expr> {
        let mut children = Vec::new();
        self.lex_blank();
        if self.lex_str(")") {
            return Ok(Expr::new(ExprKind::TransformerList(children), pos));
        }
        children.push(self.parse_transformer_list_arg(pos)?);
        self.lex_blank();
        while self.lex_str(",") {
            self.lex_blank();
            children.push(self.parse_transformer_list_arg(pos)?);
            self.lex_blank();
        }
        if !self.lex_str(")") {
            return self.err("expected ')'");
        }
        Ok(Expr::new(ExprKind::TransformerList(children), pos))
    }

    fn parse_transformer_list_arg(&mut self, pos: Pos) -> Result<Expr> {
        if self.lex_field_name() {
            let name = self.last_token.clone();
            return self.parse_field_remainder(name, pos);
        }
        if self.lex_transformer_type() {
            self.lex_blank();
            let name = self.transformer_name();
            return self.parse_transformer_remainder(name, pos);
        }
        if self.lex_quoted_str()? {
            return Ok(Expr::new(ExprKind::Value(self.last_token.clone()), pos));
        }
        if self.lex_hex_num() || self.lex_num() {
            return Ok(Expr::new(ExprKind::Value(self.last_token.clone()), pos));
        }
        self.err("expected transformer list argument: field, transformer, quoted string, or number")
    }

    fn parse_condition(&mut self, left: Expr, pos: Pos) -> Result<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            if p.lex_operator_list(&UNARY_OPS) {
                let op = Op { cmp: CmpOp::Exists, modifier: None };
                return Ok(Expr::new(ExprKind::Unary { left: Box::new(left), op }, pos));
            }
            p.lex_blank();
            let (op, right) = if p.lex_operator_list(&NUM_OPS) {
                let op = p.last_token.clone();
                (op, p.parse_num_value_or_transformer()?)
            } else if p.lex_operator_list(&STR_OPS) {
                let op = p.last_token.clone();
                // Word operators consumed their blank already; symbols need one here.
                let had_blank = op.as_bytes()[0].is_ascii_alphabetic() || p.lex_blank();
                let saved = (p.pos, p.last_token.clone());
                if had_blank
                    && p.lex_operator_list(&STR_MODIFIERS)
                    && p.list_value_follows()
                    && !p.bool_keyword_follows()
                {
                    let op = format!("{} {}", op.trim(), p.last_token.trim());
                    (op, p.parse_list_value()?)
                } else {
                    p.pos = saved.0;
                    p.last_token = saved.1;
                    (op, p.parse_str_value_or_transformer(false)?)
                }
            } else if p.lex_operator_list(&LIST_OPS) {
                let op = p.last_token.clone();
                (op, p.parse_list_value_or_transformer()?)
            } else {
                return p.err(format!(
                    "expected a valid check operator: one of {}",
                    token_list(&supported_operators())
                ));
            };
            let op = Op::parse(op.trim()).expect("lexed operators are known");
            Ok(Expr::new(
                ExprKind::Binary { left: Box::new(left), op, right: Box::new(right) },
                pos,
            ))
        })
    }

    fn parse_num_value_or_transformer(&mut self) -> Result<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            let pos = p.pos;
            if let Some(e) = p.try_parse_transformer_or_val()? {
                return Ok(e);
            }
            if p.lex_hex_num() || p.lex_num() {
                return Ok(Expr::new(ExprKind::Value(p.last_token.clone()), pos));
            }
            p.err(format!(
                "expected a number value or a field with a valid transformer: {}",
                token_list(&supported_transformers(true))
            ))
        })
    }

    fn parse_str_value_or_transformer(&mut self, no_transformer: bool) -> Result<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            let pos = p.pos;
            if !no_transformer {
                if let Some(e) = p.try_parse_transformer_or_val()? {
                    return Ok(e);
                }
            }
            if p.lex_quoted_str()? || p.lex_bare_str() {
                return Ok(Expr::new(ExprKind::Value(p.last_token.clone()), pos));
            }
            if no_transformer {
                return p.err("expected a string value");
            }
            p.err(format!(
                "expected a string value or a field with a valid transformer: {}",
                token_list(&supported_transformers(true))
            ))
        })
    }

    fn try_parse_list_expr(&mut self) -> Result<Option<Expr>> {
        let pos = self.pos;
        if !self.lex_str("(") {
            return Ok(None);
        }
        let mut values = Vec::new();
        self.lex_blank();
        // An empty list is allowed: a failed first value means "()".
        let first = self.parse_str_value_or_transformer(true);
        if let Ok(child) = first {
            values.push(value_of(child));
            self.lex_blank();
            while self.lex_str(",") {
                let child = self.parse_str_value_or_transformer(true)?;
                values.push(value_of(child));
                self.lex_blank();
            }
        }
        if !self.lex_str(")") {
            return self.err("expected a ')' token");
        }
        Ok(Some(Expr::new(ExprKind::List(values), pos)))
    }

    fn parse_list_value(&mut self) -> Result<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            let pos = p.pos;
            if let Some(e) = p.try_parse_list_expr()? {
                return Ok(e);
            }
            if p.lex_identifier() {
                return Ok(Expr::new(ExprKind::Value(p.last_token.clone()), pos));
            }
            p.err("expected a list or an identifier")
        })
    }

    fn parse_list_value_or_transformer(&mut self) -> Result<Expr> {
        self.guarded(|p| {
            p.lex_blank();
            let pos = p.pos;
            if let Some(e) = p.try_parse_list_expr()? {
                return Ok(e);
            }
            if let Some(e) = p.try_parse_transformer_or_val()? {
                return Ok(e);
            }
            if p.lex_identifier() {
                return Ok(Expr::new(ExprKind::Value(p.last_token.clone()), pos));
            }
            p.err(format!(
                "expected a list, an identifier, or a field with a valid transformer: {}",
                token_list(&supported_transformers(true))
            ))
        })
    }

    fn try_parse_transformer_or_val(&mut self) -> Result<Option<Expr>> {
        self.guarded(|p| {
            p.lex_blank();
            let pos = p.pos;
            if p.lex_str("val(") {
                p.lex_blank();
                let fpos = p.pos;
                if !p.lex_field_name() {
                    return p.err("expected a field within 'val' transformer");
                }
                let name = p.last_token.clone();
                let child = p.parse_field_remainder(name, fpos)?;
                p.lex_blank();
                if !p.lex_str(")") {
                    return p.err("expected a ')' token closing the transformer");
                }
                let arg = p.parse_optional_field_arg()?;
                let kind = ExprKind::Transformer { name: "val".into(), args: vec![child], arg };
                return Ok(Some(Expr::new(kind, pos)));
            }
            if p.lex_transformer_type() {
                p.lex_blank();
                let name = p.transformer_name();
                return Ok(Some(p.parse_transformer_remainder(name, pos)?));
            }
            Ok(None)
        })
    }

    // ---- lexing ------------------------------------------------------------------------------

    fn peek(&self) -> u8 {
        self.input.get(self.pos.idx as usize).copied().unwrap_or(0)
    }

    fn rest(&self) -> &'a [u8] {
        &self.input[(self.pos.idx as usize).min(self.input.len())..]
    }

    fn advance_by(&mut self, n: usize) {
        for _ in 0..n {
            let b = self.peek();
            self.pos.advance(b);
        }
    }

    /// Consumes `n` bytes as the last token.
    fn take(&mut self, n: usize) -> bool {
        if n == 0 {
            return false;
        }
        let start = self.pos.idx as usize;
        self.last_token =
            self.text.get(start..start + n).map(str::to_string).unwrap_or_else(|| {
                String::from_utf8_lossy(&self.input[start..start + n]).into_owned()
            });
        self.advance_by(n);
        true
    }

    /// Blanks: space, tab, backspace, CR, LF. Does not change the last token.
    fn lex_blank(&mut self) -> bool {
        let mut found = false;
        while matches!(self.peek(), b' ' | b'\t' | b'\x08' | b'\r' | b'\n') {
            found = true;
            let b = self.peek();
            self.pos.advance(b);
        }
        found
    }

    fn lex_str(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s.as_bytes()) { self.take(s.len()) } else { false }
    }

    /// `not` followed by at least one POSIX space.
    fn lex_not_blank(&mut self) -> bool {
        let r = self.rest();
        if !r.starts_with(b"not") {
            return false;
        }
        let n = r[3..].iter().take_while(|b| is_space(**b)).count();
        n > 0 && self.take(3 + n)
    }

    fn ident_len(r: &[u8]) -> usize {
        let lead = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        if lead == 0 {
            return 0;
        }
        lead + r[lead..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count()
    }

    fn lex_identifier(&mut self) -> bool {
        let n = Self::ident_len(self.rest());
        self.take(n)
    }

    /// An identifier followed by one or more `.identifier` segments.
    fn lex_field_name(&mut self) -> bool {
        let r = self.rest();
        let mut n = Self::ident_len(r);
        if n == 0 {
            return false;
        }
        let mut segments = 0;
        while r.get(n) == Some(&b'.') {
            let seg = Self::ident_len(&r[n + 1..]);
            if seg == 0 {
                break;
            }
            n += 1 + seg;
            segments += 1;
        }
        segments > 0 && self.take(n)
    }

    fn lex_field_arg_bare_str(&mut self) -> bool {
        let n = self
            .rest()
            .iter()
            .take_while(|b| !matches!(b, b'[' | b']' | b'"' | b'\'') && !is_space(**b))
            .count();
        self.take(n)
    }

    fn lex_hex_num(&mut self) -> bool {
        let r = self.rest();
        if r.len() > 2 && r[0] == b'0' && (r[1] == b'x' || r[1] == b'X') {
            let n = r[2..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
            if n > 0 {
                return self.take(2 + n);
            }
        }
        false
    }

    /// `[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?`, longest match.
    fn lex_num(&mut self) -> bool {
        let r = self.rest();
        let mut n = 0;
        if matches!(r.first(), Some(b'+' | b'-')) {
            n += 1;
        }
        let digits = r[n..].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        n += digits;
        if r.get(n) == Some(&b'.') {
            n += 1;
            n += r[n..].iter().take_while(|b| b.is_ascii_digit()).count();
        }
        if matches!(r.get(n), Some(b'e' | b'E')) && matches!(r.get(n + 1), Some(b'+' | b'-')) {
            let exp = r[n + 2..].iter().take_while(|b| b.is_ascii_digit()).count();
            if exp > 0 {
                n += 2 + exp;
            }
        }
        self.take(n)
    }

    fn lex_bare_str(&mut self) -> bool {
        let n = self
            .rest()
            .iter()
            .take_while(|b| {
                !matches!(b, b'(' | b')' | b'"' | b'\'' | b'=' | b',') && !is_space(**b)
            })
            .count();
        self.take(n)
    }

    /// A single- or double-quoted string, unescaped. An unterminated quote is not a string;
    /// a bad escape inside a terminated one is an error.
    fn lex_quoted_str(&mut self) -> Result<bool> {
        let r = self.rest();
        let Some(&delim) = r.first() else {
            return Ok(false);
        };
        if delim != b'\'' && delim != b'"' {
            return Ok(false);
        }
        let mut prev = b'\\';
        let mut i = 0;
        while i < r.len() && r[i] != 0 {
            if r[i] == delim && prev != b'\\' {
                let raw = &r[..=i];
                let start = self.pos;
                self.advance_by(i + 1);
                match unescape_str(raw) {
                    Ok(s) => {
                        self.last_token = s;
                        return Ok(true);
                    }
                    Err(msg) => {
                        let _ = start;
                        return self.err(msg);
                    }
                }
            }
            prev = r[i];
            i += 1;
        }
        Ok(false)
    }

    fn lex_operator_list(&mut self, ops: &[&str]) -> bool {
        for op in ops {
            match op.strip_suffix(' ') {
                None => {
                    if self.lex_str(op) {
                        return true;
                    }
                }
                Some(word) => {
                    let saved = (self.pos, self.last_token.clone());
                    if self.lex_str(word) {
                        if self.lex_blank() {
                            return true;
                        }
                        self.pos = saved.0;
                        self.last_token = saved.1;
                    }
                }
            }
        }
        false
    }

    fn lex_transformer_type(&mut self) -> bool {
        TRANSFORMERS.iter().any(|t| self.lex_str(t))
    }

    fn list_value_follows(&self) -> bool {
        self.peek() == b'(' || Self::ident_len(self.rest()) > 0
    }

    fn bool_keyword_follows(&self) -> bool {
        let r = self.rest();
        ["and", "or", "not"].iter().any(|kw| {
            r.starts_with(kw.as_bytes())
                && r.get(kw.len()).is_none_or(|b| !b.is_ascii_alphanumeric())
        })
    }
}

fn value_of(e: Expr) -> String {
    match e.kind {
        ExprKind::Value(v) => v,
        _ => String::new(),
    }
}

/// Removes the quotes of a quoted string and resolves its escapes as libsinsp does
/// (`\b \f \n \r \t \\ \/ \xHH`, the matching quote, and `\ ` as a backslash).
pub fn unescape_str(quoted: &[u8]) -> std::result::Result<String, String> {
    let len = quoted.len().saturating_sub(1);
    let mut res: Vec<u8> = Vec::with_capacity(len);
    let mut escaped = false;
    let mut i = 1;
    while i < len {
        let c = quoted[i];
        if !escaped {
            if c == b'\\' {
                escaped = true;
            } else {
                res.push(c);
            }
        } else {
            match c {
                b'b' => res.push(b'\x08'),
                b'f' => res.push(b'\x0c'),
                b'n' => res.push(b'\n'),
                b'r' => res.push(b'\r'),
                b't' => res.push(b'\t'),
                b' ' | b'\\' => res.push(b'\\'),
                b'/' => res.push(b'/'),
                b'"' => {
                    if quoted[0] != c {
                        return Err("invalid \\\" escape in '-quoted string".into());
                    }
                    res.push(b'"');
                }
                b'\'' => {
                    if quoted[0] != c {
                        return Err("invalid \\' escape in \"-quoted string".into());
                    }
                    res.push(b'\'');
                }
                b'x' => {
                    if i + 2 >= len {
                        return Err("truncated hex char escape sequence".into());
                    }
                    let hex = &quoted[i + 1..i + 3];
                    let s = std::str::from_utf8(hex).unwrap_or("");
                    match u8::from_str_radix(s, 16) {
                        Ok(v) if hex.iter().all(|b| b.is_ascii_hexdigit()) => res.push(v),
                        _ => {
                            return Err(format!(
                                "invalid hex char escape sequence: {}",
                                String::from_utf8_lossy(hex)
                            ));
                        }
                    }
                    i += 2;
                }
                other => {
                    return Err(format!(
                        "unsupported string escape sequence: \\{}",
                        char::from(other)
                    ));
                }
            }
            escaped = false;
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&res).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        match Parser::new(s).max_depth(1000).parse() {
            Ok(e) => e.to_string(),
            Err(e) => format!("ERR {} @{}:{}", e.message, e.pos.line, e.pos.col),
        }
    }

    #[test]
    fn precedence_and_printing() {
        assert_eq!(p("a.b=1 or c.d=2 and e.f=3"), "(a.b = 1 or (c.d = 2 and e.f = 3))");
        assert_eq!(p("not a.b=1 and c.d exists"), "(not a.b = 1 and c.d exists)");
        assert_eq!(p("not not a.b=1"), "a.b = 1");
        assert_eq!(p("not(a.b=1)"), "not a.b = 1");
        assert_eq!(p("(m1 or m2)and(m3)"), "((m1 or m2) and m3)");
        assert_eq!(p("macro_a"), "macro_a");
    }

    #[test]
    fn input_ends_at_nul_as_in_libsinsp() {
        assert_eq!(p("proc.name = cat\0 and junk"), "proc.name = cat");
        assert!(p("proc.name in (a\0b)").starts_with("ERR "), "{}", p("proc.name in (a\0b)"));
    }

    #[test]
    fn values_lists_and_quotes() {
        assert_eq!(p("proc.name in (cat, \"a b\", 'c')"), "proc.name in (cat, \"a b\", c)");
        assert_eq!(p("proc.name in ()"), "proc.name in ()");
        assert_eq!(p("proc.name in my_list"), "proc.name in my_list");
        assert_eq!(p("fd.name = '/tmp/x\\ty'"), "fd.name = \"/tmp/x\\ty\"");
        assert_eq!(p("fd.name=\"a\\x41\""), "fd.name = aA");
        assert_eq!(p("proc.aname[2]=bash"), "proc.aname[2] = bash");
        assert_eq!(p("json.value[/a/b] = x"), "json.value[/a/b] = x");
        assert_eq!(p("ka.uri.param['a b'] = x"), "ka.uri.param[a b] = x");
        assert_eq!(p("evt.num >= 0x10"), "evt.num >= 0x10");
        assert_eq!(p("evt.rawres < -1"), "evt.rawres < -1");
    }

    #[test]
    fn transformers_and_val() {
        assert_eq!(p("tolower(proc.name) = bash"), "tolower(proc.name) = bash");
        assert_eq!(p("len(toupper( proc.name ))>3"), "len(toupper(proc.name)) > 3");
        assert_eq!(p("proc.name = val(proc.pname)"), "proc.name = val(proc.pname)");
        assert_eq!(p("join(\",\", (proc.name, \"x\")) = y"), "join(\",\",(proc.name,\"x\")) = y");
        assert_eq!(p("getopt(proc.args, \"t:\")[t] = x"), "getopt(proc.args,\"t:\")[t] = x");
    }

    #[test]
    fn modifiers() {
        assert_eq!(p("proc.name startswith anyof (ba, zs)"), "proc.name startswith anyof (ba, zs)");
        assert_eq!(p("proc.name = oneof (a, b)"), "proc.name = oneof (a, b)");
        // "anyof" followed by a boolean keyword is a plain value.
        assert_eq!(p("proc.name = anyof and a.b=1"), "(proc.name = anyof and a.b = 1)");
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            p("evt.type=execve foo"),
            "ERR unexpected token after 'execve', expecting 'or', 'and' @1:17"
        );
        assert_eq!(p(""), "ERR filter input string is empty @1:1");
        assert_eq!(p("(a.b=1"), "ERR expected a ')' token @1:7");
        assert!(p("a.b").starts_with("ERR expected a valid check operator: one of 'exists', '<='"));
        assert_eq!(p("a.b in (x"), "ERR expected a ')' token @1:10");
        assert_eq!(p("fd.name='\\q'"), "ERR unsupported string escape sequence: \\q @1:13");
        assert_eq!(p("a.b=1 and"), "ERR expected blank or '(' after 'and' @1:10");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "(".repeat(10_000) + "a.b=1" + &")".repeat(10_000);
        assert!(p(&deep).starts_with("ERR exceeded max depth limit of 1000"));
        let nots = "not ".repeat(10_000) + "a.b=1";
        assert_eq!(p(&nots), "a.b = 1");
    }

    #[test]
    fn roundtrip() {
        for s in [
            "(evt.type in (open, openat) and not fd.name pmatch (/etc, \"/a b\"))",
            "(proc.name icontains \"x=y\" or fd.num > 3)",
            "not (a.b exists and c.d glob \"*.so\")",
        ] {
            let once = p(s);
            assert_eq!(p(&once), once, "{s}");
        }
    }
}
