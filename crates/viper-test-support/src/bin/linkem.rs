//! `linkem`: a link emulator between two network namespaces, for degraded-network tests on
//! kernels without `sch_netem` (`tc qdisc … netem` fails with "Specified qdisc kind is
//! unknown" on this project's CI machines).
//!
//! It opens a TAP device in each namespace (`setns` into one, open, `setns` into the
//! other, open: a TAP file descriptor stays bound to its namespace's device) and forwards
//! Ethernet frames between them, both directions, applying one-way delay, random loss and a
//! rate limit, like `netem delay D loss P rate R`. Everything above Ethernet — ARP, IP, TCP
//! retransmission — is the real kernel's (or smoltcp's) on each side.
//!
//! ```text
//! linkem --a NS1:tap0 --b NS2:tap0 [--delay-ms 200] [--loss-pct 10] [--rate-kbit 100] [--seed 1] [--stats FILE]
//! ```
//!
//! With `--stats FILE` it rewrites FILE each second with `passed dropped` per direction
//! (`a>b 812 90\nb>a 640 71`), so a test can show the loss really happened.
//!
//! The TAP devices must exist (`ip tuntap add dev tap0 mode tap`, up, addressed). Runs
//! until killed; prints one line when ready.

use std::collections::VecDeque;
use std::ffi::CString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

#[repr(C)]
struct IfReq {
    name: [libc::c_char; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

fn enter_netns(ns: &str) {
    let path = format!("/var/run/netns/{ns}");
    let f = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    // SAFETY: a valid namespace fd; setns only changes this (single) thread's namespace.
    let r = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(r, 0, "setns {ns}: {}", std::io::Error::last_os_error());
}

fn open_tap(ns: &str, dev: &str) -> File {
    enter_netns(ns);
    let path = CString::new("/dev/net/tun").unwrap();
    // SAFETY: a NUL-terminated path; the returned fd is checked before use.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_NONBLOCK) };
    assert!(
        fd >= 0,
        "open /dev/net/tun: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: fd was just opened and is owned by nothing else.
    let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let mut req = IfReq {
        name: [0; libc::IFNAMSIZ],
        flags: IFF_TAP | IFF_NO_PI,
        _pad: [0; 22],
    };
    for (i, b) in dev.bytes().take(libc::IFNAMSIZ - 1).enumerate() {
        req.name[i] = b as libc::c_char;
    }
    // SAFETY: TUNSETIFF reads an ifreq, which `req` is laid out as; it lives across the call.
    let r = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF as _, &mut req) };
    assert!(
        r >= 0,
        "TUNSETIFF {ns}:{dev}: {}",
        std::io::Error::last_os_error()
    );
    file
}

/// One direction of the link.
struct Pipe {
    /// Frames in flight: when each may leave, and its bytes.
    queue: VecDeque<(Instant, Vec<u8>)>,
    /// When the transmitter is free again (rate limit).
    busy_until: Instant,
    dropped: u64,
    passed: u64,
}

struct Link {
    delay: Duration,
    loss: f64,
    /// Bytes per second, 0 = unlimited.
    rate: u64,
    rng: u64,
}

impl Link {
    fn random(&mut self) -> f64 {
        // xorshift64*: deterministic for a seed, good enough for drop decisions.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn admit(&mut self, pipe: &mut Pipe, frame: Vec<u8>, now: Instant) {
        if self.loss > 0.0 && self.random() < self.loss {
            pipe.dropped += 1;
            return;
        }
        let start = pipe.busy_until.max(now);
        let serialise = if self.rate == 0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(frame.len() as f64 / self.rate as f64)
        };
        pipe.busy_until = start + serialise;
        // A queue of a second's worth of frames at most, like a router's buffer.
        if pipe.queue.len() >= 1000 {
            pipe.dropped += 1;
            return;
        }
        pipe.queue
            .push_back((start + serialise + self.delay, frame));
        pipe.passed += 1;
    }
}

fn flush(pipe: &mut Pipe, out: &mut File, now: Instant) {
    while let Some((at, _)) = pipe.queue.front() {
        if *at > now {
            return;
        }
        let (_, frame) = pipe.queue.pop_front().unwrap();
        let _ = out.write(&frame);
    }
}

fn main() {
    let mut stats_file: Option<String> = None;
    let mut a = String::new();
    let mut b = String::new();
    let mut link = Link {
        delay: Duration::ZERO,
        loss: 0.0,
        rate: 0,
        rng: 0x9e37_79b9_7f4a_7c15,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--a" => a = v,
            "--b" => b = v,
            "--delay-ms" => link.delay = Duration::from_millis(v.parse().expect("--delay-ms N")),
            "--loss-pct" => link.loss = v.parse::<f64>().expect("--loss-pct P") / 100.0,
            "--rate-kbit" => link.rate = v.parse::<u64>().expect("--rate-kbit N") * 1000 / 8,
            "--stats" => stats_file = Some(v),
            "--seed" => link.rng = v.parse::<u64>().expect("--seed N").max(1),
            other => panic!("unknown argument {other}"),
        }
    }
    let split = |s: &str| -> (String, String) {
        let (ns, dev) = s.split_once(':').expect("NS:DEV");
        (ns.to_string(), dev.to_string())
    };
    let (ns_a, dev_a) = split(&a);
    let (ns_b, dev_b) = split(&b);
    let mut tap_a = open_tap(&ns_a, &dev_a);
    let mut tap_b = open_tap(&ns_b, &dev_b);
    let now = Instant::now();
    let mut ab = Pipe {
        queue: VecDeque::new(),
        busy_until: now,
        dropped: 0,
        passed: 0,
    };
    let mut ba = Pipe {
        queue: VecDeque::new(),
        busy_until: now,
        dropped: 0,
        passed: 0,
    };
    println!("linkem: {a} <-> {b} ready");
    let _ = std::io::stdout().flush();
    let mut buf = vec![0u8; 65536];
    let mut last_stats = Instant::now();
    loop {
        if let Some(path) = &stats_file {
            if last_stats.elapsed() >= Duration::from_millis(500) {
                last_stats = Instant::now();
                let text = format!(
                    "a>b {} {}\nb>a {} {}\n",
                    ab.passed, ab.dropped, ba.passed, ba.dropped
                );
                let _ = std::fs::write(path, text);
            }
        }
        let now = Instant::now();
        let next = [ab.queue.front(), ba.queue.front()]
            .into_iter()
            .flatten()
            .map(|(t, _)| t.saturating_duration_since(now))
            .min();
        let timeout = next.map_or(100, |d| d.as_millis().min(100) as i32 + 1);
        let mut fds = [
            libc::pollfd {
                fd: tap_a.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: tap_b.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: two initialised pollfd structs, alive across the call.
        unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout) };
        let now = Instant::now();
        while let Ok(n) = tap_a.read(&mut buf) {
            if n == 0 {
                break;
            }
            link.admit(&mut ab, buf[..n].to_vec(), now);
        }
        while let Ok(n) = tap_b.read(&mut buf) {
            if n == 0 {
                break;
            }
            link.admit(&mut ba, buf[..n].to_vec(), now);
        }
        flush(&mut ab, &mut tap_b, now);
        flush(&mut ba, &mut tap_a, now);
    }
}
