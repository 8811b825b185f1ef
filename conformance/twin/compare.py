#!/usr/bin/env python3
"""Differential run: replay ``cases.py`` against two servers and judge them per SPEC.md.

    .venv/bin/python conformance/twin/compare.py --a twin --b http://127.0.0.1:8000
    .venv/bin/python conformance/twin/compare.py --a twin --b twin          # self-check

``--a`` is the reference (normally the FastAPI twin), ``--b`` the candidate (Viper's
``smart_home``). ``twin`` as a value starts a fresh twin on a free loopback port for the
run and stops it afterwards. The servers must be fresh: the sequence drives their state
(devices, audit log, sessions, the 60 s rate-limiter window, OTA) from the start.

Every case is sent to A, then to B, then judged, before the next case: each server sees
the same sequence and keeps its own state. See README.md for the comparison rules and
the allowed differences; ``RULES`` below is their code.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402

from cases import AREAS, CASES, Case, Ctx  # noqa: E402

TIMEOUT = 10.0


def shared_dir() -> Path:
    """The shared data folder: ``$VIPER_SHARED``, else ``<repo>/../shared``."""
    return Path(os.environ.get("VIPER_SHARED") or (REPO.parent / "shared")).resolve()


def www_dir() -> Path:
    return shared_dir() / "specs" / "smart-home" / "www"


# ── answers ──────────────────────────────────────────────────────────────────────────


@dataclass
class Answer:
    """What one server answered to one case."""

    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)  # names lower-cased, in order
    body: bytes = b""
    error: str | None = None  # transport failure (connect, timeout, reset)
    ws: dict | None = None  # WebSocket transcript

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]

    def get(self, name: str) -> str | None:
        vals = self.get_all(name)
        return ", ".join(vals) if vals else None

    def summary(self, limit: int = 2000) -> dict:
        d: dict[str, Any] = {"status": self.status}
        if self.error:
            d["error"] = self.error
        if self.ws is not None:
            d["ws"] = self.ws
        if self.headers:
            d["headers"] = [[k, v] for k, v in self.headers]
        d.update(body_summary(self.body, limit))
        return d

    def short(self) -> str:
        if self.error:
            return f"ERROR {self.error}"
        if self.ws is not None:
            return json.dumps(self.ws, ensure_ascii=False)[:200]
        ct = self.get("content-type") or "-"
        b = self.body[:100]
        try:
            bs = b.decode()
        except UnicodeDecodeError:
            bs = f"<{len(self.body)} bytes>"
        return f"{self.status} [{ct}] {bs!r}{'…' if len(self.body) > 100 else ''}"


def body_summary(body: bytes, limit: int) -> dict:
    d: dict[str, Any] = {"body_len": len(body), "body_sha256": hashlib.sha256(body).hexdigest()}
    try:
        text = body.decode()
        d["body"] = text if len(text) <= limit else text[:limit] + "…"
    except UnicodeDecodeError:
        d["body_b64"] = base64.b64encode(body[:limit]).decode()
    return d


# ── sending ──────────────────────────────────────────────────────────────────────────


def resolve(value: Any, ctx: dict[str, str]) -> str | None:
    """A header value: a string, a Ctx reference, or a tuple of both concatenated."""
    if isinstance(value, Ctx):
        return ctx.get(value.name)
    if isinstance(value, tuple):
        parts = [resolve(v, ctx) for v in value]
        return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
    return value


def missing_ctx(case: Case, ctx: dict[str, str]) -> list[str]:
    miss = []
    for v in case.headers.values():
        for item in v if isinstance(v, tuple) else (v,):
            if isinstance(item, Ctx) and item.name not in ctx:
                miss.append(item.name)
    return miss


def send_http(client: httpx.Client, base: str, case: Case, ctx: dict[str, str]) -> Answer:
    headers = {"Host": case.host, "Accept-Encoding": "identity"}
    for k, v in case.headers.items():
        headers[k] = resolve(v, ctx)  # type: ignore[assignment]
    kw: dict[str, Any] = {"headers": headers}
    if case.json is not None:
        kw["json"] = case.json
    if case.content is not None:
        kw["content"] = case.content
    if case.data is not None:
        kw["data"] = case.data
    if case.files is not None:
        kw["files"] = case.files
    url = base + (case.path if case.target is None else "/")
    if case.target is not None:
        kw["extensions"] = {"target": case.target.encode()}
    try:
        r = client.request(case.method, url, **kw)
        body = r.content  # decoded (content-encoding undone by httpx)
        return Answer(status=r.status_code, headers=[(k.lower(), v) for k, v in r.headers.multi_items()],
                      body=body)
    except httpx.DecodingError as e:
        return Answer(error=f"body decoding failed: {e}")
    except httpx.HTTPError as e:
        return Answer(error=f"{type(e).__name__}: {e}")
    finally:
        client.cookies.clear()  # no hidden cookie state: cookies travel only as case headers


async def _ws_conversation(url: str, case: Case) -> dict:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    spec = case.ws or {}
    script = spec.get("script")
    t: dict[str, Any] = {"handshake": None}

    def close_info(e: ConnectionClosed) -> dict | None:
        return None if e.rcvd is None else {"code": e.rcvd.code, "reason": e.rcvd.reason}

    def as_json(m: str) -> Any:
        try:
            return json.loads(m)
        except ValueError:
            return {"not JSON": m}

    def decode(m: str | bytes) -> Any:
        if isinstance(m, bytes):
            return {"binary": base64.b64encode(m).decode()}
        return m

    try:
        if script == "chat":
            async with connect(url, open_timeout=5, close_timeout=2) as c1, \
                    connect(url, open_timeout=5, close_timeout=2) as c2:
                t["handshake"] = 101
                await asyncio.sleep(0.2)  # both are registered before the first broadcast
                got: dict[str, list] = {"c1": [], "c2": []}
                for i, msg in enumerate(spec.get("send", [])):
                    sender = c1 if i % 2 == 0 else c2
                    await sender.send(msg)
                    for name, c in (("c1", c1), ("c2", c2)):
                        try:
                            got[name].append(decode(await asyncio.wait_for(c.recv(), 3)))
                        except (TimeoutError, asyncio.TimeoutError):
                            got[name].append("<timeout>")
                        except ConnectionClosed as e:
                            got[name].append({"closed": close_info(e)})
                t["received"] = got
            return t
        async with connect(url, open_timeout=5, close_timeout=2) as ws:
            t["handshake"] = 101
            received: list = []
            t["received"] = received
            try:
                if script == "send_json":
                    for m in spec.get("send", []):
                        await ws.send(json.dumps(m))
                    while True:  # the server sends its messages, then closes
                        m = await asyncio.wait_for(ws.recv(), 3)
                        received.append(as_json(m) if isinstance(m, str) else decode(m))
                else:  # send_text: one reply expected per message
                    for m in spec.get("send", []):
                        await ws.send(m)
                        received.append(decode(await asyncio.wait_for(ws.recv(), 3)))
                t["close"] = "still open"
            except ConnectionClosed as e:
                t["close"] = close_info(e)
            except (TimeoutError, asyncio.TimeoutError):
                t["close"] = "timeout waiting for a message"
        return t
    except InvalidStatus as e:
        t["handshake"] = e.response.status_code
        t["handshake_body"] = e.response.body.decode("utf-8", "replace") if e.response.body else ""
        return t


def send_ws(base: str, case: Case) -> Answer:
    url = "ws" + base[len("http"):] + case.path
    try:
        t = asyncio.run(asyncio.wait_for(_ws_conversation(url, case), 20))
    except Exception as e:  # noqa: BLE001 — any transport failure is reported, not raised
        return Answer(error=f"{type(e).__name__}: {e}")
    hs = t.get("handshake")
    return Answer(status=hs, ws=t)


def save_ctx(case: Case, ans: Answer, ctx: dict[str, str]) -> None:
    for name, spec in case.save.items():
        kind, _, what = spec.partition(":")
        if kind == "header":
            v = ans.get(what)
            if v is not None:
                ctx[name] = v
        elif kind == "cookie":
            for sc in ans.get_all("set-cookie"):
                pair = sc.split(";", 1)[0].strip()
                if pair.split("=", 1)[0] == what:
                    ctx[name] = pair


# ── comparing ────────────────────────────────────────────────────────────────────────

EXACT_HEADERS = ("content-type", "location", "www-authenticate", "retry-after", "content-disposition",
                 "content-range", "accept-ranges", "x-powered-by", "x-custom")
SET_HEADERS = ("vary", "allow", "access-control-allow-methods", "access-control-allow-headers",
               "access-control-expose-headers")
PRESENCE_HEADERS = ("content-encoding", "etag", "last-modified")


def norm_content_type(v: str | None) -> str | None:
    if v is None:
        return None
    parts = [p.strip() for p in v.split(";")]
    out = [parts[0].lower()]
    for p in parts[1:]:
        k, _, val = p.partition("=")
        k = k.strip().lower()
        if out[0] == "multipart/byteranges" and k == "boundary":
            continue  # random per response; the parts are compared instead
        val = val.strip()
        out.append(f"{k}={val.lower() if k == 'charset' else val}")
    return "; ".join(out)


def norm_location(v: str | None) -> str | None:
    if v is None:
        return None
    u = urlsplit(v)
    return u.path + (f"?{u.query}" if u.query else "")


def token_set(v: str | None) -> frozenset[str]:
    if v is None:
        return frozenset()
    return frozenset(t.strip().lower() for t in v.split(",") if t.strip())


def norm_set_cookies(values: list[str]) -> list[tuple[str, frozenset[str]]]:
    """name=value exactly; attributes as a set (names case-insensitive), without Expires."""
    out = []
    for sc in values:
        parts = [p.strip() for p in sc.split(";")]
        attrs = set()
        for p in parts[1:]:
            if not p:
                continue
            k, eq, val = p.partition("=")
            if k.strip().lower() == "expires":
                continue
            attrs.add(k.strip().lower() + (f"={val.strip()}" if eq else ""))
        out.append((parts[0], frozenset(attrs)))
    return sorted(out, key=lambda x: (x[0], sorted(x[1])))


def json_equal(x: Any, y: Any) -> bool:
    """JSON value equality: numbers by value (1 == 1.0), but a bool is never a number."""
    if isinstance(x, bool) or isinstance(y, bool):
        return isinstance(x, bool) and isinstance(y, bool) and x == y
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return x == y
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(json_equal(x[k], y[k]) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(json_equal(a, b) for a, b in zip(x, y))
    return type(x) is type(y) and x == y


def parse_sse(body: bytes) -> list[dict]:
    """Events as the WHATWG parser sees them (comments dropped, data joined by LF)."""
    events: list[dict] = []
    cur: dict[str, Any] = {}
    data: list[str] = []
    text = body.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    for line in re.split(r"\r\n|\r|\n", text):
        if line == "":
            if data or cur:
                ev = dict(cur)
                if data:
                    raw = "\n".join(data)
                    try:
                        ev["data"] = {"json": json.loads(raw)}
                    except ValueError:
                        ev["data"] = raw
                events.append(ev)
            cur, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name in ("event", "id", "retry"):
            cur[name] = value
    if data or cur:
        events.append({**cur, "data": "\n".join(data), "unterminated": True})
    return events


def parse_byteranges(ct: str, body: bytes) -> list[dict] | None:
    m = re.search(r'boundary="?([^";]+)"?', ct)
    if not m:
        return None
    delim = b"--" + m.group(1).encode()
    parts = []
    for chunk in body.split(delim)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            return None
        if data.endswith(b"\r\n"):
            data = data[:-2]
        hdrs = {}
        for line in head.decode("latin-1").split("\r\n"):
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        parts.append({"headers": hdrs, "sha256": hashlib.sha256(data).hexdigest(), "len": len(data)})
    return parts


def openapi_digest(doc: Any) -> Any:
    """SPEC difference 4: paths, methods, parameters (name, in, required), request bodies."""
    if not isinstance(doc, dict):
        return {"not an object": doc}
    comps = doc.get("components", {}).get("schemas", {}) if isinstance(doc.get("components"), dict) else {}

    def deref(s: Any) -> Any:
        seen = 0
        while isinstance(s, dict) and "$ref" in s and seen < 10:
            s = comps.get(str(s["$ref"]).rsplit("/", 1)[-1], {"unresolved": s["$ref"]})
            seen += 1
        return s

    out: dict[str, Any] = {}
    for path, item in sorted((doc.get("paths") or {}).items()):
        if not isinstance(item, dict):
            continue
        for method, op in sorted(item.items()):
            if method.lower() not in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
                continue
            params = sorted(
                (str(p.get("name")), str(p.get("in")), bool(p.get("required", False)))
                for p in (op.get("parameters") or []) + (item.get("parameters") or []) if isinstance(p, dict))
            body = None
            rb = op.get("requestBody")
            if isinstance(rb, dict):
                media = {}
                for mt, m in sorted((rb.get("content") or {}).items()):
                    s = deref((m or {}).get("schema", {}))
                    props = s.get("properties", {}) if isinstance(s, dict) else {}
                    media[mt] = {"properties": sorted(props),
                                 "required": sorted(s.get("required", [])) if isinstance(s, dict) else []}
                body = {"required": bool(rb.get("required", False)), "content": media}
            out[f"{method.upper()} {path}"] = {"parameters": [list(p) for p in params], "requestBody": body}
    return out


def body_mode(case: Case, a: Answer) -> str:
    if case.method == "HEAD":
        return "bytes"
    if case.body_mode != "auto":
        return case.body_mode
    ct = norm_content_type(a.get("content-type")) or ""
    mt = ct.split(";")[0]
    if mt == "application/json" or mt.endswith("+json"):
        return "json"
    if mt == "text/event-stream":
        return "sse"
    if mt == "multipart/byteranges":
        return "byteranges"
    return "bytes"


def compare_bodies(case: Case, a: Answer, b: Answer) -> str | None:
    """None when equal under the case's body mode, else a short description."""
    mode = body_mode(case, a)
    if mode == "docs":
        return None if a.body == b.body else "docs page differs"
    if mode in ("json", "openapi"):
        try:
            ja, jb = json.loads(a.body), json.loads(b.body)
        except ValueError:
            return None if a.body == b.body else "body differs (JSON expected, one side does not parse)"
        if mode == "openapi":
            da, db = openapi_digest(ja), openapi_digest(jb)
            if json_equal(da, db):
                return None
            only_a = sorted(set(da) - set(db))
            only_b = sorted(set(db) - set(da))
            changed = sorted(k for k in set(da) & set(db) if not json_equal(da[k], db[k]))
            return f"openapi differs: only in A {only_a[:5]}, only in B {only_b[:5]}, changed {changed[:5]}"
        if json_equal(ja, jb):
            return None
        return f"JSON differs: {json.dumps(ja)[:150]} vs {json.dumps(jb)[:150]}"
    if mode == "sse":
        ea, eb = parse_sse(a.body), parse_sse(b.body)
        if json_equal(ea, eb):
            return None
        return f"SSE events differ: {json.dumps(ea)[:150]} vs {json.dumps(eb)[:150]}"
    if mode == "byteranges":
        pa = parse_byteranges(a.get("content-type") or "", a.body)
        pb = parse_byteranges(b.get("content-type") or "", b.body)
        if pa is not None and pa == pb:
            return None
        return f"byte-range parts differ: {pa} vs {pb}"
    if a.body == b.body:
        return None
    return f"body differs ({len(a.body)} vs {len(b.body)} bytes)"


def diff_answers(case: Case, a: Answer, b: Answer) -> list[dict]:
    """Every compared aspect that differs, as {"what", "a", "b"}."""
    diffs: list[dict] = []

    def add(what: str, va: Any, vb: Any) -> None:
        diffs.append({"what": what, "a": va, "b": vb})

    if a.status != b.status:
        add("status", a.status, b.status)
    if case.kind == "ws":
        if not json_equal(a.ws, b.ws):
            add("ws transcript", a.ws, b.ws)
        return diffs
    for h in EXACT_HEADERS:
        va, vb = a.get(h), b.get(h)
        if h == "content-type":
            va, vb = norm_content_type(va), norm_content_type(vb)
        elif h == "location":
            va, vb = norm_location(va), norm_location(vb)
        if va != vb:
            add(f"header {h}", va, vb)
    acs = sorted({k for k, _ in a.headers + b.headers if k.startswith("access-control-")} - set(SET_HEADERS))
    for h in acs:
        if a.get(h) != b.get(h):
            add(f"header {h}", a.get(h), b.get(h))
    for h in SET_HEADERS:
        sa, sb = token_set(a.get(h)), token_set(b.get(h))
        if sa != sb:
            add(f"header {h} (as a set)", sorted(sa), sorted(sb))
    for h in PRESENCE_HEADERS:
        pa, pb = a.get(h) is not None, b.get(h) is not None
        if pa != pb:
            add(f"header {h} present", pa, pb)
    ca, cb = norm_set_cookies(a.get_all("set-cookie")), norm_set_cookies(b.get_all("set-cookie"))
    if ca != cb:
        add("set-cookie (without expires)", a.get_all("set-cookie"), b.get_all("set-cookie"))
    bd = compare_bodies(case, a, b)
    if bd:
        add("body", bd, "")
    return diffs


# ── allowed differences (SPEC.md "Allowed differences"; README explains each) ────────


def _json_detail(ans: Answer) -> bool:
    try:
        return "detail" in json.loads(ans.body)
    except (ValueError, TypeError):
        return False


def rule_head_options(case: Case, a: Answer, b: Answer, diffs: list[dict]) -> bool:
    """SPEC 1: the twin answers 405 to HEAD/OPTIONS on a GET route; the candidate may answer
    HEAD like GET without a body, and OPTIONS with 200/204 and an `allow` that lists GET."""
    if case.method not in ("HEAD", "OPTIONS") or a.status != 405 or b.status not in (200, 204):
        return False
    if case.method == "HEAD":
        return b.body == b""
    return "get" in token_set(b.get("allow"))


def rule_static_gz(case: Case, a: Answer, b: Answer, diffs: list[dict]) -> bool:
    """SPEC 2: with gzip accepted and NAME.gz beside NAME, the candidate may serve the .gz with
    content-encoding: gzip. Only that header's presence may differ; the decoded body must not."""
    accepts = "gzip" in str(case.headers.get("Accept-Encoding", ""))
    name = urlsplit(case.path).path.removeprefix("/static/")
    gz = www_dir() / "static" / (name + ".gz")
    return accepts and gz.is_file() and all(d["what"] == "header content-encoding present" for d in diffs)


def rule_size_limit(case: Case, a: Answer, b: Answer, diffs: list[dict]) -> bool:
    """SPEC 3: a request past a documented limit (only the cases built to be large) may get
    413/414/431 with a JSON `detail` where the twin, which has no limits, answers otherwise."""
    return b.status in (413, 414, 431) and _json_detail(b)


def rule_docs(case: Case, a: Answer, b: Answer, diffs: list[dict]) -> bool:
    """SPEC 4: /docs is the device's own page, not Swagger UI from a CDN: both 200 text/html,
    the page's bytes (and the headers of the static page) are free."""
    ok = a.status == 200 and b.status == 200
    ta, tb = (norm_content_type(x.get("content-type")) or "" for x in (a, b))
    return ok and ta.startswith("text/html") and tb.startswith("text/html")


def rule_debug_stats(case: Case, a: Answer, b: Answer, diffs: list[dict]) -> bool:
    """SPEC 6: /debug/stats may exist on the candidate (200 JSON) where the twin answers 404."""
    ct = norm_content_type(b.get("content-type")) or ""
    return a.status == 404 and b.status == 200 and ct.startswith("application/json")


LEAK_MARKERS = (b"FastAPI", b"root:", b"# Smart Home", b"<!doctype", b"<!DOCTYPE")


def rule_traversal(case: Case, a: Answer, b: Answer, diffs: list[dict]) -> bool:
    """Issue 14 (traversal table): a path-escape attempt may be refused with 404 or 400 — which
    one is the server's choice — as long as both refuse and nothing outside the root leaks."""
    refused = a.status in (400, 404) and b.status in (400, 404)
    return refused and not any(m in b.body for m in LEAK_MARKERS)


def rule_ws_handler_error(case: Case, a: Answer, b: Answer, diffs: list[dict]) -> bool:
    """A WebSocket handler that fails after accept: the twin's server (uvicorn's `websockets`
    protocol) drops the TCP connection without a close frame; B may instead send the close
    frame RFC 6455 defines for it, 1011. Everything else in the transcript must be equal."""
    ta, tb = a.ws or {}, b.ws or {}
    if ta.get("close") is not None or not isinstance(tb.get("close"), dict) or tb["close"].get("code") != 1011:
        return False
    rest = lambda t: {k: v for k, v in t.items() if k != "close"}  # noqa: E731
    return json_equal(rest(ta), rest(tb))


def rule_allow_head_options(case: Case, a: Answer, b: Answer, diffs: list[dict]) -> bool:
    """SPEC 1, on every case: a candidate that answers HEAD and OPTIONS for GET routes may list
    them in `allow` (a 405's, an OPTIONS answer's) where the twin lists only its methods. B's
    set must be A's plus HEAD and/or OPTIONS, A's must contain GET, and nothing else may differ."""
    if any(d["what"] != "header allow (as a set)" for d in diffs):
        return False
    sa, sb = token_set(a.get("allow")), token_set(b.get("allow"))
    return "get" in sa and sa <= sb and sb - sa <= {"head", "options"}


RULES: dict[str, Callable[[Case, Answer, Answer, list[dict]], bool]] = {
    "head_options": rule_head_options,
    "static_gz": rule_static_gz,
    "size_limit": rule_size_limit,
    "docs": rule_docs,
    "debug_stats": rule_debug_stats,
    "traversal": rule_traversal,
    "ws_handler_error": rule_ws_handler_error,
    "allow_head_options": rule_allow_head_options,
}

# Rules that follow from SPEC.md for every case, not just the cases that name them.
GLOBAL_RULES = ("allow_head_options",)


@dataclass
class Verdict:
    verdict: str  # identical | identical_error | allowed | differs | conn_fail | skipped
    diffs: list[dict] = field(default_factory=list)
    rule: str | None = None
    reason: str | None = None


def judge(case: Case, a: Answer, b: Answer) -> Verdict:
    if a.error or b.error:
        return Verdict("conn_fail", reason=f"A: {a.error or 'ok'}; B: {b.error or 'ok'}")
    diffs = diff_answers(case, a, b)
    if not diffs:
        err = a.status is not None and a.status >= 400
        return Verdict("identical_error" if err else "identical")
    for name in (*case.rules, *GLOBAL_RULES):
        if RULES[name](case, a, b, diffs):
            return Verdict("allowed", diffs, rule=name)
    return Verdict("differs", diffs)


# ── the twin ─────────────────────────────────────────────────────────────────────────


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, deadline_s: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            r = httpx.get(base + "/api/health", headers={"Host": "localhost"}, timeout=1)
            if r.status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base} not ready after {deadline_s} s")


def twin_python() -> str:
    """The Python with the twin's pins: ``$VIPER_PYTHON``, else ``<repo>/.venv/bin/python``."""
    return os.environ.get("VIPER_PYTHON") or str(REPO / ".venv" / "bin" / "python")


class Twin:
    """A fresh FastAPI twin on a free loopback port (ours to stop)."""

    def __init__(self) -> None:
        app_dir = shared_dir() / "specs" / "smart-home"
        python = twin_python()
        if not (app_dir / "app_fastapi.py").is_file():
            raise RuntimeError(f"no twin at {app_dir} (set VIPER_SHARED)")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix=f"twin-{self.port}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [python, "-m", "uvicorn", "app_fastapi:app", "--app-dir", str(app_dir), "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_ready(self.base, 30, self.proc)
        except Exception as e:
            self.stop()
            self.log.flush()
            tail = Path(self.log.name).read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"the twin ({python} -m uvicorn) did not start: {e}; log: {' | '.join(tail)}") from e

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# ── the run ──────────────────────────────────────────────────────────────────────────


def select(areas: list[str], only: str | None) -> list[tuple[Case, bool]]:
    rx = re.compile(only) if only else None
    return [(c, c.area in areas and (rx is None or bool(rx.search(c.id)))) for c in CASES]


def freshness_warnings(bases: list[str]) -> list[str]:
    """A server that already served requests gives different answers (audit log, counters,
    the rate limiter). /api/audit is read-only: on a fresh server it lists only "startup"."""
    out = []
    for name, base in zip("AB", bases):
        try:
            r = httpx.get(base + "/api/audit", headers={"Host": "localhost", **{"Authorization": "Bearer admin-token"}},
                          timeout=TIMEOUT)
        except httpx.HTTPError as e:
            out.append(f"WARNING {name} ({base}) did not answer /api/audit: {type(e).__name__}")
            continue
        if r.status_code == 200:
            try:
                entries = r.json().get("entries")
            except ValueError:
                entries = None
            if entries != ["startup"]:
                out.append(f"WARNING {name} ({base}) is not fresh: /api/audit lists {str(entries)[:120]}; "
                           "restart it, or expect differences")
    return out


def run(base_a: str, base_b: str, areas: list[str], only: str | None = None,
        verbose: bool = False, out=sys.stdout, keep_alive: bool = False) -> dict:
    results = []
    counts = {k: 0 for k in ("identical", "identical_error", "allowed", "differs", "conn_fail",
                             "skipped_area", "skipped_ctx")}
    ctx_a: dict[str, str] = {}
    ctx_b: dict[str, str] = {}
    # Fresh connection per case unless keep_alive. With keep_alive, a client's connection is
    # dropped after a 500 answer: the twin (uvicorn) closes a keep-alive connection after an
    # unhandled error without `connection: close`, and reusing it would race that close.
    limits = httpx.Limits(max_keepalive_connections=4 if keep_alive else 0)
    clients = [httpx.Client(timeout=TIMEOUT, limits=limits), httpx.Client(timeout=TIMEOUT, limits=limits)]
    try:
        for case, selected in select(areas, only):
            rec: dict[str, Any] = {"id": case.id, "area": case.area, "method": case.method,
                                   "path": case.target or case.path, "kind": case.kind}
            if not selected:
                counts["skipped_area"] += 1
                rec["verdict"] = "skipped_area"
                results.append(rec)
                continue
            miss = missing_ctx(case, ctx_a) + missing_ctx(case, ctx_b)
            if miss:
                counts["skipped_ctx"] += 1
                rec.update(verdict="skipped_ctx", reason=f"no saved value {sorted(set(miss))}")
                print(f"SKIP {case.id}: no saved value {sorted(set(miss))}", file=out)
                results.append(rec)
                continue
            answers = []
            for i, (base, ctx) in enumerate(((base_a, ctx_a), (base_b, ctx_b))):
                if case.delay:
                    time.sleep(case.delay)
                ans = send_ws(base, case) if case.kind == "ws" else send_http(clients[i], base, case, ctx)
                if ans.status == 500 or ans.error:
                    clients[i].close()
                    clients[i] = httpx.Client(timeout=TIMEOUT, limits=limits)
                save_ctx(case, ans, ctx)
                answers.append(ans)
            a, b = answers
            v = judge(case, a, b)
            counts[v.verdict] += 1
            rec.update(verdict=v.verdict, rule=v.rule, diffs=v.diffs, reason=v.reason,
                       a=a.summary(), b=b.summary())
            results.append(rec)
            if v.verdict == "differs":
                what = "; ".join(f"{d['what']}: {short(d['a'])} vs {short(d['b'])}" if d["b"] != ""
                                 else f"{d['what']}: {d['a']}" for d in v.diffs)
                print(f"DIFF {case.id} [{case.area}] {case.method} {rec['path']}: {what}\n"
                      f"     A: {a.short()}\n     B: {b.short()}", file=out)
            elif v.verdict == "conn_fail":
                print(f"FAIL {case.id} [{case.area}] {case.method} {rec['path']}: {v.reason}", file=out)
            elif verbose:
                extra = f" ({v.rule})" if v.rule else ""
                print(f"ok   {case.id}: {v.verdict}{extra} — {a.short()[:80]}", file=out)
    finally:
        for c in clients:
            c.close()
    total = len(CASES)
    per_area = {}
    for ar in AREAS:
        rs = [r for r in results if r["area"] == ar]
        per_area[ar] = {k: sum(1 for r in rs if r["verdict"] == k) for k in counts}
    summary = {"total": total, **counts, "per_area": per_area, "a": base_a, "b": base_b, "areas": areas}
    return {"summary": summary, "results": results}


def short(v: Any, n: int = 90) -> str:
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return s if len(s) <= n else s[:n] + "…"


def print_summary(s: dict, out=sys.stdout) -> None:
    ran = s["total"] - s["skipped_area"] - s["skipped_ctx"]
    print(f"\n{ran} of {s['total']} cases run (areas: {','.join(s['areas'])}); A={s['a']} B={s['b']}", file=out)
    print(f"  identical:                         {s['identical']}", file=out)
    print(f"  identical, both the same error:    {s['identical_error']}", file=out)
    print(f"  allowed difference (SPEC rule):    {s['allowed']}", file=out)
    print(f"  DIFFERING:                         {s['differs']}", file=out)
    print(f"  connection failure / timeout:      {s['conn_fail']}", file=out)
    print(f"  skipped (area not selected):       {s['skipped_area']}", file=out)
    print(f"  skipped (needed value missing):    {s['skipped_ctx']}", file=out)
    for ar, c in s["per_area"].items():
        print(f"  [{ar}] identical {c['identical']} + same error {c['identical_error']} + allowed "
              f"{c['allowed']}, differing {c['differs']}, conn fail {c['conn_fail']}, "
              f"skipped {c['skipped_area'] + c['skipped_ctx']}", file=out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", help="reference base URL, or 'twin' to start a fresh twin")
    p.add_argument("--b", help="candidate base URL, or 'twin' to start a fresh twin")
    p.add_argument("--areas", default=",".join(AREAS), help=f"comma list of {AREAS} (default: all)")
    p.add_argument("--only", help="regex: run only the cases whose id matches (others count as skipped)")
    p.add_argument("--json", metavar="FILE", help="write the full result as JSON")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--keep-alive", action="store_true",
                   help="reuse one connection per server (default: a fresh connection per case)")
    p.add_argument("-v", "--verbose", action="store_true", help="print a line for every case")
    args = p.parse_args(argv)
    if args.list:
        for c in CASES:
            print(f"{c.area:8} {c.id:40} {c.method:7} {c.target or c.path}")
        return 0
    if not args.a or not args.b:
        p.error("--a and --b are required (a base URL or 'twin')")
    areas = [x.strip() for x in args.areas.split(",") if x.strip()]
    bad = [x for x in areas if x not in AREAS]
    if bad:
        p.error(f"unknown area(s) {bad}; choose from {AREAS}")
    twins: list[Twin] = []
    try:
        bases = []
        for v in (args.a, args.b):
            if v == "twin":
                t = Twin()
                twins.append(t)
                bases.append(t.base)
            else:
                bases.append(v.rstrip("/"))
        for w in freshness_warnings(bases):
            print(w)
        result = run(bases[0], bases[1], areas, args.only, args.verbose, keep_alive=args.keep_alive)
    finally:
        for t in twins:
            t.stop()
    print_summary(result["summary"])
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    s = result["summary"]
    return 1 if s["differs"] or s["conn_fail"] or s["skipped_ctx"] else 0


if __name__ == "__main__":
    sys.exit(main())
