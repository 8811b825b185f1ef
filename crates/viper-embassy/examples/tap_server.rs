//! viper-embassy on Linux: embassy-net over a TAP interface (embassy-net-tuntap), the
//! embassy executor's `platform-std`, and a small application on a bare
//! `viper_server::Connection` (`/hello`, `/ws` echo, `/stats`: busy slots, accepted and refused connections, live heap bytes). The tests in
//! `tests/tap.rs` run it inside a network namespace they create.
//!
//! ```text
//! tap_server --tap tap0 --ip 192.168.69.2/24 --port 80 --slots 8 --refusers 1
//! ```

use core::task::Context;

use embassy_executor::{Executor, Spawner};
use embassy_net::{Ipv4Cidr, Runner, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use static_cell::StaticCell;
use viper_embassy::{Config, Instant, RefusalBuffers, Service, Session, SlotBuffers, Stats};
use viper_server::{Body, Connection, Event, WsMessage};

const SLOTS: usize = 8;

// Counts the heap of the executor's thread (everything here runs on it), for `/stats`.
#[global_allocator]
static ALLOC: viper_test_alloc::Counting = viper_test_alloc::Counting;

struct Args {
    tap: String,
    ip: Ipv4Cidr,
    port: u16,
    slots: usize,
    refusers: usize,
}

fn args() -> Args {
    let mut a = Args {
        tap: "tap0".into(),
        ip: "192.168.69.2/24".parse().unwrap(),
        port: 80,
        slots: SLOTS,
        refusers: 1,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    for pair in v.chunks(2) {
        let val = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--tap" => a.tap = val,
            "--ip" => a.ip = val.parse().expect("--ip A.B.C.D/N"),
            "--port" => a.port = val.parse().expect("--port N"),
            "--slots" => a.slots = val.parse().expect("--slots N"),
            "--refusers" => a.refusers = val.parse().expect("--refusers N"),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(a.slots == SLOTS, "this build serves exactly {SLOTS} slots");
    a
}

/// The application: answers each event of a bare viper-server connection.
struct Hello {
    conn: Connection,
    stats: &'static Stats,
}

impl Hello {
    fn handle(&mut self) {
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                Event::Request(req) => {
                    let id = req.id;
                    let path = req.path().to_owned();
                    if path == "/ws" && req.is_websocket() {
                        let _ = self.conn.accept_websocket(id, &[]);
                    } else if path == "/hello" {
                        let _ = self.conn.send_response(
                            id,
                            200,
                            &[("content-type", "text/plain")],
                            Body::Full(b"Hello, world!"),
                        );
                    } else if path == "/stats" {
                        let body = format!(
                            "{{\"busy\":{},\"accepted\":{},\"refused\":{},\"heap\":{}}}",
                            self.stats.busy(),
                            self.stats.accepted(),
                            self.stats.refused(),
                            viper_test_alloc::live_bytes()
                        );
                        let _ = self.conn.send_response(
                            id,
                            200,
                            &[("content-type", "application/json")],
                            Body::Full(body.as_bytes()),
                        );
                    } else {
                        let _ = self.conn.send_response(
                            id,
                            404,
                            &[("content-type", "application/json")],
                            Body::Full(br#"{"detail":"Not Found"}"#),
                        );
                    }
                }
                Event::WsMessage { id, message } => {
                    let _ = self.conn.ws_send(id, &message);
                    let _ = &message as &WsMessage;
                }
                _ => {}
            }
        }
    }
}

impl Session for Hello {
    fn receive(&mut self, data: &[u8]) -> usize {
        let n = self.conn.receive(data);
        self.handle();
        n
    }
    fn receive_eof(&mut self) {
        self.conn.receive_eof();
        self.handle();
    }
    fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.conn.poll_transmit()
    }
    fn advance_transmit(&mut self, n: usize) {
        self.conn.advance_transmit(n)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.conn.poll_timeout()
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.conn.handle_timeout(now);
        self.handle();
    }
    fn poll_app(&mut self, _cx: &mut Context<'_>) {
        self.handle();
    }
    fn is_closed(&self) -> bool {
        self.conn.is_closed() && self.conn.pending_output() == 0
    }
}

struct HelloService {
    stats: &'static Stats,
}

impl Service for HelloService {
    type Session = Hello;
    fn open(&self, _peer: Option<embassy_net::IpEndpoint>, now: Instant) -> Hello {
        Hello {
            conn: Connection::new(viper_server::Config::default(), now),
            stats: self.stats,
        }
    }
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn server_task(stack: embassy_net::Stack<'static>, port: u16, refusers: usize) {
    static STATS: StaticCell<Stats> = StaticCell::new();
    static SLOTBUFS: StaticCell<[SlotBuffers<4096, 8192>; SLOTS]> = StaticCell::new();
    static REFUSAL: StaticCell<[RefusalBuffers; 1]> = StaticCell::new();
    let stats: &'static Stats = STATS.init(Stats::default());
    let slots = SLOTBUFS.init(core::array::from_fn(|_| SlotBuffers::new()));
    let refusal = REFUSAL.init([RefusalBuffers::new()]);
    let service = HelloService { stats };
    let config = Config {
        port,
        ..Config::default()
    };
    if refusers == 0 {
        let mut none: [RefusalBuffers; 0] = [];
        viper_embassy::serve(stack, &service, slots, &mut none, &config, stats).await
    } else {
        viper_embassy::serve(stack, &service, slots, refusal, &config, stats).await
    }
}

#[embassy_executor::task]
async fn main_task(spawner: Spawner) {
    let a = args();
    let device = TunTapDevice::new(&a.tap).expect("open the TAP device (root, inside the netns)");
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: a.ip,
        gateway: None,
        dns_servers: Default::default(),
    });
    static RESOURCES: StaticCell<StackResources<16>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        device,
        config,
        RESOURCES.init(StackResources::new()),
        0x5eed_0f71_7e70,
    );
    spawner.spawn(net_task(runner).unwrap());
    println!(
        "viper-embassy: serving {} slots on {}:{} ({} refusal sockets)",
        a.slots,
        a.ip.address(),
        a.port,
        a.refusers
    );
    spawner.spawn(server_task(stack, a.port, a.refusers).unwrap());
}

fn main() {
    static EXECUTOR: StaticCell<Executor> = StaticCell::new();
    let executor = EXECUTOR.init(Executor::new());
    executor.run(|spawner| {
        spawner.spawn(main_task(spawner).unwrap());
    });
}
