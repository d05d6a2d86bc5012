"""Design-point benchmark: the server CPU each operation of the national design point costs, measured
on a real server (issue 11).

    .venv/bin/python bench/requests.py                 # full scale, SQLite
    .venv/bin/python bench/requests.py --small         # a development run (a tenth of everything)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anxin_requests_bench .venv/bin/python bench/requests.py

The world (``bench/realistic.py``, decision 0047): 200,000 customers, 500 outlets, 3,200 technicians
(every active one — about 3,000 — with 5–15 open field jobs with an appointment today, on customers
their outlet covers, of a grade they have, beside an archive of ``--orders`` historical orders),
2,000 hotline agents each bound to an extension; the search index built and the customer-access
table rebuilt. The application runs as in production (README "Production", docs/scaling.md):
``ANXIN_ENV=prod``, ``REDIS_URL`` (``--redis``; its database is emptied, the pop channel is the run's
own), pages and API on gunicorn with ``--workers`` sync workers on 127.0.0.1, and — once the project
has ``anxin/asgi.py`` and uvicorn — the agents' pop streams on ``uvicorn --workers`` beside it
(``--server split``; ``wsgi`` / ``asgi`` / ``--server-cmd`` otherwise); the client sends
``X-Forwarded-Proto: https`` as the TLS proxy does and keeps the cookies the server sets, as a
browser; a drainer process does what the Celery worker does with the outbox (``core.outbox.drain``
every second; its CPU counts as the application's).

Each operation runs as one batch of a fixed number of requests, randomised over the population
(different technicians, agents, customers, outlets), from ``--clients`` threads with keep-alive
connections, after a warm-up round, in three consecutive windows. The CPU is read from ``/proc`` with
psutil before and after each window — user + system of the gunicorn master, its workers and the
drainer (``*_ms``), and on PostgreSQL of the postgres backends serving the bench database (not the
bench process's own connection; ``*_db_ms``); SQLite runs inside the workers (``db_cores=0``) — and
an operation's figure is the median of its windows. The server's idle CPU (measured first, per
second) is subtracted from every window. CPU seconds per request grow on a busy
machine: the line ends with the load average at the start and the end; compare runs made under the
same load.

| operation | rate /s | measured as |
|---|---|---|
| technician job-list refresh | 1,000 (90 % unchanged) | what the phone reloads — the part of ``/orders/jobs/`` that refreshes itself (``hx-get`` on ``hx-trigger="every …"``), else the whole page — with the previous answer's ``ETag`` / ``Last-Modified`` and the cookies the server set; unchanged, and after one of the technician's jobs changed (a ``confirm`` over the API, not counted). Also the API (``GET /api/v1/orders/jobs``, before it existed ``?queue=my_jobs``): ``tech_api_*`` |
| agents waiting for a pop | 2,000 waiting | polling: an idle poll of the pop slot × its rate; pushed (an SSE stream): the CPU of holding the streams open ÷ (agents × seconds), plus opening one spread over its life (``ANXIN_POP_STREAM_SECONDS``: the browser reconnects) |
| ringing event delivered as a pop | 50 | ``POST /api/v1/telephony/call-events`` (the PBX's token) + the poll that shows it, or the stream's message (and the GET it triggers, if the slot swaps by ``hx-get``) |
| customer search | 50 | ``GET /customers/?q=`` as agents: half whole phone numbers, half 2-character names |
| dispatcher order list | 100 | ``GET /orders/`` as outlet managers + the fragments the page loads (``hx-trigger="load"``: the tab counts) |
| new order + 8 transitions | 20 (+160) | ``POST /api/v1/orders`` (agents' tokens); accept, assign (a technician the assignment rule accepts), confirm, depart, check_in, the completion report, the callback (which closes a satisfied order), close when still needed |

``design_point_cores`` = Σ rate × CPU seconds per operation (the job-list refresh weighted 0.9
unchanged / 0.1 changed; waiting agents 2,000 × the per-agent second); ``db_cores`` the same with the
database's CPU. Last line::

    RESULT requests db=… floor_ms=… tech_refresh_unchanged_ms=… tech_refresh_changed_ms=… pop_wait_ms_per_agent_s=…
           pop_ms=… search_ms=… list_ms=… create_ms=… transition_ms=… design_point_cores=… db_cores=… peak_rss_mb=… …

The pop design is detected from an agent's page: an element with ``sse-connect`` or a data attribute
naming a stream URL, or one of the usual paths (``/telephony/pop/stream/`` …) answering
``text/event-stream``; otherwise the slot's ``hx-get`` polled at its ``hx-trigger="every …"``.
``--pop-stream`` names the URL. Streams are opened 25 at a time (agents' pages connect over time).

Outside the table, reported but not summed: what else a page polls on a timer (the notification
bell, ``bell_ms``; ``bell_cores_outside_table`` at 30,000 phones + 2,000 agents' pages) and the
opening of a pop stream (``pop_stream_open_ms``, per page view). ``--profile N`` afterwards runs N
requests per operation in-process under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import itertools
import json
import os
import random
import re
import resource
import secrets
import selectors
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import quote, urlsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import psutil  # noqa: E402
import realistic  # noqa: E402
from _common import HOST, ROOT, Env, PeakRss, Server, close_db_connections, percentile, result_line, setup_django  # noqa: E402
from orders import assignable, completion_report  # noqa: E402

# This file is called requests.py: once its neighbours are imported, take bench/ off the path so a
# library's ``import requests`` finds the real one, not this script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]

# Operations of the design point: rate per second at peak (issue 11).
RATES = {
    "tech_refresh": 1000,
    "pop_wait_agents": 2000,
    "pop": 50,
    "search": 50,
    "list": 100,
    "create": 20,
    "transition": 160,
}
TECH_UNCHANGED_SHARE = 0.9
# Requests per batch at full scale (--small: a tenth; --requests scales them).
COUNTS = {
    "floor": 1000,
    "tech_users": 300,  # technicians sampled; the unchanged refresh runs twice over them
    "tech_changed": 150,
    "polls": 1000,
    "pops": 200,
    "search": 400,
    "list": 300,
    "chain": 150,
    "bell": 300,
}
# Not in the design point's table: the notification bell every page polls, at the design point's
# phones (1,000 refreshes a second: 30,000 phones every 30 s) plus the 2,000 agents' pages, per its period.
BELL_PAGES = 30_000 + 2_000
# Streams opening at once (the agents' pages reconnect over time; a storm of 2,000 at once is another test).
OPENING_AT_ONCE = 25
STREAM_PATHS = ("/telephony/pop/stream/", "/telephony/pop/events/", "/telephony/stream/", "/telephony/events/", "/events/pop/")
TECH_PAGE = "/orders/jobs/"
# The technician's job list in the API: its own endpoint once there is one, else the "my jobs" queue.
TECH_APIS = ("/api/v1/orders/jobs", "/api/v1/orders?queue=my_jobs&page_size=50")
PATHS = {"tech_page": TECH_PAGE, "tech_api": ""}  # --tech-page / --tech-api
WINDOWS = 3  # metered windows per measured batch: the figure is their median
DRAINER = """
import signal, time, django
django.setup()
from django.db import close_old_connections
from anxin.core import outbox
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
while not stop:
    try:
        outbox.drain()
    except Exception as exc:  # the bench must go on; the server log shows it
        print("drain:", exc, flush=True)
        close_old_connections()
    time.sleep(1)
"""


def log(*args) -> None:
    print(*args, flush=True)


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        try:
            return json.loads(self.body) if self.body else {}
        except ValueError:
            return {}


class Jars:
    """The cookies a browser keeps beside its session (the CSRF secret, messages), one jar per
    session: the session's ``Cookie`` header names it. What the server sets comes back with the
    next request, as a browser sends it (a page's ETag may depend on them)."""

    def __init__(self):
        self.jars: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()

    def outgoing(self, headers: dict[str, str]) -> dict[str, str]:
        session = headers.get("Cookie")
        with self.lock:
            jar = self.jars.get(session) if session else None
            if jar:
                headers = {**headers, "Cookie": "; ".join([session, *(f"{k}={v}" for k, v in jar.items())])}
        return headers

    def absorb(self, session: str | None, set_cookies: list[str]) -> None:
        if not session or not set_cookies:
            return
        own = session.split("=", 1)[0]
        with self.lock:
            jar = self.jars.setdefault(session, {})
            for line in set_cookies:
                with contextlib.suppress(CookieError):
                    for name, morsel in SimpleCookie(line).items():
                        if name == own:
                            continue
                        if morsel.value == "" or morsel["max-age"] == "0":
                            jar.pop(name, None)
                        else:
                            jar[name] = morsel.value


JARS = Jars()


class Http:
    """One keep-alive connection of a client thread (reopened when the server closes it, as sync
    gunicorn workers do after each answer); the caller's identity comes with each request, and the
    cookies the server set for that session (``JARS``)."""

    def __init__(self, port: int, base_headers: dict[str, str], timeout: float = 120.0):
        self.port, self.base, self.timeout = port, base_headers, timeout
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def request(self, method: str, path: str, *, headers: dict | None = None, body: dict | None = None) -> Response:
        payload = json.dumps(body).encode() if body is not None else None
        session = (headers or {}).get("Cookie")
        all_headers = JARS.outgoing({**self.base, **(headers or {})})
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=payload, headers=all_headers)
                r = self.conn.getresponse()
                raw = r.read()
                if r.will_close:
                    self.conn.close()
                JARS.absorb(session, r.msg.get_all("Set-Cookie") or [])
                return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, raw)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


TAG = re.compile(r"<[a-zA-Z][^>]*>")
ATTR = re.compile(r'([\w:.-]+)="([^"]*)"')


def tags(text: str) -> list[dict[str, str]]:
    return [{k.lower(): html.unescape(v) for k, v in ATTR.findall(t)} for t in TAG.findall(text)]


def page_view(conn: Http, path: str, headers: dict) -> tuple[Response, int]:
    """A page as a browser shows it: the page, then the fragments it loads at once
    (``hx-trigger="load"``, e.g. the order list's tab counts). Returns the page and the request count."""
    r = conn.request("GET", path, headers=headers)
    n = 1
    if r.status == 200 and r.headers.get("content-type", "").startswith("text/html"):
        for attrs in tags(r.body.decode(errors="replace")):
            if attrs.get("hx-get") and attrs.get("hx-trigger", "").split(",")[0].strip() == "load":
                fragment = conn.request("GET", attrs["hx-get"], headers={**headers, "HX-Request": "true"})
                n += 1
                if fragment.status >= 400:
                    raise RuntimeError(f"{attrs['hx-get']}: HTTP {fragment.status}")
    return r, n


# --- server-sent events -----------------------------------------------------------------------


@dataclass
class Stream:
    key: object
    sock: socket.socket
    raw: bytearray = field(default_factory=bytearray)
    status: int = 0
    content_type: str = ""
    chunked: bool = False
    body: bytearray = field(default_factory=bytearray)
    events: list[tuple[float, str, str]] = field(default_factory=list)
    closed: bool = False
    bytes_in: int = 0


class StreamHub:
    """Many open ``text/event-stream`` answers, read in one thread (a selector), their events kept per
    key: the agents' browsers waiting for a pop."""

    def __init__(self, port: int, base_headers: dict[str, str]):
        self.port, self.base = port, base_headers
        self.sel = selectors.DefaultSelector()
        self.streams: dict[object, Stream] = {}
        self.cond = threading.Condition()
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sse-hub", daemon=True)
        self._thread.start()

    def open(self, key, path: str, headers: dict[str, str]) -> None:
        sock = socket.create_connection((HOST, self.port), timeout=30)
        lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "Accept: text/event-stream", "Cache-Control: no-cache"]
        lines += [
            f"{k}: {v}" for k, v in JARS.outgoing({**self.base, **headers}).items() if k.lower() not in ("host", "accept", "connection")
        ]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        sock.setblocking(False)
        stream = Stream(key, sock)
        with self.lock:
            self.streams[key] = stream
            self.sel.register(sock, selectors.EVENT_READ, stream)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self.lock:
                empty = not self.sel.get_map()
            if empty:
                time.sleep(0.05)
                continue
            for key, _mask in self.sel.select(timeout=0.1):
                stream = key.data
                try:
                    data = stream.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                with self.cond:
                    if not data:
                        self._close(stream)
                    else:
                        stream.bytes_in += len(data)
                        self._feed(stream, data)
                    self.cond.notify_all()

    def _close(self, stream: Stream) -> None:
        stream.closed = True
        with self.lock, contextlib.suppress(KeyError, ValueError, OSError):
            self.sel.unregister(stream.sock)
        with contextlib.suppress(OSError):
            stream.sock.close()

    def _feed(self, stream: Stream, data: bytes) -> None:
        if not stream.status:
            stream.raw += data
            end = stream.raw.find(b"\r\n\r\n")
            if end < 0:
                return
            head, rest = bytes(stream.raw[:end]).decode("latin-1"), bytes(stream.raw[end + 4 :])
            first, *header_lines = head.split("\r\n")
            stream.status = int(first.split()[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
            stream.content_type = headers.get("content-type", "")
            stream.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
            stream.raw = bytearray()
            data = rest
        if stream.chunked:
            stream.raw += data
            while True:
                line_end = stream.raw.find(b"\r\n")
                if line_end < 0:
                    break
                size = int(bytes(stream.raw[:line_end]).split(b";")[0] or b"0", 16)
                if size == 0:
                    self._close(stream)
                    break
                if len(stream.raw) < line_end + 2 + size + 2:
                    break
                stream.body += stream.raw[line_end + 2 : line_end + 2 + size]
                del stream.raw[: line_end + 2 + size + 2]
        else:
            stream.body += data
        body = bytes(stream.body).replace(b"\r\n", b"\n")
        *blocks, rest = body.split(b"\n\n")
        stream.body = bytearray(rest)
        for block in blocks:
            name, data_lines = "message", []
            for line in block.decode(errors="replace").split("\n"):
                if line.startswith(":") or not line:
                    continue
                key, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if key == "event":
                    name = value
                elif key == "data":
                    data_lines.append(value)
            if data_lines:
                stream.events.append((time.monotonic(), name, "\n".join(data_lines)))

    def open_many(self, who: list[tuple[object, dict]], path: str, at_once: int = OPENING_AT_ONCE) -> list:
        """Open a stream for each (key, headers), ``at_once`` in flight (agents' pages open theirs over
        time, not all in the same second); the keys whose stream did not open."""
        failed = []
        for start in range(0, len(who), at_once):
            chunk = who[start : start + at_once]
            for key, headers in chunk:
                self.open(key, path, headers)
            failed += self.wait_open([k for k, _h in chunk], timeout=60.0)
        return failed

    def wait_open(self, keys, timeout: float) -> list:
        """Wait until every stream of ``keys`` has its answer's head; the keys that did not open."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                missing = [k for k in keys if not self.streams[k].status and not self.streams[k].closed]
                if not missing or time.monotonic() > deadline:
                    break
                self.cond.wait(0.2)
        return [k for k in keys if self.streams[k].status != 200 or not self.streams[k].content_type.startswith("text/event-stream")]

    def failures(self, keys) -> str:
        """What the streams of ``keys`` answered instead (", failed: HTTP 503 ×3, closed ×2")."""
        seen: dict[str, int] = {}
        with self.cond:
            for k in keys:
                st = self.streams[k]
                what = f"HTTP {st.status}" if st.status and st.status != 200 else ("closed" if st.closed else "no answer")
                seen[what] = seen.get(what, 0) + 1
        return (", failed: " + ", ".join(f"{k} ×{v}" for k, v in sorted(seen.items()))) if seen else ""

    def event_count(self, key) -> int:
        with self.cond:
            return len(self.streams[key].events)

    def wait_event(self, key, after: int, timeout: float, accept=lambda name, data: True):
        """The first event of ``key``'s stream after the first ``after`` that ``accept(name, data)``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for _t, name, data in self.streams[key].events[after:]:
                    if accept(name, data):
                        return name, data
                after = len(self.streams[key].events)
                left = deadline - time.monotonic()
                if left <= 0 or self.streams[key].closed:
                    return None
                self.cond.wait(min(left, 0.2))

    def close_all(self) -> None:
        with self.cond:
            for stream in list(self.streams.values()):
                if not stream.closed:
                    self._close(stream)
            self.streams.clear()

    def stop(self) -> None:
        self.close_all()
        self._stop.set()
        self._thread.join(timeout=5)


def probe_stream(port: int, path: str, headers: dict) -> bool:
    """Does ``path`` answer with an event stream? (Only the head is read, then the socket closed.)"""
    try:
        with socket.create_connection((HOST, port), timeout=5) as sock:
            lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", "Accept: text/event-stream"]
            lines += [f"{k}: {v}" for k, v in JARS.outgoing(headers).items() if k.lower() not in ("host", "accept", "connection")]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = sock.recv(4096)
                if not data:
                    break
                head += data
    except OSError:
        return False
    first, _, rest = head.partition(b"\r\n")
    parts = first.split()
    return len(parts) > 1 and parts[1] == b"200" and b"text/event-stream" in rest.split(b"\r\n\r\n")[0].lower()


@dataclass
class PopDesign:
    kind: str  # "poll" or "sse"
    url: str  # the polled URL, or the stream's
    interval_s: float = 1.0  # polling
    follow_get: str = ""  # sse: the URL the slot GETs when a message arrives ("" when the message is the pop)
    event: str = ""  # sse: the name of the events that carry pops ("": any event)


def detect_pop(port: int, stream_port: int, base: dict, agent_headers: dict, override: str = "") -> PopDesign:
    """How an agent's page receives pops, read from the page as a browser would."""
    conn = Http(port, base)
    path = "/"
    for _hop in range(4):  # a browser follows the home page's redirects
        page = conn.request("GET", path, headers=agent_headers)
        if page.status not in (301, 302, 303, 307) or not page.headers.get("location"):
            break
        path = urlsplit(page.headers["location"])._replace(scheme="", netloc="").geturl() or "/"
    conn.close()
    if page.status != 200:
        raise RuntimeError(f"an agent's home page answered {page.status} {page.headers.get('location', '')}")
    found = tags(page.body.decode(errors="replace"))
    slot = next((a for a in found if a.get("id") == "screen-pop-slot" or "data-screen-pop-slot" in a), {})
    candidates = [override] if override else []
    for attrs in found:
        for name, value in attrs.items():
            if not value.startswith("/"):
                continue
            named = name in ("sse-connect", "ws-connect") or (name.startswith("data-") and re.search(r"stream|sse|events", name))
            if named or (re.search(r"(stream|/events|/sse)", value) and not value.startswith("/static/")):
                candidates.append(value)
    for url in dict.fromkeys([*candidates, *STREAM_PATHS]):
        if probe_stream(stream_port, url, {**base, **agent_headers}):
            trigger = slot.get("hx-trigger", "")
            follow = slot.get("hx-get", "") if "sse:" in trigger else ""
            # The event that carries a pop: the stream element's sse-swap, or the slot's sse:<name> trigger.
            feed = next((a for a in found if a.get("sse-connect") == url), {})
            m = re.search(r"sse:([\w-]+)", trigger)
            event = feed.get("sse-swap") or slot.get("sse-swap") or (m.group(1) if m else "")
            return PopDesign("sse", url, follow_get=follow, event=event)
    if any("ws-connect" in a for a in found) and not slot.get("hx-get"):
        raise RuntimeError("pops over WebSocket: this bench reads server-sent events or polls")
    if not slot.get("hx-get"):
        raise RuntimeError("no pop slot on an agent's page (neither a stream nor a polled hx-get)")
    m = re.search(r"every\s+(\d+(?:\.\d+)?)\s*(ms|s)", slot.get("hx-trigger", ""))
    interval = (float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)) if m else 1.0
    return PopDesign("poll", slot["hx-get"], interval_s=interval)


# --- CPU from /proc ---------------------------------------------------------------------------

BACKEND = re.compile(r"^postgres: (?:[^:]+: )?(\S+) (\S+) [^\s(]+\((\d+)\)")


class CpuMeter:
    """User + system CPU seconds of the application's processes (the server's process tree and the
    drainer) and of the PostgreSQL backends serving ``db_name`` (but the bench's own connections),
    sampled in a thread so processes that come and go are counted up to their last sample."""

    def __init__(self, app_roots: list[int], db_name: str | None, interval: float = 0.25):
        self.app_roots = [psutil.Process(pid) for pid in app_roots]
        self.db_name = db_name
        self.latest: dict[str, dict[tuple, float]] = {"app": {}, "db": {}}
        self.rss_peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._me = psutil.Process()
        self._thread = threading.Thread(target=self._run, name="cpu-meter", daemon=True)
        self._thread.start()

    def _app(self) -> list[psutil.Process]:
        procs = []
        for root in self.app_roots:
            with contextlib.suppress(psutil.Error):
                procs += [root, *root.children(recursive=True)]
        return procs

    def _db(self) -> list[psutil.Process]:
        if not self.db_name:
            return []
        mine = set()
        with contextlib.suppress(psutil.Error):
            mine = {c.laddr.port for c in self._me.net_connections("tcp") if c.raddr and c.raddr.port == 5432}
        procs = []
        for p in psutil.process_iter(["cmdline"]):
            cmd = (p.info.get("cmdline") or [""])[0] if p.info.get("cmdline") else ""
            m = BACKEND.match(cmd or "")
            if m and m.group(2) == self.db_name and int(m.group(3)) not in mine:
                procs.append(p)
        return procs

    def sample(self) -> None:
        rss = 0
        for group, procs in (("app", self._app()), ("db", self._db())):
            for p in procs:
                try:
                    with p.oneshot():
                        t = p.cpu_times()
                        key = (p.pid, p.create_time())
                        if group == "app":
                            rss += p.memory_info().rss
                except psutil.Error:
                    continue
                with self._lock:
                    self.latest[group][key] = t.user + t.system
        self.rss_peak = max(self.rss_peak, rss)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.sample()

    def mark(self) -> dict[str, dict[tuple, float]]:
        self.sample()
        with self._lock:
            return {g: dict(v) for g, v in self.latest.items()}

    def since(self, mark) -> tuple[float, float]:
        self.sample()
        with self._lock:
            return tuple(sum(v - mark[g].get(k, 0.0) for k, v in self.latest[g].items()) for g in ("app", "db"))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# --- batches ----------------------------------------------------------------------------------


@dataclass
class Batch:
    name: str
    ops: int = 0
    requests: int = 0
    app_s: float = 0.0
    db_s: float = 0.0
    wall_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @property
    def app_ms(self) -> float:
        return 1000 * self.app_s / max(1, self.ops)

    @property
    def db_ms(self) -> float:
        return 1000 * self.db_s / max(1, self.ops)


class Bench:
    def __init__(self, port: int, base_headers: dict, meter: CpuMeter, clients: int, stream_port: int | None = None):
        self.port, self.base, self.meter, self.clients = port, base_headers, meter, clients
        self.stream_port = stream_port or port
        self.idle = (0.0, 0.0)  # app, db CPU seconds per second with nothing to do
        self.batches: dict[str, Batch] = {}

    def measure_idle(self, seconds: float, windows: int = 3) -> None:
        """The idle server's CPU per second: the median of ``windows`` windows after a pause (the
        warm-up's last answers and closed streams settle first)."""
        time.sleep(2.0)
        rates = []
        for _ in range(windows):
            mark, t = self.meter.mark(), time.monotonic()
            time.sleep(seconds / windows)
            app, db = self.meter.since(mark)
            wall = time.monotonic() - t
            rates.append((max(0.0, app / wall), max(0.0, db / wall)))
        self.idle = (sorted(r[0] for r in rates)[windows // 2], sorted(r[1] for r in rates)[windows // 2])

    def run(self, name: str, items: list, fn, *, measure: bool = True, idle_extra: float = 0.0) -> Batch:
        """Run ``fn(conn, item, batch)`` for every item from ``self.clients`` threads; ``fn`` returns the
        number of requests it made. The CPU of the batch less the idle server's (and ``idle_extra``
        CPU seconds per second of something else held open meanwhile).

        A measured batch runs as ``WINDOWS`` consecutive windows of its items, each metered on its
        own; its CPU per operation is the windows' median (a checkpoint, an autovacuum or a
        neighbour's burst in one window does not move the figure), over all its operations."""
        batch = Batch(name)
        lock = threading.Lock()
        n_windows = WINDOWS if measure and len(items) >= 3 * WINDOWS else 1
        size = -(-len(items) // n_windows)
        per_op: list[tuple[float, float]] = []
        started = time.monotonic()
        for w in range(n_windows):
            chunk = items[w * size : (w + 1) * size]
            if not chunk:
                continue
            todo = iter(chunk)
            ops_before = batch.ops

            def worker(todo=todo):
                conn = Http(self.port, self.base)
                try:
                    while True:
                        with lock:
                            item = next(todo, None)
                        if item is None:
                            return
                        t = time.perf_counter()
                        try:
                            n = fn(conn, item, batch)
                        except Exception as exc:  # noqa: BLE001 - counted, reported, the run goes on
                            with lock:
                                batch.errors.append(f"{type(exc).__name__}: {str(exc)[:300]}")
                            conn.close()
                            conn = Http(self.port, self.base)
                            continue
                        with lock:
                            batch.latencies.append((time.perf_counter() - t) * 1000)
                            batch.ops += 1
                            batch.requests += n
                finally:
                    conn.close()

            mark, w_started = self.meter.mark(), time.monotonic()
            threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(self.clients, max(1, len(chunk))))]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            time.sleep(0.05)  # the workers finish the last answers' bookkeeping
            app, db = self.meter.since(mark)
            wall = time.monotonic() - w_started
            ops = max(1, batch.ops - ops_before)
            per_op.append((max(0.0, app - (self.idle[0] + idle_extra) * wall) / ops, max(0.0, db - self.idle[1] * wall) / ops))
        batch.wall_s = time.monotonic() - started
        if per_op:
            batch.app_s = sorted(p[0] for p in per_op)[len(per_op) // 2] * batch.ops
            batch.db_s = sorted(p[1] for p in per_op)[len(per_op) // 2] * batch.ops
        if measure:
            self.batches[name] = batch
            lat = percentile(batch.latencies, 50)
            log(
                f"  {name:26} {batch.ops:5} ops {batch.requests:5} req  app {batch.app_ms:8.2f} ms/op  db {batch.db_ms:7.2f} ms/op"
                f"  wall p50 {lat:7.1f} ms  {dict(sorted(batch.statuses.items()))}  errors {len(batch.errors)}"
                + (f"  windows {' '.join(f'{1000 * p[0]:.2f}' for p in per_op)}" if len(per_op) > 1 else "")
            )
            for e in batch.errors[:3]:
                log(f"    error: {e}")
        return batch


_STATUS_LOCK = threading.Lock()


def expect(batch: Batch, r: Response, *ok: int, what: str = "") -> Response:
    with _STATUS_LOCK:
        batch.statuses[r.status] = batch.statuses.get(r.status, 0) + 1
    if r.status not in ok:
        raise RuntimeError(f"{what}: HTTP {r.status} {r.body[:200]!r}")
    return r


# --- the world ---------------------------------------------------------------------------------


@dataclass
class People:
    """Who acts in the bench: sessions (cookie values) and API tokens, made in the bench process."""

    port: int
    admin_id: int
    cookies: dict[int, str] = field(default_factory=dict)
    tokens: dict[int, str] = field(default_factory=dict)

    def cookie(self, user_id: int) -> dict[str, str]:
        from django.conf import settings

        if user_id not in self.cookies:
            from django.test import Client

            from anxin.accounts.models import User

            client = Client()
            client.force_login(User.objects.get(pk=user_id))
            self.cookies[user_id] = client.cookies[settings.SESSION_COOKIE_NAME].value
        return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={self.cookies[user_id]}"}

    def token(self, user_id: int) -> dict[str, str]:
        if user_id not in self.tokens:
            from anxin.accounts.models import User
            from anxin.accounts.services import api_token_create

            admin = User.objects.get(pk=self.admin_id)
            self.tokens[user_id] = api_token_create(actor=admin, user=User.objects.get(pk=user_id), name="bench")[1]
        return {"Authorization": f"Bearer {self.tokens[user_id]}", "Accept": "application/json"}


def build_world(args, sizes: dict) -> dict:
    """The realistic world plus the day's field work and the call center; search index and customer access."""
    seconds = {}
    t = time.perf_counter()
    network = realistic.build_network(sizes["outlets"], sizes["technicians"], args.seed)
    seconds["network_s"] = time.perf_counter() - t
    log(f"network: {sizes['outlets']} outlets, {sizes['technicians']} technicians in {seconds['network_s']:.1f} s")
    customers, seconds["customers_s"] = realistic.load_customers(sizes["customers"], args.seed, network)
    log(f"loaded {sizes['customers']} customers in {seconds['customers_s']:.1f} s")
    stats, seconds["orders_s"] = realistic.load_orders(sizes["orders"], args.seed, network, customers)
    log(f"loaded {sizes['orders']} archive orders in {seconds['orders_s']:.1f} s")
    today = realistic.load_today_jobs(network, customers, args.seed)
    seconds["today_s"] = today["seconds"]
    jobs = today["jobs"]
    log(f"today: {sum(len(v) for v in jobs.values())} field jobs for {len(jobs)} technicians in {seconds['today_s']:.1f} s")
    t = time.perf_counter()
    agents = realistic.add_agents(network, sizes["agents"], args.seed)
    log(f"{len(agents)} agents bound to extensions in {time.perf_counter() - t:.1f} s")
    access = realistic.rebuild_customer_access()
    if access is not None:
        seconds["access_rebuild_s"] = access
        log(f"customer access rebuilt in {access:.1f} s")
    from anxin.customers.search import rebuild_index

    t = time.perf_counter()
    rows = rebuild_index()
    seconds["index_s"] = time.perf_counter() - t
    log(f"search index: {rows} rows in {seconds['index_s']:.1f} s")
    return {"network": network, "customers": customers, "stats": stats, "jobs": jobs, "agents": agents, "seconds": seconds}


def pbx_user(network) -> int:
    """The PBX integration: a user without a role, posting call events with its token."""
    from anxin.accounts.models import User

    return User.objects.create(username="pbx-integration", role="", org_unit_id=network.hq_id).pk


# --- the operations ------------------------------------------------------------------------------


def op_floor(bench: Bench, n: int, measure: bool = True) -> None:
    def fn(conn, path, batch):
        expect(batch, conn.request("GET", path), 200, what=path)
        return 1

    bench.run("floor", ["/healthz"] * n, fn, measure=measure)


def search_queries(world, rng: random.Random, n: int) -> list[str]:
    """Half whole phone numbers of customers drawn across the archive, half 2-character names."""
    from anxin.customers.models import Customer, CustomerPhone

    ids = [c.id for c in rng.sample(world["customers"], k=min(len(world["customers"]), 4 * n))]
    phones = list(CustomerPhone.objects.filter(customer_id__in=ids[: n // 2 + 1]).values_list("number", flat=True))
    names = [name for name in Customer.objects.filter(pk__in=ids).values_list("name", flat=True) if len(name) == 2]
    if not names:
        names = [name[:2] for name in Customer.objects.filter(pk__in=ids[:n]).values_list("name", flat=True)]
    out = [phones[i % len(phones)] if i % 2 == 0 else names[i % len(names)] for i in range(n)]
    rng.shuffle(out)
    return out


def op_search(bench: Bench, world, people: People, rng, n: int, measure: bool = True) -> None:
    agents = rng.sample(world["agents"], k=min(n, len(world["agents"])))
    items = [(people.cookie(agents[i % len(agents)][0]), q) for i, q in enumerate(search_queries(world, rng, n))]

    def fn(conn, item, batch):
        headers, q = item
        r, count = page_view(conn, f"/customers/?q={quote(q)}", headers)
        expect(batch, r, 200, what=f"search {q}")
        return count

    bench.run("search", items, fn, measure=measure)


def op_list(bench: Bench, world, people: People, rng, n: int, measure: bool = True) -> None:
    from anxin.accounts.choices import OutletStatus
    from anxin.accounts.models import OrgUnit

    network = world["network"]
    working = set(
        OrgUnit.objects.filter(pk__in=network.managers, status__in=(OutletStatus.ACTIVE, OutletStatus.PROBATION)).values_list(
            "pk", flat=True
        )
    )
    outlets = rng.sample(sorted(working), k=min(len(working), max(1, n // 3)))
    managers = [people.cookie(network.managers[o]) for o in outlets]
    if measure:  # their sessions in use, as a dispatcher's is all day
        bench.run("list-warm", managers, lambda conn, h, b: page_view(conn, "/orders/", h)[1], measure=False)
    items = [managers[i % len(managers)] for i in range(n)]
    rng.shuffle(items)

    def fn(conn, headers, batch):
        r, count = page_view(conn, "/orders/", headers)
        expect(batch, r, 200, what="order list")
        return count

    bench.run("list", items, fn, measure=measure)


def conditional(prev: Response | None) -> dict[str, str]:
    headers = {}
    if prev is not None:
        if prev.headers.get("etag"):
            headers["If-None-Match"] = prev.headers["etag"]
        if prev.headers.get("last-modified"):
            headers["If-Modified-Since"] = prev.headers["last-modified"]
    return headers


def self_refreshing(page: Response, path: str | None = None) -> dict[str, str] | None:
    """The element of a page that reloads itself on a timer (``hx-get`` with ``hx-trigger="every …"``)
    at ``path`` (any path when None): its URL and the headers htmx sends with it; None when there is none."""
    for attrs in tags(page.body.decode(errors="replace")):
        url = attrs.get("hx-get", "")
        if url and re.search(r"\bevery\s+\d", attrs.get("hx-trigger", "")) and (path is None or urlsplit(url).path == path):
            headers = {"HX-Request": "true"}
            if attrs.get("id"):
                headers["HX-Target"] = attrs["id"]
            return {"url": url, **{f"h:{k}": v for k, v in headers.items()}}
    return None


def refresh_once(conn: Http, s: dict, conditional_headers: dict) -> tuple[Response, int]:
    """One refresh of a technician's job list as their phone makes it (see ``self_refreshing``)."""
    part = s["refresh"]
    if part is None:
        return page_view(conn, PATHS["tech_page"], {**s["cookie"], **conditional_headers})
    extra = {k[2:]: v for k, v in part.items() if k.startswith("h:")}
    return conn.request("GET", part["url"], headers={**s["cookie"], **extra, **conditional_headers}), 1


def op_tech(bench: Bench, world, people: People, rng, n_users: int, n_changed: int, measure: bool = True) -> None:
    """The job list refreshed by technicians' phones: unchanged (twice over the sample), then after
    one of each technician's jobs changed (their own ``confirm`` over the API, not counted)."""
    from anxin.network.models import Technician

    jobs = world["jobs"]
    users = dict(Technician.objects.filter(pk__in=list(jobs)).values_list("pk", "user_id"))
    techs = rng.sample(sorted(jobs), k=min(n_users, len(jobs)))
    state = {t: {"page": None, "api": None, "cookie": people.cookie(users[t]), "token": people.token(users[t])} for t in techs}

    if not PATHS["tech_api"]:
        conn = Http(bench.port, bench.base)
        token = state[techs[0]]["token"]
        PATHS["tech_api"] = next((p for p in TECH_APIS if conn.request("GET", p, headers=token).status == 200), TECH_APIS[-1])
        conn.close()
        log(f"  the technician's job list in the API: {PATHS['tech_api']}")

    def prime(conn, t, batch):
        # The page once; then what the phone refreshes: the part of the page that reloads itself
        # (an ``hx-get`` on ``hx-trigger="every …"``), or the whole page when there is none.
        s = state[t]
        page = expect(batch, page_view(conn, PATHS["tech_page"], s["cookie"])[0], 200, what="jobs page")
        s["refresh"] = self_refreshing(page, urlsplit(PATHS["tech_page"]).path)
        first = conditional(page) if not s["refresh"] else {}
        s["page"] = refresh_once(conn, s, first)[0]
        expect(batch, s["page"], 200, 304, what="jobs refresh")
        if s["page"].status == 304:
            s["page"] = page
        s["api"] = expect(batch, conn.request("GET", PATHS["tech_api"], headers=s["token"]), 200, what="jobs api")
        return 3

    bench.run("tech-prime", techs, prime, measure=False)
    suffix = "" if measure else "-warm"

    def refresh(kind, changed=False):
        def fn(conn, t, batch):
            s = state[t]
            headers = {**(s["cookie"] if kind == "page" else s["token"]), **conditional(s[kind])}
            if kind == "page":
                r, count = refresh_once(conn, s, conditional(s[kind]))
            else:
                r, count = conn.request("GET", PATHS["tech_api"], headers=headers), 1
            expect(batch, r, *((200,) if changed else (200, 304)), what=f"jobs {kind}{' after a change' if changed else ''}")
            if r.status == 200:
                s[kind] = r
            return count

        return fn

    twice = techs + techs
    rng.shuffle(twice)
    bench.run(f"tech_unchanged{suffix}", twice, refresh("page"), measure=measure)
    bench.run(f"tech_api_unchanged{suffix}", twice, refresh("api"), measure=measure)
    changed = [t for t in techs[:n_changed] if any(status == "assigned" for _o, status in jobs[t])]

    def change(conn, t, batch):
        order_id = next(o for o, status in jobs[t] if status == "assigned")
        jobs[t] = [(o, "confirmed" if o == order_id else status) for o, status in jobs[t]]
        r = conn.request("POST", f"/api/v1/orders/{order_id}/transitions", headers=state[t]["token"], body={"action": "confirm"})
        expect(batch, r, 200, what="confirm")
        return 1

    bench.run(f"tech-change{suffix}", changed, change, measure=False)

    bench.run(f"tech_changed{suffix}", changed, refresh("page", changed=True), measure=measure)
    bench.run(f"tech_api_changed{suffix}", changed, refresh("api", changed=True), measure=measure)
    if measure:
        counts = [len(v) for v in jobs.values()]
        bench.batches["tech_unchanged"].extra["jobs_mean"] = sum(counts) / len(counts)


def op_bell(bench: Bench, world, people: People, rng, n: int, measure: bool = True) -> None:
    """Outside the design point's table: what else a technician's open page polls on a timer (the
    notification bell: ``hx-get`` on ``hx-trigger="every …"``, not the job list), as technicians."""
    from anxin.network.models import Technician

    users = list(
        Technician.objects.filter(pk__in=rng.sample(sorted(world["jobs"]), k=min(n, len(world["jobs"])))).values_list("user_id", flat=True)
    )
    who = [people.cookie(u) for u in users]
    conn = Http(bench.port, bench.base)
    page = conn.request("GET", PATHS["tech_page"], headers=who[0])
    conn.close()
    jobs_path = urlsplit(PATHS["tech_page"]).path
    found = [a for a in tags(page.body.decode(errors="replace")) if a.get("hx-get") and re.search(r"\bevery\s+\d", a.get("hx-trigger", ""))]
    other = next((a for a in found if urlsplit(a["hx-get"]).path != jobs_path), None)
    if other is None:
        return
    m = re.search(r"every\s+(\d+(?:\.\d+)?)\s*(ms|s)", other["hx-trigger"])
    every = (float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)) if m else 30.0
    headers = {"HX-Request": "true", **({"HX-Target": other["id"]} if other.get("id") else {})}
    last: dict[str, Response] = {}

    def fn(conn, h, batch):
        r = expect(
            batch,
            conn.request("GET", other["hx-get"], headers={**h, **headers, **conditional(last.get(h["Cookie"]))}),
            200,
            304,
            what="bell",
        )
        if r.status == 200:
            last[h["Cookie"]] = r
        return 1

    if measure:
        bench.run("bell-warm", who, fn, measure=False)
    items = [who[i % len(who)] for i in range(n)]
    batch = bench.run("bell" if measure else "bell-warm", items, fn, measure=measure)
    batch.extra.update(url=other["hx-get"], every_s=every)


def op_pop_wait(bench: Bench, world, people: People, design: PopDesign, rng, n: int, seconds: float, measure: bool = True) -> None:
    agents = world["agents"]
    if design.kind == "poll":
        sample = [people.cookie(a[0]) for a in rng.sample(agents, k=min(n, len(agents)))]
        items = [sample[i % len(sample)] for i in range(n)]

        def fn(conn, headers, batch):
            expect(batch, conn.request("GET", design.url, headers={**headers, "HX-Request": "true"}), 200, 204, what="idle poll")
            return 1

        if measure:
            bench.run("poll-warm", sample, fn, measure=False)
        batch = bench.run("pop_wait" if measure else "pop_wait-warm", items, fn, measure=measure)
        batch.extra["per_agent_s_ms"] = batch.app_ms / design.interval_s
        batch.extra["db_per_agent_s_ms"] = batch.db_ms / design.interval_s
        return
    # Server-sent events: hold every agent's stream open and read the CPU over ``seconds``.
    chosen = agents if measure else agents[: min(20, len(agents))]
    hub = StreamHub(bench.stream_port, bench.base)
    try:
        cookies = {user_id: people.cookie(user_id) for user_id, _ext, _region in chosen}
        opening, started = bench.meter.mark(), time.monotonic()
        failed = hub.open_many([(a[0], cookies[a[0]]) for a in chosen], design.url)
        open_wall = time.monotonic() - started
        open_app, open_db = bench.meter.since(opening)
        log(f"  {len(chosen) - len(failed)} of {len(chosen)} streams open in {open_wall:.1f} s{hub.failures(failed)}")
        time.sleep(2.0)
        mark, t = bench.meter.mark(), time.monotonic()
        time.sleep(seconds if measure else 1.0)
        app, db = bench.meter.since(mark)
        wall = time.monotonic() - t
        open_streams = max(1, len(chosen) - len(failed))
        batch = Batch("pop_wait", ops=open_streams, wall_s=wall)
        batch.app_s = max(0.0, app - bench.idle[0] * wall)
        batch.db_s = max(0.0, db - bench.idle[1] * wall)
        batch.extra["failed_streams"] = len(failed)
        batch.extra["open_ms"] = 1000 * max(0.0, open_app - bench.idle[0] * open_wall) / open_streams
        batch.extra["open_db_ms"] = 1000 * max(0.0, open_db - bench.idle[1] * open_wall) / open_streams
        batch.extra["hold_ms"] = 1000 * batch.app_s / (open_streams * wall)
        # A stream that ends after a while (the browser reconnects) costs its opening again: per second
        # of waiting, the opening spread over the stream's life.
        life = stream_seconds()
        batch.extra["stream_seconds"] = life
        batch.extra["per_agent_s_ms"] = batch.extra["hold_ms"] + (batch.extra["open_ms"] / life if life else 0.0)
        batch.extra["db_per_agent_s_ms"] = 1000 * batch.db_s / (open_streams * wall) + (batch.extra["open_db_ms"] / life if life else 0.0)
        if failed:
            batch.errors.append(f"{len(failed)} streams did not open")
        if measure:
            bench.batches["pop_wait"] = batch
            log(
                f"  pop_wait (sse)            {open_streams} streams × {wall:.1f} s: holding app {batch.extra['hold_ms']:.4f} ms per agent-second;"
                f" opening a stream app {batch.extra['open_ms']:.2f} ms, db {batch.extra['open_db_ms']:.2f} ms, every {life or '∞'} s;"
                f" together app {batch.extra['per_agent_s_ms']:.4f}, db {batch.extra['db_per_agent_s_ms']:.4f} ms per agent-second"
            )
    finally:
        hub.stop()


def stream_seconds() -> int | None:
    """How long a pop stream lasts before the browser reconnects (``ANXIN_POP_STREAM_SECONDS``), if the app says."""
    from django.conf import settings

    value = getattr(settings, "ANXIN_POP_STREAM_SECONDS", None)
    return value if isinstance(value, int) and value > 0 else None


def op_pops(bench: Bench, world, people: People, design: PopDesign, rng, pbx: int, n: int, measure: bool = True) -> None:
    """Ringing events for distinct agents (the caller a customer in nine of ten) and the pop's delivery."""
    from anxin.customers.models import CustomerPhone

    agents = rng.sample(world["agents"], k=min(n, len(world["agents"])))
    ids = [c.id for c in rng.sample(world["customers"], k=min(len(world["customers"]), len(agents)))]
    numbers = list(CustomerPhone.objects.filter(customer_id__in=ids, is_primary=True).values_list("number", flat=True))
    pbx_headers = people.token(pbx)
    items = []
    for i, (user_id, extension, _region) in enumerate(agents):
        caller = numbers[i % len(numbers)] if numbers and rng.random() < 0.9 else f"0{rng.randint(20, 99)}{rng.randrange(10**8):08d}"
        items.append((user_id, extension, caller, people.cookie(user_id)))
    hub = None
    per_agent_s = 0.0
    calls: list[tuple[str]] = []
    if design.kind == "sse":
        hub = StreamHub(bench.stream_port, bench.base)
        failed = hub.open_many([(i[0], i[3]) for i in items], design.url)
        if failed:
            log(f"  {len(failed)} pop streams did not open")
        time.sleep(1.0)
        waiting = bench.batches.get("pop_wait")
        per_agent_s = waiting.extra["per_agent_s_ms"] / 1000 if waiting else 0.0

    def fn(conn, item, batch):
        user_id, extension, caller, cookie = item
        before = hub.event_count(user_id) if hub else 0
        body = {"call_id": f"bench-{uuid.uuid4().hex}", "event": "ringing", "caller": caller, "extension": extension}
        calls.append((body["call_id"],))
        r = expect(batch, conn.request("POST", "/api/v1/telephony/call-events", headers=pbx_headers, body=body), 200, what="ringing")
        call = r.json()
        if call.get("agent_id") not in (None, user_id):
            raise RuntimeError(f"call bound to {call.get('agent_id')}, not the agent on extension {extension}")
        if hub is None:
            shown = expect(batch, conn.request("GET", design.url, headers={**cookie, "HX-Request": "true"}), 200, what="pop poll")
            if call.get("id") and f'data-call="{call["id"]}"'.encode() not in shown.body:
                raise RuntimeError("the poll after the ringing event does not show the call")
            return 2
        marker = f'data-call="{call.get("id")}"'

        def is_pop(name, data):  # the pop's event (when the page names it), showing this call if it shows calls
            return (not design.event or name == design.event) and (marker in data or "data-call=" not in data)

        event = hub.wait_event(user_id, before, timeout=10, accept=is_pop)
        if event is None:
            got = [(name, data[:120]) for _t, name, data in hub.streams[user_id].events[before:]]
            raise RuntimeError(f"no pop for call {call.get('id')} on the agent's stream within 10 s; events: {got}")
        if design.follow_get:
            expect(batch, conn.request("GET", design.follow_get, headers={**cookie, "HX-Request": "true"}), 200, what="pop fetch")
            return 2
        return 1

    try:
        bench.run("pop" if measure else "pop-warm", items, fn, measure=measure, idle_extra=per_agent_s * len(items) if hub else 0.0)
    finally:
        if hub:
            hub.stop()

    def hang_up(conn, call_id, batch):
        body = {"call_id": call_id, "event": "ended"}
        expect(batch, conn.request("POST", "/api/v1/telephony/call-events", headers=pbx_headers, body=body), 200, what="ended")
        return 1

    # The calls end (the PBX says so), so these agents wait idle again.
    bench.run("pop-hang-up", [c for (c,) in calls], hang_up, measure=False)


def op_chain(bench: Bench, world, people: People, rng, n: int, measure: bool = True) -> None:
    """New orders over the API (agents of the customer's region), then each step of the chain as one
    batch over all of them."""
    from django.utils import timezone

    from anxin.network.models import Technician
    from anxin.orders.models import WorkOrder

    network = world["network"]
    by_region: dict[int, list[int]] = {}
    for user_id, _ext, region in world["agents"]:
        by_region.setdefault(region, []).append(user_id)
    picks = rng.sample(world["customers"], k=min(n, len(world["customers"])))
    items = []
    for c in picks:
        start = timezone.now() + timedelta(hours=rng.randint(2, 48))
        body = {
            "customer_id": c.id,
            "order_type": "repair",
            "channel": "api",
            "appointment_start": start.isoformat(),
            "appointment_end": (start + timedelta(hours=2)).isoformat(),
            "lines": [{"appliance_id": rng.choice(c.appliances)[0], "symptom": "空调室内机漏水"}],
        }
        agent = rng.choice(by_region.get(c.region_id) or [network.agents[c.region_id]])
        items.append({"body": body, "agent": people.token(agent), "region": c.region_id})
    suffix = "" if measure else "-warm"

    def create(conn, item, batch):
        r = expect(batch, conn.request("POST", "/api/v1/orders", headers=item["agent"], body=item["body"]), 201, what="create")
        item["id"] = r.json()["id"]
        return 1

    bench.run(f"create{suffix}", items, create, measure=measure)
    made = [i for i in items if "id" in i]
    made_rows = WorkOrder.objects.filter(pk__in=[i["id"] for i in made]).values_list("pk", "outlet_id", "status")
    rows = {pk: (outlet, status) for pk, outlet, status in made_rows}
    routed = [i for i in made if rows[i["id"]][1] == "routed" and rows[i["id"]][0]]
    if len(routed) < len(made):
        log(f"  {len(made) - len(routed)} new orders were not routed (nobody covers them): left out of the transitions")
    tech_users = dict(Technician.objects.values_list("pk", "user_id"))
    for item in routed:
        outlet = rows[item["id"]][0]
        item["manager"] = people.token(network.managers[outlet])
        accepted, _refused = assignable(item["id"])
        item["technician"] = rng.choice(accepted) if accepted else None
        if item["technician"]:
            item["tech"] = people.token(tech_users[item["technician"]])
        item["callback"] = people.token(network.callback_agents[item["region"]])
    routed = [i for i in routed if i.get("technician")]

    def step(action, who, body=None, path="transitions"):
        def fn(conn, item, batch):
            payload = body(item) if callable(body) else (body or {"action": action})
            r = conn.request("POST", f"/api/v1/orders/{item['id']}/{path}", headers=item[who], body=payload)
            expect(batch, r, 200, what=action)
            return 1

        return fn

    waves = [
        ("accept", step("accept", "manager")),
        ("assign", step("assign", "manager", lambda i: {"action": "assign", "technician": i["technician"]})),
        ("confirm", step("confirm", "tech")),
        ("depart", step("depart", "tech")),
        ("check_in", step("check_in", "tech")),
    ]
    total = Batch("transition")
    for name, fn in waves:
        b = bench.run(f"t_{name}{suffix}", routed, fn, measure=measure)
        _add(total, b)
    reports = {i["id"]: completion_report(i["id"], network) for i in routed}
    b = bench.run(f"t_complete{suffix}", routed, step("complete", "tech", lambda i: reports[i["id"]], path="completion"), measure=measure)
    _add(total, b)
    callback = {"satisfaction": "very_satisfied", "comment": "师傅很专业"}
    b = bench.run(f"t_callback{suffix}", routed, step("callback", "callback", callback, path="callback"), measure=measure)
    _add(total, b)
    still_open = set(WorkOrder.objects.filter(pk__in=[i["id"] for i in routed]).exclude(status="closed").values_list("pk", flat=True))
    if still_open:
        b = bench.run(f"t_close{suffix}", [i for i in routed if i["id"] in still_open], step("close", "callback"), measure=measure)
        _add(total, b)
    not_closed = WorkOrder.objects.filter(pk__in=[i["id"] for i in routed]).exclude(status="closed").count()
    if not_closed:
        total.errors.append(f"{not_closed} orders not closed at the end of the chain")
    total.extra["orders"] = len(routed)
    if measure:
        bench.batches["transition"] = total
        log(
            f"  transitions (all)          {total.ops:5} ops  app {total.app_ms:8.2f} ms/op  db {total.db_ms:7.2f} ms/op  errors {len(total.errors)}"
        )


def _add(total: Batch, b: Batch) -> None:
    total.ops += b.ops
    total.requests += b.requests
    total.app_s += b.app_s
    total.db_s += b.db_s
    total.wall_s += b.wall_s
    total.errors += b.errors


# --- where the time goes (--profile) --------------------------------------------------------------

BUCKETS = (
    ("templates", ("django/template", "django/templatetags", "/templatetags/")),
    ("orm+db", ("django/db", "psycopg", "sqlite3")),
    ("api (ninja/pydantic)", ("ninja", "pydantic")),
    ("i18n", ("translation", "gettext", "locale")),
    ("anxin", ("/anxin/",)),
    ("django other", ("django/",)),
    ("middleware libs", ("simple_history", "axes", "csp", "whitenoise", "django_htmx")),
    ("redis", ("redis",)),
)


def _bucket(filename: str, func: str) -> str:
    where = filename if filename != "~" else func  # builtins: the C method's name says whose it is
    return next((b for b, marks in BUCKETS if any(m in where for m in marks)), "python/other")


def profile_ops(world, pbx: int, design: PopDesign, n: int, rng) -> None:
    """``n`` requests per operation through Django's test client in this process under cProfile: where
    each operation's time goes (own time by area) and its most expensive application functions. The
    profiler's overhead inflates the numbers; the shares are what to read."""
    import cProfile
    import pstats

    from django.test import Client

    from anxin.network.models import Technician

    network = world["network"]
    tech = Technician.objects.filter(pk__in=list(world["jobs"])).order_by("?").values_list("user_id", flat=True).first()
    manager = network.managers[rng.choice(sorted(world["stats"]["per_outlet"]))]
    name2 = next((c for c in search_queries(world, rng, 40) if not c.isdigit()), "王伟")
    extra = {"HTTP_X_FORWARDED_PROTO": "https", "SERVER_NAME": "localhost"}

    def client(user_id):
        from anxin.accounts.models import User

        c = Client(**extra)
        if user_id:
            c.force_login(User.objects.get(pk=user_id))
        return c

    def token(user_id):
        from anxin.accounts.models import User
        from anxin.accounts.services import api_token_create

        admin = User.objects.get(pk=network.admin_id)
        return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(actor=admin, user=User.objects.get(pk=user_id), name='profile')[1]}"}

    tech_client, tech_token, anonymous = client(tech), token(tech), Client(**extra)
    waiting, ringing = rng.sample(world["agents"], k=2)
    waiting_client, ringing_client, manager_client = client(waiting[0]), client(ringing[0]), client(manager)
    pbx_token = token(pbx)
    calls = itertools.count()

    def pop():
        body = {
            "call_id": f"profile-{uuid.uuid4().hex}-{next(calls)}",
            "event": "ringing",
            "caller": "13800000000",
            "extension": ringing[1],
        }
        anonymous.post("/api/v1/telephony/call-events", body, content_type="application/json", **pbx_token)
        if design.kind == "poll":  # pushed pops are rendered by the stream server: not here
            ringing_client.get(design.url)

    ops = {
        "floor": lambda: anonymous.get("/healthz"),
        "tech page": lambda: tech_client.get(PATHS["tech_page"]),
        "tech api": lambda: tech_client.get(PATHS["tech_api"], **tech_token),
        "search": lambda: next(searchers).get(f"/customers/?q={quote(name2)}"),
        "order list": lambda: (manager_client.get("/orders/"), manager_client.get("/orders/tabs/")),
        "pop (event + poll)" if design.kind == "poll" else "pop (event)": pop,
    }
    if design.kind == "poll":
        ops["idle poll"] = lambda: waiting_client.get(design.url)
    # Searches are limited per user and minute: a few agents take turns.
    searchers = itertools.cycle([client(a[0]) for a in rng.sample(world["agents"], k=min(len(world["agents"]), 1 + n // 10))])
    log("")
    log(f"profile: {n} requests per operation in-process (cProfile)")
    for name, fn in ops.items():
        for _ in range(3):
            fn()
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        for _ in range(n):
            fn()
        prof.disable()
        wall = (time.perf_counter() - t) * 1000 / n
        stats = pstats.Stats(prof).stats
        total = sum(v[2] for v in stats.values()) or 1e-9
        shares: dict[str, float] = {}
        for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.items():
            bucket = _bucket(filename, func)
            shares[bucket] = shares.get(bucket, 0.0) + tottime
        areas = ", ".join(f"{b} {100 * v / total:.0f} %" for b, v in sorted(shares.items(), key=lambda kv: -kv[1]) if v / total >= 0.01)
        wrappers = ("__call__", "<lambda>", "inner", "_view_wrapper", "wrapper", "_wrapper_view")
        mine = [
            (ct, f"{Path(k[0]).parent.name}/{Path(k[0]).name}:{k[2]}")
            for k, (_c, _n, _t, ct, _cl) in stats.items()
            if "/anxin/" in k[0] and not k[0].endswith("middleware.py") and k[2] not in wrappers
        ]
        top = "; ".join(f"{label} {1000 * ct / n:.1f} ms" for ct, label in sorted(mine, reverse=True)[:8])
        log(f"  {name:20} {wall:7.1f} ms/request (profiled)  own time: {areas}")
        log(f"  {'':20} anxin by cumulative time: {top}")
        own = sorted(((v[2], k) for k, v in stats.items()), reverse=True)[:6]
        log(f"  {'':20} most own time: " + "; ".join(f"{Path(k[0]).name}:{k[2]} {1000 * t / n:.1f} ms" for t, k in own))


# --- the server -------------------------------------------------------------------------------


def uvicorn_worker() -> str:
    for module, cls in (("uvicorn_worker", "UvicornWorker"), ("uvicorn.workers", "UvicornWorker")):
        with contextlib.suppress(ImportError, ValueError):
            if find_spec(module.split(".")[0]) is not None and find_spec(module) is not None:
                return f"{module}.{cls}"
    return ""


class AppServer(Server):
    """The application as production serves it: gunicorn with sync workers on ``anxin.wsgi``
    ("wsgi"), gunicorn with uvicorn workers on ``anxin.asgi`` ("asgi"), or uvicorn's own workers on
    ``anxin.asgi`` ("uvicorn": the stream server beside the WSGI one, as ``make run`` starts uvicorn)."""

    def __init__(self, env: Env, *, workers: int, kind: str, custom: str = ""):
        super().__init__(env, workers=workers, start_timeout=180)
        self.app_kind, self.custom = kind, custom
        self.log_path = env.tmp / f"server-{kind}.log"

    def command(self) -> list[str]:
        if self.custom:
            return self.custom.format(python=sys.executable, host=HOST, port=self.port, workers=self.workers).split()
        if self.app_kind == "uvicorn":
            return [
                sys.executable,
                "-m",
                "uvicorn",
                "anxin.asgi:application",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--lifespan",
                "off",
                "--no-access-log",
                "--log-level",
                "warning",
                "--timeout-graceful-shutdown",
                "2",
            ]
        common = ["--bind", f"{HOST}:{self.port}", "--workers", str(self.workers), "--timeout", "120", "--log-level", "warning"]
        if self.app_kind == "asgi":
            worker = uvicorn_worker()
            return [sys.executable, "-m", "gunicorn", "anxin.asgi:application", *common, "--worker-class", worker, "--keep-alive", "75"]
        return [sys.executable, "-m", "gunicorn", "anxin.wsgi:application", *common, "--worker-class", "sync"]


def server_kind(choice: str) -> str:
    """auto: "split" (pages on WSGI, the pop streams on a uvicorn server beside it) once the project
    has an ASGI entry point and uvicorn, else "wsgi"."""
    if choice != "auto":
        return choice
    return "split" if (ROOT / "anxin" / "asgi.py").exists() and find_spec("uvicorn") is not None else "wsgi"


def redis_url(choice: str) -> str:
    if choice in ("", "none"):
        return ""
    try:
        import redis

        client = redis.Redis.from_url(choice, socket_connect_timeout=2)
        client.ping()
        client.flushdb()
        client.close()
        return choice
    except Exception as exc:  # noqa: BLE001 - no Redis: the embedded default
        log(f"Redis at {choice} not reachable ({exc}): running with the embedded defaults")
        return ""


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="a development run: a tenth of the world and of the requests")
    parser.add_argument("--customers", type=int, help="customers (default 200,000; --small 20,000)")
    parser.add_argument("--outlets", type=int, help="outlets (default 500; --small 50)")
    parser.add_argument("--technicians", type=int, help="technicians (default 3,200 — about 3,000 active, with today's jobs; --small 320)")
    parser.add_argument("--agents", type=int, help="hotline agents bound to extensions (default 2,000; --small 200)")
    parser.add_argument("--orders", type=int, help="archive orders (default 2 per customer)")
    parser.add_argument("--requests", type=float, default=1.0, help="scale the requests per batch (default 1)")
    parser.add_argument("--workers", type=int, default=4, help="server worker processes (default 4)")
    parser.add_argument("--clients", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--wait-seconds", type=float, help="seconds the open streams are measured (default 30; --small 5)")
    parser.add_argument(
        "--server",
        choices=("auto", "wsgi", "asgi", "split"),
        default="auto",
        help="wsgi: gunicorn sync workers; asgi: gunicorn uvicorn workers for everything; split: wsgi pages and a uvicorn stream "
        "server (auto: split once anxin/asgi.py and uvicorn exist, else wsgi)",
    )
    parser.add_argument("--stream-workers", type=int, default=2, help="uvicorn workers of the stream server (split; default 2)")
    parser.add_argument("--server-cmd", default="", help="the server command line, with {python} {host} {port} {workers}")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/15", help="REDIS_URL of the server (its database is emptied); 'none': embedded"
    )
    parser.add_argument("--env", choices=("prod", "dev"), default="prod", help="ANXIN_ENV of the server (default prod)")
    parser.add_argument("--pop-stream", default="", help="the URL of the agents' pop stream (default: found on the page)")
    parser.add_argument("--tech-page", default=TECH_PAGE, help=f"the technician's job list page (default {TECH_PAGE})")
    parser.add_argument(
        "--tech-api", default="", help=f"the technician's job list in the API (default: the first answering of {', '.join(TECH_APIS)})"
    )
    parser.add_argument("--profile", type=int, default=0, help="afterwards, N requests per operation in-process under cProfile")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server log)")
    args = parser.parse_args()
    PATHS.update(tech_page=args.tech_page, tech_api=args.tech_api)
    small = args.small
    sizes = {
        "customers": args.customers or (20_000 if small else 200_000),
        "outlets": args.outlets or (50 if small else 500),
        "agents": args.agents or (200 if small else 2000),
    }
    sizes["technicians"] = args.technicians or int(6.4 * sizes["outlets"])
    sizes["orders"] = args.orders if args.orders is not None else 2 * sizes["customers"]
    factor = args.requests * (0.1 if small else 1.0)
    counts = {k: max(4, int(v * factor)) for k, v in COUNTS.items()}
    wait_seconds = args.wait_seconds or (5.0 if small else 30.0)
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))

    env = Env(keep=args.keep)
    redis = redis_url(args.redis)
    # Pub/sub ignores Redis's database number: a channel of this run's own.
    env.vars.update({"ANXIN_ENV": args.env, "REDIS_URL": redis, "ANXIN_POP_CHANNEL": f"anxin-bench:{uuid.uuid4().hex[:12]}"})
    if args.env == "prod":
        env.vars.update({"SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": f"{HOST},localhost"})
    kind = server_kind(args.server)
    base = {"X-Forwarded-Proto": "https", "Accept-Language": "zh-CN,zh;q=0.9", "User-Agent": "anxin-bench"}
    drainer = None
    started = time.perf_counter()
    try:
        with PeakRss() as rss:
            setup_django(env)
            import anxin

            log(f"app: {Path(anxin.__file__).parent}; database: {env.db}")
            world = build_world(args, sizes)
            from django.core.management import call_command

            if args.env == "prod":
                t = time.perf_counter()
                call_command("collectstatic", interactive=False, verbosity=0)
                log(f"collectstatic in {time.perf_counter() - t:.1f} s")
            network = world["network"]
            pbx = pbx_user(network)
            build_s = time.perf_counter() - started
            close_db_connections()
            pages_kind = "asgi" if kind == "asgi" else "wsgi"
            streams = f"; pop streams on uvicorn, {args.stream_workers} workers" if kind == "split" else ""
            log(f"server: gunicorn {pages_kind}, {args.workers} workers{streams}; ANXIN_ENV={args.env}; REDIS_URL={redis or '(none)'}")
            with contextlib.ExitStack() as stack:
                server = stack.enter_context(AppServer(env, workers=args.workers, kind=pages_kind, custom=args.server_cmd))
                stream_server = server
                if kind == "split":
                    stream_server = stack.enter_context(AppServer(env, workers=args.stream_workers, kind="uvicorn"))
                drainer = subprocess.Popen(
                    [sys.executable, "-c", DRAINER],
                    cwd=ROOT,
                    env={**os.environ, **env.vars},
                    stdout=open(env.tmp / "drainer.log", "wb"),  # noqa: SIM115 - closed with the process
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                db_name = urlsplit(env.database_url).path.lstrip("/") if env.db == "postgresql" else None
                roots = dict.fromkeys([server.proc.pid, stream_server.proc.pid, drainer.pid])
                meter = CpuMeter(list(roots), db_name)
                bench = Bench(server.port, base, meter, args.clients, stream_port=stream_server.port)
                people = People(server.port, network.admin_id)
                rng = random.Random(args.seed + 1000)
                a_agent = world["agents"][0][0]
                design = detect_pop(server.port, stream_server.port, base, people.cookie(a_agent), args.pop_stream)
                log(f"pops: {design}")
                log("warm-up")
                warm = max(3 * args.workers, 8)
                op_floor(bench, warm, measure=False)
                op_search(bench, world, people, rng, warm, measure=False)
                op_list(bench, world, people, rng, warm, measure=False)
                op_tech(bench, world, people, rng, warm, warm // 2, measure=False)
                op_bell(bench, world, people, rng, warm, measure=False)
                op_pop_wait(bench, world, people, design, rng, warm, 1.0, measure=False)
                op_pops(bench, world, people, design, rng, pbx, warm, measure=False)
                op_chain(bench, world, people, rng, max(4, args.workers), measure=False)
                bench.measure_idle(6.0)
                log(f"idle server: app {bench.idle[0] * 1000:.2f} ms/s, db {bench.idle[1] * 1000:.2f} ms/s")
                log(f"measured (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
                load = [os.getloadavg()[0]]
                op_floor(bench, counts["floor"])
                op_search(bench, world, people, rng, counts["search"])
                op_list(bench, world, people, rng, counts["list"])
                op_tech(bench, world, people, rng, counts["tech_users"], counts["tech_changed"])
                op_bell(bench, world, people, rng, counts["bell"])
                op_pop_wait(bench, world, people, design, rng, counts["polls"], wait_seconds)
                op_pops(bench, world, people, design, rng, pbx, counts["pops"])
                op_chain(bench, world, people, rng, counts["chain"])
                server_rss = meter.rss_peak
                load.append(os.getloadavg()[0])
                log(f"load average at the end: {load[-1]:.1f}")
                meter.stop()
            run_s = time.perf_counter() - started - build_s
            if args.profile:
                profile_ops(world, pbx, design, args.profile, random.Random(args.seed + 2000))
        return report(env, world, sizes, bench, design, kind, args, rss.peak_mb, server_rss, build_s, run_s, load)
    finally:
        if drainer is not None and drainer.poll() is None:
            drainer.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                drainer.wait(timeout=10)
        close_db_connections()
        if redis:
            with contextlib.suppress(Exception):
                import redis as redis_lib

                redis_lib.Redis.from_url(redis).flushdb()
        env.cleanup()


def report(env, world, sizes, bench: Bench, design, kind, args, peak_mb, server_rss, build_s, run_s, load) -> int:
    b = bench.batches
    floor = b["floor"].app_ms
    tech_u, tech_c = b["tech_unchanged"], b["tech_changed"]
    wait = b["pop_wait"]
    bell = b.get("bell")
    ms = {
        "floor_ms": floor,
        "tech_refresh_unchanged_ms": tech_u.app_ms,
        "tech_refresh_changed_ms": tech_c.app_ms,
        "pop_wait_ms_per_agent_s": wait.extra["per_agent_s_ms"],
        "pop_ms": b["pop"].app_ms,
        "search_ms": b["search"].app_ms,
        "list_ms": b["list"].app_ms,
        "create_ms": b["create"].app_ms,
        "transition_ms": b["transition"].app_ms,
    }
    db = {
        "tech_u": tech_u.db_ms,
        "tech_c": tech_c.db_ms,
        "wait": wait.extra["db_per_agent_s_ms"],
        "pop": b["pop"].db_ms,
        "search": b["search"].db_ms,
        "list": b["list"].db_ms,
        "create": b["create"].db_ms,
        "transition": b["transition"].db_ms,
    }

    def cores(v: dict, tu, tc, wait_ms, pop, search, lst, create, transition) -> dict[str, float]:
        return {
            "tech_refresh": RATES["tech_refresh"] * (TECH_UNCHANGED_SHARE * v[tu] + (1 - TECH_UNCHANGED_SHARE) * v[tc]) / 1000,
            "pop_wait": RATES["pop_wait_agents"] * v[wait_ms] / 1000,
            "pop": RATES["pop"] * v[pop] / 1000,
            "search": RATES["search"] * v[search] / 1000,
            "list": RATES["list"] * v[lst] / 1000,
            "create": RATES["create"] * v[create] / 1000,
            "transition": RATES["transition"] * v[transition] / 1000,
        }

    app_cores = cores(
        ms,
        "tech_refresh_unchanged_ms",
        "tech_refresh_changed_ms",
        "pop_wait_ms_per_agent_s",
        "pop_ms",
        "search_ms",
        "list_ms",
        "create_ms",
        "transition_ms",
    )
    db_cores = cores(db, "tech_u", "tech_c", "wait", "pop", "search", "list", "create", "transition")
    log("")
    log(f"{'operation':22} {'rate/s':>8} {'app ms':>9} {'× floor':>8} {'db ms':>8} {'app cores':>10} {'db cores':>9}")
    rows = [
        (
            "tech refresh",
            "1000",
            f"{ms['tech_refresh_unchanged_ms']:.2f}/{ms['tech_refresh_changed_ms']:.2f}",
            "tech_refresh",
            f"{db['tech_u']:.2f}/{db['tech_c']:.2f}",
        ),
        ("pop waiting (per s)", "2000 ag", f"{ms['pop_wait_ms_per_agent_s']:.3f}", "pop_wait", f"{db['wait']:.3f}"),
        ("pop", "50", f"{ms['pop_ms']:.2f}", "pop", f"{db['pop']:.2f}"),
        ("search", "50", f"{ms['search_ms']:.2f}", "search", f"{db['search']:.2f}"),
        ("order list", "100", f"{ms['list_ms']:.2f}", "list", f"{db['list']:.2f}"),
        ("create", "20", f"{ms['create_ms']:.2f}", "create", f"{db['create']:.2f}"),
        ("transition", "160", f"{ms['transition_ms']:.2f}", "transition", f"{db['transition']:.2f}"),
    ]
    for label, rate, app, key, dbv in rows:
        first = float(app.split("/")[0])
        log(f"{label:22} {rate:>8} {app:>9} {first / max(floor, 1e-9):8.1f} {dbv:>8} {app_cores[key]:10.2f} {db_cores[key]:9.2f}")
    for name, batch in b.items():
        if name.startswith("t_"):
            log(f"  {name[2:]:20} app {batch.app_ms:7.2f} ms  db {batch.db_ms:6.2f} ms  ({batch.ops} requests)")
    if bell:
        rate = BELL_PAGES / bell.extra["every_s"]
        log(
            f"outside the table: {bell.extra['url']} every {bell.extra['every_s']:.0f} s on every page: {bell.app_ms:.2f} ms,"
            f" at {rate:.0f}/s (30,000 phones + 2,000 agents) {rate * bell.app_ms / 1000:.2f} app cores, {rate * bell.db_ms / 1000:.2f} db cores"
        )
    failures = sum(len(batch.errors) for batch in b.values())
    unchanged_304 = 100.0 * tech_u.statuses.get(304, 0) / max(1, tech_u.ops)
    api_304 = 100.0 * b["tech_api_unchanged"].statuses.get(304, 0) / max(1, b["tech_api_unchanged"].ops)
    log(f"build {build_s:.0f} s, run {run_s:.0f} s")
    print(
        result_line(
            "requests",
            db=env.db,
            **{k: f"{v:.4f}" if k == "pop_wait_ms_per_agent_s" else v for k, v in ms.items()},
            design_point_cores=sum(app_cores.values()),
            db_cores=sum(db_cores.values()),
            peak_rss_mb=peak_mb,
            server_rss_mb=server_rss / (1024 * 1024),
            server=kind,
            workers=args.workers,
            pops=design.kind,
            bell_ms=bell.app_ms if bell else 0.0,
            bell_db_ms=bell.db_ms if bell else 0.0,
            bell_cores_outside_table=BELL_PAGES / bell.extra["every_s"] * bell.app_ms / 1000 if bell else 0.0,
            pop_stream_open_ms=wait.extra.get("open_ms", 0.0),
            pop_wait_hold_ms_per_agent_s=f"{wait.extra.get('hold_ms', wait.extra['per_agent_s_ms']):.4f}",
            tech_api_refresh_unchanged_ms=b["tech_api_unchanged"].app_ms,
            tech_api_refresh_changed_ms=b["tech_api_changed"].app_ms,
            tech_unchanged_304_pct=unchanged_304,
            tech_api_unchanged_304_pct=api_304,
            **{
                f"{k.removesuffix('_ms')}_x_floor": v / max(floor, 1e-9)
                for k, v in ms.items()
                if k not in ("floor_ms", "pop_wait_ms_per_agent_s")
            },
            **{f"{k}_db_ms": f"{v:.4f}" if k == "wait" else v for k, v in db.items()},
            idle_app_ms_per_s=bench.idle[0] * 1000,
            **{f"{k}_cores": v for k, v in app_cores.items()},
            customers=sizes["customers"],
            outlets=sizes["outlets"],
            technicians=sizes["technicians"],
            technicians_with_jobs=len(world["jobs"]),
            jobs_today=sum(len(v) for v in world["jobs"].values()),
            agents=sizes["agents"],
            orders=sizes["orders"],
            failures=failures,
            build_s=build_s,
            run_s=run_s,
            # CPU seconds per request grow on a busy machine (caches, the other processes): say how busy.
            loadavg_start=load[0],
            loadavg_end=load[-1],
        )
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
