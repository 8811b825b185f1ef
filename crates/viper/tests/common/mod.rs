//! The twin's core routes written with viper, a std::net loop around
//! `viper::Connection`, and a raw HTTP/1.1 client.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::task::Context;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use viper::{
    App, FromRequest, Html, HttpException, IntoResponse, Json, Path, PlainText, Query, Rejection,
    RequestContext, Router, State,
};

pub struct Home {
    pub sensors: Vec<(i64, &'static str, &'static str, f64)>,
}

/// The twin's `get_current_user`: `Authorization: Bearer <token>` or 401.
pub struct User {
    pub name: &'static str,
    pub admin: bool,
}

impl<S> FromRequest<S> for User {
    fn from_request(req: &RequestContext, _s: &Rc<S>) -> Result<Self, Rejection> {
        let fail = |d: &str| {
            Rejection::Response(
                HttpException::new(401, d)
                    .header("www-authenticate", "Bearer")
                    .into_response(),
            )
        };
        let Some(tok) = req
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
        else {
            return Err(fail("Missing token"));
        };
        match tok {
            "admin-token" => Ok(User {
                name: "admin",
                admin: true,
            }),
            "user-token" => Ok(User {
                name: "alice",
                admin: false,
            }),
            _ => Err(fail("Invalid token")),
        }
    }
}

fn sensor(h: &Home, id: i64) -> Result<&(i64, &'static str, &'static str, f64), HttpException> {
    h.sensors
        .iter()
        .find(|s| s.0 == id)
        .ok_or_else(|| HttpException::new(404, format!("Sensor {id} not found")))
}

#[derive(Deserialize)]
struct History {
    #[serde(default = "ten")]
    limit: viper::Int<1, 100>,
}
fn ten() -> viper::Int<1, 100> {
    viper::Int(10)
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Light,
    Plug,
    Thermostat,
}

#[derive(Deserialize)]
struct DeviceIn {
    name: viper::Str<1, 32>,
    kind: Kind,
    #[serde(default)]
    on: bool,
    #[serde(default = "zero")]
    level: viper::Int<0, 100>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum SortBy {
    Name,
    Date,
    Price,
}

fn zero() -> viper::Int<0, 100> {
    viper::Int(0)
}

fn sort_default() -> SortBy {
    SortBy::Name
}
fn one() -> viper::Int<1, { i64::MAX }> {
    viper::Int(1)
}
fn twenty() -> viper::Int<1, 100> {
    viper::Int(20)
}
fn yes() -> bool {
    true
}

/// The twin's `/api/search` parameters (without `gt` on `min_price`, not there yet).
#[derive(Deserialize)]
struct Search {
    q: Option<viper::Str<0, 50>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(rename = "sort-by", default = "sort_default")]
    sort_by: SortBy,
    #[serde(default = "one")]
    page: viper::Int<1, { i64::MAX }>,
    #[serde(default = "twenty")]
    limit: viper::Int<1, 100>,
    #[serde(default = "yes")]
    active: bool,
    min_price: Option<f64>,
}

async fn search(Query(s): Query<Search>) -> Json<Value> {
    let sort_by = match s.sort_by {
        SortBy::Name => "name",
        SortBy::Date => "date",
        SortBy::Price => "price",
    };
    Json(json!({
        "q": s.q.as_ref().map(|q| q.as_str()), "tags": s.tags, "sort_by": sort_by, "page": s.page.get(),
        "limit": s.limit.get(), "active": s.active, "min_price": s.min_price,
    }))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "started": true}))
}
async fn hello() -> PlainText<&'static str> {
    PlainText("Hello, world!")
}
async fn page() -> Html<&'static str> {
    Html("<h1>Smart Home</h1>")
}
async fn list_sensors(State(h): State<Home>) -> Json<Value> {
    Json(Value::Array(
        h.sensors
            .iter()
            .map(|s| json!({"id": s.0, "type": s.1, "unit": s.2}))
            .collect(),
    ))
}
async fn read_sensor(
    State(h): State<Home>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, HttpException> {
    let s = sensor(&h, id)?;
    Ok(Json(
        json!({"id": id, "type": s.1, "value": s.3, "unit": s.2}),
    ))
}
async fn sensor_history(
    State(h): State<Home>,
    Path(id): Path<i64>,
    Query(q): Query<History>,
) -> Result<Json<Value>, HttpException> {
    let s = sensor(&h, id)?;
    let rows: Vec<Value> = (0..q.limit.get())
        .map(|i| {
            let v = ((s.3 + i as f64 * 0.1) * 100.0).round() / 100.0;
            json!({"seq": i, "value": v})
        })
        .collect();
    Ok(Json(Value::Array(rows)))
}
async fn create_device(_u: User, Json(d): Json<DeviceIn>) -> Json<Value> {
    let kind = match d.kind {
        Kind::Light => "light",
        Kind::Plug => "plug",
        Kind::Thermostat => "thermostat",
    };
    Json(
        json!({"id": 4, "name": d.name.as_str(), "kind": kind, "on": d.on, "level": d.level.get()}),
    )
}

pub fn smart_home() -> Rc<App<Home>> {
    let sensors = Router::new("/api/sensors")
        .get("", list_sensors)
        .get("/{sensor_id}", read_sensor)
        .get("/{sensor_id}/history", sensor_history);
    let devices =
        Router::new("/api/devices").route(viper::Method::Post, "", Some(201), create_device);
    App::new(Home {
        sensors: vec![
            (1, "temperature", "celsius", 21.5),
            (2, "humidity", "percent", 40.0),
            (3, "pressure", "hPa", 1013.25),
        ],
    })
    .info("Smart Home", "1.0.0")
    .default_header("x-powered-by", "Viper")
    .get("/api/health", health)
    .get("/hello", hello)
    .get("/page", page)
    .get("/api/search", search)
    .include_router(sensors)
    .include_router(devices)
    .build()
    .expect("routes")
}

/// Serves `app` on `listener`, one connection at a time, until `deadline`.
pub fn serve<S: 'static>(app: Rc<App<S>>, listener: TcpListener, deadline: Instant) {
    listener.set_nonblocking(true).unwrap();
    let t0 = Instant::now();
    while Instant::now() < deadline {
        let (mut sock, _) = match listener.accept() {
            Ok(s) => s,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
        };
        sock.set_nonblocking(false).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let now = || viper::Instant::from_millis(t0.elapsed().as_millis() as u64);
        let mut conn = viper::Connection::new(app.clone(), viper::Config::default(), now());
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut buf = vec![0u8; 16 * 1024];
        let mut eof = false;
        while Instant::now() < deadline && !conn.is_closed() {
            let _ = conn.poll_app(&mut cx);
            while let Some(out) = conn.poll_transmit() {
                let n = out.len();
                if sock.write_all(out).is_err() {
                    eof = true;
                    break;
                }
                conn.advance_transmit(n);
            }
            if eof {
                break;
            }
            match sock.read(&mut buf) {
                Ok(0) => {
                    conn.receive_eof();
                    eof = true;
                }
                Ok(n) => {
                    let mut off = 0;
                    while off < n {
                        let k = conn.receive(&buf[off..n]);
                        if k == 0 {
                            let _ = conn.poll_app(&mut cx);
                            while let Some(out) = conn.poll_transmit() {
                                let len = out.len();
                                let _ = sock.write_all(out);
                                conn.advance_transmit(len);
                            }
                            if conn.is_closed() {
                                break;
                            }
                        }
                        off += k;
                    }
                }
                Err(_) => {
                    if let Some(t) = conn.poll_timeout() {
                        if now() >= t {
                            conn.handle_timeout(now());
                        }
                    }
                }
            }
            if eof {
                let _ = conn.poll_app(&mut cx);
                while let Some(out) = conn.poll_transmit() {
                    let len = out.len();
                    let _ = sock.write_all(out);
                    conn.advance_transmit(len);
                }
                break;
            }
        }
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request with `connection: close` and reads the answer to EOF.
pub fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut req =
        format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_reply(&raw)
}

pub fn parse_reply(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}
