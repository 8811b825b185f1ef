//! Keep-alive pings and pong timeout through injected time (RFC 6455 §5.5.2–3).
mod common;
use common::*;
use viper_core::{Duration, Instant};
use viper_ws::{Config, Error, Event, State};

fn cfg() -> Config {
    Config {
        ping_interval: Some(Duration::from_secs(20)),
        pong_timeout: Duration::from_secs(5),
        ..Config::default()
    }
}

#[test]
fn no_timers_without_keepalive() {
    let mut s = server();
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(Instant::from_millis(1_000_000));
    assert!(out(&mut s).is_empty());
}

#[test]
fn pings_on_schedule_and_pong_clears_the_deadline() {
    let mut s = server_with(cfg());
    let t0 = Instant::from_millis(1_000);
    // Due immediately so the adapter hands us the time to arm the timer.
    assert_eq!(s.poll_timeout(), Some(Instant::ZERO));
    s.handle_timeout(t0);
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(20)));
    assert!(out(&mut s).is_empty());
    s.handle_timeout(t0 + Duration::from_secs(20));
    assert_eq!(out(&mut s), sframe(0x89, &1u32.to_be_bytes()));
    assert_eq!(
        s.poll_timeout(),
        Some(t0 + Duration::from_secs(25)),
        "pong deadline first"
    );
    assert_eq!(
        feed(&mut s, &cframe(0x8a, &1u32.to_be_bytes())),
        vec![Event::Pong(1u32.to_be_bytes().to_vec())]
    );
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(40)));
    s.handle_timeout(t0 + Duration::from_secs(40));
    assert_eq!(out(&mut s), sframe(0x89, &2u32.to_be_bytes()));
    assert_eq!(s.state(), State::Open);
}

#[test]
fn missing_pong_times_out() {
    let mut c = WebSocketClient::new();
    let t0 = Instant::from_millis(0);
    c.0.handle_timeout(t0);
    c.0.handle_timeout(t0 + Duration::from_secs(20));
    let o = out(&mut c.0);
    assert_eq!(&o[..2], &[0x89, 0x84], "client pings are masked");
    c.0.handle_timeout(t0 + Duration::from_millis(24_999));
    assert_eq!(c.0.poll_event(), None);
    c.0.handle_timeout(t0 + Duration::from_secs(25));
    assert_eq!(c.0.poll_event(), Some(Event::Error(Error::PongTimeout)));
    assert_eq!(c.0.state(), State::Closed);
    assert_eq!(c.0.poll_timeout(), None);
    assert!(out(&mut c.0).is_empty(), "1006 is never sent");
}

struct WebSocketClient(viper_ws::WebSocket);
impl WebSocketClient {
    fn new() -> Self {
        WebSocketClient(viper_ws::WebSocket::client(
            cfg(),
            &viper_ws::Negotiated::default(),
            9,
        ))
    }
}

#[test]
fn time_going_backwards_is_ignored() {
    let mut s = server_with(cfg());
    s.handle_timeout(Instant::from_millis(50_000));
    s.handle_timeout(Instant::from_millis(10));
    assert_eq!(s.poll_timeout(), Some(Instant::from_millis(70_000)));
}
