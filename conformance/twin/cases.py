"""The ordered request sequence of the twin differential run.

Every route of ``../shared/specs/smart-home/app_fastapi.py`` is exercised here, in an
order that both servers replay independently (state — devices, the audit log, sessions,
the rate limiter, the OTA machine — evolves the same way in each, so the answers must be
the same). ``compare.py`` runs this list; ``error_table.py`` reuses it.

Each case is tagged with the issue area it belongs to:

* ``core``    — issue 13: the application layer (routes, extractors, validation,
  dependencies, errors, responses, cookies, urlencoded forms, SSE, WebSockets).
* ``http``    — issue 14: static files, FileResponse, gzip / CORS / trusted-host
  middleware, templates (/dashboard).
* ``uploads`` — issue 16: multipart uploads, OpenAPI and /docs, OTA.

A case never depends on a case of another area (a skipped area leaves the other areas'
sequences intact); a case that reads a value saved by an earlier case (an ETag, a cookie)
refers to it with ``Ctx(name)``, resolved per server from that server's own answers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

AREAS = ("core", "http", "uploads")

USER = {"Authorization": "Bearer user-token"}
ADMIN = {"Authorization": "Bearer admin-token"}
OTA_HDR = {"X-OTA-Token": "ota-secret"}
JSON_CT = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Ctx:
    """A value saved from an earlier answer of the same server (see ``Case.save``)."""

    name: str


@dataclass
class Case:
    """One request (or one WebSocket conversation) and how to judge its answers."""

    id: str
    area: str
    method: str = "GET"
    path: str = "/"
    headers: dict[str, Any] = field(default_factory=dict)
    json: Any = None  # sent as a JSON body (httpx json=)
    content: bytes | str | None = None  # raw body
    data: dict[str, Any] | None = None  # urlencoded form (or multipart fields with files)
    files: list | None = None  # multipart files (httpx files=)
    target: str | None = None  # exact request target (bypasses URL normalisation)
    host: str = "localhost"  # the Host header (same on both servers)
    kind: str = "http"  # http | ws
    ws: dict | None = None  # WebSocket script (kind == "ws")
    body_mode: str = "auto"  # auto | openapi | docs
    save: dict[str, str] = field(default_factory=dict)  # ctx name -> "header:NAME" | "cookie:NAME"
    delay: float = 0.0  # seconds to wait before sending (background work settles)
    rules: tuple[str, ...] = ()  # allowed-difference rules that may apply (compare.RULES)
    note: str = ""


def ota_image(n: int, seed: int = 7) -> bytes:
    """A deterministic OTA image of ``n`` bytes."""
    return bytes((i * seed + (i >> 8) + 3) & 0xFF for i in range(n))


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _core() -> list[Case]:
    c: list[Case] = []
    a = c.append

    # ── plain routes and response types ───────────────────────────────────────────
    a(Case("health", "core", path="/api/health", note="lifespan ran: started=true"))
    a(Case("hello", "core", path="/hello"))
    a(Case("page", "core", path="/page"))
    a(Case("old-dashboard-301", "core", path="/old-dashboard"))
    a(Case("export-csv", "core", path="/api/export.csv"))
    a(Case("stream", "core", path="/api/stream"))
    a(Case("custom-header", "core", path="/api/custom"))
    a(Case("crash-500", "core", path="/api/crash"))
    a(Case("health-after-crash", "core", path="/api/health", note="the connection lives on"))

    # ── 404 / 405 / 307 ───────────────────────────────────────────────────────────
    for i, p in enumerate(["/nope", "/api/nope", "/api/sensors/1/nope", "/API/health", "/hello.txt",
                           "/api/sensors/1/history/x", "/ws/echo", "/api"]):
        a(Case(f"404-{i}", "core", path=p))
    a(Case("405-post-health", "core", method="POST", path="/api/health"))
    a(Case("405-put-hello", "core", method="PUT", path="/hello"))
    a(Case("405-patch-sensor", "core", method="PATCH", path="/api/sensors/1"))
    a(Case("405-delete-sensors", "core", method="DELETE", path="/api/sensors"))
    a(Case("405-get-calibrate", "core", path="/api/sensors/1/calibrate"))
    a(Case("405-delete-devices", "core", method="DELETE", path="/api/devices", headers=USER))
    a(Case("405-get-login", "core", path="/api/login"))
    a(Case("405-put-wifi", "core", method="PUT", path="/api/settings/wifi"))
    a(Case("307-sensors-slash", "core", path="/api/sensors/"))
    a(Case("307-sensor-slash", "core", path="/api/sensors/1/"))
    a(Case("307-hello-slash", "core", path="/hello/"))
    a(Case("307-query-kept", "core", path="/api/sensors/?x=1&y=2"))
    a(Case("307-devices-slash-noauth", "core", path="/api/devices/", note="redirect before auth"))
    a(Case("307-post-devices-slash", "core", method="POST", path="/api/devices/", headers=USER,
           json={"name": "x", "kind": "light"}))

    # ── SPEC allowed difference 1 and 6 ───────────────────────────────────────────
    a(Case("head-health", "core", method="HEAD", path="/api/health", rules=("head_options",)))
    a(Case("head-hello", "core", method="HEAD", path="/hello", rules=("head_options",)))
    a(Case("options-health", "core", method="OPTIONS", path="/api/health", rules=("head_options",)))
    a(Case("options-sensor", "core", method="OPTIONS", path="/api/sensors/1", rules=("head_options",)))
    a(Case("debug-stats", "core", path="/debug/stats", rules=("debug_stats",)))

    # ── sensors ───────────────────────────────────────────────────────────────────
    a(Case("sensors-list", "core", path="/api/sensors"))
    for sid in ("1", "2", "3"):
        a(Case(f"sensor-{sid}", "core", path=f"/api/sensors/{sid}"))
    a(Case("sensor-404", "core", path="/api/sensors/99"))
    a(Case("sensor-404-negative", "core", path="/api/sensors/-1"))
    a(Case("sensor-404-zero-padded", "core", path="/api/sensors/007"))
    a(Case("sensor-int-parsing", "core", path="/api/sensors/abc"))
    a(Case("sensor-int-parsing-float", "core", path="/api/sensors/1.5"))
    a(Case("sensor-percent-encoded", "core", path="/api/sensors/%31", note="decoded before parsing: sensor 1"))
    a(Case("sensor-int-parsing-unicode", "core", path="/api/sensors/%C3%A9"))
    a(Case("sensor-int-parsing-plus", "core", path="/api/sensors/+1"))
    a(Case("sensor-space-padded", "core", path="/api/sensors/%201", note="pydantic strips the blank: 200"))
    a(Case("sensor-404-huge", "core", path="/api/sensors/99999999999999999999999",
           note="a big int parses; no such sensor"))
    a(Case("history-default", "core", path="/api/sensors/1/history"))
    a(Case("history-limit-3", "core", path="/api/sensors/3/history?limit=3"))
    a(Case("history-limit-0", "core", path="/api/sensors/1/history?limit=0"))
    a(Case("history-limit-101", "core", path="/api/sensors/1/history?limit=101"))
    a(Case("history-limit-abc", "core", path="/api/sensors/1/history?limit=abc"))
    a(Case("history-limit-empty", "core", path="/api/sensors/1/history?limit="))
    a(Case("history-404", "core", path="/api/sensors/9/history"))
    a(Case("history-path+query-errors", "core", path="/api/sensors/x/history?limit=0"))
    a(Case("history-limit-repeated", "core", path="/api/sensors/2/history?limit=2&limit=4"))

    # ── calibrate: router dependency (admin), body model, background task ──────────
    cal = "/api/sensors/1/calibrate"
    a(Case("calibrate-noauth-401", "core", method="POST", path=cal, json={"offset": 1}))
    a(Case("calibrate-user-403", "core", method="POST", path=cal, headers=USER, json={"offset": 1}))
    a(Case("calibrate-ok", "core", method="POST", path=cal, headers=ADMIN, json={"offset": 2.5, "note": "n"}))
    a(Case("calibrate-int-offset", "core", method="POST", path="/api/sensors/2/calibrate", headers=ADMIN,
           json={"offset": -3}))
    a(Case("calibrate-le", "core", method="POST", path=cal, headers=ADMIN, json={"offset": 11}))
    a(Case("calibrate-ge", "core", method="POST", path=cal, headers=ADMIN, json={"offset": -10.5}))
    a(Case("calibrate-float-parsing", "core", method="POST", path=cal, headers=ADMIN, json={"offset": "abc"}))
    a(Case("calibrate-float-from-string", "core", method="POST", path=cal, headers=ADMIN, json={"offset": "1.5"}))
    a(Case("calibrate-too-long", "core", method="POST", path=cal, headers=ADMIN,
           json={"offset": 1, "note": "x" * 65}))
    a(Case("calibrate-note-type", "core", method="POST", path=cal, headers=ADMIN, json={"offset": 1, "note": 5}))
    a(Case("calibrate-missing", "core", method="POST", path=cal, headers=ADMIN, json={"note": "n"}))
    a(Case("calibrate-no-body", "core", method="POST", path=cal, headers=ADMIN))
    a(Case("calibrate-json-invalid", "core", method="POST", path=cal, headers={**ADMIN, **JSON_CT},
           content=b'{"offset": 1,'))
    a(Case("calibrate-model-attributes-type", "core", method="POST", path=cal, headers=ADMIN, json=[1, 2]))
    a(Case("calibrate-string-body", "core", method="POST", path=cal, headers=ADMIN, json="offset"))
    a(Case("calibrate-404", "core", method="POST", path="/api/sensors/42/calibrate", headers=ADMIN,
           json={"offset": 1}))
    a(Case("calibrate-path+body-errors", "core", method="POST", path="/api/sensors/abc/calibrate",
           headers=ADMIN, json={"offset": "x", "note": 5}))
    a(Case("calibrate-text-content-type", "core", method="POST", path=cal,
           headers={**ADMIN, "Content-Type": "text/plain"}, content=b'{"offset": 1}'))

    # ── search: every query type ──────────────────────────────────────────────────
    for i, q in enumerate([
        "", "?q=lamp", "?q=", "?q=%C3%A9t%C3%A9+caf%C3%A9", "?tags=a&tags=b&tags=a", "?tags=",
        "?sort-by=date", "?sort-by=price&page=3&limit=100", "?sort_by=date", "?page=1&limit=1",
        "?active=false", "?active=0", "?active=1", "?active=yes", "?active=off", "?active=TRUE",
        "?active=on", "?active=n", "?min_price=0.5", "?min_price=3", "?min_price=1e3", "?q=a&q=b",
        "?page=%2B5", "?page=0010",
        "?q=a+b", "?q=%ZZ", "?page=1&page=2", "?tags=a,b", "?q=%00x", "?limit=%2020",
    ]):
        a(Case(f"search-ok-{i}", "core", path=f"/api/search{q}"))
    for name, q in [
        ("string-too-long", "?q=" + "x" * 51),
        ("literal-error", "?sort-by=size"),
        ("page-ge", "?page=0"),
        ("page-int-parsing", "?page=one"),
        ("ok-page-float", "?page=1.0"),
        ("limit-ge", "?limit=0"),
        ("limit-le", "?limit=101"),
        ("bool-parsing", "?active=maybe"),
        ("bool-empty", "?active="),
        ("greater-than", "?min_price=0"),
        ("greater-than-negative", "?min_price=-1"),
        ("float-parsing", "?min_price=cheap"),
        ("multiple", "?page=0&limit=500&active=x&min_price=-1&sort-by=zzz&q=" + "y" * 60),
    ]:
        a(Case(f"search-{name}", "core", path=f"/api/search{q}"))
    a(Case("search-big-query", "core", path="/api/search?q=" + "z" * 9000, rules=("size_limit",),
           note="9 KB query: the twin answers 422 string_too_long; a limit (414) is allowed"))

    # ── dependencies: caching, chains ─────────────────────────────────────────────
    a(Case("me-user", "core", path="/api/me", headers=USER, note="auth_calls == 1 (cached)"))
    a(Case("me-admin", "core", path="/api/me", headers=ADMIN))
    a(Case("me-missing-401", "core", path="/api/me"))
    a(Case("me-bad-token-401", "core", path="/api/me", headers={"Authorization": "Bearer nope"}))
    a(Case("me-basic-401", "core", path="/api/me", headers={"Authorization": "Basic YTpi"}))
    a(Case("me-bearer-lowercase-401", "core", path="/api/me", headers={"Authorization": "bearer user-token"}))

    # ── yield dependency (session cleanup → audit), rate limiter ───────────────────
    a(Case("data-default", "core", path="/api/data"))
    a(Case("data-limit-10", "core", path="/api/data?limit=10"))
    a(Case("data-limit-0", "core", path="/api/data?limit=0"))
    a(Case("data-limit-11", "core", path="/api/data?limit=11"))
    a(Case("data-limit-abc", "core", path="/api/data?limit=abc"))
    a(Case("data-again", "core", path="/api/data?limit=1"))
    for i in range(1, 7):
        a(Case(f"public-{i}", "core", path="/api/public",
               note="6th request within 60 s → 429 + retry-after" if i == 6 else ""))
    a(Case("audit-noauth-401", "core", path="/api/audit"))
    a(Case("audit-user-403", "core", path="/api/audit", headers=USER))
    a(Case("audit-admin", "core", path="/api/audit", headers=ADMIN, delay=0.3,
           note="startup, session N closed (yield cleanup), calibrate (background task)"))

    # ── devices ───────────────────────────────────────────────────────────────────
    a(Case("devices-noauth-401", "core", path="/api/devices"))
    a(Case("devices-bad-token-401", "core", path="/api/devices", headers={"Authorization": "Bearer x"}))
    a(Case("devices-list", "core", path="/api/devices", headers=USER))
    for i, q in enumerate(["?kind=light", "?on=true", "?on=false&kind=plug", "?page=2&limit=1",
                           "?page=5", "?kind=thermostat&on=0"]):
        a(Case(f"devices-filter-{i}", "core", path=f"/api/devices{q}", headers=USER))
    for name, q in [("literal", "?kind=lamp"), ("bool", "?on=maybe"), ("page-ge", "?page=0"),
                    ("limit-le", "?limit=101"), ("multiple", "?kind=x&on=y&page=z&limit=0")]:
        a(Case(f"devices-filter-{name}", "core", path=f"/api/devices{q}", headers=USER))
    a(Case("devices-filter-errors-noauth", "core", path="/api/devices?kind=x",
           note="auth dependency fails first → 401"))
    a(Case("device-1", "core", path="/api/devices/1", headers=USER))
    a(Case("device-404", "core", path="/api/devices/99", headers=USER))
    a(Case("device-int-parsing", "core", path="/api/devices/one", headers=USER))
    a(Case("device-noauth", "core", path="/api/devices/1"))

    good = {"name": "Porch light", "kind": "light", "on": True, "level": 55}
    a(Case("device-create", "core", method="POST", path="/api/devices", headers=USER, json=good))
    a(Case("device-create-defaults", "core", method="POST", path="/api/devices", headers=USER,
           json={"name": "P", "kind": "plug"}))
    a(Case("device-create-extra-field", "core", method="POST", path="/api/devices", headers=USER,
           json={"name": "T", "kind": "thermostat", "colour": "red"}))
    a(Case("device-create-level-float-exact", "core", method="POST", path="/api/devices", headers=USER,
           json={"name": "F", "kind": "plug", "level": 100.0}))
    a(Case("device-create-charset", "core", method="POST", path="/api/devices",
           headers={**USER, "Content-Type": "application/json; charset=utf-8"},
           content=b'{"name": "C", "kind": "light"}'))
    a(Case("device-create-plus-json", "core", method="POST", path="/api/devices",
           headers={**USER, "Content-Type": "application/vnd.home+json"}, content=b'{"name": "V", "kind": "light"}'))
    a(Case("device-create-text-plain", "core", method="POST", path="/api/devices",
           headers={**USER, "Content-Type": "text/plain"}, content=b'{"name": "V", "kind": "light"}'))
    a(Case("device-create-no-content-type", "core", method="POST", path="/api/devices",
           headers=USER, content=b'{"name": "N", "kind": "light"}'))
    a(Case("device-create-bad-utf8", "core", method="POST", path="/api/devices",
           headers={**USER, **JSON_CT}, content=b'{"name": "\xff", "kind": "light"}'))
    a(Case("device-create-unicode-name", "core", method="POST", path="/api/devices", headers=USER,
           json={"name": "Küche ☀", "kind": "light"}))
    bad_bodies = [
        ("missing-name", {"kind": "light"}),
        ("missing-all", {}),
        ("too-short", {"name": "", "kind": "light"}),
        ("too-long", {"name": "n" * 33, "kind": "light"}),
        ("literal", {"name": "x", "kind": "lamp"}),
        ("bool-parsing", {"name": "x", "kind": "light", "on": "maybe"}),
        ("bool-from-string", {"name": "x", "kind": "light", "on": "yes", "level": "7"}),
        ("int-parsing", {"name": "x", "kind": "light", "level": "high"}),
        ("int-from-float", {"name": "x", "kind": "light", "level": 5.5}),
        ("level-le", {"name": "x", "kind": "light", "level": 101}),
        ("level-ge", {"name": "x", "kind": "light", "level": -1}),
        ("name-type", {"name": 5, "kind": "light"}),
        ("null-name", {"name": None, "kind": "light"}),
        ("multiple", {"name": "", "kind": "door", "on": "x", "level": 1000}),
    ]
    for name, body in bad_bodies:
        a(Case(f"device-create-{name}", "core", method="POST", path="/api/devices", headers=USER, json=body))
    a(Case("device-create-model-attributes-type", "core", method="POST", path="/api/devices", headers=USER,
           json=["name", "kind"]))
    a(Case("device-create-json-invalid", "core", method="POST", path="/api/devices",
           headers={**USER, **JSON_CT}, content=b'{"name": "x", "kind": }'))
    a(Case("device-create-json-invalid-trailing", "core", method="POST", path="/api/devices",
           headers={**USER, **JSON_CT}, content=b'{"name": "x", "kind": "light"} x'))
    a(Case("device-create-empty-body", "core", method="POST", path="/api/devices",
           headers={**USER, **JSON_CT}, content=b""))
    a(Case("device-create-no-body", "core", method="POST", path="/api/devices", headers=USER))
    a(Case("device-create-noauth", "core", method="POST", path="/api/devices", json=good))
    a(Case("devices-after-create", "core", path="/api/devices", headers=USER))
    a(Case("device-replace", "core", method="PUT", path="/api/devices/2", headers=USER,
           json={"name": "Desk lamp", "kind": "light", "level": 10}))
    a(Case("device-replace-404", "core", method="PUT", path="/api/devices/77", headers=USER, json=good))
    a(Case("device-replace-404-bad-body", "core", method="PUT", path="/api/devices/77", headers=USER,
           json={"kind": "x"}, note="validation before the handler → 422"))
    a(Case("device-replace-path+body-errors", "core", method="PUT", path="/api/devices/two", headers=USER,
           json={"name": "", "kind": "light"}))
    a(Case("device-patch", "core", method="PATCH", path="/api/devices/1", headers=USER, json={"level": 70}))
    a(Case("device-patch-on", "core", method="PATCH", path="/api/devices/1", headers=USER, json={"on": True}))
    a(Case("device-patch-empty", "core", method="PATCH", path="/api/devices/1", headers=USER, json={}))
    a(Case("device-patch-null", "core", method="PATCH", path="/api/devices/1", headers=USER,
           json={"on": None, "level": None}))
    a(Case("device-patch-le", "core", method="PATCH", path="/api/devices/1", headers=USER, json={"level": 200}))
    a(Case("device-patch-bool", "core", method="PATCH", path="/api/devices/1", headers=USER, json={"on": "x"}))
    a(Case("device-patch-404", "core", method="PATCH", path="/api/devices/50", headers=USER, json={}))
    a(Case("device-toggle-1", "core", method="POST", path="/api/devices/1/toggle", headers=USER))
    a(Case("device-toggle-1-again", "core", method="POST", path="/api/devices/1/toggle", headers=USER))
    a(Case("device-toggle-3-offline-503", "core", method="POST", path="/api/devices/3/toggle", headers=USER,
           note="custom exception handler → 503 + retry-after"))
    a(Case("device-toggle-404", "core", method="POST", path="/api/devices/12/toggle", headers=USER))
    a(Case("device-toggle-noauth", "core", method="POST", path="/api/devices/1/toggle"))
    a(Case("device-delete-user-403", "core", method="DELETE", path="/api/devices/4", headers=USER))
    a(Case("device-delete-noauth-401", "core", method="DELETE", path="/api/devices/4"))
    a(Case("device-delete-admin-204", "core", method="DELETE", path="/api/devices/4", headers=ADMIN))
    a(Case("device-delete-again-404", "core", method="DELETE", path="/api/devices/4", headers=ADMIN))
    a(Case("device-delete-int-parsing", "core", method="DELETE", path="/api/devices/x", headers=ADMIN))
    a(Case("devices-final", "core", path="/api/devices?limit=100", headers=ADMIN))

    # ── urlencoded forms ──────────────────────────────────────────────────────────
    wifi = "/api/settings/wifi"
    a(Case("wifi-ok", "core", method="POST", path=wifi, data={"ssid": "home", "password": "secret123"}))
    a(Case("wifi-hidden", "core", method="POST", path=wifi,
           data={"ssid": "h", "password": "12345678", "hidden": "true"}))
    a(Case("wifi-hidden-on", "core", method="POST", path=wifi,
           data={"ssid": "h", "password": "12345678", "hidden": "on"}))
    a(Case("wifi-unicode", "core", method="POST", path=wifi,
           data={"ssid": "café wifi", "password": "pässwörd!"}))
    a(Case("wifi-hidden-bool-parsing", "core", method="POST", path=wifi,
           data={"ssid": "h", "password": "12345678", "hidden": "maybe"}))
    a(Case("wifi-missing-ssid", "core", method="POST", path=wifi, data={"password": "12345678"}))
    a(Case("wifi-short-password", "core", method="POST", path=wifi, data={"ssid": "h", "password": "short"}))
    a(Case("wifi-long-ssid", "core", method="POST", path=wifi,
           data={"ssid": "s" * 33, "password": "p" * 65}))
    a(Case("wifi-empty-ssid", "core", method="POST", path=wifi, data={"ssid": "", "password": "12345678"}))
    a(Case("wifi-no-body", "core", method="POST", path=wifi))
    a(Case("wifi-json-body", "core", method="POST", path=wifi, json={"ssid": "a", "password": "12345678"}))
    a(Case("wifi-raw-urlencoded", "core", method="POST", path=wifi,
           headers={"Content-Type": "application/x-www-form-urlencoded"},
           content=b"ssid=a%20b&password=%2B%2B%2B%2B1234&ssid=second"))

    # ── cookies ───────────────────────────────────────────────────────────────────
    a(Case("session-none-401", "core", path="/api/session"))
    a(Case("login-bad-401", "core", method="POST", path="/api/login", json={"username": "alice", "password": "x"}))
    a(Case("login-missing", "core", method="POST", path="/api/login", json={"username": "alice"}))
    a(Case("login-type", "core", method="POST", path="/api/login", json={"username": 1, "password": True}))
    a(Case("login-json-invalid", "core", method="POST", path="/api/login", headers=JSON_CT, content=b"{"))
    a(Case("login-ok", "core", method="POST", path="/api/login",
           json={"username": "alice", "password": "wonderland"}, save={"session": "cookie:session"}))
    a(Case("session-cookie", "core", path="/api/session", headers={"Cookie": Ctx("session")}))
    a(Case("session-cookie-among-others", "core", path="/api/session",
           headers={"Cookie": "theme=dark; session=alice-session; x=1"}))
    a(Case("session-wrong-cookie", "core", path="/api/session", headers={"Cookie": "session=bob"}))
    a(Case("session-quoted-cookie", "core", path="/api/session", headers={"Cookie": 'session="alice-session"'}))

    # ── SSE ───────────────────────────────────────────────────────────────────────
    a(Case("sse-default", "core", path="/api/events"))
    a(Case("sse-count-2", "core", path="/api/events?count=2"))
    a(Case("sse-last-event-id", "core", path="/api/events?count=3", headers={"Last-Event-ID": "7"}))
    a(Case("sse-last-event-id-minus-1", "core", path="/api/events?count=1", headers={"Last-Event-ID": "-1"}))
    a(Case("sse-last-event-id-bad", "core", path="/api/events", headers={"Last-Event-ID": "abc"}))
    a(Case("sse-count-0", "core", path="/api/events?count=0"))
    a(Case("sse-count-101", "core", path="/api/events?count=101"))
    a(Case("sse-query+header-errors", "core", path="/api/events?count=x", headers={"Last-Event-ID": "y"}))

    # ── WebSockets ────────────────────────────────────────────────────────────────
    a(Case("ws-live-default", "core", kind="ws", path="/ws/live", ws={"script": "send_json", "send": [{}]}))
    a(Case("ws-live-sensors", "core", kind="ws", path="/ws/live",
           ws={"script": "send_json", "send": [{"sensors": [1, 2, 99, 3], "count": 4}]}))
    a(Case("ws-live-count-0", "core", kind="ws", path="/ws/live",
           ws={"script": "send_json", "send": [{"count": 0}]}))
    a(Case("ws-live-count-capped", "core", kind="ws", path="/ws/live",
           ws={"script": "send_json", "send": [{"count": 1000, "sensors": []}]}, note="count capped at 100"))
    a(Case("ws-live-negative-count", "core", kind="ws", path="/ws/live",
           ws={"script": "send_json", "send": [{"count": -5}]}))
    a(Case("ws-live-not-json", "core", kind="ws", path="/ws/live",
           ws={"script": "send_text", "send": ["not json"]}, rules=("ws_handler_error",),
           note="the handler fails after accept: uvicorn drops the TCP connection (no close frame)"))
    a(Case("ws-echo-no-token-403", "core", kind="ws", path="/ws/echo", ws={"script": "send_text", "send": ["hi"]}))
    a(Case("ws-echo-bad-token-403", "core", kind="ws", path="/ws/echo?token=nope",
           ws={"script": "send_text", "send": ["hi"]}))
    a(Case("ws-echo-bye-4000", "core", kind="ws", path="/ws/echo?token=user-token",
           ws={"script": "send_text", "send": ["hello", "héllo wörld", "", "bye"]}))
    a(Case("ws-echo-admin", "core", kind="ws", path="/ws/echo?token=admin-token",
           ws={"script": "send_text", "send": ["x" * 300, "bye"]}))
    a(Case("ws-chat-broadcast", "core", kind="ws", path="/ws/chat",
           ws={"script": "chat", "send": ["hello all", "second"]}))
    a(Case("ws-unknown-path", "core", kind="ws", path="/ws/nope", ws={"script": "send_text", "send": ["x"]}))
    a(Case("ws-on-http-route", "core", kind="ws", path="/api/health", ws={"script": "send_text", "send": ["x"]}))
    return c


def _http() -> list[Case]:
    c: list[Case] = []
    a = c.append
    ident = {"Accept-Encoding": "identity"}
    gz = {"Accept-Encoding": "gzip"}

    # ── FileResponse, templates ───────────────────────────────────────────────────
    a(Case("index", "http", path="/", save={"etag_index": "header:etag"}))
    a(Case("index-inm", "http", path="/", headers={"If-None-Match": Ctx("etag_index")},
           note="FileResponse ignores If-None-Match: 200"))
    a(Case("download-manual", "http", path="/download/manual"))
    a(Case("download-manual-gzip", "http", path="/download/manual", headers=gz))
    a(Case("download-manual-range", "http", path="/download/manual", headers={"Range": "bytes=0-9"}))
    a(Case("dashboard", "http", path="/dashboard", note="Jinja2 output, byte for byte"))
    a(Case("dashboard-gzip", "http", path="/dashboard", headers=gz))

    # ── static files ──────────────────────────────────────────────────────────────
    for name in ("style.css", "app.js", "logo.svg", "manual.txt", "data/blob.bin"):
        key = name.replace("/", "_").replace(".", "_")
        a(Case(f"static-{name}", "http", path=f"/static/{name}", headers=ident,
               save={f"etag_{key}": "header:etag", f"lm_{key}": "header:last-modified"}))
    a(Case("static-app.js-gzip", "http", path="/static/app.js", headers=gz, rules=("static_gz",)))
    a(Case("static-style.css-gzip", "http", path="/static/style.css", headers=gz, rules=("static_gz",)))
    a(Case("static-blob-gzip", "http", path="/static/data/blob.bin", headers=gz, rules=("static_gz",)))
    a(Case("static-inm-304", "http", path="/static/style.css",
           headers={**ident, "If-None-Match": Ctx("etag_style_css")}))
    a(Case("static-inm-list-304", "http", path="/static/style.css",
           headers={**ident, "If-None-Match": ('"nope", ', Ctx("etag_style_css"))}))
    a(Case("static-inm-star-304", "http", path="/static/logo.svg", headers={**ident, "If-None-Match": "*"}))
    a(Case("static-inm-other-200", "http", path="/static/style.css", headers={**ident, "If-None-Match": '"nope"'}))
    a(Case("static-ims-304", "http", path="/static/manual.txt",
           headers={**ident, "If-Modified-Since": Ctx("lm_manual_txt")}))
    a(Case("static-ims-old-200", "http", path="/static/manual.txt",
           headers={**ident, "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}))
    a(Case("static-inm-beats-ims", "http", path="/static/manual.txt",
           headers={**ident, "If-None-Match": '"nope"', "If-Modified-Since": Ctx("lm_manual_txt")}))
    a(Case("static-etag-blob-304", "http", path="/static/data/blob.bin",
           headers={**ident, "If-None-Match": Ctx("etag_data_blob_bin")}))
    blob = "/static/data/blob.bin"
    for name, rng in [("first", "bytes=0-99"), ("middle", "bytes=1000-1999"), ("suffix", "bytes=-100"),
                      ("open", "bytes=65000-"), ("last-byte", "bytes=65535-65535"),
                      ("end-past-size", "bytes=65500-70000"), ("whole", "bytes=0-"),
                      ("multi", "bytes=0-9,20-29"), ("multi-overlap", "bytes=0-9,5-14"),
                      ("unsatisfiable-416", "bytes=70000-"), ("unsatisfiable-start", "bytes=65536-"),
                      ("bad-unit", "items=0-9"), ("malformed", "bytes=abc"), ("reversed", "bytes=9-0"),
                      ("suffix-zero", "bytes=-0")]:
        a(Case(f"static-range-{name}", "http", path=blob, headers={**ident, "Range": rng}))
    a(Case("static-range-text", "http", path="/static/manual.txt", headers={**ident, "Range": "bytes=10-19"}))
    a(Case("static-range-if-range-etag", "http", path=blob,
           headers={**ident, "Range": "bytes=0-9", "If-Range": Ctx("etag_data_blob_bin")}))
    a(Case("static-range-if-range-stale", "http", path=blob,
           headers={**ident, "Range": "bytes=0-9", "If-Range": '"stale"'}))
    a(Case("static-head", "http", method="HEAD", path="/static/style.css", headers=ident))
    a(Case("static-head-blob", "http", method="HEAD", path=blob, headers=ident))
    a(Case("static-post-405", "http", method="POST", path="/static/style.css", headers=ident))
    a(Case("static-dir-404", "http", path="/static/data", headers=ident))
    a(Case("static-dir-slash-404", "http", path="/static/data/", headers=ident))
    a(Case("static-root-404", "http", path="/static/", headers=ident))
    a(Case("static-root-noslash", "http", path="/static", headers=ident))
    a(Case("static-missing-404", "http", path="/static/nope.css", headers=ident))
    a(Case("static-gz-direct", "http", path="/static/app.js.gz", headers=ident))
    a(Case("static-case-404", "http", path="/static/STYLE.CSS", headers=ident))
    for i, t in enumerate([
        "/static/../app_fastapi.py", "/static/..%2fapp_fastapi.py", "/static/%2e%2e/app_fastapi.py",
        "/static/%2e%2e%2f%2e%2e%2fSPEC.md", "/static/data/../../index.html", "/static/..\\app_fastapi.py",
        "/static/%5c..%5capp_fastapi.py", "/static//etc/passwd", "/static/%2fetc%2fpasswd",
        "/static/style.css%00.js", "/static/%c0%ae%c0%ae/app_fastapi.py", "/static/....//app_fastapi.py",
        "/static/..;/app_fastapi.py", "/static/%252e%252e/app_fastapi.py", "/static/data/../../../SPEC.md",
        "/static/%2e%2e%5c%2e%2e%5cSPEC.md", "/static/data/..%2f..%2findex.html",
    ]):
        a(Case(f"static-traversal-{i}", "http", target=t, headers=ident, rules=("traversal",)))
    for i, t in enumerate(["/static/./style.css", "/static/data/./../style.css", "/static/data/%2e%2e/logo.svg"]):
        a(Case(f"static-dot-segments-{i}", "http", target=t, headers=ident,
               note="dot segments that stay inside the root (compared strictly)"))

    # ── gzip middleware ───────────────────────────────────────────────────────────
    a(Case("gzip-on-json", "http", path="/api/sensors/1/history?limit=100", headers=gz))
    a(Case("gzip-off-json", "http", path="/api/sensors/1/history?limit=100", headers=ident))
    a(Case("gzip-no-header", "http", path="/api/sensors/1/history?limit=100", headers={"Accept-Encoding": ""}))
    a(Case("gzip-list", "http", path="/api/sensors/2/history?limit=50", headers={"Accept-Encoding": "br, gzip, deflate"}))
    a(Case("gzip-qvalue-zero", "http", path="/api/sensors/2/history?limit=50", headers={"Accept-Encoding": "gzip;q=0"}))
    a(Case("gzip-deflate-only", "http", path="/api/sensors/2/history?limit=50", headers={"Accept-Encoding": "deflate"}))
    a(Case("gzip-small-uncompressed", "http", path="/api/health", headers=gz))
    a(Case("gzip-stream", "http", path="/api/stream", headers=gz, note="streams compress regardless of size"))
    a(Case("gzip-sse-never", "http", path="/api/events?count=40", headers=gz))
    a(Case("gzip-csv", "http", path="/api/export.csv", headers=gz))
    a(Case("gzip-404", "http", path="/api/sensors/5/history?limit=100", headers=gz))

    # ── CORS ──────────────────────────────────────────────────────────────────────
    lo = {"Origin": "http://localhost:3000"}
    a(Case("cors-simple-allowed", "http", path="/api/health", headers=lo))
    a(Case("cors-simple-allowed-2", "http", path="/api/custom", headers={"Origin": "https://app.example.com"}))
    a(Case("cors-simple-disallowed", "http", path="/api/health", headers={"Origin": "http://evil.example"}))
    a(Case("cors-simple-credentials", "http", path="/api/session",
           headers={**lo, "Cookie": "session=alice-session"}))
    a(Case("cors-simple-404", "http", path="/nope", headers=lo))
    a(Case("cors-simple-401", "http", path="/api/me", headers=lo))
    a(Case("cors-post-allowed", "http", method="POST", path="/api/login", headers=lo,
           json={"username": "alice", "password": "nope"}))
    a(Case("cors-preflight", "http", method="OPTIONS", path="/api/devices",
           headers={**lo, "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type"}))
    a(Case("cors-preflight-no-headers", "http", method="OPTIONS", path="/api/devices/1",
           headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "DELETE"}))
    a(Case("cors-preflight-disallowed-origin", "http", method="OPTIONS", path="/api/devices",
           headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}))
    a(Case("cors-preflight-custom-method", "http", method="OPTIONS", path="/api/health",
           headers={**lo, "Access-Control-Request-Method": "PURGE"}))
    a(Case("cors-preflight-unknown-path", "http", method="OPTIONS", path="/nope",
           headers={**lo, "Access-Control-Request-Method": "GET"}))
    a(Case("cors-options-no-acrm", "http", method="OPTIONS", path="/api/health", headers=lo,
           rules=("head_options",), note="not a preflight: falls through to routing"))
    a(Case("cors-origin-port-mismatch", "http", path="/api/health", headers={"Origin": "http://localhost:3001"}))
    a(Case("cors-origin-null", "http", path="/api/health", headers={"Origin": "null"}))
    a(Case("cors-static", "http", path="/static/logo.svg", headers={**ident, **lo}))

    # ── TrustedHost ───────────────────────────────────────────────────────────────
    for i, h in enumerate(["localhost", "127.0.0.1", "localhost:8000", "api.example.com",
                           "a.b.example.com:443", "LOCALHOST"]):
        a(Case(f"host-ok-{i}", "http", path="/api/health", host=h))
    for i, h in enumerate(["evil.com", "example.com", "localhost.evil.com", "exampleXcom", "127.0.0.2"]):
        a(Case(f"host-bad-{i}", "http", path="/api/health", host=h))
    a(Case("host-bad-404-path", "http", path="/nope", host="evil.com"))
    a(Case("host-bad-cors", "http", path="/api/health", host="evil.com", headers=lo))
    a(Case("host-wildcard-redirect", "http", path="/api/sensors/", host="api.example.com",
           note="307 location keeps the requested host"))
    return c


def _uploads() -> list[Case]:
    c: list[Case] = []
    a = c.append
    # ── multipart uploads ─────────────────────────────────────────────────────────
    a(Case("upload-one", "uploads", method="POST", path="/api/upload",
           files=[("file", ("notes.txt", b"hello upload\n", "text/plain"))]))
    a(Case("upload-with-description", "uploads", method="POST", path="/api/upload",
           data={"description": "firmware log"},
           files=[("file", ("log.bin", bytes(range(256)) * 40, "application/octet-stream"))]))
    a(Case("upload-empty-file", "uploads", method="POST", path="/api/upload",
           files=[("file", ("empty.txt", b"", "text/plain"))]))
    a(Case("upload-no-content-type", "uploads", method="POST", path="/api/upload",
           files=[("file", ("x.dat", b"abc"))]))
    a(Case("upload-unicode-description", "uploads", method="POST", path="/api/upload",
           data={"description": "été ✓"}, files=[("file", ("p.png", b"\x89PNG\r\n\x1a\n", "image/png"))]))
    a(Case("upload-missing-file", "uploads", method="POST", path="/api/upload", files=[("other", ("a", b"a"))],
           data={"description": "x"}))
    a(Case("upload-field-not-file", "uploads", method="POST", path="/api/upload",
           files=[("x", ("a", b"a"))], data={"file": "not a file"}))
    a(Case("upload-urlencoded", "uploads", method="POST", path="/api/upload", data={"file": "x"}))
    a(Case("upload-no-body", "uploads", method="POST", path="/api/upload"))
    a(Case("upload-big", "uploads", method="POST", path="/api/upload", rules=("size_limit",),
           files=[("file", ("big.bin", ota_image(1_500_000, 13), "application/octet-stream"))],
           note="1.5 MB: a documented upload limit (413) is allowed"))
    raw = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.txt\"\r\n"
           b"Content-Type: text/plain\r\n\r\nraw part\r\n--XyZ\r\nContent-Disposition: form-data; "
           b"name=\"description\"\r\n\r\nd\r\n--XyZ--\r\n")
    a(Case("upload-raw-multipart", "uploads", method="POST", path="/api/upload",
           headers={"Content-Type": "multipart/form-data; boundary=XyZ"}, content=raw))
    a(Case("upload-many-two", "uploads", method="POST", path="/api/upload-many",
           files=[("files", ("a.txt", b"aaa", "text/plain")), ("files", ("b.txt", b"bbbbbb", "text/plain"))]))
    a(Case("upload-many-one", "uploads", method="POST", path="/api/upload-many",
           files=[("files", ("only.txt", b"1", "text/plain"))]))
    a(Case("upload-many-none", "uploads", method="POST", path="/api/upload-many",
           files=[("other", ("a", b"a"))]))
    a(Case("wifi-multipart", "uploads", method="POST", path="/api/settings/wifi",
           data={"ssid": "mp", "password": "12345678"}, files=[("unused", ("u", b"u"))]))

    # ── OpenAPI and docs (SPEC difference 4) ──────────────────────────────────────
    a(Case("openapi", "uploads", path="/openapi.json", body_mode="openapi"))
    a(Case("docs", "uploads", path="/docs", body_mode="docs", rules=("docs",)))

    # ── OTA (SPEC difference 5: compared strictly) ────────────────────────────────
    img = ota_image(3000)
    img2 = ota_image(2500, 11)
    h = OTA_HDR
    a(Case("ota-status-noauth-401", "uploads", path="/ota/status"))
    a(Case("ota-status-bad-token-401", "uploads", path="/ota/status", headers={"X-OTA-Token": "nope"}))
    a(Case("ota-status-bad-query-token-401", "uploads", path="/ota/status?token=nope"))
    a(Case("ota-status", "uploads", path="/ota/status", headers=h))
    a(Case("ota-status-query-token", "uploads", path="/ota/status?token=ota-secret"))
    a(Case("ota-status-underscore-header-401", "uploads", path="/ota/status", headers={"X_OTA_Token": "ota-secret"},
           note="FastAPI maps x_ota_token to the header x-ota-token only"))
    a(Case("ota-status-header-beats-query", "uploads", path="/ota/status?token=ota-secret",
           headers={"X-OTA-Token": "wrong"}))
    a(Case("ota-begin-noauth-401", "uploads", method="POST", path="/ota/begin",
           json={"size": 3000, "sha256": sha(img)}))
    a(Case("ota-chunk-idle-409", "uploads", method="POST", path="/ota/chunk?offset=0", headers=h, content=b"x"))
    a(Case("ota-finalize-idle-409", "uploads", method="POST", path="/ota/finalize", headers=h, json={}))
    a(Case("ota-begin-invalid", "uploads", method="POST", path="/ota/begin", headers=h,
           json={"size": 0, "sha256": "XYZ"}))
    a(Case("ota-begin-too-big", "uploads", method="POST", path="/ota/begin", headers=h,
           json={"size": 1_900_001, "sha256": sha(img)}))
    a(Case("ota-begin-missing", "uploads", method="POST", path="/ota/begin", headers=h, json={}))
    a(Case("ota-begin-uppercase-sha", "uploads", method="POST", path="/ota/begin", headers=h,
           json={"size": 5, "sha256": sha(img).upper()}))
    a(Case("ota-begin", "uploads", method="POST", path="/ota/begin", headers=h,
           json={"size": 3000, "sha256": sha(img)}))
    a(Case("ota-begin-again-409", "uploads", method="POST", path="/ota/begin", headers=h,
           json={"size": 3000, "sha256": sha(img)}))
    a(Case("ota-status-receiving", "uploads", path="/ota/status", headers=h))
    a(Case("ota-chunk-0", "uploads", method="POST", path="/ota/chunk?offset=0", headers=h, content=img[:1000]))
    a(Case("ota-chunk-wrong-offset-409", "uploads", method="POST", path="/ota/chunk?offset=500", headers=h,
           content=img[500:1500]))
    a(Case("ota-chunk-offset-missing", "uploads", method="POST", path="/ota/chunk", headers=h, content=b"x"))
    a(Case("ota-chunk-offset-negative", "uploads", method="POST", path="/ota/chunk?offset=-1", headers=h,
           content=b"x"))
    a(Case("ota-chunk-offset-abc", "uploads", method="POST", path="/ota/chunk?offset=abc", headers=h,
           content=b"x"))
    a(Case("ota-chunk-noauth", "uploads", method="POST", path="/ota/chunk?offset=1000", content=img[1000:]))
    a(Case("ota-finalize-incomplete-409", "uploads", method="POST", path="/ota/finalize", headers=h, json={}))
    a(Case("ota-upload-while-receiving-409", "uploads", method="POST", path="/ota/upload", headers={
        **h, "X-OTA-SHA256": sha(img2)}, content=img2))
    a(Case("ota-chunk-1000", "uploads", method="POST", path="/ota/chunk?offset=1000", headers=h,
           content=img[1000:2000]))
    a(Case("ota-chunk-2000-query-token", "uploads", method="POST", path="/ota/chunk?offset=2000&token=ota-secret",
           content=img[2000:]))
    a(Case("ota-chunk-past-size-413", "uploads", method="POST", path="/ota/chunk?offset=3000", headers=h,
           content=b"extra"))
    a(Case("ota-status-after-413", "uploads", path="/ota/status", headers=h))
    a(Case("ota-begin-2", "uploads", method="POST", path="/ota/begin", headers=h,
           json={"size": 3000, "sha256": sha(img)}))
    a(Case("ota-chunk-all", "uploads", method="POST", path="/ota/chunk?offset=0", headers=h, content=img))
    a(Case("ota-finalize-bad-body", "uploads", method="POST", path="/ota/finalize", headers=h,
           json={"set_boot": "maybe"}))
    a(Case("ota-finalize-set-boot", "uploads", method="POST", path="/ota/finalize", headers=h,
           json={"set_boot": True}))
    a(Case("ota-status-ready", "uploads", path="/ota/status", headers=h))
    a(Case("ota-mark-valid", "uploads", method="POST", path="/ota/mark-valid", headers=h))
    a(Case("ota-mark-valid-noauth", "uploads", method="POST", path="/ota/mark-valid"))
    a(Case("ota-begin-wrong-sha", "uploads", method="POST", path="/ota/begin", headers=h,
           json={"size": 2500, "sha256": sha(img)}))
    a(Case("ota-chunk-wrong-sha", "uploads", method="POST", path="/ota/chunk?offset=0", headers=h, content=img2))
    a(Case("ota-finalize-sha-mismatch-400", "uploads", method="POST", path="/ota/finalize", headers=h, json={}))
    a(Case("ota-status-after-mismatch", "uploads", path="/ota/status", headers=h))
    a(Case("ota-begin-3", "uploads", method="POST", path="/ota/begin", headers=h,
           json={"size": 2500, "sha256": sha(img2)}))
    a(Case("ota-chunk-half", "uploads", method="POST", path="/ota/chunk?offset=0", headers=h, content=img2[:1200]))
    a(Case("ota-abort", "uploads", method="POST", path="/ota/abort", headers=h))
    a(Case("ota-status-aborted", "uploads", path="/ota/status", headers=h))
    a(Case("ota-abort-again", "uploads", method="POST", path="/ota/abort", headers=h))
    a(Case("ota-upload", "uploads", method="POST", path="/ota/upload", headers={**h, "X-OTA-SHA256": sha(img2)},
           content=img2))
    a(Case("ota-upload-set-boot", "uploads", method="POST", path="/ota/upload?set_boot=true",
           headers={**h, "X-OTA-SHA256": sha(img)}, content=img))
    a(Case("ota-status-after-upload", "uploads", path="/ota/status", headers=h))
    a(Case("ota-upload-sha-mismatch-400", "uploads", method="POST", path="/ota/upload",
           headers={**h, "X-OTA-SHA256": sha(img)}, content=img2))
    a(Case("ota-upload-bad-sha-header", "uploads", method="POST", path="/ota/upload",
           headers={**h, "X-OTA-SHA256": "abc"}, content=img2))
    a(Case("ota-upload-missing-sha-header", "uploads", method="POST", path="/ota/upload", headers=h, content=img2))
    a(Case("ota-upload-header+query-errors", "uploads", method="POST", path="/ota/upload?set_boot=maybe",
           headers={**h, "X-OTA-SHA256": "G" * 64}, content=img2))
    a(Case("ota-upload-empty-413", "uploads", method="POST", path="/ota/upload",
           headers={**h, "X-OTA-SHA256": sha(b"")}, content=b""))
    a(Case("ota-upload-noauth", "uploads", method="POST", path="/ota/upload",
           headers={"X-OTA-SHA256": "G"}, content=b"x", note="auth dependency fails before validation"))
    a(Case("ota-status-final", "uploads", path="/ota/status?token=ota-secret"))
    a(Case("ota-405", "uploads", path="/ota/begin", headers=h))
    return c


def all_cases() -> list[Case]:
    """The whole ordered sequence; ids are unique."""
    cases = _core() + _http() + _uploads()
    seen: set[str] = set()
    for case in cases:
        assert case.id not in seen, f"duplicate case id {case.id}"
        assert case.area in AREAS, case.id
        seen.add(case.id)
    return cases


CASES = all_cases()
