//! The sans-IO contract's output half: writing with random partial lengths, commands
//! interleaved with the writes, gives exactly the bytes writing everything gives.

use proptest::prelude::*;
use viper_core::{transmit_with, Transmit};
use viper_ws::{Config, DataKind, Negotiated, WebSocket};

#[derive(Clone, Debug)]
enum Cmd {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Fragments(Vec<Vec<u8>>),
    Write(usize),
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        ".{0,300}".prop_map(Cmd::Text),
        proptest::collection::vec(any::<u8>(), 0..70_000).prop_map(Cmd::Binary),
        proptest::collection::vec(any::<u8>(), 0..125).prop_map(Cmd::Ping),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 1..4)
            .prop_map(Cmd::Fragments),
        (1usize..9000).prop_map(Cmd::Write),
    ]
}

fn write_some<T: Transmit>(t: &mut T, budget: usize, out: &mut Vec<u8>) {
    let mut left = budget;
    transmit_with(t, |b| {
        let n = left.min(b.len());
        left -= n;
        out.extend_from_slice(&b[..n]);
        n
    });
}

fn run(cmds: &[Cmd], partial: bool) -> Vec<u8> {
    let mut ws = WebSocket::client(Config::default(), &Negotiated::default(), 7);
    let mut out = Vec::new();
    for c in cmds {
        match c {
            Cmd::Text(t) => ws.send_text(t).unwrap(),
            Cmd::Binary(b) => ws.send_binary(b).unwrap(),
            Cmd::Ping(p) => ws.send_ping(p).unwrap(),
            Cmd::Fragments(fs) => {
                for (i, f) in fs.iter().enumerate() {
                    ws.send_fragment(DataKind::Binary, f, i + 1 == fs.len())
                        .unwrap();
                }
            }
            Cmd::Write(n) if partial => write_some(&mut ws, *n, &mut out),
            Cmd::Write(_) => {}
        }
    }
    write_some(&mut ws, usize::MAX, &mut out);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]
    #[test]
    fn partial_writes_resume_exactly(cmds in proptest::collection::vec(cmd(), 0..12)) {
        prop_assert_eq!(run(&cmds, false), run(&cmds, true));
    }
}
