//! The sans-IO contract's output half for the SSE encoder: writing with random partial
//! lengths, events queued between writes, gives exactly the bytes writing everything
//! gives.

use proptest::prelude::*;
use viper_core::{transmit_with, Instant, Transmit};
use viper_sse::{Encoder, EncoderConfig, Event};

fn write_some<T: Transmit>(t: &mut T, budget: usize, out: &mut Vec<u8>) {
    let mut left = budget;
    transmit_with(t, |b| {
        let n = left.min(b.len());
        left -= n;
        out.extend_from_slice(&b[..n]);
        n
    });
}

fn run(items: &[(String, Option<String>, usize)], partial: bool) -> Vec<u8> {
    let mut e = Encoder::new(EncoderConfig::default(), Instant::ZERO);
    let mut out = Vec::new();
    for (data, id, write) in items {
        let mut ev = Event::data(data);
        if let Some(id) = id {
            ev = ev.id(id);
        }
        e.send_event(&ev).unwrap();
        if partial {
            write_some(&mut e, *write, &mut out);
        }
    }
    write_some(&mut e, usize::MAX, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn partial_writes_resume_exactly(
        items in proptest::collection::vec(("[a-z\n]{0,200}", proptest::option::of("[a-z0-9]{1,8}"), 0usize..300), 0..20),
    ) {
        prop_assert_eq!(run(&items, false), run(&items, true));
    }
}
