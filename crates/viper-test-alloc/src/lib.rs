//! A counting global allocator for Viper's tests.
//!
//! [`Counting`] passes every request to [`System`] unchanged and keeps two counters
//! **per thread**:
//!
//! - live bytes ([`live_bytes`]): `+size` on `alloc` and `alloc_zeroed`, `-size` on
//!   `dealloc`, `new_size - old_size` on `realloc`;
//! - allocation calls ([`allocations`]): `+1` on each `alloc`, `alloc_zeroed` and
//!   `realloc`; `dealloc` is not counted.
//!
//! Because the counters are per thread, the test harness's other threads (and tests
//! running in parallel) do not disturb a measurement, as long as the code measured
//! runs on the calling thread and frees on the thread it allocated on.
//!
//! ```
//! #[global_allocator]
//! static A: viper_test_alloc::Counting = viper_test_alloc::Counting;
//!
//! fn main() {
//!     let (v, c) = viper_test_alloc::count(|| vec![0u8; 16]);
//!     assert_eq!((c.allocations, c.live_bytes), (1, 16));
//!     let (_, c) = viper_test_alloc::count(|| drop(v));
//!     assert_eq!((c.allocations, c.live_bytes), (0, -16));
//! }
//! ```
//!
//! The counters only move when `Counting` is the binary's global allocator; without
//! it they stay at zero.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

/// Adds `bytes` to this thread's live-byte balance and `calls` to its call count.
fn record(bytes: isize, calls: usize) {
    // `try_with`: the thread-locals may already be gone while a thread exits. Both are
    // const-initialised `Cell`s without destructors, so touching them never allocates.
    let _ = LIVE.try_with(|c| c.set(c.get().wrapping_add(bytes)));
    let _ = CALLS.try_with(|c| c.set(c.get().wrapping_add(calls)));
}

/// A global allocator that forwards to [`System`] and counts, per thread, live bytes
/// and allocation calls (see the crate docs for exactly what is counted).
///
/// Declare it in a test binary with
/// `#[global_allocator] static A: viper_test_alloc::Counting = viper_test_alloc::Counting;`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counting;

// SAFETY: every call is passed unchanged to `System`, whose results are returned as is;
// the only extra work is updating const-initialised thread-local counters, which never
// allocates and never unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size() as isize, 1);
        // SAFETY: the caller's layout contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size() as isize, 1);
        // SAFETY: the caller's layout contract is passed on as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        record(-(layout.size() as isize), 0);
        // SAFETY: `ptr` came from `System` (through this allocator) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size as isize - layout.size() as isize, 1);
        // SAFETY: passed on with the caller's guarantees (`ptr` came from `System` with
        // `layout`, `new_size` is valid for it).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// This thread's live-byte balance: bytes allocated minus bytes freed on it so far.
///
/// Only differences between two readings are meaningful.
pub fn live_bytes() -> isize {
    LIVE.with(Cell::get)
}

/// How many allocation calls (`alloc`, `alloc_zeroed`, `realloc`) this thread has made.
///
/// Only differences between two readings are meaningful.
pub fn allocations() -> usize {
    CALLS.with(Cell::get)
}

/// What a closure did to this thread's counters, as returned by [`count`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Allocation calls (`alloc`, `alloc_zeroed`, `realloc`) made while it ran.
    pub allocations: usize,
    /// Change in live bytes: heap still held afterwards (by its result or elsewhere),
    /// negative if it freed more than it allocated.
    pub live_bytes: isize,
}

/// Runs `f` on this thread and returns its result with what it did to this thread's
/// counters.
pub fn count<T>(f: impl FnOnce() -> T) -> (T, Counts) {
    let (bytes, calls) = (live_bytes(), allocations());
    let out = f();
    let counts = Counts {
        allocations: allocations().wrapping_sub(calls),
        live_bytes: live_bytes().wrapping_sub(bytes),
    };
    (out, counts)
}
