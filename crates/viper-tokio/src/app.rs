//! Handlers, requests, responses and the route table.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::{mpsc, Notify};
use viper_router::{InsertError, Method, Router};
use viper_server::{StreamId, WsMessage};

use crate::hub::Hub;

/// A boxed, sendable future (what handlers return).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// An application handler: an async function from a request (and shared state) to a
/// response. Implemented for every `Fn(Request, Arc<S>) -> impl Future<Output = Response>`.
pub trait Handler<S>: Send + Sync + 'static {
    /// Runs the handler.
    fn call(&self, req: Request, state: Arc<S>) -> BoxFuture<Response>;
}

impl<S, F, Fut> Handler<S> for F
where
    F: Fn(Request, Arc<S>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    fn call(&self, req: Request, state: Arc<S>) -> BoxFuture<Response> {
        Box::pin(self(req, state))
    }
}

/// A typed path parameter, as the route pattern declared it.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// `{name:int}`.
    Int(i64),
    /// `{name:float}`.
    Float(f64),
    /// `{name}`, `{name:str}` or `{name:path}`, percent-decoded.
    Str(String),
}

/// What handlers have consumed of their HTTP/2 request bodies, for the connection
/// task to credit back to the peer's flow-control windows. One per connection that
/// has HTTP/2 bodies; one entry per stream at most, so it stays small.
#[derive(Debug, Default)]
pub(crate) struct Credits {
    /// `(stream, bytes consumed, body abandoned)`.
    list: Mutex<Vec<(StreamId, usize, bool)>>,
    pub(crate) notify: Notify,
}

impl Credits {
    fn add(&self, id: StreamId, n: usize, abandoned: bool) {
        {
            let mut l = self.list.lock().unwrap_or_else(|e| e.into_inner());
            match l.iter_mut().find(|e| e.0 == id) {
                Some(e) => {
                    e.1 = e.1.saturating_add(n);
                    e.2 |= abandoned;
                }
                None => l.push((id, n, abandoned)),
            }
        }
        self.notify.notify_one();
    }

    /// What was consumed or abandoned since the last call.
    pub(crate) fn take(&self) -> Vec<(StreamId, usize, bool)> {
        core::mem::take(&mut *self.list.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The handler's end of a request body.
#[derive(Debug)]
pub(crate) enum BodyRx {
    /// HTTP/1.1: a short queue; the connection stops reading while it is full.
    Queue(mpsc::Receiver<Bytes>),
    /// HTTP/2: what the stream's flow-control window let in (bounded by it), credited
    /// back as the handler takes it, so a slow handler closes its own stream's window
    /// and holds up no other stream.
    Window {
        rx: mpsc::UnboundedReceiver<Bytes>,
        id: StreamId,
        credits: Arc<Credits>,
    },
}

impl Drop for BodyRx {
    fn drop(&mut self) {
        if let BodyRx::Window { rx, id, credits } = self {
            // Read to the end: nothing is held, nothing more comes.
            if rx.is_closed() && rx.is_empty() {
                return;
            }
            // Whatever is left (queued or still arriving) will not be read: give its
            // window back so the connection's window does not shrink for good.
            credits.add(*id, 0, true);
        }
    }
}

/// A request as a handler sees it: the head, typed path parameters, and the body as a
/// stream with backpressure: on HTTP/1.1 the connection stops reading while the
/// handler does not take the body; on HTTP/2 the stream's flow-control window is
/// reopened only as the handler takes it, so the client waits on that stream alone.
#[derive(Debug)]
pub struct Request {
    /// The head (method, target, headers, version…).
    pub head: viper_server::Request,
    /// The route pattern that matched.
    pub pattern: String,
    params: Vec<(String, Param)>,
    body: Option<BodyRx>,
}

impl Request {
    pub(crate) fn new(
        head: viper_server::Request,
        pattern: String,
        params: Vec<(String, Param)>,
        body: Option<BodyRx>,
    ) -> Self {
        Request {
            head,
            pattern,
            params,
            body,
        }
    }

    /// A path parameter.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// An `int` path parameter.
    pub fn param_int(&self, name: &str) -> Option<i64> {
        match self.param(name)? {
            Param::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A `float` (or `int`) path parameter.
    pub fn param_float(&self, name: &str) -> Option<f64> {
        match self.param(name)? {
            Param::Float(x) => Some(*x),
            Param::Int(i) => Some(*i as f64),
            Param::Str(_) => None,
        }
    }

    /// A `str`/`path` path parameter (percent-decoded).
    pub fn param_str(&self, name: &str) -> Option<&str> {
        match self.param(name)? {
            Param::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The query parameters, percent-decoded (`+` is a space).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.head
            .query()
            .map(|q| {
                q.split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p.split_once('=').unwrap_or((p, ""));
                        (form_decode(k), form_decode(v))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first query parameter called `name`.
    pub fn query(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// A query parameter parsed as `T` (`None` if absent or unparsable).
    pub fn query_as<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.query(name)?.parse().ok()
    }

    /// The next piece of the request body (`None` at its end).
    pub async fn body_chunk(&mut self) -> Option<Bytes> {
        match self.body.as_mut()? {
            BodyRx::Queue(rx) => rx.recv().await,
            BodyRx::Window { rx, id, credits } => {
                let chunk = rx.recv().await?;
                credits.add(*id, chunk.len(), false);
                Some(chunk)
            }
        }
    }

    /// The whole body, or `Err(())` once it exceeds `limit` bytes.
    #[allow(clippy::result_unit_err)]
    pub async fn body_bytes(&mut self, limit: usize) -> Result<Vec<u8>, ()> {
        let mut v = Vec::new();
        while let Some(c) = self.body_chunk().await {
            if v.len() + c.len() > limit {
                return Err(());
            }
            v.extend_from_slice(&c);
        }
        Ok(v)
    }
}

fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = |c: u8| (c as char).to_digit(16);
                match (h(b[i + 1]), h(b[i + 2])) {
                    (Some(x), Some(y)) => {
                        out.push((x * 16 + y) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One server-sent event, owned (see [`viper_sse::Event`] for the field rules).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseMessage {
    /// `event:`.
    pub event: Option<String>,
    /// `id:`.
    pub id: Option<String>,
    /// `data:`.
    pub data: String,
}

impl SseMessage {
    /// An event with `data` only.
    pub fn data(data: impl Into<String>) -> Self {
        SseMessage {
            data: data.into(),
            ..Default::default()
        }
    }

    /// Sets the event type.
    pub fn event(mut self, e: impl Into<String>) -> Self {
        self.event = Some(e.into());
        self
    }

    /// Sets the id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
}

/// The sending half a streaming handler writes its body into.
#[derive(Clone, Debug)]
pub struct BodySender(pub(crate) mpsc::Sender<Bytes>);

impl BodySender {
    /// Sends a piece of body; waits while the client is slow. `Err` when the client
    /// went away.
    #[allow(clippy::result_unit_err)]
    pub async fn send(&self, data: impl Into<Bytes>) -> Result<(), ()> {
        self.0.send(data.into()).await.map_err(|_| ())
    }
}

/// The sending half of an SSE stream.
#[derive(Clone, Debug)]
pub struct SseSender(pub(crate) mpsc::Sender<SseMessage>);

impl SseSender {
    /// Sends an event; waits while the client is slow. `Err` when the client went away.
    #[allow(clippy::result_unit_err)]
    pub async fn send(&self, msg: SseMessage) -> Result<(), ()> {
        self.0.send(msg).await.map_err(|_| ())
    }
}

pub(crate) enum WsOut {
    Msg(WsMessage),
    Close(u16, String),
    Subscribe(mpsc::Receiver<Arc<str>>),
}

/// A WebSocket session as the application sees it.
pub struct WsSession {
    pub(crate) id: u32,
    pub(crate) incoming: mpsc::Receiver<WsMessage>,
    pub(crate) outgoing: mpsc::Sender<WsOut>,
}

impl std::fmt::Debug for WsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsSession").field("id", &self.id).finish()
    }
}

impl WsSession {
    /// The next message from the client; `None` once the session is closed.
    pub async fn recv(&mut self) -> Option<WsMessage> {
        self.incoming.recv().await
    }

    /// Sends a message to this client. `Err` once the session is closed.
    #[allow(clippy::result_unit_err)]
    pub async fn send(&self, msg: WsMessage) -> Result<(), ()> {
        self.outgoing.send(WsOut::Msg(msg)).await.map_err(|_| ())
    }

    /// Sends a text message to this client.
    #[allow(clippy::result_unit_err)]
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), ()> {
        self.send(WsMessage::Text(text.into())).await
    }

    /// Closes the session with `code`.
    pub async fn close(&self, code: u16, reason: &str) {
        let _ = self
            .outgoing
            .send(WsOut::Close(code, reason.to_string()))
            .await;
    }

    /// Subscribes this client to `hub`'s broadcasts (through a bounded queue; a
    /// client that falls behind is dropped with close 1013). Returns its member id.
    pub async fn join(&self, hub: &Hub) -> u64 {
        let (id, rx) = hub.add();
        let _ = self.outgoing.send(WsOut::Subscribe(rx)).await;
        id
    }
}

pub(crate) type StreamFn<T> = Box<dyn FnOnce(T) -> BoxFuture<()> + Send>;

pub(crate) enum ResponseBody {
    Full(Bytes),
    Stream(StreamFn<BodySender>),
    Sse(StreamFn<SseSender>),
    WebSocket(Vec<String>, StreamFn<WsSession>),
}

/// A response: status, headers and a body (full, streamed, SSE or a WebSocket session).
pub struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: ResponseBody,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish()
    }
}

impl Response {
    /// A response with a complete body.
    pub fn new(status: u16, body: impl Into<Bytes>) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: ResponseBody::Full(body.into()),
        }
    }

    /// `200` with `text/plain; charset=utf-8`.
    pub fn text(body: impl Into<String>) -> Self {
        Response::new(200, body.into()).header("content-type", "text/plain; charset=utf-8")
    }

    /// `200` with `text/html; charset=utf-8`.
    pub fn html(body: impl Into<String>) -> Self {
        Response::new(200, body.into()).header("content-type", "text/html; charset=utf-8")
    }

    /// `200` with `application/json` (the body must already be JSON).
    pub fn json(body: impl Into<String>) -> Self {
        Response::new(200, body.into()).header("content-type", "application/json")
    }

    /// An empty response with `status`.
    pub fn status(status: u16) -> Self {
        Response::new(status, Bytes::new())
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// A streamed body (chunked on HTTP/1.1, DATA frames on HTTP/2): `f` writes it.
    pub fn stream<F, Fut>(status: u16, f: F) -> Self
    where
        F: FnOnce(BodySender) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Response {
            status,
            headers: Vec::new(),
            body: ResponseBody::Stream(Box::new(move |s| Box::pin(f(s)))),
        }
    }

    /// A Server-Sent Events stream: `f` sends the events; heartbeats are automatic.
    pub fn sse<F, Fut>(f: F) -> Self
    where
        F: FnOnce(SseSender) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Response {
            status: 200,
            headers: Vec::new(),
            body: ResponseBody::Sse(Box::new(move |s| Box::pin(f(s)))),
        }
    }

    /// Accepts a WebSocket handshake (answer to a request whose
    /// `head.is_websocket()`), offering `protocols`, and runs `f` as the session.
    /// A request that is not a valid handshake gets 400/426.
    pub fn websocket<F, Fut>(protocols: &[&str], f: F) -> Self
    where
        F: FnOnce(WsSession) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Response {
            status: 101,
            headers: Vec::new(),
            body: ResponseBody::WebSocket(
                protocols.iter().map(|p| p.to_string()).collect(),
                Box::new(move |s| Box::pin(f(s))),
            ),
        }
    }
}

/// Routes and shared state: what [`serve`](crate::serve) runs.
pub struct App<S> {
    pub(crate) router: Router<Arc<dyn Handler<S>>>,
    pub(crate) state: Arc<S>,
}

impl<S: Send + Sync + 'static> App<S> {
    /// An application with shared `state` (handed to every handler as `Arc<S>`).
    pub fn new(state: S) -> Self {
        App {
            router: Router::new(),
            state: Arc::new(state),
        }
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<S> {
        &self.state
    }

    /// Registers `handler` for `method` and `pattern` (viper-router syntax:
    /// `/items/{id:int}`, `{name}`, `{x:float}`, `{rest:path}`).
    pub fn route(
        mut self,
        method: Method,
        pattern: &str,
        handler: impl Handler<S>,
    ) -> Result<Self, InsertError> {
        self.router.insert(method, pattern, Arc::new(handler))?;
        Ok(self)
    }

    /// `GET` route (panics on a conflicting pattern: a programming error at startup).
    pub fn get(self, pattern: &str, handler: impl Handler<S>) -> Self {
        self.route(Method::Get, pattern, handler)
            .unwrap_or_else(|e| panic!("route GET {pattern}: {e}"))
    }

    /// `POST` route (panics on a conflicting pattern: a programming error at startup).
    pub fn post(self, pattern: &str, handler: impl Handler<S>) -> Self {
        self.route(Method::Post, pattern, handler)
            .unwrap_or_else(|e| panic!("route POST {pattern}: {e}"))
    }
}
