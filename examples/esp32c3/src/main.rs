//! The ESP32-C3 firmware: Wi-Fi station (credentials from the build-time `SSID` and
//! `PASSWORD` environment variables), DHCP, embassy-net, and viper-embassy serving the
//! viper-embassy example application on port 80 with 8 slots (4 KiB receive / 8 KiB
//! transmit TCP buffers each) and one refusal socket.
//!
//! Build: `cargo build --release` in this folder (stable Rust, riscv32imc target).
//! Flash: `espflash flash --monitor target/riscv32imc-unknown-none-elf/release/viper-esp32c3`.

#![no_std]
#![no_main]

extern crate alloc;

#[path = "../../../crates/viper-embassy/examples/common/hello.rs"]
mod hello;

use embassy_executor::Spawner;
use embassy_net::{Runner, StackResources};
use esp_backtrace as _;
use esp_hal::{clock::CpuClock, ram, rng::Rng, timer::timg::TimerGroup};
use esp_println::println;
use esp_radio::wifi::{
    sta::StationConfig, AuthenticationMethodConfig, Config, ControllerConfig, Interface,
    WifiController,
};
use hello::HelloService;
use static_cell::StaticCell;
use viper_embassy::{RefusalBuffers, SlotBuffers, Stats};

esp_bootloader_esp_idf::esp_app_desc!();

/// Connection slots (seed default 8).
const SLOTS: usize = 8;
/// TCP receive / transmit buffer per slot (seed defaults).
const RX: usize = 4096;
const TX: usize = 8192;
/// Heap beside the 64 KiB reclaimed from the bootloader: the protocol state of every
/// connection (viper-server, h2 streams, WebSocket) and the Wi-Fi driver.
const HEAP_MAIN: usize = 32 * 1024;

const SSID: &str = env!("SSID");
const PASSWORD: &str = env!("PASSWORD");

static SLOT_BUFFERS: StaticCell<[SlotBuffers<RX, TX>; SLOTS]> = StaticCell::new();
static REFUSAL: StaticCell<[RefusalBuffers; 1]> = StaticCell::new();
static STATS: StaticCell<Stats> = StaticCell::new();
static RESOURCES: StaticCell<StackResources<{ SLOTS + 4 }>> = StaticCell::new();

fn heap_used() -> isize {
    esp_alloc::HEAP.used() as isize
}

#[esp_hal::main]
async fn main(spawner: Spawner) -> ! {
    let peripherals = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));
    esp_alloc::heap_allocator!(#[ram(reclaimed)] size: 64 * 1024);
    esp_alloc::heap_allocator!(size: HEAP_MAIN);
    let timg0 = TimerGroup::new(peripherals.TIMG0);
    esp_rtos::start(timg0.timer0, peripherals.FROM_CPU_INTR0);

    let station = Config::Station(
        StationConfig::default()
            .with_ssid(SSID.try_into().unwrap())
            .with_authentication(AuthenticationMethodConfig::Wpa2Personal(
                PASSWORD.try_into().unwrap(),
            )),
    );
    let controller = WifiController::new(
        peripherals.WIFI,
        ControllerConfig::default().with_initial_config(station),
    )
    .unwrap();
    let rng = Rng::new();
    let seed = (rng.random() as u64) << 32 | rng.random() as u64;
    let (stack, runner) = embassy_net::new(
        Interface::station(),
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        seed,
    );
    spawner.spawn(wifi_task(controller).unwrap());
    spawner.spawn(net_task(runner).unwrap());
    stack.wait_config_up().await;
    if let Some(c) = stack.config_v4() {
        println!("viper: http://{}/hello ({} slots)", c.address.address(), SLOTS);
    }

    let stats: &'static Stats = STATS.init(Stats::default());
    let slots = SLOT_BUFFERS.init(core::array::from_fn(|_| SlotBuffers::new()));
    let refusal = REFUSAL.init([RefusalBuffers::new()]);
    let service = HelloService {
        stats,
        heap: heap_used,
        config: viper_server::Config::default(),
        chat: Default::default(),
    };
    let config = viper_embassy::Config::default();
    viper_embassy::serve(stack, &service, slots, refusal, &config, stats).await
}

#[embassy_executor::task]
async fn wifi_task(mut controller: WifiController<'static>) {
    loop {
        if controller.connect_async().await.is_err() {
            embassy_time::Timer::after_secs(5).await;
            continue;
        }
        let _ = controller.wait_for_disconnect_async().await;
    }
}

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Interface>) {
    runner.run().await
}
