#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;

mod app;
mod conn;
mod de;
mod error;
mod extract;
mod handler;
mod request;
mod response;
mod validate;

pub use app::{App, Router, DEFAULT_BODY_LIMIT};
pub use conn::Connection;
pub use error::{HttpException, ValidationError};
pub use extract::{Bytes, FromRequest, Header, HeaderMap, Json, Path, Query, Rejection, State};
pub use handler::Handler;
pub use request::RequestContext;
pub use response::{Html, IntoResponse, PlainText, Response, StatusCode};
pub use validate::{Int, Str};
pub use viper_router::Method;
pub use viper_server::{Config, Instant};
