#!/usr/bin/env python3
"""Self-test of the comparer: fabricated answer pairs with known verdicts.

    .venv/bin/python conformance/twin/selftest.py

A twin-vs-twin run can only show that the harness sees no difference where there is none;
this shows that it does see the differences SPEC.md counts (status, JSON values, the
listed headers, bodies, SSE events, WebSocket transcripts, OpenAPI operations) and that it
ignores only what SPEC.md lets it ignore (key order, spacing, vary order, set-cookie
expires, etag values, multipart boundaries, the allowed differences with their
conditions), and that every route of app_fastapi.py (imported from $VIPER_SHARED, so this
needs the twin's requirements) is hit by at least one case. Exit code 1 if any check fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import Case  # noqa: E402
from compare import Answer, judge, openapi_digest, parse_sse  # noqa: E402

BASE_HDRS = [("content-type", "application/json"), ("x-powered-by", "Viper"), ("vary", "Accept-Encoding, Origin")]


def js(obj, status=200, headers=None, raw: bytes | None = None) -> Answer:
    h = list(BASE_HDRS) if headers is None else headers
    return Answer(status=status, headers=h, body=raw if raw is not None else json.dumps(obj).encode())


def text(body: bytes, status=200, ct="text/plain; charset=utf-8", extra=()) -> Answer:
    return Answer(status=status, headers=[("content-type", ct), ("x-powered-by", "Viper"), *extra], body=body)


GET = Case("t", "core", path="/api/x")
ERR = {"detail": [{"type": "int_parsing", "loc": ["path", "id"], "msg": "m", "input": "a"}]}
ERR2 = {"detail": [{"type": "missing", "loc": ["body", "x"], "msg": "Field required", "input": None}]}
COOKIE = "session=alice-session; HttpOnly; Path=/; SameSite=lax"

CHECKS: list[tuple[str, Case, Answer, Answer, str]] = [
    # status and JSON values
    ("same JSON", GET, js({"a": 1}), js({"a": 1}), "identical"),
    ("differing status", GET, js({"a": 1}), js({"a": 1}, status=201), "differs"),
    ("differing JSON value", GET, js({"a": 1}), js({"a": 2}), "differs"),
    ("JSON key order and spacing are free", GET, js(None, raw=b'{"a":1,"b":[1,2]}'),
     js(None, raw=b'{ "b": [1, 2],  "a": 1 }'), "identical"),
    ("JSON list order matters", GET, js([1, 2]), js([2, 1]), "differs"),
    ("1 and 1.0 are one JSON number", GET, js(None, raw=b'{"v":1.0}'), js(None, raw=b'{"v":1}'), "identical"),
    ("true is not 1", GET, js({"v": True}), js({"v": 1}), "differs"),
    ("null is not missing", GET, js({"v": None}), js({}), "differs"),
    ("both the same 422", GET, js(ERR, status=422), js(ERR, status=422), "identical_error"),
    ("422 with another error", GET, js(ERR, status=422), js(ERR2, status=422), "differs"),
    ("422 errors in another order", GET, js({"detail": ERR["detail"] + ERR2["detail"]}, status=422),
     js({"detail": ERR2["detail"] + ERR["detail"]}, status=422), "differs"),
    ("JSON vs not JSON", GET, js({"a": 1}), js(None, raw=b"{a: 1}"), "differs"),
    # headers
    ("vary in another order", GET, js({}, headers=[("content-type", "application/json"), ("x-powered-by", "Viper"),
                                                   ("vary", "Accept-Encoding, Origin")]),
     js({}, headers=[("content-type", "application/json"), ("x-powered-by", "Viper"), ("vary", "origin"),
                     ("vary", "accept-encoding")]), "identical"),
    ("vary missing a token", GET, js({}), js({}, headers=[("content-type", "application/json"),
                                                         ("x-powered-by", "Viper"), ("vary", "Origin")]), "differs"),
    ("x-powered-by missing", GET, js({}), js({}, headers=[("content-type", "application/json"),
                                                         ("vary", "Accept-Encoding, Origin")]), "differs"),
    ("content-type charset case and spacing", GET, text(b"x", ct="text/plain; charset=utf-8"),
     text(b"x", ct="text/plain;charset=UTF-8"), "identical"),
    ("content-type differs", GET, text(b"x"), text(b"x", ct="text/html; charset=utf-8"), "differs"),
    ("set-cookie expires differs", GET,
     text(b"", extra=[("set-cookie", COOKIE + "; expires=Thu, 03 Dec 2026 18:00:00 GMT")]),
     text(b"", extra=[("set-cookie", COOKIE + "; expires=Fri, 04 Dec 2026 19:00:01 GMT")]), "identical"),
    ("set-cookie attribute order is free", GET, text(b"", extra=[("set-cookie", COOKIE)]),
     text(b"", extra=[("set-cookie", "session=alice-session; Path=/; SameSite=lax; httponly")]), "identical"),
    ("set-cookie without HttpOnly", GET, text(b"", extra=[("set-cookie", COOKIE)]),
     text(b"", extra=[("set-cookie", "session=alice-session; Path=/; SameSite=lax")]), "differs"),
    ("set-cookie value differs", GET, text(b"", extra=[("set-cookie", COOKIE)]),
     text(b"", extra=[("set-cookie", COOKIE.replace("alice-session", "alice"))]), "differs"),
    ("set-cookie missing", GET, text(b"", extra=[("set-cookie", COOKIE)]), text(b""), "differs"),
    ("etag values are free", GET, text(b"x", extra=[("etag", '"a"')]), text(b"x", extra=[("etag", '"b"')]),
     "identical"),
    ("etag missing", GET, text(b"x", extra=[("etag", '"a"')]), text(b"x"), "differs"),
    ("last-modified missing", GET, text(b"x", extra=[("last-modified", "x")]), text(b"x"), "differs"),
    ("content-encoding presence", GET, text(b"x", extra=[("content-encoding", "gzip")]), text(b"x"), "differs"),
    ("date/server/content-length are not compared", GET,
     text(b"x", extra=[("date", "a"), ("server", "uvicorn"), ("content-length", "1")]),
     text(b"x", extra=[("date", "b"), ("server", "viper"), ("transfer-encoding", "chunked")]), "identical"),
    ("location: only the path part", GET, text(b"", 307, extra=[("location", "http://localhost/api/sensors?x=1")]),
     text(b"", 307, extra=[("location", "/api/sensors?x=1")]), "identical"),
    ("location path differs", GET, text(b"", 307, extra=[("location", "http://localhost/api/sensors")]),
     text(b"", 307, extra=[("location", "http://localhost/api/sensors/")]), "differs"),
    ("allow as a set", GET, js({}, 405, headers=[("content-type", "application/json"), ("allow", "GET, POST")]),
     js({}, 405, headers=[("content-type", "application/json"), ("allow", "POST, GET")]), "identical_error"),
    ("allow missing a method", GET, js({}, 405, headers=[("content-type", "application/json"), ("allow", "GET, POST")]),
     js({}, 405, headers=[("content-type", "application/json"), ("allow", "GET")]), "differs"),
    ("www-authenticate missing", GET, js({}, 401, headers=[("content-type", "application/json"),
                                                         ("www-authenticate", "Bearer")]),
     js({}, 401, headers=[("content-type", "application/json")]), "differs"),
    ("retry-after differs", GET, js({}, 429, headers=[("content-type", "application/json"), ("retry-after", "60")]),
     js({}, 429, headers=[("content-type", "application/json"), ("retry-after", "59")]), "differs"),
    ("an extra access-control-* header", GET, text(b"x"),
     text(b"x", extra=[("access-control-allow-origin", "*")]), "differs"),
    ("x-custom differs", GET, text(b"x", extra=[("x-custom", "value")]), text(b"x", extra=[("x-custom", "v")]),
     "differs"),
    # bodies
    ("bytes differ", GET, text(b"Hello, world!"), text(b"Hello, world!\n"), "differs"),
    ("SSE: same events, other JSON spacing and comments", GET,
     text(b'event: sensor\ndata: {"seq": 0}\nid: 0\n\n', ct="text/event-stream; charset=utf-8"),
     text(b': ping\r\nevent:sensor\r\ndata:{"seq":0}\r\nid:0\r\n\r\n', ct="text/event-stream; charset=utf-8"),
     "identical"),
    ("SSE: another id", GET, text(b"event: s\ndata: 1\nid: 0\n\n", ct="text/event-stream"),
     text(b"event: s\ndata: 1\nid: 1\n\n", ct="text/event-stream"), "differs"),
    ("SSE: one event fewer", GET, text(b"data: 1\n\ndata: 2\n\n", ct="text/event-stream"),
     text(b"data: 1\n\n", ct="text/event-stream"), "differs"),
    ("byteranges: boundaries are free", GET,
     text(b"--AA\r\nContent-Type: x/y\r\nContent-Range: bytes 0-1/9\r\n\r\nab\r\n--AA--",
          206, ct="multipart/byteranges; boundary=AA"),
     text(b"--BBB\r\nContent-Type: x/y\r\nContent-Range: bytes 0-1/9\r\n\r\nab\r\n--BBB--",
          206, ct="multipart/byteranges; boundary=BBB"), "identical"),
    ("byteranges: part bytes differ", GET,
     text(b"--AA\r\nContent-Range: bytes 0-1/9\r\n\r\nab\r\n--AA--", 206, ct="multipart/byteranges; boundary=AA"),
     text(b"--AA\r\nContent-Range: bytes 0-1/9\r\n\r\nac\r\n--AA--", 206, ct="multipart/byteranges; boundary=AA"),
     "differs"),
    # transport
    ("connection failure on one side", GET, js({}), Answer(error="ConnectError: refused"), "conn_fail"),
    ("connection failure on both sides", GET, Answer(error="ReadTimeout"), Answer(error="ReadTimeout"), "conn_fail"),
    # WebSocket transcripts
    ("ws: same transcript", Case("w", "core", kind="ws"),
     Answer(status=101, ws={"handshake": 101, "received": ["echo: a"], "close": {"code": 4000, "reason": "bye"}}),
     Answer(status=101, ws={"handshake": 101, "received": ["echo: a"], "close": {"code": 4000, "reason": "bye"}}),
     "identical"),
    ("ws: another close code", Case("w", "core", kind="ws"),
     Answer(status=101, ws={"handshake": 101, "received": [], "close": {"code": 4000, "reason": "bye"}}),
     Answer(status=101, ws={"handshake": 101, "received": [], "close": {"code": 1000, "reason": "bye"}}), "differs"),
    ("ws: accepted instead of 403", Case("w", "core", kind="ws"),
     Answer(status=403, ws={"handshake": 403, "handshake_body": ""}),
     Answer(status=101, ws={"handshake": 101, "received": [], "close": None}), "differs"),
    ("ws: 1011 where the twin drops the connection", Case("w", "core", kind="ws", rules=("ws_handler_error",)),
     Answer(status=101, ws={"handshake": 101, "received": [], "close": None}),
     Answer(status=101, ws={"handshake": 101, "received": [], "close": {"code": 1011, "reason": ""}}), "allowed"),
    ("ws: 1000 where the twin drops the connection", Case("w", "core", kind="ws", rules=("ws_handler_error",)),
     Answer(status=101, ws={"handshake": 101, "received": [], "close": None}),
     Answer(status=101, ws={"handshake": 101, "received": [], "close": {"code": 1000, "reason": ""}}), "differs"),
    ("ws: 1011 but other messages", Case("w", "core", kind="ws", rules=("ws_handler_error",)),
     Answer(status=101, ws={"handshake": 101, "received": [], "close": None}),
     Answer(status=101, ws={"handshake": 101, "received": ["x"], "close": {"code": 1011, "reason": ""}}), "differs"),
    # allowed differences, each with its conditions
    ("SPEC 1: HEAD answered without body", Case("h", "core", method="HEAD", rules=("head_options",)),
     js({"detail": "Method Not Allowed"}, 405), text(b"", 200, ct="application/json"), "allowed"),
    ("SPEC 1: HEAD answered WITH a body", Case("h", "core", method="HEAD", rules=("head_options",)),
     js({"detail": "Method Not Allowed"}, 405), text(b"{}", 200, ct="application/json"), "differs"),
    ("SPEC 1: OPTIONS with allow", Case("o", "core", method="OPTIONS", rules=("head_options",)),
     js({"detail": "Method Not Allowed"}, 405), text(b"", 204, extra=[("allow", "GET, HEAD, OPTIONS")]), "allowed"),
    ("SPEC 1: OPTIONS without allow", Case("o", "core", method="OPTIONS", rules=("head_options",)),
     js({"detail": "Method Not Allowed"}, 405), text(b"", 204), "differs"),
    ("SPEC 1: not on a GET-with-405 case", Case("o", "core", method="GET", rules=("head_options",)),
     js({}, 405), text(b"", 200), "differs"),
    ("SPEC 1: a 405's allow may add HEAD, OPTIONS", GET,
     js({"detail": "Method Not Allowed"}, 405, headers=[("content-type", "application/json"), ("allow", "GET")]),
     js({"detail": "Method Not Allowed"}, 405, headers=[("content-type", "application/json"),
                                                        ("allow", "GET, HEAD, OPTIONS")]), "allowed"),
    ("SPEC 1: a 405's allow may not add POST", GET,
     js({"detail": "Method Not Allowed"}, 405, headers=[("content-type", "application/json"), ("allow", "GET")]),
     js({"detail": "Method Not Allowed"}, 405, headers=[("content-type", "application/json"),
                                                        ("allow", "GET, HEAD, POST")]), "differs"),
    ("SPEC 1: HEAD in allow only beside GET", GET,
     js({}, 405, headers=[("content-type", "application/json"), ("allow", "POST")]),
     js({}, 405, headers=[("content-type", "application/json"), ("allow", "POST, HEAD")]), "differs"),
    ("SPEC 1: allow rule does not excuse a body difference", GET,
     js({"detail": "Method Not Allowed"}, 405, headers=[("content-type", "application/json"), ("allow", "GET")]),
     js({"detail": "Not allowed"}, 405, headers=[("content-type", "application/json"), ("allow", "GET, HEAD")]),
     "differs"),
    ("SPEC 2: app.js.gz served gzip", Case("g", "http", path="/static/app.js",
                                          headers={"Accept-Encoding": "gzip"}, rules=("static_gz",)),
     text(b"js", ct="text/javascript; charset=utf-8"),
     text(b"js", ct="text/javascript; charset=utf-8", extra=[("content-encoding", "gzip")]), "allowed"),
    ("SPEC 2: gzip where no .gz exists", Case("g", "http", path="/static/style.css",
                                             headers={"Accept-Encoding": "gzip"}, rules=("static_gz",)),
     text(b"css", ct="text/css; charset=utf-8"),
     text(b"css", ct="text/css; charset=utf-8", extra=[("content-encoding", "gzip")]), "differs"),
    ("SPEC 2: decoded body differs", Case("g", "http", path="/static/app.js",
                                         headers={"Accept-Encoding": "gzip"}, rules=("static_gz",)),
     text(b"js"), text(b"jz", extra=[("content-encoding", "gzip")]), "differs"),
    ("SPEC 3: 414 with JSON detail on a big case", Case("b", "core", rules=("size_limit",)),
     js(ERR, 422), js({"detail": "URI too long"}, 414), "allowed"),
    ("SPEC 3: 413 without JSON", Case("b", "core", rules=("size_limit",)),
     js(ERR, 422), text(b"too large", 413), "differs"),
    ("SPEC 3: 413 on an ordinary case", GET, js(ERR, 422), js({"detail": "too large"}, 413), "differs"),
    ("SPEC 4: own /docs page", Case("d", "uploads", body_mode="docs", rules=("docs",)),
     text(b"<swagger/>", ct="text/html; charset=utf-8"), text(b"<viper/>", ct="text/html; charset=utf-8"),
     "allowed"),
    ("SPEC 4: /docs missing", Case("d", "uploads", body_mode="docs", rules=("docs",)),
     text(b"<swagger/>", ct="text/html; charset=utf-8"), js({"detail": "Not Found"}, 404), "differs"),
    ("SPEC 6: /debug/stats exists", Case("s", "core", rules=("debug_stats",)),
     js({"detail": "Not Found"}, 404), js({"requests": 3}), "allowed"),
    ("SPEC 6: only on its case", GET, js({"detail": "Not Found"}, 404), js({"requests": 3}), "differs"),
    ("traversal: 400 instead of 404", Case("p", "http", rules=("traversal",)),
     js({"detail": "Not Found"}, 404), js({"detail": "Bad path"}, 400), "allowed"),
    ("traversal: file leaked", Case("p", "http", rules=("traversal",)),
     js({"detail": "Not Found"}, 404), text(b"app = FastAPI(title=", 200), "differs"),
]


def openapi_checks() -> list[tuple[str, bool, bool]]:
    base = {
        "openapi": "3.1.0",
        "paths": {"/api/x/{id}": {"get": {"summary": "X", "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {"name": "limit", "in": "query", "required": False}]}},
            "/api/y": {"post": {"requestBody": {"required": True, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Y"}}}}}}},
        "components": {"schemas": {"Y": {"type": "object", "properties": {"a": {}, "b": {}}, "required": ["a"]}}},
    }
    other_text = json.loads(json.dumps(base))
    other_text["paths"]["/api/x/{id}"]["get"]["summary"] = "another summary"
    other_text["paths"]["/api/x/{id}"]["get"]["parameters"].reverse()
    other_text["info"] = {"title": "t"}
    no_param = json.loads(json.dumps(base))
    no_param["paths"]["/api/x/{id}"]["get"]["parameters"].pop()
    optional = json.loads(json.dumps(base))
    optional["paths"]["/api/x/{id}"]["get"]["parameters"][0]["required"] = False
    field_gone = json.loads(json.dumps(base))
    field_gone["components"]["schemas"]["Y"]["properties"].pop("b")
    inline = json.loads(json.dumps(base))
    inline["paths"]["/api/y"]["post"]["requestBody"]["content"]["application/json"]["schema"] = \
        base["components"]["schemas"]["Y"]
    extra_method = json.loads(json.dumps(base))
    extra_method["paths"]["/api/y"]["get"] = {}
    d = openapi_digest
    return [
        ("openapi: summaries, parameter order, info are free", d(base) == d(other_text), True),
        ("openapi: a $ref body equals the same body inline", d(base) == d(inline), True),
        ("openapi: a parameter missing", d(base) == d(no_param), False),
        ("openapi: required differs", d(base) == d(optional), False),
        ("openapi: a body field missing", d(base) == d(field_gone), False),
        ("openapi: an extra method", d(base) == d(extra_method), False),
    ]


def route_coverage() -> list[tuple[str, bool, bool]]:
    """Every route of app_fastapi.py (each method of each APIRoute, each WebSocket route, the
    /static mount, the docs routes SPEC 4 names) is hit by at least one case."""
    import importlib.util
    import re as _re
    from urllib.parse import urlsplit

    from cases import CASES
    from compare import shared_dir

    path = shared_dir() / "specs" / "smart-home" / "app_fastapi.py"
    spec = importlib.util.spec_from_file_location("app_fastapi_for_coverage", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    from fastapi.routing import APIRoute, APIWebSocketRoute
    from starlette.routing import Mount, Route, WebSocketRoute

    from starlette.routing import compile_path

    want: list[tuple[str, str, object]] = []
    unknown: list[str] = []

    def walk(routes, prefix: str) -> None:
        for r in routes:
            if isinstance(r, (APIWebSocketRoute, WebSocketRoute)):
                want.append(("WS", prefix + r.path, compile_path(prefix + r.path)[0]))
            elif isinstance(r, (APIRoute, Route)):
                if r.path in ("/redoc", "/docs/oauth2-redirect"):
                    continue  # FastAPI extras SPEC 4 does not ask for (README: not covered)
                for m in sorted(r.methods or ()):
                    if m == "HEAD" and "GET" in r.methods:
                        continue  # Starlette's implicit HEAD of the docs routes
                    want.append((m, prefix + r.path, compile_path(prefix + r.path)[0]))
            elif isinstance(r, Mount):
                p = prefix + r.path
                want.append(("GET", p + "/{path}", _re.compile("^" + _re.escape(p) + "/.+$")))
            elif hasattr(r, "original_router"):  # FastAPI 0.163's included router
                ctx_prefix = getattr(getattr(r, "include_context", None), "prefix", "") or ""
                walk(r.original_router.routes, prefix + ctx_prefix)  # route paths carry the router prefix
            else:
                unknown.append(type(r).__name__)

    walk(mod.app.routes, "")
    out = [(f"route type {name} understood", False, True) for name in unknown]
    for method, p, rx in want:
        hit = any(
            (c.kind == "ws" if method == "WS" else (c.kind == "http" and c.method == method))
            and rx.match(urlsplit(c.target or c.path).path)  # type: ignore[attr-defined]
            for c in CASES)
        out.append((f"route {method} {p} has a case", hit, True))
    return out


def main() -> int:
    bad = 0
    try:
        coverage = route_coverage()
    except ImportError as e:  # the twin's requirements are missing in this Python
        coverage = [(f"import the twin to list its routes ({e}; run with $VIPER_PYTHON)", False, True)]
    for name, got, want in coverage:
        ok = got == want
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    for name, case, a, b, want in CHECKS:
        got = judge(case, a, b)
        ok = got.verdict == want
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {got.verdict}{' (' + got.rule + ')' if got.rule else ''}"
              f"{'' if ok else f' — expected {want}; diffs {got.diffs}'}")
    for name, got, want in openapi_checks():
        ok = got == want
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: equal={got}")
    ev = parse_sse(b'retry: 5\n\n: c\ndata: a\ndata: b\n\n')
    ok = ev == [{"retry": "5"}, {"data": "a\nb"}]
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} SSE parser: multi-line data and a retry-only block: {ev}")
    total = len(CHECKS) + len(openapi_checks()) + 1 + len(coverage)
    print(f"\n{total - bad} of {total} checks right ({len(CHECKS)} answer pairs, {len(openapi_checks())} OpenAPI "
          f"digests, the SSE parser, {len(coverage)} routes of app_fastapi.py each hit by a case)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
