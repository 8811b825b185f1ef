//! Responses and the conversion of handler results into them.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

/// An HTTP status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// 200 OK.
    pub const OK: StatusCode = StatusCode(200);
    /// 201 Created.
    pub const CREATED: StatusCode = StatusCode(201);
    /// 202 Accepted.
    pub const ACCEPTED: StatusCode = StatusCode(202);
    /// 204 No Content.
    pub const NO_CONTENT: StatusCode = StatusCode(204);
    /// 307 Temporary Redirect.
    pub const TEMPORARY_REDIRECT: StatusCode = StatusCode(307);
    /// 400 Bad Request.
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 401 Unauthorized.
    pub const UNAUTHORIZED: StatusCode = StatusCode(401);
    /// 403 Forbidden.
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// 404 Not Found.
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 405 Method Not Allowed.
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    /// 413 Content Too Large.
    pub const PAYLOAD_TOO_LARGE: StatusCode = StatusCode(413);
    /// 422 Unprocessable Content.
    pub const UNPROCESSABLE_ENTITY: StatusCode = StatusCode(422);
    /// 500 Internal Server Error.
    pub const INTERNAL_SERVER_ERROR: StatusCode = StatusCode(500);
    /// 501 Not Implemented.
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
}

/// A complete response: status, header fields and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status.
    pub status: StatusCode,
    /// Header fields, in order (names as given; HTTP/2 lowercases them on the wire).
    pub headers: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    /// The body (`Cow::Borrowed` for static bodies: no copy, no allocation).
    pub body: Cow<'static, [u8]>,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: StatusCode) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Cow::Borrowed(&[]),
        }
    }

    /// A response with a body and its `content-type`.
    pub fn with_body(
        status: StatusCode,
        content_type: &'static str,
        body: impl Into<Cow<'static, [u8]>>,
    ) -> Self {
        let mut r = Response::new(status);
        r.headers
            .push((Cow::Borrowed("content-type"), Cow::Borrowed(content_type)));
        r.body = body.into();
        r
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

    /// The first value of header `name` (case-insensitive).
    pub fn get_header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &**v)
    }

    /// A JSON response (`application/json`, compact, like FastAPI's `JSONResponse`).
    pub fn json<T: serde::Serialize + ?Sized>(status: StatusCode, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(v) => Response::with_body(status, "application/json", v),
            Err(_) => internal_error(),
        }
    }
}

/// The answer to a failing handler: 500 `Internal Server Error` as text/plain, like
/// Starlette's `ServerErrorMiddleware`.
pub(crate) fn internal_error() -> Response {
    Response::with_body(
        StatusCode::INTERNAL_SERVER_ERROR,
        "text/plain; charset=utf-8",
        &b"Internal Server Error"[..],
    )
}

/// `{"detail": "<text>"}` with `status`, FastAPI's shape for HTTP errors.
pub(crate) fn detail(status: StatusCode, text: &str) -> Response {
    Response::json(status, &DetailBody { detail: text })
}

#[derive(serde::Serialize)]
struct DetailBody<'a> {
    detail: &'a str,
}

/// What a handler may return.
pub trait IntoResponse {
    /// Converts into a response.
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

/// `()`: `200` with the JSON body `null`, what FastAPI answers for a handler that
/// returns `None`.
impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::with_body(StatusCode::OK, "application/json", &b"null"[..])
    }
}

/// Text: `text/plain; charset=utf-8` (FastAPI's `PlainTextResponse`).
impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        PlainText(self).into_response()
    }
}

/// Text: `text/plain; charset=utf-8` (FastAPI's `PlainTextResponse`).
impl IntoResponse for String {
    fn into_response(self) -> Response {
        PlainText(self).into_response()
    }
}

/// `text/plain; charset=utf-8`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainText<T>(pub T);

impl<T: Into<Cow<'static, str>>> IntoResponse for PlainText<T> {
    fn into_response(self) -> Response {
        Response::with_body(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            cow_bytes(self.0.into()),
        )
    }
}

/// `text/html; charset=utf-8` (FastAPI's `HTMLResponse`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Html<T>(pub T);

impl<T: Into<Cow<'static, str>>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        Response::with_body(
            StatusCode::OK,
            "text/html; charset=utf-8",
            cow_bytes(self.0.into()),
        )
    }
}

fn cow_bytes(s: Cow<'static, str>) -> Cow<'static, [u8]> {
    match s {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    }
}

/// `(status, body)`: the body's response with another status.
impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut r = self.1.into_response();
        r.status = self.0;
        r
    }
}

/// `Ok` and `Err` both answer (e.g. `Result<Json<T>, HttpException>`).
impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(t) => t.into_response(),
            Err(e) => e.into_response(),
        }
    }
}

/// Any serde value as JSON (FastAPI's default for a returned dict or model).
impl IntoResponse for serde_json::Value {
    fn into_response(self) -> Response {
        Response::json(StatusCode::OK, &self)
    }
}
