//! Errors reported when a route is added.

use crate::Method;
use alloc::string::String;
use core::fmt;

/// Why a route could not be added. Every variant names the offending pattern, and a
/// conflict names the route already in the table too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertError {
    /// The pattern is not valid syntax.
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The pattern is well-formed but no request path could ever reach it.
    NeverMatches {
        /// The pattern as given.
        pattern: String,
        /// Why it can never match.
        reason: &'static str,
    },
    /// The pattern declares more than [`crate::MAX_PARAMS`] parameters.
    TooManyParams {
        /// The pattern as given.
        pattern: String,
        /// The limit.
        max: usize,
    },
    /// A route with the same shape (same static segments, same parameter types at the
    /// same places) is already registered for this method, so both would match exactly
    /// the same requests.
    Conflict {
        /// The method both routes are registered for.
        method: Method,
        /// The pattern being added.
        pattern: String,
        /// The pattern already in the table.
        existing: String,
    },
    /// A route with the same shape but different parameter names exists for another
    /// method; one path must name its parameters one way.
    ParamNames {
        /// The pattern being added.
        pattern: String,
        /// The pattern already in the table.
        existing: String,
    },
    /// A mount prefix must start with `/` and must not end with `/` (except `/` itself).
    InvalidPrefix {
        /// The prefix as given.
        prefix: String,
    },
}

impl fmt::Display for InsertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InsertError::InvalidPattern { pattern, reason } => {
                write!(f, "invalid route `{pattern}`: {reason}")
            }
            InsertError::NeverMatches { pattern, reason } => {
                write!(f, "route `{pattern}` can never match: {reason}")
            }
            InsertError::TooManyParams { pattern, max } => {
                write!(f, "route `{pattern}` has more than {max} parameters")
            }
            InsertError::Conflict {
                method,
                pattern,
                existing,
            } => write!(
                f,
                "route `{method} {pattern}` conflicts with `{method} {existing}`: both match the same requests"
            ),
            InsertError::ParamNames { pattern, existing } => write!(
                f,
                "route `{pattern}` conflicts with `{existing}`: same path, different parameter names"
            ),
            InsertError::InvalidPrefix { prefix } => write!(
                f,
                "invalid mount prefix `{prefix}`: it must start with '/' and not end with '/'"
            ),
        }
    }
}

impl core::error::Error for InsertError {}
