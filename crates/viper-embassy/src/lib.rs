//! viper-embassy: runs a sans-IO Viper connection on [embassy-net] TCP sockets.
//!
//! The adapter owns sockets, a clock and the slot tasks, and nothing else: each of a fixed
//! number of *slots* accepts one TCP connection at a time, moves bytes between its socket
//! and a [`Session`] (a sans-IO connection: a `viper` application connection or a bare
//! `viper_server::Connection`), sleeps until the session's next deadline, and polls the
//! session's application futures with the slot's waker. When every slot is busy, *refusal
//! sockets* take the next clients and answer a fixed response (a `503` by default) at once,
//! so a full device refuses cleanly instead of leaving clients hanging in SYN retries.
//!
//! No heap is needed by the adapter itself: socket buffers are the caller's (usually
//! `static`), and every slot is one future in one [`join_array`](embassy_futures::join).
//! Nothing here needs atomics, `Send` or an `Arc`; it runs on riscv32imc (ESP32-C3).
//!
//! ```ignore
//! static BUFS: StaticCell<[SlotBuffers<4096, 8192>; 8]> = StaticCell::new();
//! let bufs = BUFS.init(core::array::from_fn(|_| SlotBuffers::new()));
//! let mut refusal = [RefusalBuffers::new()];
//! viper_embassy::serve(stack, &service, bufs, &mut refusal, &Config::default()).await;
//! ```
//!
//! [embassy-net]: https://docs.rs/embassy-net

#![no_std]

#[cfg(feature = "app")]
extern crate alloc;

use core::cell::{Cell, RefCell};
use core::future::poll_fn;
use core::task::{Context, Poll, Waker};

use embassy_futures::join::join_array;
use embassy_futures::select::{select3, Either3};
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpEndpoint, Stack};
use embassy_time::{Duration, Instant as EmbassyInstant, Timer};

pub use viper_core::Instant;

/// A sans-IO connection, driven by a slot: the one contract of Viper's protocol crates
/// (bytes in, bytes out, deadlines) plus the application's futures.
pub trait Session {
    /// Feeds bytes read from the socket; returns how many were taken. Bytes not taken
    /// are offered again after the session's output has been written.
    fn receive(&mut self, data: &[u8]) -> usize;
    /// The peer closed its side.
    fn receive_eof(&mut self);
    /// The bytes waiting to be written, if any.
    fn poll_transmit(&mut self) -> Option<&[u8]>;
    /// `n` bytes of [`poll_transmit`](Session::poll_transmit)'s slice were written.
    fn advance_transmit(&mut self, n: usize);
    /// When [`handle_timeout`](Session::handle_timeout) must next be called.
    fn poll_timeout(&self) -> Option<Instant>;
    /// The clock reached a deadline.
    fn handle_timeout(&mut self, now: Instant);
    /// Polls the application's futures (handlers, WebSocket and SSE producers) once;
    /// pending ones register `cx`'s waker. Sessions without application futures do nothing.
    fn poll_app(&mut self, cx: &mut Context<'_>);
    /// The connection is finished: its output is written and the socket can close.
    fn is_closed(&self) -> bool;
}

/// Makes one [`Session`] per accepted connection.
pub trait Service {
    /// The session type.
    type Session: Session;
    /// A new connection from `peer`, accepted at `now`.
    fn open(&self, peer: Option<IpEndpoint>, now: Instant) -> Self::Session;
}

/// Settings of [`serve`].
#[derive(Clone, Debug)]
pub struct Config {
    /// TCP port to listen on. Default 80.
    pub port: u16,
    /// The TCP-level inactivity timeout of a socket (the session has its own idle and
    /// header timeouts; this one catches a peer that vanished mid-write). Default 60 s.
    pub socket_timeout: Duration,
    /// How long a closing socket may take to flush its last bytes. Default 2 s.
    pub close_linger: Duration,
    /// The answer a refusal socket writes when every slot is busy. Default: an HTTP/1.1
    /// `503 Service Unavailable` with `retry-after: 1` and `connection: close`.
    pub refusal: &'static [u8],
}

/// The default refusal: a complete HTTP/1.1 response that closes the connection.
pub const REFUSAL_503: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 19\r\nretry-after: 1\r\nconnection: close\r\n\r\nService Unavailable";

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 80,
            socket_timeout: Duration::from_secs(60),
            close_linger: Duration::from_secs(2),
            refusal: REFUSAL_503,
        }
    }
}

/// The memory of one slot: the socket's receive and transmit windows and the read buffer
/// the adapter hands to the session. `RX` and `TX` are the TCP buffer sizes (seed
/// defaults 4096 and 8192); the read buffer is 1024 bytes.
pub struct SlotBuffers<const RX: usize, const TX: usize> {
    rx: [u8; RX],
    tx: [u8; TX],
    read: [u8; READ_BUF],
}

/// Bytes a slot reads from its socket at a time.
pub const READ_BUF: usize = 1024;

impl<const RX: usize, const TX: usize> SlotBuffers<RX, TX> {
    /// Zeroed buffers (a `const fn`, so they can live in a `static`).
    pub const fn new() -> Self {
        SlotBuffers {
            rx: [0; RX],
            tx: [0; TX],
            read: [0; READ_BUF],
        }
    }
}

impl<const RX: usize, const TX: usize> Default for SlotBuffers<RX, TX> {
    fn default() -> Self {
        Self::new()
    }
}

/// The (small) memory of a refusal socket: it only swallows a request and writes
/// [`Config::refusal`].
pub struct RefusalBuffers {
    rx: [u8; 512],
    tx: [u8; 512],
}

impl RefusalBuffers {
    /// Zeroed buffers.
    pub const fn new() -> Self {
        RefusalBuffers {
            rx: [0; 512],
            tx: [0; 512],
        }
    }
}

impl Default for RefusalBuffers {
    fn default() -> Self {
        Self::new()
    }
}

/// Counters of a running server, readable while it runs (from the same executor).
#[derive(Default)]
pub struct Stats {
    busy: Cell<usize>,
    accepted: Cell<u64>,
    refused: Cell<u64>,
    waiters: RefCell<Waiters>,
}

/// Wakers of refusal sockets waiting for "all slots busy" to change.
#[derive(Default)]
struct Waiters {
    list: [Option<Waker>; MAX_REFUSERS],
}

/// The most refusal sockets [`serve`] runs (more are ignored).
pub const MAX_REFUSERS: usize = 4;

impl Stats {
    /// Slots serving a connection now.
    pub fn busy(&self) -> usize {
        self.busy.get()
    }
    /// Connections accepted by slots so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.get()
    }
    /// Connections answered by a refusal socket so far.
    pub fn refused(&self) -> u64 {
        self.refused.get()
    }
    fn set_busy(&self, n: usize) {
        self.busy.set(n);
        for w in self.waiters.borrow_mut().list.iter_mut() {
            if let Some(w) = w.take() {
                w.wake();
            }
        }
    }
    fn register(&self, i: usize, cx: &Context<'_>) {
        if let Some(slot) = self.waiters.borrow_mut().list.get_mut(i) {
            *slot = Some(cx.waker().clone());
        }
    }
}

fn now() -> Instant {
    Instant::from_micros(EmbassyInstant::now().as_micros())
}

fn to_embassy(t: Instant) -> EmbassyInstant {
    EmbassyInstant::from_micros(t.as_nanos() / 1000)
}

/// Serves `service` on `config.port` with one slot per element of `slots` and one
/// refusal socket per element of `refusal` (at most [`MAX_REFUSERS`]). Runs forever.
pub async fn serve<S: Service, const N: usize, const RX: usize, const TX: usize, const R: usize>(
    stack: Stack<'_>,
    service: &S,
    slots: &mut [SlotBuffers<RX, TX>; N],
    refusal: &mut [RefusalBuffers; R],
    config: &Config,
    stats: &Stats,
) -> ! {
    let slot_futures = slots
        .each_mut()
        .map(|b| slot(stack, service, b, config, stats));
    let mut index = 0usize;
    let refusal_futures = refusal.each_mut().map(|b| {
        index += 1;
        refuser(stack, b, config, stats, index - 1, N)
    });
    embassy_futures::join::join(join_array(slot_futures), join_array(refusal_futures)).await;
    // Both arrays loop forever.
    loop {
        Timer::after_secs(3600).await;
    }
}

async fn slot<S: Service, const RX: usize, const TX: usize>(
    stack: Stack<'_>,
    service: &S,
    bufs: &mut SlotBuffers<RX, TX>,
    config: &Config,
    stats: &Stats,
) {
    loop {
        let mut socket = TcpSocket::new(stack, &mut bufs.rx, &mut bufs.tx);
        socket.set_timeout(Some(config.socket_timeout));
        if socket.accept(config.port).await.is_err() {
            continue;
        }
        stats.set_busy(stats.busy() + 1);
        stats.accepted.set(stats.accepted.get() + 1);
        let mut session = service.open(socket.remote_endpoint(), now());
        drive(&mut socket, &mut session, &mut bufs.read).await;
        drop(session);
        socket.close();
        let _ = embassy_time::with_timeout(config.close_linger, socket.flush()).await;
        socket.abort();
        let _ = embassy_time::with_timeout(Duration::from_millis(50), socket.flush()).await;
        stats.set_busy(stats.busy().saturating_sub(1));
    }
}

/// Moves bytes between `socket` and `session` until the session closes or the socket fails.
async fn drive<T: Session>(socket: &mut TcpSocket<'_>, session: &mut T, buf: &mut [u8]) {
    // Bytes read but not yet taken by the session: buf[start..end].
    let (mut start, mut end) = (0usize, 0usize);
    let mut eof = false;
    loop {
        // 1. Let the application run, then write everything it produced.
        poll_fn(|cx| {
            session.poll_app(cx);
            Poll::Ready(())
        })
        .await;
        while let Some(out) = session.poll_transmit() {
            match socket.write(out).await {
                Ok(0) | Err(_) => return,
                Ok(n) => session.advance_transmit(n),
            }
        }
        if session.is_closed() {
            return;
        }
        // 2. Offer the bytes the session did not take yet.
        if start < end {
            let n = session.receive(&buf[start..end]);
            start += n;
            if start == end {
                (start, end) = (0, 0);
            }
            if n > 0 {
                continue;
            }
        }
        // 3. Wait for input, the next deadline or the application.
        let deadline = session.poll_timeout();
        let can_read = !eof && end < buf.len();
        let read = async {
            if can_read {
                socket.read(&mut buf[end..]).await
            } else {
                core::future::pending().await
            }
        };
        let timer = async {
            match deadline {
                Some(t) => Timer::at(to_embassy(t)).await,
                None => core::future::pending().await,
            }
        };
        let app = poll_fn(|cx| {
            session.poll_app(cx);
            if session.poll_transmit().is_some() || session.is_closed() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        match select3(read, timer, app).await {
            Either3::First(Ok(0)) => {
                eof = true;
                session.receive_eof();
            }
            Either3::First(Ok(n)) => {
                end += n;
                let taken = session.receive(&buf[start..end]);
                start += taken;
                if start == end {
                    (start, end) = (0, 0);
                }
            }
            Either3::First(Err(_)) => return,
            Either3::Second(()) => session.handle_timeout(now()),
            Either3::Third(()) => {}
        }
        if eof && session.poll_transmit().is_none() && session.poll_timeout().is_none() {
            // Nothing more can happen on a half-closed connection with no work left.
            if session.is_closed() || start == end {
                return;
            }
        }
    }
}

/// A refusal socket: listens only while every slot is busy, and answers the fixed refusal.
async fn refuser(
    stack: Stack<'_>,
    bufs: &mut RefusalBuffers,
    config: &Config,
    stats: &Stats,
    index: usize,
    slots: usize,
) {
    if index >= MAX_REFUSERS {
        return;
    }
    loop {
        // Wait until the slots are full.
        poll_fn(|cx| {
            if stats.busy() >= slots {
                Poll::Ready(())
            } else {
                stats.register(index, cx);
                Poll::Pending
            }
        })
        .await;
        let mut socket = TcpSocket::new(stack, &mut bufs.rx, &mut bufs.tx);
        socket.set_timeout(Some(Duration::from_secs(5)));
        let freed = poll_fn(|cx| {
            if stats.busy() < slots {
                Poll::Ready(())
            } else {
                stats.register(index, cx);
                Poll::Pending
            }
        });
        match embassy_futures::select::select(socket.accept(config.port), freed).await {
            embassy_futures::select::Either::First(Ok(())) => {
                stats.refused.set(stats.refused.get() + 1);
                let mut rest = config.refusal;
                while !rest.is_empty() {
                    match socket.write(rest).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => rest = &rest[n..],
                    }
                }
                socket.close();
                let _ = embassy_time::with_timeout(config.close_linger, socket.flush()).await;
                socket.abort();
            }
            // A slot freed up (or accept failed): stop listening, so the slots get the
            // next client.
            _ => socket.abort(),
        }
    }
}

/// Serving a `viper::App` (feature `app`): each accepted connection becomes a
/// `viper::Connection`, whose handler futures the slot polls with its own waker.
#[cfg(feature = "app")]
mod app {
    use super::*;
    use alloc::rc::Rc;

    impl<S: 'static> Session for viper::Connection<S> {
        fn receive(&mut self, data: &[u8]) -> usize {
            viper::Connection::receive(self, data)
        }
        fn receive_eof(&mut self) {
            viper::Connection::receive_eof(self)
        }
        fn poll_transmit(&mut self) -> Option<&[u8]> {
            viper::Connection::poll_transmit(self)
        }
        fn advance_transmit(&mut self, n: usize) {
            viper::Connection::advance_transmit(self, n)
        }
        fn poll_timeout(&self) -> Option<Instant> {
            viper::Connection::poll_timeout(self)
        }
        fn handle_timeout(&mut self, now: Instant) {
            viper::Connection::handle_timeout(self, now)
        }
        fn poll_app(&mut self, cx: &mut Context<'_>) {
            let _ = viper::Connection::poll_app(self, cx);
        }
        fn is_closed(&self) -> bool {
            viper::Connection::is_closed(self)
        }
    }

    /// A [`Service`] that serves one `viper::App` on every slot.
    pub struct AppService<S> {
        app: Rc<viper::App<S>>,
        config: viper_server::Config,
    }

    impl<S> AppService<S> {
        /// Serves `app` with the connection settings `config`.
        pub fn new(app: Rc<viper::App<S>>, config: viper_server::Config) -> Self {
            AppService { app, config }
        }
    }

    impl<S: 'static> Service for AppService<S> {
        type Session = viper::Connection<S>;
        fn open(&self, _peer: Option<IpEndpoint>, now: Instant) -> viper::Connection<S> {
            viper::Connection::new(self.app.clone(), self.config.clone(), now)
        }
    }
}

#[cfg(feature = "app")]
pub use app::AppService;
