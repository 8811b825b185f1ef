//! HTTP/2 request bodies have per-stream backpressure: a handler that reads its body
//! slowly closes its own stream's flow-control window, and a second upload on the
//! same connection (Python `h2`, a real client keeping to the windows) completes
//! meanwhile. Before, the slow stream's full body queue stopped the connection from
//! reading at all, and the fast upload could never finish.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::{python, python_modules, run_bounded, TestServer};
use tokio::sync::Notify;
use viper_tokio::{App, Request, Response, ServerConfig};

const TOTAL: usize = 2 << 20;

struct Gate(Notify);

async fn fast(mut req: Request, _s: Arc<Gate>) -> Response {
    let mut n = 0;
    while let Some(c) = req.body_chunk().await {
        n += c.len();
    }
    Response::text(n.to_string())
}

/// Takes one chunk, then waits until the client says the fast upload was answered,
/// then reads the rest one chunk per scheduler turn.
async fn slow(mut req: Request, s: Arc<Gate>) -> Response {
    let mut n = req.body_chunk().await.map_or(0, |c| c.len());
    s.0.notified().await;
    while let Some(c) = req.body_chunk().await {
        n += c.len();
        tokio::task::yield_now().await;
    }
    Response::text(n.to_string())
}

async fn open(_req: Request, s: Arc<Gate>) -> Response {
    s.0.notify_one();
    Response::text("open")
}

const CLIENT: &str = r#"
import socket, sys, time
import h2.config, h2.connection, h2.events, h2.exceptions

TOTAL = int(sys.argv[3])
SLOW, FAST, GATE = 1, 3, 5
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.settimeout(30)
c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
c.initiate_connection()

def head(path, method):
    return [(":method", method), (":scheme", "http"), (":authority", "x"), (":path", path)]

c.send_headers(SLOW, head("/slow", "POST"))
c.send_headers(FAST, head("/fast", "POST"))
sent = {SLOW: 0, FAST: 0}
bodies, status, ended = {}, {}, set()
at_fast_done = None

def pump(sid):
    while sent[sid] < TOTAL:
        room = min(c.local_flow_control_window(sid), c.max_outbound_frame_size, TOTAL - sent[sid])
        if room <= 0:
            return
        sent[sid] += room
        c.send_data(sid, b"x" * room, end_stream=sent[sid] == TOTAL)

deadline = time.monotonic() + 60
while not {SLOW, GATE} <= ended:
    if time.monotonic() > deadline:
        sys.exit(f"timed out: sent={sent} ended={ended}")
    for sid in (SLOW, FAST):  # the slow stream first: it takes what it can
        pump(sid)
    s.sendall(c.data_to_send())
    data = s.recv(65536)
    if not data:
        sys.exit(f"server closed: sent={sent} ended={ended}")
    for ev in c.receive_data(data):
        if isinstance(ev, h2.events.ResponseReceived):
            status[ev.stream_id] = dict(ev.headers)[b":status"].decode()
        elif isinstance(ev, h2.events.DataReceived):
            bodies[ev.stream_id] = bodies.get(ev.stream_id, b"") + ev.data
            c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            ended.add(ev.stream_id)
            if ev.stream_id == FAST:
                # The fast upload is answered while the slow one is stuck on its
                # window: record that, then let the slow handler read.
                at_fast_done = (SLOW in ended, sent[SLOW], c.local_flow_control_window(SLOW))
                c.send_headers(GATE, head("/open", "GET"), end_stream=True)
        elif isinstance(ev, (h2.events.StreamReset, h2.events.ConnectionTerminated)):
            sys.exit(f"unexpected {ev}")
    s.sendall(c.data_to_send())
slow_done, slow_sent, slow_window = at_fast_done
print(status[FAST], bodies[FAST].decode(), status[SLOW], bodies[SLOW].decode(),
      int(slow_done), slow_sent, slow_window)
"#;

#[test]
fn h2_slow_body_reader_does_not_block_other_streams() {
    if !python_modules(&["h2"]) {
        return;
    }
    let app = App::new(Gate(Notify::new()))
        .post("/slow", slow)
        .post("/fast", fast)
        .get("/open", open);
    let config = ServerConfig::default();
    let window = config.core.h2.initial_window_size as usize;
    let mut srv = TestServer::start(app, config);
    let out = run_bounded(
        Command::new(python()).args([
            "-c",
            CLIENT,
            "127.0.0.1",
            &srv.addr.port().to_string(),
            &TOTAL.to_string(),
        ]),
        Duration::from_secs(90),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: Vec<&str> = stdout.split_whitespace().collect();
    let total = TOTAL.to_string();
    assert_eq!(
        &f[..4],
        ["200", &total, "200", &total],
        "both uploads read whole"
    );
    // When the fast upload was answered the slow one was not, and the client could
    // send it no more than its stream window (one chunk taken is under the half
    // window that triggers a WINDOW_UPDATE): its window was closed.
    assert_eq!(f[4], "0", "slow stream still pending");
    let slow_sent: usize = f[5].parse().unwrap();
    assert!(
        slow_sent <= window && slow_sent < TOTAL,
        "slow stream sent {slow_sent} with a window of {window}"
    );
    assert_eq!(f[6], "0", "slow stream's window closed");
    srv.shutdown();
}
