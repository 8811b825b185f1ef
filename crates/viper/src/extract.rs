//! Extractors: typed pieces of the request that handlers take as arguments.

use alloc::borrow::Cow;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Deref;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::de::{from_input, missing, Input};
use crate::error::ValidationError;
use crate::request::RequestContext;
use crate::response::Response;

/// Why an extractor gave no value.
#[derive(Debug)]
pub enum Rejection {
    /// Validation errors: merged with the other extractors' into one 422.
    Invalid(Vec<ValidationError>),
    /// Answer with this response at once (e.g. a failed authentication).
    Response(Response),
}

/// A value taken from the request (and the application state `S`).
pub trait FromRequest<S>: Sized {
    /// Extracts the value.
    fn from_request(req: &RequestContext, state: &Rc<S>) -> Result<Self, Rejection>;
}

/// The application state (shared, `Rc`: no atomics).
#[derive(Debug)]
pub struct State<S>(pub Rc<S>);

impl<S> Deref for State<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.0
    }
}

impl<S> FromRequest<S> for State<S> {
    fn from_request(_req: &RequestContext, state: &Rc<S>) -> Result<Self, Rejection> {
        Ok(State(state.clone()))
    }
}

/// Path parameters: a struct of named parameters, or one value for a one-parameter route
/// (`Path<i64>`). A parameter that does not convert gives FastAPI's 422
/// (`int_parsing` at `["path", name]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Path<T>(pub T);

impl<S, T: DeserializeOwned> FromRequest<S> for Path<T> {
    fn from_request(req: &RequestContext, _state: &Rc<S>) -> Result<Self, Rejection> {
        let fields: Vec<(String, Vec<String>)> = req
            .params
            .iter()
            .map(|(k, v)| (k.clone(), vec![v.clone()]))
            .collect();
        // A single parameter may be taken as a scalar: try the struct form first only
        // when there are several.
        let one = if fields.len() == 1 {
            let root = [Value::from("path"), Value::from(fields[0].0.as_str())];
            Some(from_input::<T>(Input::Text(&fields[0].1), &root))
        } else {
            None
        };
        match one {
            Some(Ok(v)) => Ok(Path(v)),
            Some(Err(e)) if !is_shape_error(&e) => Err(Rejection::Invalid(e)),
            _ => from_input::<T>(Input::Fields(&fields), &[Value::from("path")])
                .map(Path)
                .map_err(Rejection::Invalid),
        }
    }
}

fn is_shape_error(e: &[ValidationError]) -> bool {
    e.iter().any(|e| {
        e.kind == "model_attributes_type" || e.kind == "value_error" || e.kind == "dict_type"
    })
}

/// Query parameters as a struct: repeated names fill `Vec` fields, the last value
/// wins for scalars, `Option` and `#[serde(default)]` fields may be absent,
/// `#[serde(rename = "sort-by")]` is FastAPI's `alias`.
#[derive(Clone, Debug, PartialEq)]
pub struct Query<T>(pub T);

impl<S, T: DeserializeOwned> FromRequest<S> for Query<T> {
    fn from_request(req: &RequestContext, _state: &Rc<S>) -> Result<Self, Rejection> {
        let mut fields: Vec<(String, Vec<String>)> = Vec::new();
        for (k, v) in req.query_pairs() {
            match fields.iter_mut().find(|(n, _)| *n == k) {
                Some((_, vals)) => vals.push(v),
                None => fields.push((k, vec![v])),
            }
        }
        from_input::<T>(Input::Fields(&fields), &[Value::from("query")])
            .map(Query)
            .map_err(Rejection::Invalid)
    }
}

/// Header fields as a struct; a field `user_agent` reads header `user-agent`
/// (FastAPI's underscore-to-hyphen rule).
#[derive(Clone, Debug, PartialEq)]
pub struct Header<T>(pub T);

impl<S, T: DeserializeOwned> FromRequest<S> for Header<T> {
    fn from_request(req: &RequestContext, _state: &Rc<S>) -> Result<Self, Rejection> {
        let mut fields: Vec<(String, Vec<String>)> = Vec::new();
        for (n, v) in req.headers.iter() {
            let k: String = String::from_utf8_lossy(n).replace('-', "_");
            let v = String::from_utf8_lossy(v).into_owned();
            match fields.iter_mut().find(|(name, _)| *name == k) {
                Some((_, vals)) => vals.push(v),
                None => fields.push((k, vec![v])),
            }
        }
        from_input::<T>(Input::Fields(&fields), &[Value::from("header")])
            .map(Header)
            .map_err(Rejection::Invalid)
    }
}

/// All header fields (names lowercase).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderMap(pub viper_server::Headers);

impl<S> FromRequest<S> for HeaderMap {
    fn from_request(req: &RequestContext, _state: &Rc<S>) -> Result<Self, Rejection> {
        Ok(HeaderMap(req.headers.clone()))
    }
}

/// The raw request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bytes(pub bytes::Bytes);

impl<S> FromRequest<S> for Bytes {
    fn from_request(req: &RequestContext, _state: &Rc<S>) -> Result<Self, Rejection> {
        Ok(Bytes(req.body.clone()))
    }
}

/// The request itself (a clone of the context).
impl<S> FromRequest<S> for RequestContext {
    fn from_request(req: &RequestContext, _state: &Rc<S>) -> Result<Self, Rejection> {
        Ok(req.clone())
    }
}

/// A JSON body (request) or a JSON answer (response, `application/json`).
///
/// As an extractor: an empty body is `missing` at `["body"]`, a body without a JSON
/// `content-type` is `model_attributes_type` (FastAPI reads it as a string), bad JSON is
/// `json_invalid` at `["body", position]` with Python's `json` message in `ctx.error`,
/// and field errors are at `["body", field, …]`, as FastAPI reports them.
#[derive(Clone, Debug, PartialEq)]
pub struct Json<T>(pub T);

impl<S, T: DeserializeOwned> FromRequest<S> for Json<T> {
    fn from_request(req: &RequestContext, _state: &Rc<S>) -> Result<Self, Rejection> {
        if req.body.is_empty() {
            return Err(Rejection::Invalid(vec![missing(
                vec![Value::from("body")],
                Value::Null,
            )]));
        }
        // FastAPI parses JSON only for a JSON media type; any other body is a string,
        // which a model refuses.
        let json_type = req.header("content-type").is_some_and(|ct| {
            let mt = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mt == "application/json" || (mt.starts_with("application/") && mt.ends_with("+json"))
        });
        if !json_type {
            return Err(Rejection::Invalid(vec![ValidationError {
                kind: "model_attributes_type",
                loc: vec![Value::from("body")],
                msg: Cow::Borrowed(
                    "Input should be a valid dictionary or object to extract fields from",
                ),
                input: Value::String(String::from_utf8_lossy(&req.body).into_owned()),
                ctx: None,
            }]));
        }
        let value: Value = match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(e) => return Err(Rejection::Invalid(vec![json_invalid(&req.body, &e)])),
        };
        from_input::<T>(Input::Json(&value), &[Value::from("body")])
            .map(Json)
            .map_err(Rejection::Invalid)
    }
}

impl<T: serde::Serialize> crate::response::IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        Response::json(crate::response::StatusCode::OK, &self.0)
    }
}

/// pydantic's `json_invalid` entry for a body serde_json refused, with the character
/// position and message Python's `json` module gives.
fn json_invalid(body: &[u8], e: &serde_json::Error) -> ValidationError {
    let text = String::from_utf8_lossy(body);
    // serde_json reports the 1-based line and the column of the last byte read.
    let mut offset = 0usize;
    for (i, line) in text.split('\n').enumerate() {
        if i + 1 == e.line() {
            offset += e.column().min(line.len());
            break;
        }
        offset += line.len() + 1;
    }
    let msg = alloc::format!("{e}");
    let (error, pos) = if msg.starts_with("EOF while parsing") {
        if msg.contains("string") {
            ("Unterminated string starting at", offset)
        } else {
            ("Expecting value", text.len())
        }
    } else if msg.starts_with("trailing characters") {
        ("Extra data", offset.saturating_sub(1))
    } else if msg.starts_with("key must be a string") {
        (
            "Expecting property name enclosed in double quotes",
            offset.saturating_sub(1),
        )
    } else if msg.starts_with("expected `:`") {
        ("Expecting ':' delimiter", offset.saturating_sub(1))
    } else if msg.starts_with("expected `,` or") {
        ("Expecting ',' delimiter", offset.saturating_sub(1))
    } else {
        ("Expecting value", offset.saturating_sub(1))
    };
    let chars = text.char_indices().take_while(|(i, _)| *i < pos).count();
    ValidationError {
        kind: "json_invalid",
        loc: vec![Value::from("body"), Value::from(chars as u64)],
        msg: Cow::Borrowed("JSON decode error"),
        input: Value::Object(serde_json::Map::new()),
        ctx: Some(serde_json::json!({ "error": error })),
    }
}
