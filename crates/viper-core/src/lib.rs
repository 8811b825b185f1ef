//! Foundation types shared by every Viper protocol crate.
//!
//! Viper's protocol crates never read a clock: the adapter that owns the socket
//! also owns the clock, and hands the current time to the state machines through
//! `handle_timeout(now)` and reads their next deadline with `poll_timeout()`.
//! [`Instant`] is the type both sides agree on. It is a plain count of
//! nanoseconds since an epoch the adapter chooses (process start, boot, …);
//! only differences between instants mean anything.
//!
//! ```
//! use viper_core::{Duration, Instant};
//!
//! let start = Instant::from_millis(1_000);
//! let deadline = start + Duration::from_secs(30);
//! assert_eq!(deadline.saturating_duration_since(start), Duration::from_secs(30));
//! assert_eq!(Instant::earliest(Some(deadline), Some(start)), Some(start));
//! ```
#![no_std]

extern crate alloc;

pub mod contract;
mod date;
mod method;
pub mod pct;

pub use contract::{receive_with, transmit_with, SansIo, Transmit};
pub use core::time::Duration;
pub use date::{DateCache, HttpDate, HTTP_DATE_LEN};
pub use method::Method;

use core::ops::{Add, AddAssign, Sub};

/// A point in time supplied by the caller (the adapter's monotonic clock).
///
/// Stored as nanoseconds since an arbitrary, adapter-chosen epoch, which gives
/// about 584 years of range. Arithmetic saturates instead of overflowing, so a
/// very long configured timeout can never wrap around into the past.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The epoch itself.
    pub const ZERO: Instant = Instant(0);
    /// The latest representable instant; useful as "never".
    pub const MAX: Instant = Instant(u64::MAX);

    /// An instant `nanos` nanoseconds after the epoch.
    pub const fn from_nanos(nanos: u64) -> Self {
        Instant(nanos)
    }

    /// An instant `micros` microseconds after the epoch (saturating).
    pub const fn from_micros(micros: u64) -> Self {
        Instant(micros.saturating_mul(1_000))
    }

    /// An instant `millis` milliseconds after the epoch (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        Instant(millis.saturating_mul(1_000_000))
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Milliseconds since the epoch, rounded down.
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000_000
    }

    /// `self + d`, or `None` if that is not representable.
    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        let n = u64::try_from(d.as_nanos()).ok()?;
        self.0.checked_add(n).map(Instant)
    }

    /// `self + d`, clamped to [`Instant::MAX`].
    pub fn saturating_add(self, d: Duration) -> Instant {
        self.checked_add(d).unwrap_or(Instant::MAX)
    }

    /// `self - d`, clamped to [`Instant::ZERO`].
    pub fn saturating_sub(self, d: Duration) -> Instant {
        let n = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_sub(n))
    }

    /// Time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// Time elapsed from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(self, earlier: Instant) -> Option<Duration> {
        self.0.checked_sub(earlier.0).map(Duration::from_nanos)
    }

    /// The earlier of two optional deadlines (`None` means "no deadline").
    ///
    /// This is how a state machine combines the deadlines of its timers into
    /// the single value `poll_timeout()` returns.
    pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if a <= b { a } else { b }),
            (a, None) => a,
            (None, b) => b,
        }
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturating addition; see [`Instant::saturating_add`].
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = self.saturating_add(d);
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturating difference; see [`Instant::saturating_duration_since`].
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    /// Saturating subtraction; see [`Instant::saturating_sub`].
    fn sub(self, d: Duration) -> Instant {
        self.saturating_sub(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(Instant::ZERO - Duration::from_secs(1), Instant::ZERO);
        assert_eq!(
            Instant::from_millis(5) - Instant::from_millis(9),
            Duration::ZERO
        );
        assert_eq!(
            Instant::from_millis(9).checked_duration_since(Instant::from_millis(5)),
            Some(Duration::from_millis(4))
        );
        assert_eq!(
            Instant::from_millis(5).checked_duration_since(Instant::from_millis(9)),
            None
        );
        assert_eq!(Instant::ZERO.checked_add(Duration::MAX), None);
        assert_eq!(Instant::from_millis(u64::MAX), Instant::MAX);
    }

    #[test]
    fn unit_conversions() {
        assert_eq!(Instant::from_micros(3).as_nanos(), 3_000);
        assert_eq!(Instant::from_millis(7).as_millis(), 7);
        let mut t = Instant::from_millis(1);
        t += Duration::from_millis(2);
        assert_eq!(t.as_millis(), 3);
    }

    #[test]
    fn earliest_picks_minimum_and_ignores_none() {
        let a = Instant::from_millis(1);
        let b = Instant::from_millis(2);
        assert_eq!(Instant::earliest(Some(b), Some(a)), Some(a));
        assert_eq!(Instant::earliest(None, Some(b)), Some(b));
        assert_eq!(Instant::earliest(Some(a), None), Some(a));
        assert_eq!(Instant::earliest(None, None), None);
    }
}
