//! HTTP errors and pydantic-shaped validation errors.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::response::{detail, IntoResponse, Response, StatusCode};

/// FastAPI's `HTTPException`: answers `status` with `{"detail": detail}` and `headers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpException {
    /// The status.
    pub status: StatusCode,
    /// The `detail` text.
    pub detail: String,
    /// Extra header fields (e.g. `www-authenticate`).
    pub headers: Vec<(Cow<'static, str>, Cow<'static, str>)>,
}

impl HttpException {
    /// An exception with `status` and `detail`, no extra headers.
    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        HttpException {
            status: StatusCode(status),
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header field (builder style).
    #[must_use]
    pub fn header(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl IntoResponse for HttpException {
    fn into_response(self) -> Response {
        let mut r = detail(self.status, &self.detail);
        r.headers.extend(self.headers);
        r
    }
}

/// One entry of FastAPI's 422 `detail` list, with pydantic 2's fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValidationError {
    /// The pydantic error type (`int_parsing`, `missing`, `json_invalid`, …).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where: `["path", "id"]`, `["query", "limit"]`, `["body", "name"]`, `["body", 9]`.
    pub loc: Vec<serde_json::Value>,
    /// pydantic's message.
    pub msg: Cow<'static, str>,
    /// The offending input (`null` when missing).
    pub input: serde_json::Value,
    /// Extra context (`json_invalid`'s `error`, a limit's value), when pydantic gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<serde_json::Value>,
}

/// The 422 response for a list of validation errors (`{"detail": [...]}`).
pub(crate) fn unprocessable(errors: &[ValidationError]) -> Response {
    #[derive(Serialize)]
    struct Body<'a> {
        detail: &'a [ValidationError],
    }
    Response::json(StatusCode::UNPROCESSABLE_ENTITY, &Body { detail: errors })
}
