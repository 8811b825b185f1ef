//! Seed 004's stress scenarios against viper-esp-idf (the `esp_idf_server` example as its
//! own process, so its RSS can be read from /proc): WebSocket fan-out to 10 clients at
//! 20 msg/s, a client that stops reading dropped without delaying the others, and 1 000
//! connect/disconnect cycles with RSS back within 5 % of its baseline. Each is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use viper_test_support::{
    example_binary, free_port, python_module, run_with_input, wait_for_port, KillOnDrop,
};

const LIMIT: Duration = Duration::from_secs(120);

fn start(extra: &[&str]) -> (KillOnDrop, SocketAddr) {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let bin = example_binary("viper-esp-idf", "esp_idf_server");
    let server = KillOnDrop::spawn(
        Command::new(bin)
            .args(["--addr", &addr.to_string()])
            .args(extra),
    )
    .expect("start server");
    wait_for_port(addr, Duration::from_secs(20)).expect("server listens");
    (server, addr)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn fan_out_to_ten_clients_at_20_messages_per_second() {
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let (_server, addr) = start(&["--max-clients", "12"]);
    let script = format!(
        r#"
import asyncio, websockets
URL = "ws://{addr}/ws/chat"
N, K = 10, 40
async def listen(c):
    got = []
    while len(got) < K:
        got.append(await asyncio.wait_for(c.recv(), 30))
    return got
async def main():
    conns = [await websockets.connect(URL) for _ in range(N)]
    tasks = [asyncio.create_task(listen(c)) for c in conns]
    for i in range(K):
        await conns[0].send(f"tick {{i}}")
        await asyncio.sleep(0.05)  # 20 messages per second
    results = await asyncio.gather(*tasks)
    want = [f"tick {{i}}" for i in range(K)]
    print(sum(r == want for r in results), "of", N, "received all", K, "once and in order")
    # Nothing extra arrives.
    extra = 0
    for c in conns:
        try:
            await asyncio.wait_for(c.recv(), 0.3); extra += 1
        except asyncio.TimeoutError:
            pass
    print("extra", extra)
asyncio.run(main())
"#
    );
    let out = run_with_input(Command::new(py).arg("-"), script.as_bytes(), LIMIT);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "10 of 10 received all 40 once and in order\nextra 0\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A chat member that never reads: once its output buffer (64 KiB here) is full it is cut
/// off, and the three members that read get every message, in order, without stalling.
#[test]
fn a_client_that_stops_reading_is_dropped_without_delaying_the_others() {
    let Some(py) = python_module(&["websockets"]) else {
        return;
    };
    let (_server, addr) = start(&["--max-output", "65536"]);
    // The slow member: a raw handshake, a small receive buffer, then it never reads.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(
        format!(
            "GET /ws/chat HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let mut head = [0u8; 129];
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let n = slow.read(&mut head).unwrap();
    assert!(
        head[..n].starts_with(b"HTTP/1.1 101 "),
        "{}",
        String::from_utf8_lossy(&head[..n])
    );
    let script = format!(
        r#"
import asyncio, os, time, websockets
URL = "ws://{addr}/ws/chat"
K = 1500
async def listen(c):
    n = 0
    while n < K:
        m = await asyncio.wait_for(c.recv(), 30)
        assert m[:4] == n.to_bytes(4, "big"), (n, m[:4])
        n += 1
    return n
async def main():
    conns = [await websockets.connect(URL, max_size=None) for _ in range(3)]
    tasks = [asyncio.create_task(listen(c)) for c in conns]
    t = time.monotonic()
    for i in range(K):
        await conns[0].send(i.to_bytes(4, "big") + os.urandom(4092))
    results = await asyncio.gather(*tasks)
    print("readers got", results, "in", "%.1f" % (time.monotonic() - t), "s")
asyncio.run(main())
"#
    );
    let started = Instant::now();
    let out = run_with_input(Command::new(py).arg("-"), script.as_bytes(), LIMIT);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("readers got [1500, 1500, 1500]"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{}", text.trim());
    // The slow member was cut off: draining its socket ends (EOF or reset) well before
    // 1500 x 4 KiB = 6 MB arrive.
    let mut total = n;
    let mut buf = vec![0u8; 65536];
    loop {
        match slow.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => total += k,
        }
        assert!(
            started.elapsed() < LIMIT,
            "the slow client was never dropped"
        );
    }
    assert!(
        total < 1500 * 4096,
        "the slow client got everything ({total} bytes): not dropped"
    );
    println!("the slow client was dropped after {total} bytes");
}

/// 1 000 connect / request / close cycles: all answered, RSS back within 5 % of the
/// baseline taken after 100 warm-up cycles.
#[test]
fn a_thousand_connect_cycles_leave_rss_at_its_baseline() {
    let (server, addr) = start(&[]);
    let pid = server.0.id();
    let cycle = |i: usize| {
        let mut c = TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut v = Vec::new();
        c.read_to_end(&mut v).unwrap();
        assert!(v.ends_with(b"Hello, world!"), "cycle {i}");
    };
    for i in 0..100 {
        cycle(i);
    }
    let base = rss_kib(pid);
    let started = Instant::now();
    for i in 0..1000 {
        cycle(i);
        assert!(started.elapsed() < LIMIT, "1000 cycles took over {LIMIT:?}");
    }
    std::thread::sleep(Duration::from_millis(200));
    let after = rss_kib(pid);
    println!(
        "RSS after 100 warm-up cycles {base} KiB, after 1000 more {after} KiB, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        after * 100 <= base * 105,
        "RSS grew from {base} to {after} KiB"
    );
}
