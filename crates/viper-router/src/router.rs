//! The route table and its allocation-free lookup.

use crate::error::InsertError;
use crate::method::{Allow, Method, METHOD_COUNT};
use crate::pattern::{parse, Kind, Seg, MAX_PARAMS};
use crate::pct::{self, PctStr, Rules};
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

const NONE: u32 = u32::MAX;

/// What to do when a path misses only by its trailing slash (`/users/` vs `/users`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrailingSlash {
    /// `/users/` and `/users` are different paths; a miss is a 404.
    #[default]
    Strict,
    /// A miss whose slash-toggled twin exists becomes [`Match::Redirect`] (308) to it.
    Redirect,
    /// A miss whose slash-toggled twin exists is served by the twin's route.
    Ignore,
}

/// The rule for an encoded slash (`%2F`) inside a `str`, `int` or `float` parameter.
///
/// Segments are always split on the raw `/` before decoding, so `%2F` never creates a
/// new segment. A `path` parameter always accepts `%2F` (it decodes to `/`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EncodedSlash {
    /// A segment containing `%2F` does not match a `str` parameter (lookup goes on to
    /// lower-priority routes, usually ending in 404). Safe for handlers that build file
    /// names or keys from the value.
    #[default]
    Reject,
    /// `%2F` matches and decodes to `/` in the value (e.g. GitLab-style
    /// `/projects/group%2Fproject`).
    Decode,
}

/// Router policies. Every field has a safe default (see `Config::default`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Trailing-slash policy. Default: [`TrailingSlash::Strict`].
    pub trailing_slash: TrailingSlash,
    /// `%2F` in a non-`path` parameter. Default: [`EncodedSlash::Reject`].
    pub encoded_slash: EncodedSlash,
    /// A `HEAD` request with no `HEAD` handler is served by the `GET` handler
    /// ([`Found::head_fallback`] is set so the server drops the body). Default: `true`.
    pub head_falls_back_to_get: bool,
    /// An `OPTIONS` request with no `OPTIONS` handler gets [`Match::Options`] with the
    /// `Allow` list of the path. Default: `true`.
    pub auto_options: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            trailing_slash: TrailingSlash::Strict,
            encoded_slash: EncodedSlash::Reject,
            head_falls_back_to_get: true,
            auto_options: true,
        }
    }
}

/// A parameter value, already parsed to its declared type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'p> {
    /// `{name}` / `{name:str}`: one non-empty segment.
    Str(PctStr<'p>),
    /// `{name:int}`: `-?[0-9]+` (after decoding) that fits an `i64`.
    Int(i64),
    /// `{name:float}`: `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?` with a finite value.
    Float(f64),
    /// `{name:path}`: the rest of the path (one or more characters, slashes included,
    /// no `.`/`..` segments).
    Path(PctStr<'p>),
}

impl<'p> Value<'p> {
    /// The integer, for an `int` parameter.
    pub fn as_int(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The number, for a `float` parameter.
    pub fn as_float(&self) -> Option<f64> {
        match *self {
            Value::Float(x) => Some(x),
            _ => None,
        }
    }

    /// The text, for a `str` or `path` parameter.
    pub fn as_pct_str(&self) -> Option<PctStr<'p>> {
        match *self {
            Value::Str(s) | Value::Path(s) => Some(s),
            _ => None,
        }
    }
}

/// One captured parameter: its byte range in the path. 8 bytes, so a lookup result
/// stays small; `int`/`float` values were validated during the lookup and are converted
/// again (a few nanoseconds) when read.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    start: u32,
    end: u32,
}

/// The parameters of a matched route: names and types borrowed from the table, values
/// from the request path, stored inline (no allocation). Numbers were parsed during the
/// lookup; text stays in the path and decodes lazily (see [`PctStr`]).
#[derive(Clone, Copy, Debug)]
pub struct Params<'r, 'p> {
    names: &'r [Box<str>],
    kinds: &'r [Kind],
    path: &'p str,
    slots: [Slot; MAX_PARAMS],
    /// Bit `i` set: parameter `i` contains a percent-escape.
    encoded: u16,
    len: usize,
}

impl<'r, 'p> Params<'r, 'p> {
    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the route has no parameters.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn value(&self, i: usize) -> Option<Value<'p>> {
        if i >= self.len {
            return None;
        }
        let slot = self.slots.get(i)?;
        let raw = self.path.get(slot.start as usize..slot.end as usize)?;
        let encoded = self.encoded & (1 << i) != 0;
        let number = || {
            if encoded {
                parse_escaped_number(raw.as_bytes())
            } else {
                (parse_int(raw.as_bytes()), parse_float(raw.as_bytes()))
            }
        };
        Some(match self.kinds.get(i)? {
            Kind::Int => Value::Int(number().0?),
            Kind::Float => Value::Float(number().1?),
            Kind::Str => Value::Str(PctStr::new(raw, encoded)),
            Kind::Path => Value::Path(PctStr::new(raw, encoded)),
        })
    }

    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<Value<'p>> {
        let i = self.names.iter().position(|n| **n == *name)?;
        self.value(i)
    }

    /// The `i`-th parameter (in pattern order) with its name.
    pub fn at(&self, i: usize) -> Option<(&'r str, Value<'p>)> {
        Some((&**self.names.get(i)?, self.value(i)?))
    }

    /// The value of `int` parameter `name`.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name)?.as_int()
    }

    /// The value of `float` parameter `name`.
    pub fn float(&self, name: &str) -> Option<f64> {
        self.get(name)?.as_float()
    }

    /// The text of `str` or `path` parameter `name`.
    pub fn str(&self, name: &str) -> Option<PctStr<'p>> {
        self.get(name)?.as_pct_str()
    }

    /// `(name, value)` pairs in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&'r str, Value<'p>)> + '_ {
        (0..self.len).filter_map(move |i| self.at(i))
    }
}

/// A successful match.
#[derive(Debug)]
pub struct Found<'r, 'p, T> {
    /// The value registered for the route and method.
    pub value: &'r T,
    /// The route's pattern as registered (after any mount prefix), e.g. for metrics.
    pub pattern: &'r str,
    /// The method the value was registered for (`GET` when serving `HEAD` by fallback).
    pub method: Method,
    /// `true` when a `HEAD` request is served by the `GET` handler: send no body.
    pub head_fallback: bool,
    /// The typed parameters.
    pub params: Params<'r, 'p>,
}

/// A trailing-slash redirect: `Display` writes the `Location` value (path with the slash
/// added or removed, then the original query).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redirect<'p> {
    path: &'p str,
    query: Option<&'p str>,
    add_slash: bool,
}

impl Redirect<'_> {
    /// The status to answer with: 308 Permanent Redirect (method and body are kept).
    pub const fn status(&self) -> u16 {
        308
    }
}

impl fmt::Display for Redirect<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.add_slash {
            f.write_str(self.path)?;
            f.write_str("/")?;
        } else {
            let p = self.path.strip_suffix('/').unwrap_or(self.path);
            f.write_str(p)?;
        }
        if let Some(q) = self.query {
            f.write_str("?")?;
            f.write_str(q)?;
        }
        Ok(())
    }
}

/// The outcome of [`Router::lookup`].
#[allow(clippy::large_enum_variant)] // boxing `Found` would allocate on every lookup
#[derive(Debug)]
pub enum Match<'r, 'p, T> {
    /// A route matched the path and has a value for the method.
    Found(Found<'r, 'p, T>),
    /// The path exists but not for this method: answer 405 with this `Allow` list.
    MethodNotAllowed(Allow),
    /// An `OPTIONS` request on an existing path without an `OPTIONS` route: answer
    /// 204 with this `Allow` list.
    Options(Allow),
    /// Only the slash-toggled path exists and the policy is
    /// [`TrailingSlash::Redirect`]: answer 308 with this `Location`.
    Redirect(Redirect<'p>),
    /// No route matches the path: answer 404.
    NotFound,
}

impl<'r, 'p, T> Match<'r, 'p, T> {
    /// The HTTP status this outcome maps to (200 for `Found`; the handler decides).
    pub fn status(&self) -> u16 {
        match self {
            Match::Found(_) => 200,
            Match::MethodNotAllowed(_) => 405,
            Match::Options(_) => 204,
            Match::Redirect(r) => r.status(),
            Match::NotFound => 404,
        }
    }

    /// The match, if any.
    pub fn found(self) -> Option<Found<'r, 'p, T>> {
        match self {
            Match::Found(f) => Some(f),
            _ => None,
        }
    }
}

struct StaticEdge {
    key: Box<str>,
    /// The key's first 8 bytes, big-endian, zero-padded: most comparisons end here.
    prefix: u64,
    node: u32,
    /// The compressed edge: `key`, then the keys of the chain of nodes below that have
    /// nothing but one static child each (no endpoint, no parameter), joined by `/`.
    /// Unescaped lookups compare it against the path in one go and land on `target`.
    chain: Chain,
}

/// A static edge's key extended through single-child nodes, prepared for comparing
/// against the raw path eight bytes at a time.
#[derive(Default)]
struct Chain {
    /// `key/key2/…`.
    full: Box<str>,
    /// The node at the end of the chain.
    target: u32,
    /// Big-endian first `min(8, len)` bytes of `full`, zero-padded.
    head: u64,
    /// Big-endian first `min(8, len + 1)` bytes of `full` followed by `/`, zero-padded.
    head_slash: u64,
    /// `mask_bytes(len)` and `mask_bytes(len + 1)`.
    mask: u64,
    mask_slash: u64,
}

/// Mask keeping the first `n` (0..=8) big-endian bytes of a `u64`.
#[inline]
const fn mask_bytes(n: usize) -> u64 {
    if n >= 8 {
        u64::MAX
    } else {
        !(u64::MAX >> (8 * n))
    }
}

impl Chain {
    fn new(full: String, target: u32) -> Self {
        let l = full.len();
        let head = prefix8(full.as_bytes());
        let mut with_slash = [0u8; 8];
        for (d, s) in with_slash
            .iter_mut()
            .zip(full.as_bytes().iter().chain(core::iter::once(&b'/')))
        {
            *d = *s;
        }
        Chain {
            full: full.into_boxed_str(),
            target,
            head,
            head_slash: u64::from_be_bytes(with_slash),
            mask: mask_bytes(l),
            mask_slash: mask_bytes(l + 1),
        }
    }

    /// Where the chain ends in `path` if it matches at `pos` and is followed by `/` or
    /// the end of the path. `w` is the path's 8 bytes from `pos`, big-endian, zero-padded.
    #[inline]
    fn match_at(&self, path: &[u8], pos: usize, w: u64) -> Option<usize> {
        let rem = path.len() - pos;
        let l = self.full.len();
        if l < 8 {
            if l < rem {
                // The byte after the key is inside the window: compare it as `/` too.
                if w & self.mask_slash == self.head_slash {
                    return Some(pos + l);
                }
                // Or the key ends the path, before its query or fragment.
                return (w & self.mask == self.head && ends_path(path, pos + l)).then_some(pos + l);
            }
            return (l == rem && w & self.mask == self.head).then_some(pos + l);
        }
        if l > rem || w != self.head || !rest_eq(self.full.as_bytes(), path.get(pos..pos + l)?) {
            return None;
        }
        (path.get(pos + l) == Some(&b'/') || ends_path(path, pos + l)).then_some(pos + l)
    }
}

/// Whether two slices of the same length (at least 8) whose first 8 bytes are equal
/// are equal: one overlapping 8-byte compare up to 16 bytes.
#[inline]
fn rest_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() <= 16 {
        matches!((a.last_chunk::<8>(), b.last_chunk::<8>()), (Some(x), Some(y)) if x == y)
    } else {
        a.get(8..) == b.get(8..)
    }
}

/// Whether the path part of a request-target ends at `i` (its end, `?` or `#`).
#[inline]
fn ends_path(target: &[u8], i: usize) -> bool {
    matches!(target.get(i), None | Some(b'?' | b'#'))
}

/// The path's 8 bytes from `pos`, big-endian, zero-padded past the end.
#[inline]
fn window(path: &[u8], pos: usize) -> u64 {
    if let Some(w) = path.get(pos..).and_then(|r| r.first_chunk::<8>()) {
        return u64::from_be_bytes(*w);
    }
    let rem = path.len().saturating_sub(pos);
    if rem == 0 {
        return 0;
    }
    // Short tail: load the path's last 8 bytes and shift the tail to the top.
    if let Some(last) = path.len().checked_sub(8).and_then(|s| path.get(s..)) {
        if let Some(w) = last.first_chunk::<8>() {
            return u64::from_be_bytes(*w) << (8 * (8 - rem));
        }
    }
    prefix8(path.get(pos..).unwrap_or(&[]))
}

#[inline]
fn prefix8(b: &[u8]) -> u64 {
    if let Some(head) = b.first_chunk::<8>() {
        return u64::from_be_bytes(*head);
    }
    let mut v = 0u64;
    for i in 0..8 {
        v = (v << 8) | u64::from(b.get(i).copied().unwrap_or(0));
    }
    v
}

/// Hash of a static key for the per-node open-addressing table.
#[inline]
fn key_hash(len: usize, prefix: u64) -> usize {
    let h = (prefix ^ (len as u64).rotate_right(8)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 32) as usize
}

/// Nodes with more static children than this get a hash table; others scan.
const SCAN_MAX: usize = 4;

impl StaticEdge {
    #[inline]
    fn matches(&self, seg: &[u8], prefix: u64) -> bool {
        self.prefix == prefix
            && self.key.len() == seg.len()
            && (seg.len() <= 8 || rest_eq(self.key.as_bytes(), seg))
    }

    /// Order: length, then the 8-byte prefix, then the remaining bytes.
    fn cmp_key(&self, seg: &[u8], prefix: u64) -> core::cmp::Ordering {
        self.key
            .len()
            .cmp(&seg.len())
            .then(self.prefix.cmp(&prefix))
            .then_with(|| self.key.as_bytes().get(8..).cmp(&seg.get(8..)))
    }
}

struct Node {
    /// Sorted by [`StaticEdge::cmp_key`] for a cheap binary search.
    statics: Vec<StaticEdge>,
    /// Open-addressing table of indices into `statics` (power-of-two length, `NONE` for
    /// empty), built when there are more than `SCAN_MAX` static children.
    table: Box<[u32]>,
    int: u32,
    float: u32,
    str_: u32,
    /// Endpoint of a `path` parameter starting at this position.
    path_ep: u32,
    /// Endpoint of a route ending at this node.
    ep: u32,
    /// `F_*` bits: which kinds of children the node has, read once per visit.
    flags: u8,
    /// Longest static chain + 1 (bytes a static miss depends on).
    span: usize,
}

const F_STATIC: u8 = 1;
const F_HASH: u8 = 2;
const F_NUM: u8 = 4;
const F_STR: u8 = 8;
const F_PATH: u8 = 16;
/// A static chain contains `%`: raw comparison would be wrong, the fast walk gives up.
const F_PCT_KEY: u8 = 32;
const F_PARAMS: u8 = F_NUM | F_STR | F_PATH;

impl Node {
    /// Rebuilds the hash table after `statics` changed.
    fn rebuild_table(&mut self) {
        if self.statics.len() <= SCAN_MAX {
            self.table = Box::new([]);
            return;
        }
        let size = (self.statics.len() * 4).next_power_of_two();
        let mask = size - 1;
        let mut table = alloc::vec![NONE; size];
        for (idx, e) in self.statics.iter().enumerate() {
            let mut i = key_hash(e.key.len(), e.prefix) & mask;
            while table[i] != NONE {
                i = (i + 1) & mask;
            }
            table[i] = idx as u32;
        }
        self.table = table.into_boxed_slice();
    }

    /// The child for an unescaped segment `seg`, which is `path[pos..]` up to its end
    /// (empty when `pos` is past the end of `path`).
    #[inline]
    fn find_static(&self, seg: &[u8], path: &[u8], pos: usize) -> Option<u32> {
        // `prefix8(seg)` without a byte loop: the path's 8 bytes at `pos` (zero-padded
        // past its end) cut to the segment's length.
        let prefix = window(path, pos) & mask_bytes(seg.len());
        let edge = if self.table.is_empty() {
            self.statics.iter().find(|e| e.matches(seg, prefix))
        } else {
            self.probe(seg, prefix)
        };
        edge.map(|e| e.node)
    }

    /// Looks `seg` (whose `prefix8` is `prefix`) up in the hash table.
    #[inline(always)]
    fn probe(&self, seg: &[u8], prefix: u64) -> Option<&StaticEdge> {
        let mask = self.table.len().checked_sub(1)?;
        let mut i = key_hash(seg.len(), prefix) & mask;
        // The table is at most a quarter full (few collisions, each a likely branch
        // miss), so an empty slot ends every probe sequence.
        for _ in 0..self.table.len() {
            let idx = *self.table.get(i)?;
            let e = self.statics.get(idx as usize)?;
            if e.matches(seg, prefix) {
                return Some(e);
            }
            i = (i + 1) & mask;
        }
        None
    }

    fn new() -> Self {
        Node {
            statics: Vec::new(),
            table: Box::new([]),
            int: NONE,
            float: NONE,
            str_: NONE,
            path_ep: NONE,
            ep: NONE,
            flags: 0,
            span: 0,
        }
    }

    fn update_flags(&mut self) {
        let bit = |on: bool, f: u8| if on { f } else { 0 };
        self.flags = bit(!self.statics.is_empty(), F_STATIC)
            | bit(!self.table.is_empty(), F_HASH)
            | bit(self.int != NONE || self.float != NONE, F_NUM)
            | bit(self.str_ != NONE, F_STR)
            | bit(self.path_ep != NONE, F_PATH)
            | bit(
                self.statics.iter().any(|e| e.chain.full.contains('%')),
                F_PCT_KEY,
            );
        // How far a static miss must be checked for `%` (the longest chain and the
        // byte after it).
        self.span = self
            .statics
            .iter()
            .map(|e| e.chain.full.len() + 1)
            .max()
            .unwrap_or(0);
    }
}

struct Endpoint {
    /// Route index per method, or `NONE`.
    handlers: [u32; METHOD_COUNT],
    /// Bits of the methods registered here.
    bits: u16,
    names: Box<[Box<str>]>,
    kinds: Box<[Kind]>,
    /// Pattern first registered here (for error messages).
    first: u32,
}

struct Route<T> {
    method: Method,
    pattern: Box<str>,
    value: T,
    endpoint: u32,
}

/// A route table mapping `(method, path pattern)` to values of type `T` (handlers, ids…).
///
/// See the crate documentation for the pattern syntax and matching rules.
pub struct Router<T> {
    nodes: Vec<Node>,
    endpoints: Vec<Endpoint>,
    routes: Vec<Route<T>>,
    config: Config,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Router::new()
    }
}

impl<T> fmt::Debug for Router<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_list();
        for r in &self.routes {
            l.entry(&format_args!("{} {}", r.method, r.pattern));
        }
        l.finish()
    }
}

/// Lookup state: the path being matched, the parameters collected on the way down and
/// the methods of every endpoint that matched the path.
struct Search<'p> {
    path: &'p str,
    /// A virtual `/` follows `path` (trailing-slash twin lookups).
    virt: bool,
    /// `path` may contain `%` (when false, segments are split without looking for it).
    any_pct: bool,
    method: Option<Method>,
    head_fallback: bool,
    slots: [Slot; MAX_PARAMS],
    encoded: u16,
    len: usize,
    bits: u16,
    matched: bool,
    /// The fast walk met something only the full walk handles (a `%`).
    abort: bool,
    /// The fast walk checked `path[..clean]` for `%` and found none.
    clean: usize,
}

impl<'p> Search<'p> {
    fn new(path: &'p str, virt: bool, method: Option<Method>, head_fallback: bool) -> Self {
        Search {
            path,
            virt,
            any_pct: true,
            method,
            head_fallback,
            slots: [Slot::default(); MAX_PARAMS],
            encoded: 0,
            len: 0,
            bits: 0,
            matched: false,
            abort: false,
            clean: 0,
        }
    }

    /// Records parameter `self.len`; false if there is no room (cannot happen: routes
    /// have at most `MAX_PARAMS` parameters).
    fn push(&mut self, start: usize, end: usize, encoded: bool) -> bool {
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(end)) else {
            return false;
        };
        let i = self.len;
        match self.slots.get_mut(i) {
            Some(slot) => {
                *slot = Slot { start, end };
                if encoded {
                    self.encoded |= 1 << i;
                } else {
                    self.encoded &= !(1 << i);
                }
                self.len += 1;
                true
            }
            None => false,
        }
    }
}

/// Parses `-?[0-9]+` into an `i64`, rejecting overflow.
fn parse_int(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = i64::from(d - b'0');
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(d)?
        } else {
            v.checked_add(d)?
        };
    }
    Some(v)
}

/// Parses `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?` into a finite `f64`.
fn parse_float(b: &[u8]) -> Option<f64> {
    fn digits(b: &[u8], i: &mut usize) -> bool {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    }
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    if !digits(b, &mut i) {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(b, &mut i) {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(b, &mut i) {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    let x: f64 = core::str::from_utf8(b).ok()?.parse().ok()?;
    x.is_finite().then_some(x)
}

/// Longest escaped text an `int` or `float` segment may have (decoded into the stack).
const NUMBER_BUF: usize = 64;

/// Parses an escaped segment as `int` and `float` (rare: digits need no escaping).
#[cold]
fn parse_escaped_number(seg: &[u8]) -> (Option<i64>, Option<f64>) {
    let mut buf = [0u8; NUMBER_BUF];
    match pct::decode_strict(seg, &mut buf) {
        Some(num) => (parse_int(num), parse_float(num)),
        None => (None, None),
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in every zero byte of `v` (exact up to the first zero byte).
#[inline]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(LO) & !v & HI
}

/// Index of the first `x` or `y` in `b` at or after `from`, or `b.len()`; eight bytes
/// at a time.
#[inline]
fn find2(b: &[u8], from: usize, x: u8, y: u8) -> usize {
    let (mx, my) = (LO * u64::from(x), LO * u64::from(y));
    let mut i = from;
    while let Some(chunk) = b.get(i..).and_then(|r| r.first_chunk::<8>()) {
        let w = u64::from_le_bytes(*chunk);
        let m = zero_bytes(w ^ mx) | zero_bytes(w ^ my);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == x || c == y {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// High bit set in exactly the zero bytes of `v` (no false positives, unlike
/// `zero_bytes`, so it can be read from either end).
#[inline]
fn exact_zero_bytes(v: u64) -> u64 {
    let low7 = LO * 0x7F;
    !(((v & low7).wrapping_add(low7)) | v | low7)
}

/// Index of the first `/`, `?`, `#` or `%` in `b` at or after `from`, or `b.len()`;
/// eight bytes at a time.
#[inline]
fn find_stop(b: &[u8], from: usize) -> usize {
    let (ms, mq, mh, mp) = (
        LO * u64::from(b'/'),
        LO * u64::from(b'?'),
        LO * u64::from(b'#'),
        LO * u64::from(b'%'),
    );
    let mut i = from;
    while let Some(chunk) = b.get(i..).and_then(|r| r.first_chunk::<8>()) {
        let w = u64::from_le_bytes(*chunk);
        // The lowest flagged byte is exact even with `zero_bytes`' carries. (Folding
        // `/` and `?` into one test, as `fast` does for a window, measured slower here.)
        let z = zero_bytes(w ^ ms) | zero_bytes(w ^ mq) | zero_bytes(w ^ mh) | zero_bytes(w ^ mp);
        if z != 0 {
            return i + (z.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if matches!(c, b'/' | b'?' | b'#' | b'%') {
            return i;
        }
        i += 1;
    }
    b.len()
}

/// End of the path in a request-target (first `?` or `#`, or the length) and whether
/// the path contains `%`, in one pass. Never reports `false` when there is a `%`.
#[inline]
fn split_target(b: &[u8]) -> (usize, bool) {
    // `b | 0x06 == 0x27` holds for `!`, `#`, `%` and `'` only: one test flags `#` and `%`
    // (and two rare sub-delimiters, which send the chunk to the exact check).
    let (m06, m27, mq) = (LO * 0x06, LO * 0x27, LO * u64::from(b'?'));
    let n = b.len();
    let mut i = 0;
    if n >= 8 {
        loop {
            // The last chunk overlaps the previous one instead of going byte by byte;
            // re-reading clean bytes changes nothing.
            let at = i.min(n - 8);
            let Some(chunk) = b.get(at..).and_then(|r| r.first_chunk::<8>()) else {
                break;
            };
            let w = u64::from_le_bytes(*chunk);
            if zero_bytes((w | m06) ^ m27) | zero_bytes(w ^ mq) != 0 {
                i = at;
                break;
            }
            i = at + 8;
            if i >= n {
                return (n, false);
            }
        }
    }
    // Exact byte loop from the first flagged chunk (or for short paths).
    let mut pct = false;
    while let Some(&c) = b.get(i) {
        if c == b'?' || c == b'#' {
            return (i, pct);
        }
        pct |= c == b'%';
        i += 1;
    }
    (n, pct)
}

fn join_prefix(prefix: &str, pattern: &str) -> String {
    if prefix == "/" {
        pattern.to_string()
    } else if pattern == "/" {
        prefix.to_string()
    } else {
        let mut s = String::with_capacity(prefix.len() + pattern.len());
        s.push_str(prefix);
        s.push_str(pattern);
        s
    }
}

impl<T> Router<T> {
    /// An empty router with the default [`Config`].
    pub fn new() -> Self {
        Router::with_config(Config::default())
    }

    /// An empty router with the given policies.
    pub fn with_config(config: Config) -> Self {
        Router {
            nodes: alloc::vec![Node::new()],
            endpoints: Vec::new(),
            routes: Vec::new(),
            config,
        }
    }

    /// The router's policies.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Number of `(method, pattern)` routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether no route is registered.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Every route as `(method, pattern, value)`, in insertion order.
    pub fn routes(&self) -> impl Iterator<Item = (Method, &str, &T)> {
        self.routes
            .iter()
            .map(|r| (r.method, &*r.pattern, &r.value))
    }

    /// Adds a route. Fails, leaving the router unchanged, if the pattern is invalid,
    /// can never match, or conflicts with a route already present (the error names both).
    pub fn insert(&mut self, method: Method, pattern: &str, value: T) -> Result<(), InsertError> {
        let segs = parse(pattern)?;
        self.check(method, pattern, &segs)?;
        self.add(method, pattern, &segs, value);
        Ok(())
    }

    /// Adds every route of `sub` under `prefix` (`/api/v1`, or with parameters:
    /// `/orgs/{org}`). A sub-route `/` becomes `prefix` itself; others become
    /// `prefix + pattern`. `sub`'s own [`Config`] is dropped: this router's applies.
    /// All-or-nothing: on error nothing is added.
    pub fn mount(&mut self, prefix: &str, sub: Router<T>) -> Result<(), InsertError> {
        if !prefix.starts_with('/') || (prefix.len() > 1 && prefix.ends_with('/')) {
            return Err(InsertError::InvalidPrefix {
                prefix: prefix.to_string(),
            });
        }
        let full: Vec<String> = sub
            .routes
            .iter()
            .map(|r| join_prefix(prefix, &r.pattern))
            .collect();
        for (r, pattern) in sub.routes.iter().zip(&full) {
            let segs = parse(pattern)?;
            self.check(r.method, pattern, &segs)?;
        }
        for (r, pattern) in sub.routes.into_iter().zip(&full) {
            // Checked above; the sub-router's routes cannot conflict among themselves.
            self.insert(r.method, pattern, r.value)?;
        }
        Ok(())
    }

    fn names_of<'a>(segs: &'a [Seg<'a>]) -> impl Iterator<Item = &'a str> + 'a {
        segs.iter().filter_map(|s| match s {
            Seg::Param(_, n) => Some(*n),
            Seg::Static(_) => None,
        })
    }

    /// Finds the endpoint a parsed pattern maps to, without creating anything.
    fn find_endpoint(&self, segs: &[Seg<'_>]) -> Option<u32> {
        let mut node = 0u32;
        for seg in segs {
            let n = self.nodes.get(node as usize)?;
            let next = match *seg {
                Seg::Static(s) => n
                    .statics
                    .iter()
                    .find(|e| &*e.key == s)
                    .map_or(NONE, |e| e.node),
                Seg::Param(Kind::Int, _) => n.int,
                Seg::Param(Kind::Float, _) => n.float,
                Seg::Param(Kind::Str, _) => n.str_,
                Seg::Param(Kind::Path, _) => return (n.path_ep != NONE).then_some(n.path_ep),
            };
            if next == NONE {
                return None;
            }
            node = next;
        }
        let ep = self.nodes.get(node as usize)?.ep;
        (ep != NONE).then_some(ep)
    }

    fn check(&self, method: Method, pattern: &str, segs: &[Seg<'_>]) -> Result<(), InsertError> {
        let Some(ep) = self.find_endpoint(segs) else {
            return Ok(());
        };
        let Some(e) = self.endpoints.get(ep as usize) else {
            return Ok(());
        };
        let existing = |idx: u32| {
            self.routes
                .get(idx as usize)
                .map_or_else(String::new, |r| r.pattern.to_string())
        };
        if let Some(&h) = e.handlers.get(method.index()) {
            if h != NONE {
                return Err(InsertError::Conflict {
                    method,
                    pattern: pattern.to_string(),
                    existing: existing(h),
                });
            }
        }
        if !e.names.iter().map(|n| &**n).eq(Self::names_of(segs)) {
            return Err(InsertError::ParamNames {
                pattern: pattern.to_string(),
                existing: existing(e.first),
            });
        }
        Ok(())
    }

    fn new_node(&mut self) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(Node::new());
        id
    }

    fn new_endpoint(&mut self, segs: &[Seg<'_>]) -> u32 {
        let id = self.endpoints.len() as u32;
        self.endpoints.push(Endpoint {
            handlers: [NONE; METHOD_COUNT],
            bits: 0,
            names: Self::names_of(segs).map(Box::from).collect(),
            kinds: segs
                .iter()
                .filter_map(|s| match s {
                    Seg::Param(k, _) => Some(*k),
                    Seg::Static(_) => None,
                })
                .collect(),
            first: self.routes.len() as u32,
        });
        id
    }

    /// Adds a checked route, creating nodes as needed.
    fn add(&mut self, method: Method, pattern: &str, segs: &[Seg<'_>], value: T) {
        let mut node = 0usize;
        let mut path_ep = false;
        let mut visited = Vec::with_capacity(segs.len() + 1);
        for seg in segs {
            visited.push(node);
            let next = match *seg {
                Seg::Static(s) => {
                    let prefix = prefix8(s.as_bytes());
                    let statics = &self.nodes[node].statics;
                    match statics.binary_search_by(|e| e.cmp_key(s.as_bytes(), prefix)) {
                        Ok(i) => statics[i].node,
                        Err(i) => {
                            let id = self.new_node();
                            self.nodes[node].statics.insert(
                                i,
                                StaticEdge {
                                    key: Box::from(s),
                                    prefix,
                                    node: id,
                                    chain: Chain::default(),
                                },
                            );
                            self.nodes[node].rebuild_table();
                            id
                        }
                    }
                }
                Seg::Param(Kind::Path, _) => {
                    path_ep = true;
                    break;
                }
                Seg::Param(kind, _) => {
                    let cur = match kind {
                        Kind::Int => self.nodes[node].int,
                        Kind::Float => self.nodes[node].float,
                        _ => self.nodes[node].str_,
                    };
                    if cur != NONE {
                        cur
                    } else {
                        let id = self.new_node();
                        let n = &mut self.nodes[node];
                        match kind {
                            Kind::Int => n.int = id,
                            Kind::Float => n.float = id,
                            _ => n.str_ = id,
                        }
                        id
                    }
                }
            };
            node = next as usize;
        }
        let existing = if path_ep {
            self.nodes[node].path_ep
        } else {
            self.nodes[node].ep
        };
        let ep = if existing != NONE {
            existing
        } else {
            let id = self.new_endpoint(segs);
            if path_ep {
                self.nodes[node].path_ep = id;
            } else {
                self.nodes[node].ep = id;
            }
            id
        };
        visited.push(node);
        self.rechain(&visited);
        let route = self.routes.len() as u32;
        let e = &mut self.endpoints[ep as usize];
        e.handlers[method.index()] = route;
        e.bits |= method.bit();
        self.routes.push(Route {
            method,
            pattern: Box::from(pattern),
            value,
            endpoint: ep,
        });
    }

    /// Recomputes the compressed static edges on an insertion's path `nodes` (each node
    /// followed by the one the insertion went to) and the flags of those nodes. A chain
    /// only runs through its edge's subtree, and the trie is a tree, so only the static
    /// edges on the path can pass through a changed node; other edges keep their chains.
    fn rechain(&mut self, nodes: &[usize]) {
        for (k, &n) in nodes.iter().enumerate() {
            let edge = nodes.get(k + 1).and_then(|&next| {
                self.nodes
                    .get(n)?
                    .statics
                    .iter()
                    .position(|e| e.node as usize == next)
            });
            if let Some(i) = edge {
                let (mut full, mut target) = {
                    let e = &self.nodes[n].statics[i];
                    (String::from(&*e.key), e.node)
                };
                loop {
                    let c = &self.nodes[target as usize];
                    let single = c.ep == NONE
                        && c.path_ep == NONE
                        && c.int == NONE
                        && c.float == NONE
                        && c.str_ == NONE
                        && c.statics.len() == 1;
                    if !single {
                        break;
                    }
                    full.push('/');
                    full.push_str(&c.statics[0].key);
                    target = c.statics[0].node;
                }
                self.nodes[n].statics[i].chain = Chain::new(full, target);
            }
            if let Some(x) = self.nodes.get_mut(n) {
                x.update_flags();
            }
        }
    }

    /// Finds the route for `method` and `target` (the request-target in origin form:
    /// `/path?query`; the query and any fragment are ignored). Allocates nothing.
    ///
    /// Matching goes segment by segment, trying static segments first, then `int`, then
    /// `float`, then `str`, then `path`, and backs up to the next candidate whenever a
    /// branch fails; the first route that matches the path *and* has a value for the
    /// method wins. If routes match the path but none has the method, the `Allow` list
    /// is the union of theirs.
    pub fn lookup<'r, 'p>(&'r self, method: Method, target: &'p str) -> Match<'r, 'p, T> {
        // Fast path: walk the target as it is; the path's end (`?`, `#`) is found on the
        // way. Escapes, and misses under a non-strict trailing-slash policy, take the
        // full path below.
        if let Some(rel) = target.strip_prefix('/') {
            let mut s = Search::new(rel, false, Some(method), self.config.head_falls_back_to_get);
            s.any_pct = false;
            let found = self.fast(0, 0, &mut s);
            if s.abort {
                return self.lookup_full(method, target, false);
            }
            if found.is_some() || s.matched || self.config.trailing_slash == TrailingSlash::Strict {
                return self.outcome(method, rel, found, &s);
            }
            return self.lookup_full(method, target, true);
        }
        self.lookup_full(method, target, false)
    }

    /// [`Router::lookup`] after splitting off the query: percent-escapes, trailing-slash
    /// twins. `missed` says the fast walk already ran on the path to the end without
    /// giving up and matched nothing (so the path itself is `NotFound`); otherwise it
    /// gave up or did not run, and would give up again on the same path.
    #[inline(never)]
    fn lookup_full<'r, 'p>(
        &'r self,
        method: Method,
        target: &'p str,
        missed: bool,
    ) -> Match<'r, 'p, T> {
        let (end, any_pct) = split_target(target.as_bytes());
        let (path, rest) = target.split_at(end);
        let query = rest
            .strip_prefix('?')
            .map(|q| q.split('#').next().unwrap_or(q));
        let Some(rel) = path.strip_prefix('/') else {
            return Match::NotFound;
        };
        if !missed {
            let m = self.search(method, rel, false, any_pct, false);
            if !matches!(m, Match::NotFound) {
                return m;
            }
        }
        if self.config.trailing_slash == TrailingSlash::Strict || rel.is_empty() {
            return Match::NotFound;
        }
        // The slash-toggled twin: drop a trailing slash, or add a virtual one.
        let twin = match rel.strip_suffix('/') {
            Some(shorter) => self.search(method, shorter, false, any_pct, true),
            _ => self.search(method, rel, true, any_pct, true),
        };
        if matches!(twin, Match::NotFound) {
            return Match::NotFound;
        }
        match self.config.trailing_slash {
            TrailingSlash::Ignore => twin,
            _ => {
                // Never redirect to a network-path reference (`//host`) or its
                // backslash variant, which browsers resolve to another origin.
                if path.starts_with("//") || path.starts_with("/\\") {
                    return Match::NotFound;
                }
                Match::Redirect(Redirect {
                    path,
                    query,
                    add_slash: !path.ends_with('/'),
                })
            }
        }
    }

    /// The `Allow` list of `path` (the methods some route serves it with, plus `HEAD`
    /// and `OPTIONS` when the router provides them), or `None` if no route matches it.
    /// Under [`TrailingSlash::Ignore`] the slash-toggled twin counts, as in `lookup`.
    /// Useful for `OPTIONS *`-style answers and CORS preflights.
    pub fn allowed(&self, path: &str) -> Option<Allow> {
        let path = path.split(['?', '#']).next().unwrap_or(path);
        let rel = path.strip_prefix('/')?;
        let mut s = Search::new(rel, false, None, false);
        s.any_pct = true;
        self.walk(0, 0, &mut s);
        if !s.matched && self.config.trailing_slash == TrailingSlash::Ignore && !rel.is_empty() {
            let (twin, virt) = match rel.strip_suffix('/') {
                Some(shorter) => (shorter, false),
                None => (rel, true),
            };
            let bits = s.bits;
            s = Search::new(twin, virt, None, false);
            s.any_pct = true;
            s.bits = bits;
            self.walk(0, 0, &mut s);
        }
        s.matched.then(|| self.allow(s.bits))
    }

    fn allow(&self, bits: u16) -> Allow {
        let mut a = Allow::from_bits(bits);
        if self.config.head_falls_back_to_get && a.contains(Method::Get) {
            a = a.with(Method::Head);
        }
        if self.config.auto_options {
            a = a.with(Method::Options);
        }
        a
    }

    /// Searches `rel` with the fast walk when it can decide (`try_fast`, and no escape
    /// or virtual slash), else with the full walk.
    #[inline(always)]
    fn search<'r, 'p>(
        &'r self,
        method: Method,
        rel: &'p str,
        virt: bool,
        any_pct: bool,
        try_fast: bool,
    ) -> Match<'r, 'p, T> {
        let mut s = Search::new(rel, virt, Some(method), self.config.head_falls_back_to_get);
        s.any_pct = any_pct;
        let mut found = None;
        let fast = try_fast && !any_pct && !virt;
        if fast {
            found = self.fast(0, 0, &mut s);
        }
        if !fast || s.abort {
            s = Search::new(rel, virt, Some(method), self.config.head_falls_back_to_get);
            s.any_pct = any_pct;
            found = self.walk(0, 0, &mut s);
        }
        self.outcome(method, rel, found, &s)
    }

    /// The `Match` for a finished search.
    #[inline(always)]
    fn outcome<'r, 'p>(
        &'r self,
        method: Method,
        rel: &'p str,
        found: Option<u32>,
        s: &Search<'p>,
    ) -> Match<'r, 'p, T> {
        if let Some(route) = found {
            if let Some(r) = self.routes.get(route as usize) {
                let (names, kinds) = self
                    .endpoints
                    .get(r.endpoint as usize)
                    .map_or((&[][..], &[][..]), |e| (&e.names[..], &e.kinds[..]));
                return Match::Found(Found {
                    value: &r.value,
                    pattern: &r.pattern,
                    method: r.method,
                    head_fallback: r.method != method,
                    params: Params {
                        names,
                        kinds,
                        path: rel,
                        slots: s.slots,
                        encoded: s.encoded,
                        len: s.len.min(names.len()).min(kinds.len()),
                    },
                });
            }
        }
        if !s.matched {
            return Match::NotFound;
        }
        let allow = self.allow(s.bits);
        if method == Method::Options && self.config.auto_options {
            Match::Options(allow)
        } else {
            Match::MethodNotAllowed(allow)
        }
    }

    /// Checks an endpoint for the searched method; records its methods either way.
    fn try_endpoint(&self, ep: u32, s: &mut Search<'_>) -> Option<u32> {
        let e = self.endpoints.get(ep as usize)?;
        s.matched = true;
        s.bits |= e.bits;
        let method = s.method?;
        let h = *e.handlers.get(method.index())?;
        if h != NONE {
            return Some(h);
        }
        if method == Method::Head && s.head_fallback {
            let g = *e.handlers.get(Method::Get.index())?;
            if g != NONE {
                return Some(g);
            }
        }
        None
    }

    /// Continues at `child` with the segment starting at `next` (or ends there when
    /// `next` is `None`).
    #[inline]
    fn descend(&self, child: u32, next: Option<usize>, s: &mut Search<'_>) -> Option<u32> {
        match next {
            Some(pos) => self.walk(child, pos, s),
            None => self.end_at(child, s),
        }
    }

    /// The path ends at `child`: checks its endpoint, if it has one.
    #[inline]
    fn end_at(&self, child: u32, s: &mut Search<'_>) -> Option<u32> {
        let ep = self.nodes.get(child as usize)?.ep;
        if ep == NONE {
            None
        } else {
            self.try_endpoint(ep, s)
        }
    }

    /// Tries a parameter candidate: records it, descends, and forgets it on failure.
    #[inline]
    fn try_param(
        &self,
        child: u32,
        range: (usize, usize),
        encoded: bool,
        next: Option<usize>,
        s: &mut Search<'_>,
    ) -> Option<u32> {
        let mark = s.len;
        if s.push(range.0, range.1, encoded) {
            if let Some(r) = self.descend(child, next, s) {
                return Some(r);
            }
        }
        s.len = mark;
        None
    }

    /// Takes a branch whose segment ends at `end`: checks the endpoint of `child` when
    /// the path ends there, otherwise continues below it.
    #[inline]
    fn fast_branch(&self, child: u32, end: usize, s: &mut Search<'_>) -> Option<u32> {
        if s.path.as_bytes().get(end) != Some(&b'/') {
            return self.end_at(child, s);
        }
        self.fast(child, end + 1, s)
    }

    /// Gives up the fast walk (the caller reruns the lookup with the full walk).
    #[cold]
    fn abort(s: &mut Search<'_>) -> Option<u32> {
        s.abort = true;
        None
    }

    /// [`Router::walk`] for the common case, run on the whole request-target: the path
    /// ends at the first `?` or `#`, found on the way (no scan up front). Static edges
    /// are compared as whole chains (`repos/…/x`) straight against the raw bytes, and the
    /// walk loops instead of recursing wherever the branch it takes is the last one a
    /// node offers (recursion is left for real choice points).
    ///
    /// It sets `s.abort` and stops as soon as a `%` could change the outcome: in a
    /// parameter's segment, in the bytes a static miss depended on, or in a static key.
    /// Otherwise it must agree with `walk` (checked by a differential proptest).
    fn fast(&self, mut node: u32, mut pos: usize, s: &mut Search<'_>) -> Option<u32> {
        let bytes = s.path.as_bytes();
        let len = bytes.len();
        loop {
            let n = self.nodes.get(node as usize)?;
            let f = n.flags;
            let has_str = f & F_STR != 0;
            let has_num = f & F_NUM != 0;
            let has_path = f & F_PATH != 0;
            let params = f & F_PARAMS != 0;

            // 1. Static chains.
            if f & F_STATIC != 0 {
                if f & F_PCT_KEY != 0 {
                    return Self::abort(s);
                }
                let w = window(bytes, pos);
                let hit = if f & F_HASH == 0 {
                    n.statics.iter().find_map(|e| {
                        e.chain
                            .match_at(bytes, pos, w)
                            .map(|at| (at, e.chain.target))
                    })
                } else {
                    // The segment's end and its 8-byte prefix from one window: most
                    // segments are shorter than 8 bytes.
                    // `b | 0x10 == 0x3F` holds for `/` and `?` only.
                    let stops = exact_zero_bytes((w | (LO * 0x10)) ^ (LO * u64::from(b'?')))
                        | exact_zero_bytes(w ^ (LO * u64::from(b'#')));
                    let (end, prefix) = if stops != 0 {
                        // The first byte is the most significant: count from there with
                        // `trailing_zeros` on the swapped mask (no `bsr`).
                        let l = (stops.swap_bytes().trailing_zeros() / 8) as usize;
                        (pos + l, w & mask_bytes(l))
                    } else if len - pos <= 8 {
                        (len, w)
                    } else {
                        let e = find_stop(bytes, pos + 8);
                        if bytes.get(e) == Some(&b'%') {
                            return Self::abort(s);
                        }
                        (e, w)
                    };
                    let seg = bytes.get(pos..end)?;
                    n.probe(seg, prefix).and_then(|e| {
                        let c = &e.chain;
                        if c.full.len() == e.key.len() {
                            return Some((end, c.target));
                        }
                        c.match_at(bytes, pos, w).map(|at| (at, c.target))
                    })
                };
                match hit {
                    Some((at, target)) => {
                        let more = bytes.get(at) == Some(&b'/');
                        if more && !params {
                            node = target;
                            pos = at + 1;
                            continue;
                        }
                        let mark = s.len;
                        if let Some(r) = self.fast_branch(target, at, s) {
                            return Some(r);
                        }
                        s.len = mark;
                    }
                    None => {
                        // A miss is only final if no escape could have made a key match:
                        // check the rest of the path once (later misses are then free).
                        if pos + n.span > s.clean {
                            let from = pos.max(s.clean);
                            let (end, pct) = split_target(bytes.get(from..).unwrap_or(&[]));
                            if pct {
                                return Self::abort(s);
                            }
                            s.clean = from + end;
                        }
                    }
                }
                if !params {
                    return None;
                }
            }
            let end = find_stop(bytes, pos);
            if bytes.get(end) == Some(&b'%') {
                return Self::abort(s);
            }
            let seg = bytes.get(pos..end)?;
            let more = bytes.get(end) == Some(&b'/');

            // 2, 3. Typed segments, 4. `str` (never an empty segment).
            if has_num && !seg.is_empty() {
                let int = if n.int != NONE { parse_int(seg) } else { None };
                if int.is_some() {
                    let mark = s.len;
                    if s.push(pos, end, false) {
                        if n.float == NONE && !has_str && !has_path && more {
                            node = n.int;
                            pos = end + 1;
                            continue;
                        }
                        if let Some(r) = self.fast_branch(n.int, end, s) {
                            return Some(r);
                        }
                    }
                    s.len = mark;
                }
                if n.float != NONE && parse_float(seg).is_some() {
                    let mark = s.len;
                    if s.push(pos, end, false) {
                        if !has_str && !has_path && more {
                            node = n.float;
                            pos = end + 1;
                            continue;
                        }
                        if let Some(r) = self.fast_branch(n.float, end, s) {
                            return Some(r);
                        }
                    }
                    s.len = mark;
                }
            }
            if has_str && !seg.is_empty() {
                let mark = s.len;
                if s.push(pos, end, false) {
                    if !has_path && more {
                        node = n.str_;
                        pos = end + 1;
                        continue;
                    }
                    if let Some(r) = self.fast_branch(n.str_, end, s) {
                        return Some(r);
                    }
                }
                s.len = mark;
            }

            // 5. `path`: the rest of the path.
            if has_path {
                return self.fast_rest(n.path_ep, pos, end, s);
            }
            return None;
        }
    }

    /// The `path` step of [`Router::fast`]: the rest of the path from `pos`, whose first
    /// segment ends at `end`, for the endpoint `ep`.
    fn fast_rest(&self, ep: u32, pos: usize, end: usize, s: &mut Search<'_>) -> Option<u32> {
        let bytes = s.path.as_bytes();
        let (rest_len, pct) = split_target(bytes.get(end..).unwrap_or(&[]));
        if pct {
            return Self::abort(s);
        }
        let stop = end + rest_len;
        let rest = bytes.get(pos..stop)?;
        let rules = Rules {
            slash_ok: true,
            no_dot_segments: true,
        };
        if !rest.is_empty() && pct::validate(rest, false, rules) {
            let mark = s.len;
            if s.push(pos, stop, false) {
                if let Some(r) = self.try_endpoint(ep, s) {
                    return Some(r);
                }
            }
            s.len = mark;
        }
        None
    }

    /// Depth-first search from `node` for the segment that starts at byte `pos` of
    /// `s.path` (the path without its leading `/`). With `s.virt`, a virtual `/` follows
    /// the path, and the virtual empty segment after it starts at `path.len() + 1`.
    fn walk(&self, node: u32, pos: usize, s: &mut Search<'_>) -> Option<u32> {
        let n = self.nodes.get(node as usize)?;
        let path = s.path;
        let bytes = path.as_bytes();
        let len = bytes.len();
        let mut end = len;
        let mut pct = false;
        if pos > len {
            end = pos;
        } else if !s.any_pct {
            end = find2(bytes, pos, b'/', b'/');
        } else {
            for (i, &b) in bytes.iter().enumerate().skip(pos) {
                if b == b'/' {
                    end = i;
                    break;
                }
                pct |= b == b'%';
            }
        }
        // Bytes, not `str`: splitting at ASCII `/` keeps UTF-8 intact, and skipping the
        // char-boundary checks is measurably faster. Values are sliced as `str` on access.
        let seg: &[u8] = if pos > len { &[] } else { bytes.get(pos..end)? };
        let next = if end < len {
            Some(end + 1)
        } else if s.virt && end == len {
            Some(len + 1)
        } else {
            None
        };

        // 1. Static segments.
        if !n.statics.is_empty() {
            let child = if pct {
                n.statics
                    .iter()
                    .find(|e| pct::decoded_eq(seg, e.key.as_bytes()))
                    .map(|e| e.node)
            } else {
                n.find_static(seg, bytes, pos)
            };
            if let Some(child) = child {
                if let Some(r) = self.descend(child, next, s) {
                    return Some(r);
                }
            }
        }

        // 2, 3. Typed segments.
        if (n.int != NONE || n.float != NONE) && !seg.is_empty() {
            // Digits never need escaping, but an escaped one is the same character.
            let (int, float) = if pct {
                parse_escaped_number(seg)
            } else {
                let b = seg;
                let int = if n.int != NONE { parse_int(b) } else { None };
                // An int-shaped segment that failed as `int` may still be a `float`.
                let float = if n.float != NONE {
                    parse_float(b)
                } else {
                    None
                };
                (int, float)
            };
            if let (Some(_), true) = (int, n.int != NONE) {
                let r = self.try_param(n.int, (pos, end), pct, next, s);
                if r.is_some() {
                    return r;
                }
            }
            if let (Some(_), true) = (float, n.float != NONE) {
                let r = self.try_param(n.float, (pos, end), pct, next, s);
                if r.is_some() {
                    return r;
                }
            }
        }

        // 4. `str`.
        if n.str_ != NONE && !seg.is_empty() {
            let rules = Rules {
                slash_ok: self.config.encoded_slash == EncodedSlash::Decode,
                no_dot_segments: false,
            };
            if !pct || pct::validate(seg, pct, rules) {
                let r = self.try_param(n.str_, (pos, end), pct, next, s);
                if r.is_some() {
                    return r;
                }
            }
        }

        // 5. `path`: the rest, never with a virtual slash.
        if n.path_ep != NONE && !s.virt && pos < len {
            let rest = bytes.get(pos..)?;
            let has_pct =
                pct || (s.any_pct && rest.get(end - pos..).is_some_and(|t| t.contains(&b'%')));
            let rules = Rules {
                slash_ok: true,
                no_dot_segments: true,
            };
            if pct::validate(rest, has_pct, rules) {
                let mark = s.len;
                if s.push(pos, len, has_pct) {
                    if let Some(r) = self.try_endpoint(n.path_ep, s) {
                        return Some(r);
                    }
                }
                s.len = mark;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use proptest::prelude::*;

    /// Pattern segments from a tiny alphabet, so routes share prefixes, chains form
    /// and break, and every kind of choice point appears. `#` stands for a parameter
    /// name, made unique per pattern.
    fn pattern_seg() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            6 => prop::sample::select(
                &["a", "b", "c", "d", "e", "abcdefgh", "abcdefghi", "abcdefghijklmnopq"][..]
            ),
            1 => Just("{p#:int}"),
            1 => Just("{p#:float}"),
            1 => Just("{p#}"),
        ]
    }

    fn pattern() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(pattern_seg(), 0..5),
            prop::bool::weighted(0.2),
            prop::bool::weighted(0.2),
        )
            .prop_map(|(segs, path, slash)| {
                let mut p = String::new();
                for (i, s) in segs.iter().enumerate() {
                    p.push('/');
                    p.push_str(&s.replace('#', &format!("{i}")));
                }
                if path {
                    p.push_str("/{rest:path}");
                } else if slash || p.is_empty() {
                    p.push('/');
                }
                p
            })
    }

    const VALUES: [&str; 25] = [
        "a",
        "b",
        "c",
        "e",
        "ab",
        "abcdefgh",
        "abcdefghi",
        "abcdefghz",
        "abcdefghij",
        "abcdefghijklmnopq",
        "abcdefghijklmnopz",
        "x-y",
        "1",
        "-7",
        "2.5",
        "1e3",
        "z",
        ".",
        "..",
        "",
        "abcdefgh/",
        "%61",
        "abcdefgh%69",
        "1%30",
        "a%2Fb",
    ];

    /// Endings that are not path: the walk must stop at `?` and `#`.
    const SUFFIXES: [&str; 6] = ["", "", "?q=1", "#f", "?", "?a/b%zz#x"];

    fn random_request(choices: &[u8]) -> String {
        let mut p = String::new();
        for c in choices {
            p.push('/');
            p.push_str(VALUES[usize::from(*c) % VALUES.len()]);
        }
        if p.is_empty() {
            p.push('/');
        }
        p
    }

    /// A request built from `pattern`: parameters filled from `choices`, then cut to
    /// `keep` segments or extended by one, so it hits the route, a prefix or a child.
    fn near_request(pattern: &str, choices: &[u8], keep: usize, extend: bool) -> String {
        let mut p = String::new();
        let segs = pattern.split('/').skip(1);
        let n = segs.clone().count();
        for (i, seg) in segs.enumerate().take(if extend { n } else { keep.min(n) }) {
            p.push('/');
            if seg.starts_with('{') {
                let c = choices.get(i).copied().unwrap_or(0);
                if seg.ends_with(":path}") {
                    p.push_str(["x/y", "a", "a/../b", "./b", "ab/"][usize::from(c) % 5]);
                } else {
                    p.push_str(VALUES[usize::from(c) % VALUES.len()]);
                }
            } else {
                p.push_str(seg);
            }
        }
        if extend {
            p.push('/');
            p.push_str(VALUES[usize::from(choices.first().copied().unwrap_or(0)) % VALUES.len()]);
        }
        if p.is_empty() {
            p.push('/');
        }
        p
    }

    type Outcome = (Option<u32>, usize, [(u32, u32); MAX_PARAMS], u16, bool);

    /// The fast walk over a whole target (`None` when it gave up), or the full walk
    /// over its path part.
    fn outcome(r: &Router<usize>, target: &str, m: Method, fast: bool) -> Option<Outcome> {
        let rel = target.strip_prefix('/')?;
        let end = split_target(rel.as_bytes()).0;
        let mut s = Search::new(if fast { rel } else { &rel[..end] }, false, Some(m), true);
        let found = if fast {
            s.any_pct = false;
            r.fast(0, 0, &mut s)
        } else {
            r.walk(0, 0, &mut s)
        };
        if s.abort {
            return None;
        }
        let mut slots = [(0, 0); MAX_PARAMS];
        if found.is_some() {
            for (d, x) in slots.iter_mut().zip(&s.slots).take(s.len) {
                *d = (x.start, x.end);
            }
        }
        Some((
            found,
            s.len * usize::from(found.is_some()),
            slots,
            s.bits,
            s.matched,
        ))
    }

    proptest! {
        /// The chunked target split finds the same path end as a byte loop, and never
        /// misses a `%` before it.
        #[test]
        fn split_target_agrees_with_a_byte_loop(
            t in prop::collection::vec(prop::sample::select(&b"ab/?#%!'-.1"[..]), 0..40),
        ) {
            let end = t.iter().position(|&c| c == b'?' || c == b'#').unwrap_or(t.len());
            let pct = t[..end].contains(&b'%');
            let (e, p) = split_target(&t);
            prop_assert_eq!(e, end);
            prop_assert_eq!(p, pct);
        }

        /// The fast walk over the whole target and the segment-by-segment walk over its
        /// path agree whenever the fast walk does not give up (it may only give up on
        /// escaped paths): same route, same parameters, same `Allow` bits.
        #[test]
        fn fast_walk_agrees_with_segment_walk(
            patterns in prop::collection::vec((pattern(), 0usize..3), 1..32),
            requests in prop::collection::vec(
                (0usize..32, prop::collection::vec(any::<u8>(), 0..6), 0usize..6, 0u8..4, 0usize..6),
                1..32,
            ),
        ) {
            let methods = [Method::Get, Method::Post, Method::Delete];
            let mut r = Router::new();
            for (i, (p, m)) in patterns.iter().enumerate() {
                let _ = r.insert(methods[*m], p, i);
            }
            for (pick, choices, keep, how, suffix) in &requests {
                let mut q = match (how, patterns.get(*pick)) {
                    (0, _) | (_, None) => random_request(choices),
                    (1, Some((p, _))) => near_request(p, choices, *keep, true),
                    (_, Some((p, _))) => near_request(p, choices, *keep, false),
                };
                q.push_str(SUFFIXES[*suffix]);
                let m = methods[*suffix % 3];
                let full = outcome(&r, &q, m, false);
                prop_assert!(full.is_some());
                let path_end = q.find(['?', '#']).unwrap_or(q.len());
                match outcome(&r, &q, m, true) {
                    Some(fast) => prop_assert_eq!(Some(fast), full, "{} {}", m, q),
                    // Giving up is only allowed for escaped paths.
                    None => prop_assert!(q[..path_end].contains('%'), "{} {}", m, q),
                }
            }
        }
    }
}
