//! The sans-IO contract every Viper protocol type follows, as traits.
//!
//! Each protocol crate (`viper-h1`, `viper-h2`, `viper-ws`, `viper-sse`) and
//! `viper-server` implements these traits on its connection types, with the same
//! methods also available inherently, so an adapter can write its loop once:
//!
//! ```text
//! loop {
//!     read from the socket   -> conn.receive(&buf[..n])  (offer again what was not used)
//!                               or conn.receive_eof() at end of stream
//!     while let Some(ev) = conn.poll_event() { act on it, issue commands }
//!     while let Some(out) = conn.poll_transmit() { n = write(out); conn.advance_transmit(n) }
//!     sleep until readable / writable / conn.poll_timeout(); conn.handle_timeout(now)
//! }
//! ```
//!
//! [`transmit_with`] and [`receive_with`] are that loop's two inner halves, generic over
//! any implementation.

use crate::Instant;

/// Bytes out: what to write, and how much was written.
///
/// [`poll_transmit`](Transmit::poll_transmit) returns the bytes waiting to be written;
/// calling it again without [`advance_transmit`](Transmit::advance_transmit) returns
/// the same bytes first (more may have been queued behind them). `advance_transmit(n)`
/// records that the first `n` of them were written; a short write resumes exactly where
/// it stopped. Writing with any sequence of partial lengths gives the same byte stream as
/// writing everything at once.
pub trait Transmit {
    /// The bytes waiting to be written, or `None` when there are none.
    fn poll_transmit(&mut self) -> Option<&[u8]>;
    /// The first `n` bytes returned by `poll_transmit` were written (clamped to what
    /// was returned).
    fn advance_transmit(&mut self, n: usize);
}

/// The whole contract: bytes in, events out, bytes out, injected time, and closing.
pub trait SansIo: Transmit {
    /// What the type reports from [`poll_event`](SansIo::poll_event).
    type Event;

    /// Bytes from the peer; returns how many were used. What is not used must be
    /// offered again later (backpressure: a full internal queue uses nothing).
    fn receive(&mut self, data: &[u8]) -> usize;
    /// The peer closed its sending side.
    fn receive_eof(&mut self);
    /// The next thing that happened, if any.
    fn poll_event(&mut self) -> Option<Self::Event>;
    /// When [`handle_timeout`](SansIo::handle_timeout) next needs to run, if ever.
    fn poll_timeout(&self) -> Option<Instant>;
    /// The adapter's clock says `now`; deadlines at or before it fire.
    fn handle_timeout(&mut self, now: Instant);
    /// Graceful close: let in-flight work finish, tell the peer, then end
    /// (HTTP/1.1: `connection: close` after the current exchange; HTTP/2: GOAWAY then
    /// drain; WebSocket: the close handshake; SSE: end of stream).
    fn close(&mut self);
    /// Whether the connection is over: once the output is written, close the socket.
    fn is_closed(&self) -> bool;
}

/// Writes everything `t` has to send through `write`, which returns how many bytes it
/// took (`0` means "no room now"). Returns the total written; stops when `t` has
/// nothing more or `write` took nothing.
pub fn transmit_with<T: Transmit + ?Sized>(
    t: &mut T,
    mut write: impl FnMut(&[u8]) -> usize,
) -> usize {
    let mut total = 0usize;
    while let Some(out) = t.poll_transmit() {
        if out.is_empty() {
            break;
        }
        let len = out.len();
        let n = write(out).min(len);
        if n == 0 {
            break;
        }
        t.advance_transmit(n);
        total = total.saturating_add(n);
    }
    total
}

/// Offers `data` to `p`, handing every event to `on_event` between offers, until all of
/// it is used or `p` makes no progress (it used nothing and had no event). Returns how
/// many bytes were used.
pub fn receive_with<P: SansIo + ?Sized>(
    p: &mut P,
    data: &[u8],
    mut on_event: impl FnMut(&mut P, P::Event),
) -> usize {
    let mut used = 0usize;
    loop {
        let rest = data.get(used..).unwrap_or(&[]);
        let n = if rest.is_empty() { 0 } else { p.receive(rest) };
        used = used.saturating_add(n).min(data.len());
        let mut any = false;
        while let Some(ev) = p.poll_event() {
            any = true;
            on_event(p, ev);
        }
        if used >= data.len() || (n == 0 && !any) {
            return used;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy protocol: echoes every byte it receives, uppercased, one event per call.
    struct Echo {
        out: [u8; 64],
        len: usize,
        pos: usize,
        events: usize,
        closed: bool,
    }

    impl Transmit for Echo {
        fn poll_transmit(&mut self) -> Option<&[u8]> {
            (self.pos < self.len).then(|| &self.out[self.pos..self.len])
        }
        fn advance_transmit(&mut self, n: usize) {
            self.pos = (self.pos + n).min(self.len);
        }
    }

    impl SansIo for Echo {
        type Event = usize;
        fn receive(&mut self, data: &[u8]) -> usize {
            let room = self.out.len() - self.len;
            let n = data.len().min(room).min(4);
            for (d, s) in self.out[self.len..self.len + n].iter_mut().zip(data) {
                *d = s.to_ascii_uppercase();
            }
            self.len += n;
            if n > 0 {
                self.events += 1;
            }
            n
        }
        fn receive_eof(&mut self) {
            self.closed = true;
        }
        fn poll_event(&mut self) -> Option<usize> {
            if self.events > 0 {
                self.events -= 1;
                Some(self.len)
            } else {
                None
            }
        }
        fn poll_timeout(&self) -> Option<Instant> {
            None
        }
        fn handle_timeout(&mut self, _now: Instant) {}
        fn close(&mut self) {
            self.closed = true;
        }
        fn is_closed(&self) -> bool {
            self.closed
        }
    }

    fn echo() -> Echo {
        Echo {
            out: [0; 64],
            len: 0,
            pos: 0,
            events: 0,
            closed: false,
        }
    }

    #[test]
    fn receive_with_feeds_everything_and_reports_events() {
        let mut e = echo();
        let mut seen = 0;
        let used = receive_with(&mut e, b"hello world", |_, _| seen += 1);
        assert_eq!(used, 11);
        assert_eq!(seen, 3, "4 + 4 + 3 bytes");
        let mut got = [0u8; 16];
        let mut at = 0;
        let mut sizes = [1usize, 3, 2].into_iter().cycle();
        let n = transmit_with(&mut e, |b| {
            let k = sizes.next().unwrap_or(1).min(b.len());
            got[at..at + k].copy_from_slice(&b[..k]);
            at += k;
            k
        });
        assert_eq!(n, 11);
        assert_eq!(&got[..at], b"HELLO WORLD");
        assert!(e.poll_transmit().is_none());
    }

    #[test]
    fn transmit_with_stops_when_the_writer_is_full() {
        let mut e = echo();
        receive_with(&mut e, b"abcdef", |_, _| {});
        assert_eq!(transmit_with(&mut e, |_| 0), 0);
        assert_eq!(e.poll_transmit(), Some(&b"ABCDEF"[..]));
        assert_eq!(transmit_with(&mut e, |b| b.len().min(2)), 6);
    }
}
