//! The counters see each kind of call, and only the calling thread's.

use std::alloc::{alloc, alloc_zeroed, dealloc, realloc, Layout};

use viper_test_alloc::{allocations, count, live_bytes, Counting, Counts};

#[global_allocator]
static A: Counting = Counting;

#[test]
fn each_call_kind_is_counted() {
    let small = Layout::from_size_align(100, 8).unwrap();
    let big = Layout::from_size_align(300, 8).unwrap();
    let (grown, c) = count(|| {
        // SAFETY: `small` has a non-zero size; `z` is freed with the layout it was
        // allocated with; `a` is grown from the layout it has.
        unsafe {
            let a = alloc(small);
            let z = alloc_zeroed(small);
            assert!(!a.is_null() && !z.is_null());
            dealloc(z, small);
            let a = realloc(a, small, big.size());
            assert!(!a.is_null());
            a
        }
    });
    assert_eq!(
        c,
        Counts {
            allocations: 3,
            live_bytes: 300
        }
    );
    let (calls, bytes) = (allocations(), live_bytes());
    // SAFETY: `grown` was reallocated to `big.size()` with `big`'s alignment.
    unsafe { dealloc(grown, big) };
    assert_eq!(allocations(), calls, "dealloc is not an allocation call");
    assert_eq!(live_bytes(), bytes - 300);
}

#[test]
fn other_threads_do_not_count() {
    let (v, c) = count(|| {
        std::thread::scope(|s| {
            s.spawn(|| {
                let (v, c) = count(|| vec![7u8; 4096]);
                assert_eq!(c.allocations, 1);
                assert_eq!(c.live_bytes, 4096);
                v.len()
            })
            .join()
            .unwrap()
        })
    });
    assert_eq!(v, 4096);
    // Spawning the thread allocates on this one, but the 4 KiB vector made and
    // freed on the other thread never shows here.
    assert!(c.live_bytes.unsigned_abs() < 4096, "{c:?}");
}
