//! Route pattern syntax: `/items/{id:int}`, `/users/{name}`, `/files/{rest:path}`.

use crate::error::InsertError;
use alloc::string::ToString;
use alloc::vec::Vec;

/// The most parameters one route may declare; lookups keep them in an inline array.
pub const MAX_PARAMS: usize = 8;

/// A parameter's type, in matching priority order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Float,
    Str,
    Path,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    Static(&'a str),
    Param(Kind, &'a str),
}

fn invalid(pattern: &str, reason: &'static str) -> InsertError {
    InsertError::InvalidPattern {
        pattern: pattern.to_string(),
        reason,
    }
}

fn never(pattern: &str, reason: &'static str) -> InsertError {
    InsertError::NeverMatches {
        pattern: pattern.to_string(),
        reason,
    }
}

fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'A'..=b'Z' | b'_'))
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Splits a pattern into segments, checking every rule that makes a route invalid or
/// impossible to match.
pub(crate) fn parse(pattern: &str) -> Result<Vec<Seg<'_>>, InsertError> {
    let Some(rest) = pattern.strip_prefix('/') else {
        return Err(invalid(pattern, "a pattern must start with '/'"));
    };
    let mut segs = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut it = rest.split('/').peekable();
    while let Some(seg) = it.next() {
        let last = it.peek().is_none();
        if let Some(inner) = seg.strip_prefix('{') {
            let Some(inner) = inner.strip_suffix('}') else {
                return Err(invalid(
                    pattern,
                    "a parameter must fill a whole segment: `{name}` or `{name:type}`",
                ));
            };
            let (name, ty) = inner.split_once(':').unwrap_or((inner, "str"));
            if !valid_name(name) {
                return Err(invalid(
                    pattern,
                    "a parameter name must be an identifier ([A-Za-z_][A-Za-z0-9_]*)",
                ));
            }
            let kind = match ty {
                "str" => Kind::Str,
                "int" => Kind::Int,
                "float" => Kind::Float,
                "path" => Kind::Path,
                _ => {
                    return Err(invalid(
                        pattern,
                        "unknown parameter type (use str, int, float or path)",
                    ))
                }
            };
            if kind == Kind::Path && !last {
                return Err(never(
                    pattern,
                    "a `path` parameter takes the rest of the path, so it must be the last segment",
                ));
            }
            if names.contains(&name) {
                return Err(invalid(pattern, "two parameters have the same name"));
            }
            names.push(name);
            if names.len() > MAX_PARAMS {
                return Err(InsertError::TooManyParams {
                    pattern: pattern.to_string(),
                    max: MAX_PARAMS,
                });
            }
            segs.push(Seg::Param(kind, name));
        } else {
            if seg.contains(['{', '}']) {
                return Err(invalid(
                    pattern,
                    "a parameter must fill a whole segment: `{name}` or `{name:type}`",
                ));
            }
            if seg.is_empty() && !last {
                return Err(never(
                    pattern,
                    "empty segment (`//`): clients normalise it away",
                ));
            }
            if seg == "." || seg == ".." {
                return Err(never(
                    pattern,
                    "`.` and `..` segments are removed from request paths by clients (RFC 3986 §5.2.4)",
                ));
            }
            if seg.contains(['?', '#']) {
                return Err(never(
                    pattern,
                    "'?' and '#' start the query and fragment, which are cut off before routing",
                ));
            }
            segs.push(Seg::Static(seg));
        }
    }
    Ok(segs)
}
