//! viper-embassy on Linux: embassy-net over a TAP interface (embassy-net-tuntap), the
//! embassy executor's `platform-std`, and a small application on a bare
//! `viper_server::Connection` (`/hello`, `/ws` echo, `/stats`: busy slots, accepted and refused connections, live heap bytes). The tests in
//! `tests/tap.rs` run it inside a network namespace they create.
//!
//! ```text
//! tap_server --tap tap0 --ip 192.168.69.2/24 --port 80 --slots 8 --refusers 1
//! ```

use embassy_executor::{Executor, Spawner};
use embassy_net::{Ipv4Cidr, Runner, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use static_cell::StaticCell;
extern crate alloc;

#[path = "common/hello.rs"]
mod hello;

use hello::HelloService;
use viper_embassy::{Config, RefusalBuffers, SlotBuffers, Stats};

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
    /// `hello` (the bare viper-server application) or `viper` (a `viper::App`).
    app: String,
}

fn args() -> Args {
    let mut a = Args {
        tap: "tap0".into(),
        ip: "192.168.69.2/24".parse().unwrap(),
        port: 80,
        slots: SLOTS,
        refusers: 1,
        app: "hello".into(),
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
            "--app" => a.app = val,
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(a.slots == SLOTS, "this build serves exactly {SLOTS} slots");
    a
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn server_task(stack: embassy_net::Stack<'static>, port: u16, refusers: usize, app: bool) {
    static STATS: StaticCell<Stats> = StaticCell::new();
    static SLOTBUFS: StaticCell<[SlotBuffers<4096, 8192>; SLOTS]> = StaticCell::new();
    static REFUSAL: StaticCell<[RefusalBuffers; 1]> = StaticCell::new();
    let stats: &'static Stats = STATS.init(Stats::default());
    let slots = SLOTBUFS.init(core::array::from_fn(|_| SlotBuffers::new()));
    let refusal = REFUSAL.init([RefusalBuffers::new()]);
    let service = HelloService {
        stats,
        heap: viper_test_alloc::live_bytes,
        config: viper_server::Config::default(),
        chat: Default::default(),
    };
    let config = Config {
        port,
        ..Config::default()
    };
    if app {
        let service =
            viper_embassy::AppService::new(sensors_app(), viper_server::Config::default());
        viper_embassy::serve(stack, &service, slots, refusal, &config, stats).await
    } else if refusers == 0 {
        let mut none: [RefusalBuffers; 0] = [];
        viper_embassy::serve(stack, &service, slots, &mut none, &config, stats).await
    } else {
        viper_embassy::serve(stack, &service, slots, refusal, &config, stats).await
    }
}

/// A `viper::App` with two of the twin's routes, served with `--app viper`.
/// The sensors: id, type, value, unit.
type Sensors = Vec<(i64, &'static str, f64, &'static str)>;

fn sensors_app() -> std::rc::Rc<viper::App<Sensors>> {
    use viper::{HttpException, Json, Path, State};
    async fn health() -> Json<serde_json::Value> {
        Json(serde_json::json!({"status": "ok"}))
    }
    async fn read_sensor(
        State(s): State<Sensors>,
        Path(id): Path<i64>,
    ) -> Result<Json<serde_json::Value>, HttpException> {
        let Some(&(_, kind, value, unit)) = s.iter().find(|x| x.0 == id) else {
            return Err(HttpException::new(404, format!("Sensor {id} not found")));
        };
        Ok(Json(
            serde_json::json!({"id": id, "type": kind, "value": value, "unit": unit}),
        ))
    }
    viper::App::new(vec![
        (1, "temperature", 21.5, "celsius"),
        (2, "humidity", 40.0, "percent"),
    ])
    .get("/api/health", health)
    .get("/api/sensors/{sensor_id}", read_sensor)
    .build()
    .expect("the routes are valid")
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
    spawner.spawn(server_task(stack, a.port, a.refusers, a.app == "viper").unwrap());
}

fn main() {
    static EXECUTOR: StaticCell<Executor> = StaticCell::new();
    let executor = EXECUTOR.init(Executor::new());
    executor.run(|spawner| {
        spawner.spawn(main_task(spawner).unwrap());
    });
}
