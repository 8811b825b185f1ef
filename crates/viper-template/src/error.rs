//! Errors with template name, line and column.

use alloc::string::String;
use core::fmt;

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The template source is not valid template syntax.
    Syntax,
    /// A variable or attribute was used but is not defined (strict mode).
    Undefined,
    /// An operation was applied to values of the wrong type (e.g. `1 + "a"`).
    Type,
    /// Division or modulo by zero, integer overflow, or a bad filter argument.
    Value,
    /// The loader does not know the template, or the name is not allowed.
    TemplateNotFound,
    /// A configured limit was hit (output size, loop iterations, depth, …).
    LimitExceeded,
    /// The output writer failed.
    Write,
}

/// A compile or render error: kind, message and where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    msg: String,
    name: String,
    line: u32,
    col: u32,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, msg: impl Into<String>) -> Self {
        Error {
            kind,
            msg: msg.into(),
            name: String::new(),
            line: 0,
            col: 0,
        }
    }

    /// Attaches a location unless one is already present.
    pub(crate) fn at(mut self, name: &str, line: u32, col: u32) -> Self {
        if self.line == 0 {
            self.name = String::from(name);
            self.line = line;
            self.col = col;
        }
        self
    }

    pub(crate) fn has_pos(&self) -> bool {
        self.line != 0
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// A short human-readable message.
    pub fn message(&self) -> &str {
        &self.msg
    }

    /// Name of the template where the error happened (empty if unknown).
    pub fn template(&self) -> &str {
        &self.name
    }

    /// 1-based line (0 if unknown).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// 1-based column (0 if unknown).
    pub fn column(&self) -> u32 {
        self.col
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line != 0 {
            write!(f, "{}:{}:{}: {}", self.name, self.line, self.col, self.msg)
        } else {
            f.write_str(&self.msg)
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
