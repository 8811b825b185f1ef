//! Accept loop, connection tasks, statistics and shutdown.

use std::future::{poll_fn, Future};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use viper_router::{Match, Method, Value};
use viper_server::{
    Admission, Body, Connection, Error as CoreError, Event, Instant, Stats, StreamId, Version,
    WsMessage, REFUSAL_RESPONSE,
};

use crate::app::{
    App, BodyRx, BodySender, Credits, Param, Request, Response, ResponseBody, SseMessage,
    SseSender, WsOut, WsSession,
};

/// Adapter settings; the protocol limits live in [`ServerConfig::core`].
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The sans-IO core's limits and timers. `core.h2.auto_release` is ignored: HTTP/2
    /// request bodies are always credited back to the client's flow-control windows
    /// as handlers take them (per-stream backpressure), so a handler's unread body
    /// holds at most `core.h2.initial_window_size` (256 KiB) in memory, and all of a
    /// connection's together at most `core.h2.max_concurrent_streams ×
    /// core.h2.initial_window_size` (25 MiB with the defaults; lower either for many
    /// connections with slow-reading handlers, or on small devices).
    pub core: viper_server::Config,
    /// Connections served at once; one more gets a fast `503` with `Retry-After` and
    /// is closed. Default 10 000.
    pub max_connections: usize,
    /// Tokio worker threads for [`run`]. Default: the number of CPUs.
    pub workers: usize,
    /// How long a graceful shutdown lets in-flight requests finish. Default 10 s.
    pub shutdown_deadline: Duration,
    /// A write that makes no progress for this long aborts the connection. Default 30 s.
    pub write_timeout: Duration,
    /// Bytes read from the socket at once (allocated only while a connection is
    /// busy). Default 16 KiB.
    pub read_buffer: usize,
    /// HTTP/1.1 request body chunks queued for a handler before reading pauses.
    /// Default 8. (HTTP/2 bodies are bounded by flow control instead.)
    pub body_queue: usize,
    /// Messages queued per WebSocket direction (and per hub member). Default 64.
    pub ws_queue: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            core: viper_server::Config::default(),
            max_connections: 10_000,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            shutdown_deadline: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            read_buffer: 16 * 1024,
            body_queue: 8,
            ws_queue: 64,
        }
    }
}

#[derive(Debug, Default)]
struct StatsInner {
    stats: Mutex<Stats>,
    active: AtomicUsize,
}

/// Server-wide statistics, shared between the accept loop, the connection tasks and
/// the application (e.g. a `/debug/stats` handler).
#[derive(Clone, Debug, Default)]
pub struct SharedStats(Arc<StatsInner>);

impl SharedStats {
    /// Empty statistics.
    pub fn new() -> Self {
        Self::default()
    }

    fn add(&self, s: &Stats) {
        if *s == Stats::default() {
            return;
        }
        self.0
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(s);
    }

    /// The counters so far.
    pub fn snapshot(&self) -> Stats {
        *self.0.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Connections open right now.
    pub fn active(&self) -> usize {
        self.0.active.load(Ordering::SeqCst)
    }

    /// The counters and `connections_active` as a JSON object.
    pub fn to_json(&self) -> String {
        let s = self.snapshot();
        let mut out = String::from("{");
        out.push_str(&format!("\"connections_active\":{}", self.active()));
        for (k, v) in s.fields() {
            out.push_str(&format!(",\"{k}\":{v}"));
        }
        out.push('}');
        out
    }
}

/// Releases the admission slot and the active count however the task ends.
struct Guard {
    admission: Arc<Mutex<Admission>>,
    stats: SharedStats,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.admission
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .release();
        self.stats.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The `date` for responses: the wall clock's second, formatted once per second per
/// worker thread.
fn http_date() -> viper_server::HttpDate {
    thread_local! {
        static CACHE: std::cell::RefCell<viper_server::DateCache> =
            std::cell::RefCell::new(viper_server::DateCache::new());
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHE.with(|c| c.borrow_mut().get(secs))
}

#[derive(Clone, Copy)]
struct Clock(tokio::time::Instant);

impl Clock {
    fn now(&self) -> Instant {
        Instant::from_nanos(u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }
    fn to_tokio(self, t: Instant) -> tokio::time::Instant {
        self.0 + Duration::from_nanos(t.as_nanos())
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then shuts down gracefully:
/// stop accepting, GOAWAY on HTTP/2, close idle HTTP/1.1 connections and WebSockets
/// (1001), end SSE streams, and let in-flight requests finish within
/// `shutdown_deadline`. What is still running at the deadline is cut off before `serve`
/// returns: its connections are closed and their request handlers aborted.
pub async fn serve<S: Send + Sync + 'static>(
    listener: TcpListener,
    app: App<S>,
    config: ServerConfig,
    stats: SharedStats,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let app = Arc::new(app);
    let mut config = config;
    config.core.h2.auto_release = false;
    let config = Arc::new(config);
    let (sd_tx, sd_rx) = watch::channel(false);
    let admission = Arc::new(Mutex::new(Admission::new(config.max_connections)));
    let clock = Clock(tokio::time::Instant::now());
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            r = listener.accept() => {
                let sock = match r {
                    Ok((s, _)) => s,
                    Err(_) => {
                        // Out of descriptors or a transient error: back off briefly.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let admitted = admission.lock().unwrap_or_else(|e| e.into_inner()).try_admit();
                let _ = sock.set_nodelay(true);
                if !admitted {
                    stats.add(&Stats { connections_refused: 1, ..Stats::default() });
                    tokio::spawn(refuse(sock));
                    continue;
                }
                stats.add(&Stats { connections_accepted: 1, ..Stats::default() });
                stats.0.active.fetch_add(1, Ordering::SeqCst);
                let guard = Guard { admission: admission.clone(), stats: stats.clone() };
                let ctx = ConnTask::new(sock, app.clone(), config.clone(), stats.clone(), clock);
                let sd = sd_rx.clone();
                // Spawned as is: wrapping it in another async block would store the
                // connection twice.
                conns.spawn(ctx.run(sd, guard));
                // Reap finished connections so the set holds only live ones.
                while conns.try_join_next().is_some() {}
            }
        }
    }
    drop(listener);
    let _ = sd_tx.send(true);
    let deadline = tokio::time::Instant::now() + config.shutdown_deadline;
    while stats.active() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Past the deadline: cut off what is left. Aborting a connection drops it (closing
    // its socket and releasing its slot) and aborts its running request handlers.
    conns.abort_all();
    while conns.join_next().await.is_some() {}
    Ok(())
}

async fn refuse(mut sock: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = sock.write_all(REFUSAL_RESPONSE).await;
        let _ = sock.shutdown().await;
        // Drain briefly so the close does not reset the answer away.
        let mut buf = [0u8; 1024];
        loop {
            sock.readable().await.ok();
            match sock.try_read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
}

/// Registers SIGINT (Ctrl-C) and SIGTERM now and returns a future that completes on
/// either. Registering up front means a signal that arrives before the future is
/// first polled is not lost (nor fatal, as the default action would be).
#[cfg(unix)]
fn shutdown_signals() -> io::Result<impl Future<Output = ()> + Send> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    match shutdown_signals() {
        Ok(f) => f.await,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Builds a multi-threaded runtime with `config.workers` threads, binds `addr`,
/// prints the URL, prints the statistics (JSON, on stderr) on SIGUSR1, and serves
/// `app` until Ctrl-C or SIGTERM, then shuts down gracefully (see [`serve`]). The
/// signal handlers are in place before the URL is printed.
pub fn run<S: Send + Sync + 'static>(
    app: App<S>,
    addr: &str,
    config: ServerConfig,
    stats: SharedStats,
) -> io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers.max(1))
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        #[cfg(unix)]
        let shutdown = {
            use tokio::signal::unix::{signal, SignalKind};
            let mut usr1 = signal(SignalKind::user_defined1())?;
            let st = stats.clone();
            tokio::spawn(async move {
                while usr1.recv().await.is_some() {
                    eprintln!("viper stats: {}", st.to_json());
                }
            });
            shutdown_signals()?
        };
        #[cfg(not(unix))]
        let shutdown = shutdown_signal();
        println!("viper listening on http://{}", listener.local_addr()?);
        serve(listener, app, config, stats, shutdown).await
    })
}

// ---------------------------------------------------------------------- connection

/// What a handler task sends back. Boxed: the channel allocates its slots up front
/// (a block of 32), and an idle keep-alive connection keeps them.
enum Cmd {
    Respond(StreamId, Box<Response>),
}

enum SrcKind {
    Body(mpsc::Receiver<Bytes>),
    Sse(mpsc::Receiver<SseMessage>),
    Ws(mpsc::Receiver<WsOut>),
    Hub(mpsc::Receiver<Arc<str>>),
}

enum Item {
    Body(Option<Bytes>),
    Sse(Option<SseMessage>),
    Ws(Option<WsOut>),
    Hub(Option<Arc<str>>),
}

enum Pending {
    Body(Bytes),
    Sse(SseMessage),
    Ws(WsMessage),
}

/// The connection's end of a handler's request body (see [`BodyRx`]).
enum BodyTx {
    Queue(mpsc::Sender<Bytes>),
    Window(mpsc::UnboundedSender<Bytes>),
}

struct Source {
    id: StreamId,
    kind: SrcKind,
    pending: Option<Pending>,
}

struct ConnTask<S> {
    sock: TcpStream,
    app: Arc<App<S>>,
    config: Arc<ServerConfig>,
    stats: SharedStats,
    clock: Clock,
    conn: Connection,
    rbuf: BytesMut,
    bodies: Vec<(StreamId, BodyTx)>,
    /// HTTP/2 body bytes handlers took (or abandoned); created with the first one.
    credits: Option<Arc<Credits>>,
    ws_in: Option<mpsc::Sender<WsMessage>>,
    sources: Vec<Source>,
    rr: usize,
    /// Answers from handler tasks; created when a handler first has to wait (most
    /// answer inline, and an idle connection then holds no channel).
    cmd: Option<(mpsc::Sender<Cmd>, mpsc::Receiver<Cmd>)>,
    /// Request handlers still running as their own tasks, created with the first one:
    /// when the connection ends (peer gone, or cut off at the shutdown deadline) their
    /// answers can no longer be delivered, so dropping the set aborts them.
    handlers: Option<JoinSet<()>>,
    eof: bool,
}

fn param_of(v: Value<'_>) -> Param {
    match v {
        Value::Int(i) => Param::Int(i),
        Value::Float(x) => Param::Float(x),
        Value::Str(s) | Value::Path(s) => Param::Str(s.to_cow().into_owned()),
    }
}

impl<S: Send + Sync + 'static> ConnTask<S> {
    fn new(
        sock: TcpStream,
        app: Arc<App<S>>,
        config: Arc<ServerConfig>,
        stats: SharedStats,
        clock: Clock,
    ) -> Self {
        let conn = Connection::new(config.core.clone(), clock.now());
        ConnTask {
            sock,
            app,
            config,
            stats,
            clock,
            conn,
            rbuf: BytesMut::new(),
            bodies: Vec::new(),
            credits: None,
            ws_in: None,
            sources: Vec::new(),
            rr: 0,
            cmd: None,
            handlers: None,
            eof: false,
        }
    }

    /// The connection's life. Not an `async fn`: its arguments would be stored twice in
    /// the future (as captured arguments and as locals), 928 bytes of every idle
    /// connection; an `async move` block captures them once.
    #[allow(clippy::manual_async_fn)] // deliberate, see above
    fn run(
        mut self,
        mut sd: watch::Receiver<bool>,
        guard: Guard,
    ) -> impl Future<Output = ()> + Send {
        async move {
            // Releases the admission slot however the connection ends.
            let _guard = guard;
            let mut shutdown_seen = false;
            // One timer for the connection's life, moved only when the deadline changes.
            let sleep = tokio::time::sleep_until(self.clock.to_tokio(Instant::ZERO));
            tokio::pin!(sleep);
            let mut armed: Option<tokio::time::Instant> = None;
            loop {
                self.conn.set_date(http_date());
                self.conn.handle_timeout(self.clock.now());
                // Feed, dispatch, write until nothing moves.
                loop {
                    let mut progress = false;
                    if !self.rbuf.is_empty() {
                        let n = self.conn.receive(&self.rbuf);
                        self.rbuf.advance(n);
                        progress |= n > 0;
                    }
                    while let Some(ev) = self.conn.poll_event() {
                        progress = true;
                        self.on_event(ev).await;
                    }
                    match self.flush(&mut sd, &mut shutdown_seen).await {
                        Ok(wrote) => progress |= wrote,
                        Err(_) => {
                            self.finish_stats();
                            return;
                        }
                    }
                    if self.retry_pending() {
                        progress = true;
                    }
                    if self.apply_credits() {
                        progress = true;
                    }
                    if !progress {
                        break;
                    }
                }
                self.stats.add(&self.conn.take_stats());
                if self.conn.is_closed() && self.conn.pending_output() == 0 {
                    break;
                }
                if self.conn.is_idle() && self.rbuf.is_empty() && self.rbuf.capacity() > 0 {
                    // Idle keep-alive connections hold no read buffer.
                    self.rbuf = BytesMut::new();
                }
                let deadline = self.conn.poll_timeout().map(|t| self.clock.to_tokio(t));
                if let Some(d) = deadline.filter(|d| armed != Some(*d)) {
                    sleep.as_mut().reset(d);
                    armed = Some(d);
                }
                let want_read = self.rbuf.is_empty() && !self.eof;
                let have_sources = !self.sources.is_empty();
                tokio::select! {
                    r = self.sock.readable(), if want_read => {
                        if r.is_err() {
                            break;
                        }
                        self.read();
                    }
                    Some(cmd) = recv_cmd(&mut self.cmd), if self.cmd.is_some() => {
                        // Answers that are ready go out together (one write for many
                        // HTTP/2 streams).
                        self.on_cmd(cmd);
                        while let Some(cmd) = self.cmd.as_mut().and_then(|(_, rx)| rx.try_recv().ok()) {
                            self.on_cmd(cmd);
                        }
                    }
                    (i, item) = poll_sources(&mut self.sources, &mut self.rr), if have_sources => {
                        self.on_item(i, item);
                    }
                    _ = notified(&self.credits), if self.credits.is_some() => {}
                    _ = &mut sleep, if deadline.is_some() => {
                        armed = None;
                    }
                    _ = sd.changed(), if !shutdown_seen => {
                        shutdown_seen = true;
                        self.conn.shutdown();
                    }
                }
            }
            let _ = self.sock.shutdown().await;
            self.finish_stats();
        }
    }

    /// Credits the HTTP/2 body bytes handlers took back to the client's windows, and
    /// lets go of abandoned bodies; `true` if there was any.
    fn apply_credits(&mut self) -> bool {
        let Some(c) = &self.credits else {
            return false;
        };
        // Consume a wake-up stored for what is taken below (most often a handler
        // answered inline just posted its dropped body), so the task does not go
        // round once more for nothing. Before the take: a later post stores a new one.
        let notified = c.notify.notified();
        let mut notified = std::pin::pin!(notified);
        let _ = notified
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()));
        let list = c.take();
        for &(id, n, abandoned) in &list {
            self.conn.release_body(id, n);
            if abandoned {
                self.conn.discard_body(id);
                self.bodies.retain(|(b, _)| *b != id);
            }
        }
        !list.is_empty()
    }

    fn finish_stats(&mut self) {
        if !self.conn.is_closed() {
            self.conn.abort();
            while self.conn.poll_event().is_some() {}
        }
        self.stats.add(&self.conn.take_stats());
    }

    fn read(&mut self) {
        if self.rbuf.capacity() < self.config.read_buffer {
            self.rbuf.reserve(self.config.read_buffer);
        }
        match self.sock.try_read_buf(&mut self.rbuf) {
            Ok(0) => {
                self.eof = true;
                self.conn.receive_eof();
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => {
                self.eof = true;
                self.conn.receive_eof();
            }
        }
    }

    /// Writes what the connection has for the socket. Non-blocking writes first; only
    /// a full socket waits (at most `write_timeout` without progress). A shutdown
    /// signal that arrives meanwhile is passed to the connection at once (GOAWAY
    /// queued, SSE ended…), so a slow reader does not hide it for `write_timeout`.
    async fn flush(
        &mut self,
        sd: &mut watch::Receiver<bool>,
        shutdown_seen: &mut bool,
    ) -> io::Result<bool> {
        let mut wrote = false;
        let mut stalled_since: Option<tokio::time::Instant> = None;
        while let Some(b) = self.conn.poll_transmit() {
            match self.sock.try_write(b) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.conn.advance_transmit(n);
                    wrote = true;
                    stalled_since = None;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let since = *stalled_since.get_or_insert_with(tokio::time::Instant::now);
                    let deadline = since + self.config.write_timeout;
                    // Boxed: rare, and inline it would enlarge every connection's future.
                    let wait = Box::pin(writable_or_shutdown(
                        &self.sock,
                        deadline,
                        sd,
                        *shutdown_seen,
                    ));
                    if wait.await? {
                        *shutdown_seen = true;
                        self.conn.shutdown();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(wrote)
    }

    async fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Request(head) => self.dispatch(head),
            Event::Data { id, data } => {
                let Some(i) = self.bodies.iter().position(|(b, _)| *b == id) else {
                    // Nobody reads this body (HTTP/2 credits it back at once).
                    self.conn.discard_body(id);
                    return;
                };
                let gone = match &self.bodies[i].1 {
                    BodyTx::Queue(tx) => {
                        let tx = tx.clone();
                        send_or_wait(&tx, data).await.is_err()
                    }
                    // Never waits: the stream's window bounds what can be queued.
                    BodyTx::Window(tx) => tx.send(data).is_err(),
                };
                if gone {
                    self.bodies.retain(|(b, _)| *b != id);
                    self.conn.discard_body(id);
                }
            }
            Event::End { id, .. } => self.bodies.retain(|(b, _)| *b != id),
            Event::Reset { id } => {
                self.bodies.retain(|(b, _)| *b != id);
                self.sources.retain(|s| s.id != id);
            }
            Event::Writable { .. } => {}
            Event::WsMessage { message, .. } => {
                if let Some(tx) = self.ws_in.clone() {
                    if send_or_wait(&tx, message).await.is_err() {
                        self.ws_in = None;
                    }
                }
            }
            Event::WsClosed { id, .. } => {
                self.ws_in = None;
                self.sources.retain(|s| s.id != id);
            }
            Event::Closed { .. } => {
                self.bodies.clear();
                self.sources.clear();
                self.ws_in = None;
            }
        }
    }

    fn respond_now(&mut self, id: StreamId, status: u16, headers: &[(&str, &str)], body: &[u8]) {
        let _ = self
            .conn
            .send_response(id, status, headers, Body::Full(body));
    }

    fn dispatch(&mut self, head: viper_server::Request) {
        let id = head.id;
        let Some(method) = Method::parse(head.method.as_bytes()) else {
            self.respond_now(id, 501, &[], b"");
            return;
        };
        let app = self.app.clone();
        match app.router.lookup(method, &head.target) {
            Match::Found(f) => {
                let params: Vec<(String, Param)> = f
                    .params
                    .iter()
                    .map(|(n, v)| (n.to_string(), param_of(v)))
                    .collect();
                let pattern = f.pattern.to_string();
                let handler = f.value.clone();
                let brx = if head.version != Version::Http2 {
                    let (tx, rx) = mpsc::channel(self.config.body_queue.max(1));
                    self.bodies.push((id, BodyTx::Queue(tx)));
                    Some(BodyRx::Queue(rx))
                } else if self.conn.has_body(id) {
                    let (tx, rx) = mpsc::unbounded_channel();
                    self.bodies.push((id, BodyTx::Window(tx)));
                    let credits = self.credits.get_or_insert_with(Default::default).clone();
                    Some(BodyRx::Window { rx, id, credits })
                } else {
                    // HEADERS ended the stream: an empty body, nothing to set up.
                    None
                };
                let state = app.state.clone();
                let req = Request::new(head, pattern, params, brx);
                let mut fut = handler.call(req, state);
                // A handler that answers without waiting (the common case) is
                // answered here, without a task and a channel round trip; one that
                // waits continues as its own task (which polls it again with a real
                // waker).
                let mut cx = Context::from_waker(Waker::noop());
                match fut.as_mut().poll(&mut cx) {
                    Poll::Ready(resp) => self.on_cmd(Cmd::Respond(id, Box::new(resp))),
                    Poll::Pending => {
                        let cmd_tx = self.cmd.get_or_insert_with(|| mpsc::channel(64)).0.clone();
                        let set = self.handlers.get_or_insert_with(JoinSet::new);
                        // Reap finished handlers so the set holds only running ones.
                        while set.try_join_next().is_some() {}
                        set.spawn(async move {
                            let resp = fut.await;
                            let _ = cmd_tx.send(Cmd::Respond(id, Box::new(resp))).await;
                        });
                    }
                }
            }
            Match::MethodNotAllowed(allow) => {
                let a = allow.to_string();
                self.respond_now(id, 405, &[("allow", &a)], b"");
            }
            Match::Options(allow) => {
                let a = allow.to_string();
                self.respond_now(id, 204, &[("allow", &a)], b"");
            }
            Match::Redirect(r) => {
                let loc = r.to_string();
                self.respond_now(id, 308, &[("location", &loc)], b"");
            }
            Match::NotFound => {
                self.respond_now(
                    id,
                    404,
                    &[("content-type", "text/plain; charset=utf-8")],
                    b"not found\n",
                );
            }
        }
    }

    fn on_cmd(&mut self, cmd: Cmd) {
        let Cmd::Respond(id, resp) = cmd;
        let resp = *resp;
        let headers: Vec<(&str, &str)> = resp
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        match resp.body {
            ResponseBody::Full(b) => {
                let _ = self
                    .conn
                    .send_response(id, resp.status, &headers, Body::Full(&b));
            }
            ResponseBody::Stream(f) => {
                if self
                    .conn
                    .send_response(id, resp.status, &headers, Body::Streaming)
                    .is_ok()
                {
                    let (tx, rx) = mpsc::channel(4);
                    self.sources.push(Source {
                        id,
                        kind: SrcKind::Body(rx),
                        pending: None,
                    });
                    tokio::spawn(f(BodySender(tx)));
                }
            }
            ResponseBody::Sse(f) => {
                if self.conn.start_sse(id, &headers).is_ok() {
                    let (tx, rx) = mpsc::channel(16);
                    self.sources.push(Source {
                        id,
                        kind: SrcKind::Sse(rx),
                        pending: None,
                    });
                    tokio::spawn(f(SseSender(tx)));
                }
            }
            ResponseBody::WebSocket(protocols, f) => {
                let protos: Vec<&str> = protocols.iter().map(String::as_str).collect();
                match self.conn.accept_websocket(id, &protos) {
                    Ok(()) => {
                        let q = self.config.ws_queue.max(1);
                        let (in_tx, in_rx) = mpsc::channel(q);
                        let (out_tx, out_rx) = mpsc::channel(q);
                        self.ws_in = Some(in_tx);
                        self.bodies.retain(|(b, _)| *b != id);
                        self.sources.push(Source {
                            id,
                            kind: SrcKind::Ws(out_rx),
                            pending: None,
                        });
                        tokio::spawn(f(WsSession {
                            id,
                            incoming: in_rx,
                            outgoing: out_tx,
                        }));
                    }
                    Err(CoreError::HandshakeRejected(_)) => {}
                    Err(_) => self.respond_now(id, 400, &[], b"not a WebSocket handshake\n"),
                }
            }
        }
    }

    fn on_item(&mut self, i: usize, item: Item) {
        let Some(src) = self.sources.get(i) else {
            return;
        };
        let id = src.id;
        let mut remove = false;
        let mut pending = None;
        match item {
            Item::Body(Some(b)) => match self.conn.send_data(id, &b) {
                Ok(n) if n < b.len() => pending = Some(Pending::Body(b.slice(n..))),
                Ok(_) => {}
                Err(_) => remove = true,
            },
            Item::Body(None) | Item::Sse(None) => {
                let _ = self.conn.finish::<&str, &str>(id, &[]);
                remove = true;
            }
            Item::Sse(Some(m)) => match self.send_sse(id, &m) {
                Err(CoreError::WouldBlock) => pending = Some(Pending::Sse(m)),
                Err(CoreError::InvalidHeader) | Ok(()) => {}
                Err(_) => remove = true,
            },
            Item::Ws(Some(WsOut::Msg(m))) => match self.conn.ws_send(id, &m) {
                Err(CoreError::WouldBlock) => pending = Some(Pending::Ws(m)),
                Ok(()) => {}
                Err(_) => remove = true,
            },
            Item::Ws(Some(WsOut::Close(code, reason))) => {
                let _ = self.conn.ws_close(id, code, &reason);
            }
            Item::Ws(Some(WsOut::Subscribe(rx))) => {
                self.sources.push(Source {
                    id,
                    kind: SrcKind::Hub(rx),
                    pending: None,
                });
            }
            Item::Ws(None) => {
                let _ = self.conn.ws_close(id, 1000, "");
                remove = true;
            }
            Item::Hub(Some(text)) => {
                let m = WsMessage::Text(text.to_string());
                match self.conn.ws_send(id, &m) {
                    Err(CoreError::WouldBlock) => pending = Some(Pending::Ws(m)),
                    Ok(()) => {}
                    Err(_) => remove = true,
                }
            }
            Item::Hub(None) => {
                // The hub dropped this client because its queue overflowed.
                let _ = self.conn.ws_close(id, 1013, "slow client");
                remove = true;
            }
        }
        if remove {
            self.sources.remove(i);
        } else if let Some(s) = self.sources.get_mut(i) {
            s.pending = pending;
        }
    }

    fn send_sse(&mut self, id: StreamId, m: &SseMessage) -> Result<(), CoreError> {
        let ev = viper_sse::Event {
            event: m.event.as_deref(),
            data: Some(&m.data),
            id: m.id.as_deref(),
            retry: None,
        };
        self.conn.send_sse(id, &ev)
    }

    /// Retries output that was pushed back; `true` if something went out.
    fn retry_pending(&mut self) -> bool {
        let mut progressed = false;
        for i in 0..self.sources.len() {
            let Some(p) = self.sources[i].pending.take() else {
                continue;
            };
            let id = self.sources[i].id;
            let back = match p {
                Pending::Body(b) => match self.conn.send_data(id, &b) {
                    Ok(n) if n < b.len() => {
                        progressed |= n > 0;
                        Some(Pending::Body(b.slice(n..)))
                    }
                    Ok(_) => {
                        progressed = true;
                        None
                    }
                    Err(_) => None,
                },
                Pending::Sse(m) => match self.send_sse(id, &m) {
                    Err(CoreError::WouldBlock) => Some(Pending::Sse(m)),
                    _ => {
                        progressed = true;
                        None
                    }
                },
                Pending::Ws(m) => match self.conn.ws_send(id, &m) {
                    Err(CoreError::WouldBlock) => Some(Pending::Ws(m)),
                    _ => {
                        progressed = true;
                        None
                    }
                },
            };
            self.sources[i].pending = back;
        }
        progressed
    }
}

/// Queues `item` for a handler, waiting while its queue is full (backpressure). The
/// wait is boxed: it is rare, and inline it would enlarge every connection's future.
async fn send_or_wait<T: Send + 'static>(tx: &mpsc::Sender<T>, item: T) -> Result<(), ()> {
    match tx.try_send(item) {
        Ok(()) => Ok(()),
        Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
        Err(mpsc::error::TrySendError::Full(item)) => {
            let tx = tx.clone();
            Box::pin(async move { tx.send(item).await.map_err(|_| ()) }).await
        }
    }
}

/// Waits until the socket is writable (`Ok(false)`), the shutdown signal comes
/// (`Ok(true)`, unless it was already seen) or `deadline` passes (`TimedOut`).
async fn writable_or_shutdown(
    sock: &TcpStream,
    deadline: tokio::time::Instant,
    sd: &mut watch::Receiver<bool>,
    shutdown_seen: bool,
) -> io::Result<bool> {
    tokio::select! {
        r = tokio::time::timeout_at(deadline, sock.writable()) => {
            r.map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
            Ok(false)
        }
        _ = sd.changed(), if !shutdown_seen => Ok(true),
    }
}

/// Waits until a handler took (or dropped) some HTTP/2 body.
async fn notified(credits: &Option<Arc<Credits>>) {
    match credits {
        Some(c) => c.notify.notified().await,
        None => std::future::pending().await,
    }
}

async fn recv_cmd(cmd: &mut Option<(mpsc::Sender<Cmd>, mpsc::Receiver<Cmd>)>) -> Option<Cmd> {
    match cmd {
        Some((_, rx)) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Waits for the next item of any source without pending output (round robin).
async fn poll_sources(sources: &mut [Source], rr: &mut usize) -> (usize, Item) {
    poll_fn(|cx| {
        let n = sources.len();
        for k in 0..n {
            let i = (*rr + k) % n;
            let s = &mut sources[i];
            if s.pending.is_some() {
                continue;
            }
            let item = match &mut s.kind {
                SrcKind::Body(rx) => rx.poll_recv(cx).map(Item::Body),
                SrcKind::Sse(rx) => rx.poll_recv(cx).map(Item::Sse),
                SrcKind::Ws(rx) => rx.poll_recv(cx).map(Item::Ws),
                SrcKind::Hub(rx) => rx.poll_recv(cx).map(Item::Hub),
            };
            if let Poll::Ready(item) = item {
                *rr = i + 1;
                return Poll::Ready((i, item));
            }
        }
        Poll::Pending
    })
    .await
}
