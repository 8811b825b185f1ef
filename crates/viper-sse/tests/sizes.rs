//! State sizes documented in the README (without heap buffers). Fails if a
//! change makes a state machine grow past the documented bound.

use viper_sse::{Encoder, Event, Parser};

#[test]
fn state_sizes_stay_small() {
    let (p, e, ev) = (
        core::mem::size_of::<Parser>(),
        core::mem::size_of::<Encoder>(),
        core::mem::size_of::<Event<'_>>(),
    );
    println!("Parser {p} B, Encoder {e} B, Event {ev} B");
    let word = core::mem::size_of::<usize>();
    // Parser: 5 Strings/Vecs, a VecDeque, config, flags, options.
    assert!(p <= 32 * word, "Parser is {p} bytes");
    assert!(e <= 16 * word, "Encoder is {e} bytes");
    assert!(ev <= 12 * word, "Event is {ev} bytes");
}
