//! Splits template source into text and tag tokens, applying Jinja2's whitespace rules.

use alloc::string::String;
use alloc::vec::Vec;

use crate::error::{Error, ErrorKind};

/// Lexer switches (a subset of [`crate::Config`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LexOptions {
    pub(crate) trim_blocks: bool,
    pub(crate) lstrip_blocks: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Text(String),
    VarBegin,
    VarEnd,
    BlockBegin,
    BlockEnd,
    Name(String),
    Str(String),
    Int(i64),
    Float(f64),
    Op(&'static str),
    Eof,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) offset: u32,
}

/// Byte offsets of line starts, to turn offsets into line:column.
#[derive(Clone, Debug, Default)]
pub(crate) struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub(crate) fn new(src: &str) -> Self {
        let mut starts = alloc::vec![0u32];
        for (i, b) in src.bytes().enumerate() {
            if b == b'\n' {
                starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        LineIndex { starts }
    }

    /// 1-based line and column of `offset`.
    pub(crate) fn pos(&self, offset: u32) -> (u32, u32) {
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        (line as u32 + 1, offset.saturating_sub(start) + 1)
    }
}

/// Normalizes newlines (`\r\n`, `\r` → `\n`) and drops one trailing newline unless kept.
pub(crate) fn normalize(src: &str, keep_trailing_newline: bool) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    if !keep_trailing_newline && out.ends_with('\n') {
        out.pop();
    }
    out
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    opts: LexOptions,
    out: Vec<Token>,
    lines: &'a LineIndex,
    name: &'a str,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Var,
    Block,
    Comment,
}

/// Tokenizes already-normalized source.
pub(crate) fn tokenize(
    src: &str,
    opts: LexOptions,
    lines: &LineIndex,
    name: &str,
) -> Result<Vec<Token>, Error> {
    let mut lx = Lexer {
        src,
        pos: 0,
        opts,
        out: Vec::new(),
        lines,
        name,
    };
    lx.run()?;
    let end = u32::try_from(src.len()).unwrap_or(u32::MAX);
    lx.out.push(Token {
        tok: Tok::Eof,
        offset: end,
    });
    Ok(lx.out)
}

fn is_ws(c: char) -> bool {
    c.is_whitespace()
}

impl<'a> Lexer<'a> {
    fn err(&self, offset: usize, msg: impl Into<String>) -> Error {
        let (line, col) = self.lines.pos(u32::try_from(offset).unwrap_or(u32::MAX));
        Error::new(ErrorKind::Syntax, msg).at(self.name, line, col)
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn push(&mut self, tok: Tok, offset: usize) {
        self.out.push(Token {
            tok,
            offset: u32::try_from(offset).unwrap_or(u32::MAX),
        });
    }

    fn find_open(&self) -> Option<(usize, Kind)> {
        let bytes = self.src.as_bytes();
        let mut i = self.pos;
        while i + 1 < bytes.len() {
            if bytes[i] == b'{' {
                match bytes[i + 1] {
                    b'{' => return Some((i, Kind::Var)),
                    b'%' => return Some((i, Kind::Block)),
                    b'#' => return Some((i, Kind::Comment)),
                    _ => {}
                }
            }
            i += 1;
        }
        None
    }

    /// After a closing delimiter: `-` eats following whitespace; trim_blocks eats one
    /// newline after block and comment tags.
    fn after_close(&mut self, modifier: Option<u8>, kind: Kind) -> bool {
        let rest = self.rest();
        if modifier == Some(b'-') {
            let trimmed = rest.trim_start_matches(is_ws);
            let eaten = &rest[..rest.len() - trimmed.len()];
            self.pos += eaten.len();
            return eaten.ends_with('\n');
        }
        if kind != Kind::Var
            && modifier != Some(b'+')
            && self.opts.trim_blocks
            && rest.starts_with('\n')
        {
            self.pos += 1;
            return true;
        }
        false
    }

    fn run(&mut self) -> Result<(), Error> {
        let mut line_starting = true;
        loop {
            let Some((open, kind)) = self.find_open() else {
                let text = self.rest();
                if !text.is_empty() {
                    let p = self.pos;
                    self.push(Tok::Text(String::from(text)), p);
                }
                self.pos = self.src.len();
                return Ok(());
            };
            let mut text = self.src.get(self.pos..open).unwrap_or("");
            let modifier = match self.src.as_bytes().get(open + 2) {
                Some(b'-') => Some(b'-'),
                Some(b'+') => Some(b'+'),
                _ => None,
            };
            if modifier == Some(b'-') {
                text = text.trim_end_matches(is_ws);
            } else if modifier.is_none() && self.opts.lstrip_blocks && kind != Kind::Var {
                let l_pos = text.rfind('\n').map_or(0, |p| p + 1);
                if l_pos > 0 || line_starting {
                    let tail = &text[l_pos..];
                    if !tail.is_empty() && tail.chars().all(|c| c == ' ' || c == '\t') {
                        text = &text[..l_pos];
                    }
                }
            }
            if !text.is_empty() {
                let p = self.pos;
                self.push(Tok::Text(String::from(text)), p);
            }
            let body = open + 2 + usize::from(modifier.is_some());
            self.pos = body;
            line_starting = match kind {
                Kind::Comment => self.comment(open)?,
                Kind::Block => {
                    if let Some(l) = self.raw(open, body)? {
                        l
                    } else {
                        self.tag(open, kind)?
                    }
                }
                Kind::Var => self.tag(open, kind)?,
            };
        }
    }

    fn comment(&mut self, open: usize) -> Result<bool, Error> {
        let rest = self.rest();
        let Some(end) = rest.find("#}") else {
            return Err(self.err(open, "unterminated comment"));
        };
        let modifier = match rest.as_bytes().get(end.wrapping_sub(1)) {
            Some(b'-') if end > 0 => Some(b'-'),
            Some(b'+') if end > 0 => Some(b'+'),
            _ => None,
        };
        self.pos += end + 2;
        Ok(self.after_close(modifier, Kind::Comment))
    }

    /// Recognizes `{% raw %}…{% endraw %}` starting at `body`.
    fn raw(&mut self, open: usize, body: usize) -> Result<Option<bool>, Error> {
        let rest = self.src.get(body..).unwrap_or("");
        let r = rest.trim_start_matches(is_ws);
        let Some(r) = r.strip_prefix("raw") else {
            return Ok(None);
        };
        let r = r.trim_start_matches(is_ws);
        let (open_mod, r) = match r.as_bytes().first() {
            Some(b'-') => (Some(b'-'), &r[1..]),
            Some(b'+') => (Some(b'+'), &r[1..]),
            _ => (None, r),
        };
        let Some(r) = r.strip_prefix("%}") else {
            return Ok(None);
        };
        self.pos = self.src.len() - r.len();
        if open_mod == Some(b'-') {
            self.after_close(open_mod, Kind::Block);
        }
        // Find the matching `{% endraw %}`.
        let content_start = self.pos;
        let mut search = self.pos;
        loop {
            let Some(i) = self.src.get(search..).and_then(|s| s.find("{%")) else {
                return Err(self.err(open, "missing end of raw directive"));
            };
            let tag = search + i;
            let after = self.src.get(tag + 2..).unwrap_or("");
            let (end_open_mod, after) = match after.as_bytes().first() {
                Some(b'-') => (Some(b'-'), &after[1..]),
                Some(b'+') => (Some(b'+'), &after[1..]),
                _ => (None, after),
            };
            let a = after.trim_start_matches(is_ws);
            if let Some(a) = a.strip_prefix("endraw") {
                let a = a.trim_start_matches(is_ws);
                let (close_mod, a) = match a.as_bytes().first() {
                    Some(b'-') => (Some(b'-'), &a[1..]),
                    Some(b'+') => (Some(b'+'), &a[1..]),
                    _ => (None, a),
                };
                if let Some(a) = a.strip_prefix("%}") {
                    let mut content = self.src.get(content_start..tag).unwrap_or("");
                    if end_open_mod == Some(b'-') {
                        content = content.trim_end_matches(is_ws);
                    } else if end_open_mod.is_none() && self.opts.lstrip_blocks {
                        if let Some(nl) = content.rfind('\n') {
                            let tail = &content[nl + 1..];
                            if !tail.is_empty() && tail.chars().all(|c| c == ' ' || c == '\t') {
                                content = &content[..nl + 1];
                            }
                        }
                    }
                    if !content.is_empty() {
                        self.push(Tok::Text(String::from(content)), content_start);
                    }
                    self.pos = self.src.len() - a.len();
                    return Ok(Some(self.after_close(close_mod, Kind::Block)));
                }
            }
            search = tag + 2;
        }
    }

    fn tag(&mut self, open: usize, kind: Kind) -> Result<bool, Error> {
        let (begin, end, close) = match kind {
            Kind::Var => (Tok::VarBegin, Tok::VarEnd, "}}"),
            _ => (Tok::BlockBegin, Tok::BlockEnd, "%}"),
        };
        self.push(begin, open);
        let mut depth = 0usize;
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start_matches(is_ws);
            self.pos += rest.len() - trimmed.len();
            let rest = trimmed;
            let start = self.pos;
            if rest.is_empty() {
                return Err(self.err(open, "unexpected end of template inside a tag"));
            }
            if depth == 0 {
                let closer = if rest.starts_with(close) {
                    Some((None, 2))
                } else if rest
                    .as_bytes()
                    .get(1..)
                    .is_some_and(|b| b.starts_with(close.as_bytes()))
                {
                    match rest.as_bytes()[0] {
                        b'-' => Some((Some(b'-'), 3)),
                        b'+' if kind == Kind::Block => Some((Some(b'+'), 3)),
                        _ => None,
                    }
                } else {
                    None
                };
                if let Some((modifier, len)) = closer {
                    self.pos += len;
                    self.push(end, start);
                    return Ok(self.after_close(modifier, kind));
                }
            }
            let c = rest.as_bytes()[0];
            if c.is_ascii_alphabetic() || c == b'_' {
                let len = rest
                    .bytes()
                    .position(|b| !(b.is_ascii_alphanumeric() || b == b'_'))
                    .unwrap_or(rest.len());
                self.push(Tok::Name(String::from(&rest[..len])), start);
                self.pos += len;
            } else if c.is_ascii_digit() {
                self.number(rest, start)?;
            } else if c == b'\'' || c == b'"' {
                self.string(rest, start)?;
            } else {
                const OPS: [&str; 25] = [
                    "**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
                    "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}",
                ];
                let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) else {
                    return Err(self.err(start, "unexpected character in tag"));
                };
                match *op {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => {
                        if depth == 0 {
                            return Err(self.err(start, "unbalanced bracket"));
                        }
                        depth -= 1;
                    }
                    _ => {}
                }
                self.push(Tok::Op(op), start);
                self.pos += op.len();
            }
        }
    }

    fn number(&mut self, rest: &str, start: usize) -> Result<(), Error> {
        let b = rest.as_bytes();
        // 0x / 0o / 0b integers, with `_` between digits (Jinja2's integer_re).
        let radix = match b.get(..2) {
            Some([b'0', b'x' | b'X']) => 16,
            Some([b'0', b'o' | b'O']) => 8,
            Some([b'0', b'b' | b'B']) => 2,
            _ => 0,
        };
        if radix != 0 {
            let mut i = 2;
            let mut digits = String::new();
            loop {
                let j = i + usize::from(b.get(i) == Some(&b'_'));
                match b.get(j).and_then(|d| (*d as char).to_digit(radix)) {
                    Some(_) => {
                        digits.push(b[j] as char);
                        i = j + 1;
                    }
                    None => break,
                }
            }
            if digits.is_empty() {
                return Err(self.err(start, "invalid integer literal"));
            }
            let v = i64::from_str_radix(&digits, radix)
                .map_err(|_| self.err(start, "integer literal too large"))?;
            self.push(Tok::Int(v), start);
            self.pos += i;
            return Ok(());
        }
        let digits = |mut i: usize| {
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || (b[i] == b'_' && i + 1 < b.len() && b[i + 1].is_ascii_digit()))
            {
                i += 1;
            }
            i
        };
        let mut i = digits(0);
        let mut is_float = false;
        if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            is_float = true;
            i = digits(i + 1);
        }
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            let mut j = i + 1;
            if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                j += 1;
            }
            if j < b.len() && b[j].is_ascii_digit() {
                is_float = true;
                i = digits(j);
            }
        }
        let text: String = rest[..i].chars().filter(|c| *c != '_').collect();
        if !is_float && text.len() > 1 && text.starts_with('0') && text.bytes().any(|d| d != b'0') {
            // Jinja2 reads `012` as `0` followed by `12`: a syntax error.
            return Err(self.err(start, "leading zeros in an integer literal"));
        }
        let tok = if is_float {
            Tok::Float(
                text.parse()
                    .map_err(|_| self.err(start, "invalid float literal"))?,
            )
        } else {
            Tok::Int(
                text.parse()
                    .map_err(|_| self.err(start, "integer literal too large"))?,
            )
        };
        self.push(tok, start);
        self.pos += i;
        Ok(())
    }

    fn string(&mut self, rest: &str, start: usize) -> Result<(), Error> {
        let quote = rest.as_bytes()[0] as char;
        let mut out = String::new();
        let mut chars = rest[1..].char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                self.push(Tok::Str(out), start);
                self.pos += i + 2;
                return Ok(());
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else { break };
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '\\' => out.push('\\'),
                '\'' => out.push('\''),
                '"' => out.push('"'),
                'a' => out.push('\u{7}'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'v' => out.push('\u{b}'),
                '0' => out.push('\0'),
                '\n' => {}
                'x' | 'u' | 'U' => {
                    let n = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let mut v = 0u32;
                    for _ in 0..n {
                        let d = chars.next().and_then(|(_, d)| d.to_digit(16));
                        let Some(d) = d else {
                            return Err(self.err(start, "invalid escape in string literal"));
                        };
                        v = v * 16 + d;
                    }
                    let Some(ch) = char::from_u32(v) else {
                        return Err(self.err(start, "invalid escape in string literal"));
                    };
                    out.push(ch);
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
        Err(self.err(start, "unterminated string literal"))
    }
}
