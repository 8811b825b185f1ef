//! Differential test: the twin's core routes written with viper, served through a
//! std::net loop around `viper::Connection`, against the FastAPI twin itself.

mod common;

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::time::{Duration, Instant};

use viper_test_support::{free_port, python_module, shared_path, wait_for_port, KillOnDrop};

/// Requests (method, target, headers, body) covering every route the example has, and
/// the 404/405/307/422/401 shapes.
type Case = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

const CASES: &[Case] = &[
    ("GET", "/api/health", &[], ""),
    ("GET", "/hello", &[], ""),
    ("GET", "/page", &[], ""),
    ("GET", "/nope", &[], ""),
    ("GET", "/api/sensors", &[], ""),
    ("GET", "/api/sensors/", &[], ""),
    ("GET", "/api/sensors/1", &[], ""),
    ("GET", "/api/sensors/3", &[], ""),
    ("GET", "/api/sensors/9", &[], ""),
    ("GET", "/api/sensors/abc", &[], ""),
    ("GET", "/api/sensors/1/history", &[], ""),
    ("GET", "/api/sensors/2/history?limit=3", &[], ""),
    ("GET", "/api/sensors/abc/history?limit=x", &[], ""),
    ("GET", "/api/sensors/9/history", &[], ""),
    ("GET", "/api/sensors/1/history?limit=0", &[], ""),
    ("GET", "/api/sensors/1/history?limit=101", &[], ""),
    ("GET", "/api/sensors/1/history?limit=100", &[], ""),
    ("GET", "/api/sensors/x/history?limit=0", &[], ""),
    ("GET", "/api/sensors/1/history?limit=2&limit=5", &[], ""),
    ("GET", "/api/search", &[], ""),
    (
        "GET",
        "/api/search?q=lamp&tags=a&tags=b&sort-by=price&page=2&limit=5&active=no&min_price=2.5",
        &[],
        "",
    ),
    ("GET", "/api/search?sort-by=size", &[], ""),
    ("GET", "/api/search?sort_by=date", &[], ""),
    ("GET", "/api/search?active=maybe&page=0&limit=x", &[], ""),
    (
        "GET",
        "/api/search?limit=500&min_price=cheap&q=%C3%A9t%C3%A9+x",
        &[],
        "",
    ),
    ("GET", "/api/search?active=1&tags=", &[], ""),
    ("GET", "/api/search?q=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &[], ""),
    ("GET", "/api/search?q=%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9", &[], ""),
    ("POST", "/api/devices", &[("authorization", "Bearer user-token"), ("content-type", "application/json")], "{\"name\":\"\",\"kind\":\"lamp\",\"level\":101}"),
    ("POST", "/api/devices", &[("authorization", "Bearer user-token"), ("content-type", "application/json")], "{\"name\":\"0123456789012345678901234567890123\",\"kind\":\"plug\",\"level\":-1,\"on\":\"yes\"}"),
    ("POST", "/api/devices", &[("authorization", "Bearer user-token"), ("content-type", "application/json")], "{\"name\":7,\"kind\":\"plug\",\"level\":5.5}"),
    ("POST", "/api/devices", &[("authorization", "Bearer user-token"), ("content-type", "application/json")], "[1]"),
    ("DELETE", "/api/sensors", &[], ""),
    ("POST", "/api/sensors/1", &[], ""),
    ("POST", "/api/devices", &[], "{}"),
    (
        "POST",
        "/api/devices",
        &[("authorization", "Bearer nope")],
        "{}",
    ),
    (
        "POST",
        "/api/devices",
        &[("authorization", "Bearer user-token")],
        "{}",
    ),
    (
        "POST",
        "/api/devices",
        &[("authorization", "Bearer user-token")],
        "",
    ),
    (
        "POST",
        "/api/devices",
        &[
            ("authorization", "Bearer user-token"),
            ("content-type", "application/json"),
        ],
        "{\"name\": ",
    ),
    (
        "POST",
        "/api/devices",
        &[
            ("authorization", "Bearer user-token"),
            ("content-type", "application/json"),
        ],
        "{\"name\":\"Lamp\"}",
    ),
    (
        "POST",
        "/api/devices",
        &[
            ("authorization", "Bearer user-token"),
            ("content-type", "application/json"),
        ],
        "{\"name\":\"Lamp\",\"kind\":\"light\",\"level\":\"x\"}",
    ),
    (
        "POST",
        "/api/devices",
        &[
            ("authorization", "Bearer user-token"),
            ("content-type", "application/json"),
        ],
        "{\"name\":\"Lamp\",\"kind\":\"light\"}",
    ),
];

const COMPARED: &[&str] = &["content-type", "www-authenticate", "x-powered-by"];

fn allow_set(v: Option<&str>) -> BTreeSet<String> {
    // SPEC.md difference 1: Viper also answers HEAD and OPTIONS.
    v.unwrap_or("")
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty() && m != "HEAD" && m != "OPTIONS")
        .collect()
}

fn location_path(v: Option<&str>) -> Option<String> {
    v.map(|l| match l.find("://") {
        Some(i) => l[i + 3..]
            .find('/')
            .map(|j| l[i + 3 + j..].to_string())
            .unwrap_or_default(),
        None => l.to_string(),
    })
}

#[test]
fn core_routes_match_the_fastapi_twin() {
    let (Some(py), Some(dir)) = (
        python_module(&["fastapi", "uvicorn"]),
        shared_path("specs/smart-home/app_fastapi.py"),
    ) else {
        return;
    };
    let dir = dir.parent().unwrap().to_path_buf();
    let twin_port = free_port();
    let _twin = KillOnDrop::spawn(
        Command::new(py)
            .args([
                "-m",
                "uvicorn",
                "app_fastapi:app",
                "--port",
                &twin_port.to_string(),
                "--log-level",
                "warning",
            ])
            .current_dir(&dir),
    )
    .expect("start the twin");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let deadline = Instant::now() + Duration::from_secs(60);
    let server =
        std::thread::spawn(move || common::serve(common::smart_home(), listener, deadline));
    wait_for_port(
        SocketAddr::from(([127, 0, 0, 1], twin_port)),
        Duration::from_secs(30),
    )
    .expect("twin up");

    let mut mismatches = Vec::new();
    // Identical answers, counted apart when both sides answered the same error.
    let (mut same_ok, mut same_error) = (0usize, 0usize);
    for (method, target, headers, body) in CASES {
        let before = mismatches.len();
        let ours = common::request(port, method, target, headers, body.as_bytes());
        let twin = common::request(twin_port, method, target, headers, body.as_bytes());
        let what = format!("{method} {target} {body}");
        if ours.status != twin.status {
            mismatches.push(format!(
                "{what}: status {} vs twin {}",
                ours.status, twin.status
            ));
            continue;
        }
        for h in COMPARED {
            if ours.header(h) != twin.header(h) {
                mismatches.push(format!(
                    "{what}: {h} {:?} vs twin {:?}",
                    ours.header(h),
                    twin.header(h)
                ));
            }
        }
        if allow_set(ours.header("allow")) != allow_set(twin.header("allow")) {
            mismatches.push(format!(
                "{what}: allow {:?} vs twin {:?}",
                ours.header("allow"),
                twin.header("allow")
            ));
        }
        if location_path(ours.header("location")) != location_path(twin.header("location")) {
            mismatches.push(format!(
                "{what}: location {:?} vs twin {:?}",
                ours.header("location"),
                twin.header("location")
            ));
        }
        let same_body = if twin.header("content-type") == Some("application/json") {
            serde_json::from_slice::<serde_json::Value>(&ours.body).ok()
                == serde_json::from_slice::<serde_json::Value>(&twin.body).ok()
        } else {
            ours.body == twin.body
        };
        if !same_body {
            mismatches.push(format!(
                "{what}: body {:?} vs twin {:?}",
                String::from_utf8_lossy(&ours.body),
                String::from_utf8_lossy(&twin.body)
            ));
        }
        if mismatches.len() == before {
            if twin.status >= 400 {
                same_error += 1;
            } else {
                same_ok += 1;
            }
        }
    }
    drop(server);
    println!(
        "twin differential: {} requests: {same_ok} identical, {same_error} identical with the same error status, {} differing",
        CASES.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} differ:\n{}",
        mismatches.len(),
        CASES.len(),
        mismatches.join("\n")
    );
}
