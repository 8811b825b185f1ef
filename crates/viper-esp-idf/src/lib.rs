//! viper-esp-idf: Viper on BSD sockets, the way ESP-IDF's lwIP offers them to Rust —
//! `std::net` non-blocking sockets and one `poll()` loop, no epoll, no tokio.
//!
//! Two kinds of thread, as on a dual-core ESP32 (seed 003):
//!
//! - **the protocol thread** (core 0) owns every socket and every `viper_server`
//!   connection: it accepts (refusing with a `503` beyond [`Config::max_clients`]), reads,
//!   writes (each connection's output is coalesced by viper-server and written in as few
//!   `send`s as the socket takes), and runs every timer — idle and header timeouts,
//!   WebSocket pings, SSE heartbeats — so those keep running while the application is busy;
//! - **worker threads** (core 1) run the application. Each worker builds its own
//!   application value with the factory given to [`Server::run`], so the application needs
//!   neither `Send` nor `Sync`; all events of one connection go to the same worker.
//!
//! They are joined by bounded queues in both directions. When a worker's queue is full the
//! protocol thread stops reading the connections whose events wait (it keeps one pending
//! event per connection), so a slow application pushes back on its clients instead of
//! growing a buffer; when the command queue is full the worker waits.
//!
//! ```no_run
//! use viper_esp_idf::{Command, Config, ConnId, Outbox, Server, Worker};
//! use viper_server::{Event, Body};
//!
//! struct Hello;
//! impl Worker for Hello {
//!     fn event(&mut self, conn: ConnId, event: Event, out: &mut Outbox) {
//!         if let Event::Request(r) = event {
//!             out.send(conn, Command::respond(r.id, 200, &[("content-type", "text/plain")], b"Hello"));
//!         }
//!     }
//! }
//! let server = Server::bind("0.0.0.0:80", Config::default()).unwrap();
//! server.run(|| Hello).unwrap();
//! ```

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Instant as StdInstant;

use viper_server::{
    Body, Connection, Event, HttpDate, Instant, SseEvent, StreamId, WsMessage, REFUSAL_RESPONSE,
};

/// Settings of a [`Server`]. Every limit has a default sized for an ESP32.
#[derive(Clone, Debug)]
pub struct Config {
    /// Connections served at once; the next client gets `503` and is closed. Default 8
    /// (ESP-IDF's lwIP allows 10 sockets by default: 8 clients, the listener, the waker).
    pub max_clients: usize,
    /// Bytes read from a socket at a time. Default 2048.
    pub read_buffer: usize,
    /// Events queued to each worker before the protocol thread stops reading the
    /// connections that produce them. Default 32.
    pub event_queue: usize,
    /// Commands queued from the workers before a worker waits. Default 64.
    pub command_queue: usize,
    /// Worker threads. Default 1.
    pub workers: usize,
    /// Pin the protocol thread to this CPU (Linux: `sched_setaffinity`; on ESP-IDF the
    /// equivalent is creating the thread with `xTaskCreatePinnedToCore`). Default none.
    pub protocol_cpu: Option<usize>,
    /// Pin the workers to this CPU. Default none.
    pub worker_cpu: Option<usize>,
    /// The protocol settings of each connection (limits, timeouts, pings, heartbeats).
    pub connection: viper_server::Config,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_clients: 8,
            read_buffer: 2048,
            event_queue: 32,
            command_queue: 64,
            workers: 1,
            protocol_cpu: None,
            worker_cpu: None,
            connection: viper_server::Config::default(),
        }
    }
}

/// Which connection an event came from or a command goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnId(u64);

/// What a worker asks the protocol thread to do on a connection (the owned form of
/// viper-server's commands, so it can cross the queue).
#[derive(Clone, Debug)]
pub enum Command {
    /// `send_response` with a complete body.
    Respond {
        /// The request.
        id: StreamId,
        /// Status code.
        status: u16,
        /// Header fields.
        headers: Vec<(String, String)>,
        /// The whole body.
        body: Vec<u8>,
    },
    /// `send_response` with a streaming body; then [`Command::Data`] and [`Command::Finish`].
    Start {
        /// The request.
        id: StreamId,
        /// Status code.
        status: u16,
        /// Header fields.
        headers: Vec<(String, String)>,
    },
    /// A piece of a streaming body.
    Data {
        /// The request.
        id: StreamId,
        /// The bytes.
        data: Vec<u8>,
    },
    /// The end of a streaming body.
    Finish {
        /// The request.
        id: StreamId,
    },
    /// Accept a WebSocket handshake.
    AcceptWebSocket {
        /// The request.
        id: StreamId,
        /// The subprotocols the application speaks.
        protocols: Vec<String>,
    },
    /// Send a WebSocket message.
    WsSend {
        /// The session.
        id: StreamId,
        /// The message.
        message: WsMessage,
    },
    /// Close a WebSocket session.
    WsClose {
        /// The session.
        id: StreamId,
        /// Close code.
        code: u16,
        /// Reason.
        reason: String,
    },
    /// Start an event stream (`text/event-stream`).
    StartSse {
        /// The request.
        id: StreamId,
        /// Extra header fields.
        headers: Vec<(String, String)>,
    },
    /// One server-sent event.
    Sse {
        /// The stream.
        id: StreamId,
        /// `event:` field.
        event: Option<String>,
        /// `data:` (may span lines).
        data: String,
        /// `id:` field.
        event_id: Option<String>,
    },
    /// Cancel a request (HTTP/2 RST_STREAM; HTTP/1.1 closes).
    Reset {
        /// The request.
        id: StreamId,
    },
}

impl Command {
    /// A complete response.
    pub fn respond(id: StreamId, status: u16, headers: &[(&str, &str)], body: &[u8]) -> Command {
        Command::Respond {
            id,
            status,
            headers: owned(headers),
            body: body.to_vec(),
        }
    }
}

fn owned(h: &[(&str, &str)]) -> Vec<(String, String)> {
    h.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// The application side, one value per worker thread.
pub trait Worker {
    /// An event of connection `conn` (requests, body pieces, WebSocket messages, closes).
    /// Answer through `out`, now or later (keep `out.clone()` to answer from elsewhere on
    /// this thread).
    fn event(&mut self, conn: ConnId, event: Event, out: &mut Outbox);
}

/// Sends commands to the protocol thread (bounded: waits when the queue is full).
#[derive(Clone)]
pub struct Outbox {
    tx: SyncSender<(ConnId, Command)>,
    wake: Arc<UnixStream>,
}

impl Outbox {
    /// Queues `command` for connection `conn` and wakes the protocol thread. Returns false
    /// if the server has stopped.
    pub fn send(&mut self, conn: ConnId, command: Command) -> bool {
        if self.tx.send((conn, command)).is_err() {
            return false;
        }
        let _ = (&*self.wake).write(&[1]);
        true
    }
}

/// Counters of a running server, readable from any thread.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub accepted: AtomicU64,
    /// Connections refused with 503 because `max_clients` were being served.
    pub refused: AtomicU64,
    /// Connections open now.
    pub active: AtomicUsize,
    /// Requests received.
    pub requests: AtomicU64,
    /// Times a connection stopped being read because its worker's queue was full.
    pub backpressure: AtomicU64,
    /// Connections dropped because a WebSocket message did not fit their output buffer
    /// (`viper_server::Config::max_output_buffer`): a client that stops reading is cut off
    /// instead of delaying the others or growing a buffer.
    pub slow_dropped: AtomicU64,
}

/// Stops a running server: in-flight responses are written, then every socket closes.
#[derive(Clone, Debug)]
pub struct Handle {
    stop: Arc<AtomicBool>,
    wake: Arc<UnixStream>,
    stats: Arc<Stats>,
    addr: SocketAddr,
}

impl Handle {
    /// Asks the server to stop; [`Server::run`] returns soon after.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = (&*self.wake).write(&[1]);
    }
    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

/// A bound server, ready to [`run`](Server::run).
pub struct Server {
    listener: TcpListener,
    config: Config,
    handle: Handle,
    wake_rx: UnixStream,
}

impl Server {
    /// Binds `addr` (non-blocking).
    pub fn bind(addr: impl ToSocketAddrs, config: Config) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let (wake_rx, wake_tx) = UnixStream::pair()?;
        wake_rx.set_nonblocking(true)?;
        wake_tx.set_nonblocking(true)?;
        let handle = Handle {
            stop: Arc::new(AtomicBool::new(false)),
            wake: Arc::new(wake_tx),
            stats: Arc::new(Stats::default()),
            addr: listener.local_addr()?,
        };
        Ok(Server {
            listener,
            config,
            handle,
            wake_rx,
        })
    }

    /// A handle to stop the server and read its counters.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Runs the protocol loop on this thread and `config.workers` worker threads, each
    /// with its own application from `factory`, until [`Handle::shutdown`].
    pub fn run<W, F>(self, factory: F) -> io::Result<()>
    where
        W: Worker + 'static,
        F: Fn() -> W + Send + Sync + 'static,
    {
        let factory = Arc::new(factory);
        let (cmd_tx, cmd_rx) =
            mpsc::sync_channel::<(ConnId, Command)>(self.config.command_queue.max(1));
        let mut queues = Vec::new();
        let mut threads = Vec::new();
        for _ in 0..self.config.workers.max(1) {
            let (ev_tx, ev_rx) =
                mpsc::sync_channel::<(ConnId, Event)>(self.config.event_queue.max(1));
            queues.push(ev_tx);
            let factory = factory.clone();
            let mut out = Outbox {
                tx: cmd_tx.clone(),
                wake: self.handle.wake.clone(),
            };
            let cpu = self.config.worker_cpu;
            threads.push(
                std::thread::Builder::new()
                    .name("viper-worker".into())
                    .spawn(move || {
                        if let Some(cpu) = cpu {
                            pin_to_cpu(cpu);
                        }
                        let mut app = factory();
                        while let Ok((conn, event)) = ev_rx.recv() {
                            app.event(conn, event, &mut out);
                        }
                    })?,
            );
        }
        drop(cmd_tx);
        if let Some(cpu) = self.config.protocol_cpu {
            pin_to_cpu(cpu);
        }
        let mut lp = Loop {
            listener: self.listener,
            wake_rx: self.wake_rx,
            config: self.config,
            handle: self.handle,
            conns: HashMap::new(),
            next_id: 0,
            queues,
            commands: cmd_rx,
            start: StdInstant::now(),
            date: viper_server::DateCache::new(),
        };
        let result = lp.run();
        drop(lp);
        for t in threads {
            let _ = t.join();
        }
        result
    }
}

fn pin_to_cpu(cpu: usize) {
    #[cfg(target_os = "linux")]
    // SAFETY: `set` is a plain bit set on the stack, sized as the call says; the call only
    // reads it and changes this thread's affinity.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        let _ = libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
}

/// One connection of the protocol thread.
struct Conn {
    stream: TcpStream,
    conn: Connection,
    /// Bytes read that the connection did not take yet.
    unread: Vec<u8>,
    /// An event its worker's queue had no room for (reading stops until it is delivered).
    stalled: Option<Event>,
    worker: usize,
    eof: bool,
}

struct Loop {
    listener: TcpListener,
    wake_rx: UnixStream,
    config: Config,
    handle: Handle,
    conns: HashMap<u64, Conn>,
    next_id: u64,
    queues: Vec<SyncSender<(ConnId, Event)>>,
    commands: Receiver<(ConnId, Command)>,
    start: StdInstant,
    date: viper_server::DateCache,
}

impl Loop {
    fn now(&self) -> Instant {
        Instant::from_nanos(u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    fn http_date(&mut self) -> HttpDate {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.date.get(secs)
    }

    fn run(&mut self) -> io::Result<()> {
        let mut buf = vec![0u8; self.config.read_buffer.max(64)];
        let mut fds: Vec<libc::pollfd> = Vec::new();
        let mut order: Vec<u64> = Vec::new();
        loop {
            let stopping = self.handle.stop.load(Ordering::SeqCst);
            if stopping {
                for c in self.conns.values_mut() {
                    c.conn.shutdown();
                }
                if self.conns.values().all(|c| c.conn.pending_output() == 0) {
                    return Ok(());
                }
            }
            // 1. Build the poll set.
            fds.clear();
            order.clear();
            fds.push(pollfd(self.wake_rx.as_raw_fd(), libc::POLLIN));
            let listen = !stopping;
            fds.push(pollfd(
                self.listener.as_raw_fd(),
                if listen { libc::POLLIN } else { 0 },
            ));
            let mut deadline: Option<Instant> = None;
            for (&id, c) in &self.conns {
                let mut ev = 0;
                if c.stalled.is_none() && !c.eof && c.unread.len() < buf.len() {
                    ev |= libc::POLLIN;
                }
                if c.conn.pending_output() > 0 {
                    ev |= libc::POLLOUT;
                }
                fds.push(pollfd(c.stream.as_raw_fd(), ev));
                order.push(id);
                deadline = Instant::earliest(deadline, c.conn.poll_timeout());
            }
            let stalled = self.conns.values().any(|c| c.stalled.is_some());
            let timeout_ms: i32 = if stalled {
                5 // retry delivering stalled events soon
            } else if stopping {
                50
            } else {
                match deadline {
                    Some(t) => {
                        let now = self.now();
                        let ms = t.saturating_duration_since(now).as_millis();
                        i32::try_from(ms.saturating_add(1)).unwrap_or(i32::MAX)
                    }
                    None => 1000,
                }
            };
            // SAFETY: `fds` is a valid, initialised array of `fds.len()` pollfd structs
            // that lives across the call.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            let date = self.http_date();
            // 2. Wake-ups and worker commands.
            if fds[0].revents != 0 {
                let mut sink = [0u8; 64];
                while matches!((&self.wake_rx).read(&mut sink), Ok(n) if n > 0) {}
            }
            self.apply_commands();
            // 3. New clients.
            if fds[1].revents & libc::POLLIN != 0 {
                self.accept_all();
            }
            // 4. Socket I/O.
            let now = self.now();
            for (i, id) in order.iter().enumerate() {
                let revents = fds[i + 2].revents;
                let Some(c) = self.conns.get_mut(id) else {
                    continue;
                };
                c.conn.set_date(date);
                if revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
                    && c.stalled.is_none()
                {
                    read_into(c, &mut buf);
                }
                if c.conn.poll_timeout().is_some_and(|t| t <= now) {
                    c.conn.handle_timeout(now);
                }
            }
            // 5. Events to workers, output to sockets, closed connections out.
            let ids: Vec<u64> = self.conns.keys().copied().collect();
            for id in ids {
                self.pump(id);
                let Some(c) = self.conns.get_mut(&id) else {
                    continue;
                };
                if !write_out(c) || (c.conn.is_closed() && c.conn.pending_output() == 0) {
                    self.remove(id);
                }
            }
        }
    }

    fn accept_all(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    let stats = &self.handle.stats;
                    if self.conns.len() >= self.config.max_clients {
                        stats.refused.fetch_add(1, Ordering::Relaxed);
                        let _ = stream.set_nonblocking(true);
                        let _ = (&stream).write(REFUSAL_RESPONSE);
                        let _ = stream.shutdown(std::net::Shutdown::Write);
                        continue;
                    }
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    stats.accepted.fetch_add(1, Ordering::Relaxed);
                    stats.active.fetch_add(1, Ordering::Relaxed);
                    let id = self.next_id;
                    self.next_id += 1;
                    let worker = (id as usize) % self.queues.len();
                    let conn = Connection::new(self.config.connection.clone(), self.now());
                    self.conns.insert(
                        id,
                        Conn {
                            stream,
                            conn,
                            unread: Vec::new(),
                            stalled: None,
                            worker,
                            eof: false,
                        },
                    );
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // EMFILE and friends: try again on the next wake-up.
                Err(_) => return,
            }
        }
    }

    /// Moves the connection's events to its worker until the queue is full.
    fn pump(&mut self, id: u64) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        // Offer bytes it did not take before, now that events may have drained.
        if !c.unread.is_empty() && c.stalled.is_none() {
            let n = c.conn.receive(&c.unread);
            c.unread.drain(..n);
        }
        loop {
            let ev = match c.stalled.take() {
                Some(ev) => ev,
                None => match c.conn.poll_event() {
                    Some(ev) => ev,
                    None => return,
                },
            };
            if matches!(ev, Event::Request(_)) {
                self.handle.stats.requests.fetch_add(1, Ordering::Relaxed);
            }
            match self.queues[c.worker].try_send((ConnId(id), ev)) {
                Ok(()) => {}
                Err(TrySendError::Full((_, ev))) => {
                    self.handle
                        .stats
                        .backpressure
                        .fetch_add(1, Ordering::Relaxed);
                    if matches!(ev, Event::Request(_)) {
                        self.handle.stats.requests.fetch_sub(1, Ordering::Relaxed);
                    }
                    c.stalled = Some(ev);
                    return;
                }
                Err(TrySendError::Disconnected(_)) => {
                    c.conn.abort();
                    return;
                }
            }
        }
    }

    fn apply_commands(&mut self) {
        while let Ok((ConnId(id), cmd)) = self.commands.try_recv() {
            let Some(c) = self.conns.get_mut(&id) else {
                continue;
            };
            if let Command::WsSend { id, message } = &cmd {
                // A full output buffer: write what the socket takes now and try again. A
                // client whose buffer is still full is not reading, and is cut off.
                let mut r = c.conn.ws_send(*id, message);
                if r == Err(viper_server::Error::WouldBlock) && write_out(c) {
                    r = c.conn.ws_send(*id, message);
                }
                if r == Err(viper_server::Error::WouldBlock) {
                    self.handle
                        .stats
                        .slow_dropped
                        .fetch_add(1, Ordering::Relaxed);
                    c.conn.abort();
                }
                continue;
            }
            let conn = &mut c.conn;
            let _ = match cmd {
                Command::Respond {
                    id,
                    status,
                    headers,
                    body,
                } => conn.send_response(id, status, &headers, Body::Full(&body)),
                Command::Start {
                    id,
                    status,
                    headers,
                } => conn.send_response(id, status, &headers, Body::Streaming),
                Command::Data { id, data } => conn.send_data(id, &data).map(|_| ()),
                Command::Finish { id } => conn.finish::<&str, &str>(id, &[]),
                Command::AcceptWebSocket { id, protocols } => {
                    let p: Vec<&str> = protocols.iter().map(String::as_str).collect();
                    conn.accept_websocket(id, &p)
                }
                // Handled above.
                Command::WsSend { .. } => Ok(()),
                Command::WsClose { id, code, reason } => conn.ws_close(id, code, &reason),
                Command::StartSse { id, headers } => conn.start_sse(id, &headers),
                Command::Sse {
                    id,
                    event,
                    data,
                    event_id,
                } => {
                    let mut e = SseEvent::data(&data);
                    if let Some(t) = event.as_deref() {
                        e = e.event(t);
                    }
                    if let Some(i) = event_id.as_deref() {
                        e = e.id(i);
                    }
                    conn.send_sse(id, &e)
                }
                Command::Reset { id } => conn.reset(id),
            };
        }
    }

    fn remove(&mut self, id: u64) {
        if let Some(c) = self.conns.remove(&id) {
            let _ = c.stream.shutdown(std::net::Shutdown::Both);
            self.handle.stats.active.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

fn pollfd(fd: RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// Reads what the socket has (bounded by `buf`) into the connection.
fn read_into(c: &mut Conn, buf: &mut [u8]) {
    loop {
        if c.unread.len() >= buf.len() {
            return;
        }
        match (&c.stream).read(buf) {
            Ok(0) => {
                c.eof = true;
                c.conn.receive_eof();
                return;
            }
            Ok(n) => {
                let data = &buf[..n];
                let taken = if c.unread.is_empty() {
                    c.conn.receive(data)
                } else {
                    0
                };
                c.unread.extend_from_slice(&data[taken..]);
                if !c.unread.is_empty() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => {
                c.eof = true;
                c.conn.abort();
                return;
            }
        }
    }
}

/// Writes the connection's output until the socket would block. False: the socket failed.
fn write_out(c: &mut Conn) -> bool {
    while let Some(out) = c.conn.poll_transmit() {
        match (&c.stream).write(out) {
            Ok(0) => return false,
            Ok(n) => c.conn.advance_transmit(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    true
}

/// Convenience for workers: the owned headers of a command from borrowed pairs.
pub fn headers(h: &[(&str, &str)]) -> Vec<(String, String)> {
    owned(h)
}
