//! Errors with template name, line and column.

use alloc::boxed::Box;
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
///
/// One pointer wide, so the `Result`s the interpreter passes around stay small.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    msg: String,
    name: String,
    line: u32,
    col: u32,
}

impl Error {
    #[cold]
    pub(crate) fn new(kind: ErrorKind, msg: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            msg: msg.into(),
            name: String::new(),
            line: 0,
            col: 0,
        }))
    }

    /// Attaches a location unless one is already present.
    #[cold]
    pub(crate) fn at(mut self, name: &str, line: u32, col: u32) -> Self {
        if self.0.line == 0 {
            self.0.name = String::from(name);
            self.0.line = line;
            self.0.col = col;
        }
        self
    }

    pub(crate) fn has_pos(&self) -> bool {
        self.0.line != 0
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// A short human-readable message.
    pub fn message(&self) -> &str {
        &self.0.msg
    }

    /// Name of the template where the error happened (empty if unknown).
    pub fn template(&self) -> &str {
        &self.0.name
    }

    /// 1-based line (0 if unknown).
    pub fn line(&self) -> u32 {
        self.0.line
    }

    /// 1-based column (0 if unknown).
    pub fn column(&self) -> u32 {
        self.0.col
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.line != 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.0.name, self.0.line, self.0.col, self.0.msg
            )
        } else {
            f.write_str(&self.0.msg)
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
