//! The application: state, route table, routers.

use alloc::borrow::Cow;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use viper_router::{InsertError, Match, Method, TrailingSlash};

use crate::handler::{Erased, ErasedHandler, Handler};
use crate::request::RequestContext;
use crate::response::{detail, Response, StatusCode};

pub(crate) struct Route<S> {
    pub(crate) handler: Rc<dyn ErasedHandler<S>>,
    pub(crate) status: Option<StatusCode>,
}

impl<S> Clone for Route<S> {
    fn clone(&self) -> Self {
        Route {
            handler: self.handler.clone(),
            status: self.status,
        }
    }
}

/// A group of routes under a `prefix` (FastAPI's `APIRouter`), added to an [`App`]
/// with [`App::include_router`].
pub struct Router<S> {
    prefix: String,
    routes: Vec<(Method, String, Route<S>)>,
}

impl<S: 'static> Router<S> {
    /// An empty router whose routes all start with `prefix` (`""` for none).
    pub fn new(prefix: &str) -> Self {
        Router {
            prefix: prefix.to_string(),
            routes: Vec::new(),
        }
    }

    /// Adds a route (`path` is joined to the prefix; `""` is the prefix itself).
    /// `status`: the default status of a successful answer (FastAPI's `status_code`).
    #[must_use]
    pub fn route<H: Handler<S, A>, A: 'static>(
        mut self,
        method: Method,
        path: &str,
        status: Option<u16>,
        handler: H,
    ) -> Self {
        let mut full = self.prefix.clone();
        full.push_str(path);
        self.routes.push((
            method,
            full,
            Route {
                handler: Rc::new(Erased {
                    h: handler,
                    _a: core::marker::PhantomData,
                }),
                status: status.map(StatusCode),
            },
        ));
        self
    }

    /// `GET` route.
    #[must_use]
    pub fn get<H: Handler<S, A>, A: 'static>(self, path: &str, handler: H) -> Self {
        self.route(Method::Get, path, None, handler)
    }
    /// `POST` route.
    #[must_use]
    pub fn post<H: Handler<S, A>, A: 'static>(self, path: &str, handler: H) -> Self {
        self.route(Method::Post, path, None, handler)
    }
    /// `PUT` route.
    #[must_use]
    pub fn put<H: Handler<S, A>, A: 'static>(self, path: &str, handler: H) -> Self {
        self.route(Method::Put, path, None, handler)
    }
    /// `PATCH` route.
    #[must_use]
    pub fn patch<H: Handler<S, A>, A: 'static>(self, path: &str, handler: H) -> Self {
        self.route(Method::Patch, path, None, handler)
    }
    /// `DELETE` route.
    #[must_use]
    pub fn delete<H: Handler<S, A>, A: 'static>(self, path: &str, handler: H) -> Self {
        self.route(Method::Delete, path, None, handler)
    }

    /// Adds every route of `other` under this router's prefix.
    #[must_use]
    pub fn include_router(mut self, other: Router<S>) -> Self {
        for (m, p, r) in other.routes {
            let mut full = self.prefix.clone();
            full.push_str(&p);
            self.routes.push((m, full, r));
        }
        self
    }
}

/// The application: shared state `S`, title and version, and the route table.
///
/// Build it once, then serve it through [`crate::Connection`]s (one per client
/// connection; they share the app through `Rc`).
///
/// ```
/// use viper::{App, Json, Path};
/// async fn read(Path(id): Path<i64>) -> Json<i64> { Json(id) }
/// let app = App::new(()).get("/items/{id}", read).build().unwrap();
/// assert_eq!(app.title(), "Viper");
/// ```
pub struct App<S> {
    state: Rc<S>,
    title: String,
    version: String,
    routes: Router<S>,
    table: viper_router::Router<Route<S>>,
    default_headers: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    body_limit: usize,
}

/// The default limit of a request body (`App::body_limit`): 64 KiB; past it, 413.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

impl<S: 'static> App<S> {
    /// An app with `state` (handlers get it through [`crate::State`]).
    pub fn new(state: S) -> Self {
        App {
            state: Rc::new(state),
            title: "Viper".to_string(),
            version: "0.1.0".to_string(),
            routes: Router::new(""),
            table: viper_router::Router::with_config(viper_router::Config {
                trailing_slash: TrailingSlash::Redirect,
                ..viper_router::Config::default()
            }),
            default_headers: Vec::new(),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// Sets title and version (FastAPI's `title=`, `version=`).
    #[must_use]
    pub fn info(mut self, title: &str, version: &str) -> Self {
        self.title = title.to_string();
        self.version = version.to_string();
        self
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The version.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The shared state.
    pub fn state(&self) -> &Rc<S> {
        &self.state
    }

    /// The request-body limit in bytes (default [`DEFAULT_BODY_LIMIT`]); a longer body
    /// is answered `413 {"detail":"Request body too large"}`.
    #[must_use]
    pub fn body_limit(mut self, n: usize) -> Self {
        self.body_limit = n;
        self
    }

    pub(crate) fn limit(&self) -> usize {
        self.body_limit
    }

    /// A header field added to every response (what the twin's `X-Powered-By`
    /// middleware does).
    #[must_use]
    pub fn default_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.default_headers
            .push((Cow::Borrowed(name), Cow::Borrowed(value)));
        self
    }

    /// Adds a route with an optional default success status.
    #[must_use]
    pub fn route<H: Handler<S, A>, A: 'static>(
        mut self,
        method: Method,
        path: &str,
        status: Option<u16>,
        handler: H,
    ) -> Self {
        self.routes = self.routes.route(method, path, status, handler);
        self
    }

    /// `GET` route (HEAD and OPTIONS are answered automatically).
    #[must_use]
    pub fn get<H: Handler<S, A>, A: 'static>(self, path: &str, handler: H) -> Self {
        self.route(Method::Get, path, None, handler)
    }
    /// `POST` route.
    #[must_use]
    pub fn post<H: Handler<S, A>, A: 'static>(self, path: &str, handler: H) -> Self {
        self.route(Method::Post, path, None, handler)
    }
    /// `PUT` route.
    #[must_use]
    pub fn put<H: Handler<S, A>, A: 'static>(self, path: &str, handler: H) -> Self {
        self.route(Method::Put, path, None, handler)
    }
    /// `PATCH` route.
    #[must_use]
    pub fn patch<H: Handler<S, A>, A: 'static>(self, path: &str, handler: H) -> Self {
        self.route(Method::Patch, path, None, handler)
    }
    /// `DELETE` route.
    #[must_use]
    pub fn delete<H: Handler<S, A>, A: 'static>(self, path: &str, handler: H) -> Self {
        self.route(Method::Delete, path, None, handler)
    }

    /// Adds every route of `router` (FastAPI's `include_router`).
    #[must_use]
    pub fn include_router(mut self, router: Router<S>) -> Self {
        self.routes = self.routes.include_router(router);
        self
    }

    /// Builds the route table; fails on an invalid or conflicting pattern.
    pub fn build(mut self) -> Result<Rc<Self>, InsertError> {
        for (m, p, r) in core::mem::take(&mut self.routes.routes) {
            self.table.insert(m, &p, r)?;
        }
        Ok(Rc::new(self))
    }

    /// Routes and starts one request. `Err` is an immediate answer (404, 405, 307,
    /// OPTIONS, 422, a rejection).
    pub(crate) fn start(
        &self,
        method: Method,
        target: &str,
        make: impl FnOnce(Vec<(String, String)>) -> RequestContext,
    ) -> Result<(crate::handler::BoxFuture, Option<StatusCode>), Response> {
        match self.table.lookup(method, target) {
            Match::Found(f) => {
                let params: Vec<(String, String)> = f
                    .params
                    .iter()
                    .map(|(n, v)| {
                        let s = match v {
                            viper_router::Value::Int(i) => i.to_string(),
                            viper_router::Value::Float(x) => x.to_string(),
                            viper_router::Value::Str(s) | viper_router::Value::Path(s) => {
                                s.to_cow().into_owned()
                            }
                        };
                        (n.to_string(), s)
                    })
                    .collect();
                let route = f.value.clone();
                let ctx = make(params);
                let fut = route.handler.call(&ctx, &self.state)?;
                Ok((fut, route.status))
            }
            Match::MethodNotAllowed(allow) => {
                let allow = allow.to_string();
                Err(detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
                    .header("allow", allow))
            }
            Match::Options(allow) => {
                Err(Response::new(StatusCode::NO_CONTENT).header("allow", allow.to_string()))
            }
            Match::Redirect(r) => {
                Err(Response::new(StatusCode::TEMPORARY_REDIRECT).header("location", r.to_string()))
            }
            Match::NotFound => Err(detail(StatusCode::NOT_FOUND, "Not Found")),
        }
    }

    pub(crate) fn finish_response(&self, mut r: Response) -> Response {
        r.headers.extend(self.default_headers.iter().cloned());
        r
    }
}
