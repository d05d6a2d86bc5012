"""Shared helpers for the benchmarks in bench/: a private database, a real server, an HTTP
client with keep-alive, peak-RSS sampling and the final RESULT line.

A benchmark runs from the repository root (``.venv/bin/python bench/<name>.py``). It builds its own
data in a temporary SQLite file, or in the PostgreSQL database named by ``DATABASE_URL`` (whose
name must contain "bench": the benchmark empties it), starts the application as a subprocess on a
free 127.0.0.1 port, drives it over HTTP and stops it again, whatever happens.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


# --- environment and database -----------------------------------------------------------------


class Env:
    """The environment shared by the bench process and the server it starts."""

    def __init__(self, *, keep: bool = False):
        self.tmp = Path(tempfile.mkdtemp(prefix="anxin-bench-"))
        self.keep = keep
        self.database_url = os.environ.get("DATABASE_URL", "")
        if not self.database_url:
            self.database_url = f"sqlite:///{self.tmp / 'bench.sqlite3'}"
        self.db = "postgresql" if self.database_url.startswith(("postgres://", "postgresql://")) else "sqlite"
        if self.db == "postgresql":
            name = urlsplit(self.database_url).path.lstrip("/")
            if "bench" not in name:
                raise SystemExit(f"refusing to empty database {name!r}: a bench database name must contain 'bench'")
        self.vars = {
            "DJANGO_SETTINGS_MODULE": "anxin.settings",
            "DATABASE_URL": self.database_url,
            "ANXIN_VAR_DIR": str(self.tmp / "var"),
            "ANXIN_ENV": "dev",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def apply(self) -> None:
        os.environ.update(self.vars)
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def ensure_postgres_database(url: str) -> None:
    """Create the bench database if it does not exist yet (connecting to the ``postgres`` one)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    try:
        psycopg.connect(url, connect_timeout=5).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - name checked to contain "bench"


def setup_django(env: Env) -> None:
    """Point Django at the bench database, migrate it and leave it empty."""
    env.apply()
    if env.db == "postgresql":
        ensure_postgres_database(env.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if env.db == "postgresql":
        call_command("flush", verbosity=0, interactive=False)


def close_db_connections() -> None:
    from django.db import connections

    connections.close_all()


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """The application in a subprocess: gunicorn with 2 sync workers, or ``runserver --noreload``."""

    def __init__(self, env: Env, *, kind: str = "gunicorn", workers: int = 2, start_timeout: float = 60.0):
        self.env, self.kind, self.workers, self.start_timeout = env, kind, workers, start_timeout
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = env.tmp / "server.log"

    def command(self) -> list[str]:
        python = sys.executable
        if self.kind == "gunicorn":
            return [
                python,
                "-m",
                "gunicorn",
                "anxin.wsgi:application",
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "sync",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ]
        return [python, "manage.py", "runserver", f"{HOST}:{self.port}", "--noreload", "--nothreading"]

    def __enter__(self) -> Server:
        env = {**os.environ, **self.env.vars}
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/api/v1/me")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not answer within {self.start_timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def __exit__(self, *exc) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if getattr(self, "_log", None):
            self._log.close()


# --- memory -----------------------------------------------------------------------------------


class PeakRss:
    """Samples the resident memory of this process plus all its descendants (the server and its
    workers) in a thread; ``peak_mb`` is the largest total seen."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
        self._me = psutil.Process()

    def sample(self) -> int:
        total = 0
        procs = [self._me]
        with contextlib.suppress(psutil.Error):
            procs += self._me.children(recursive=True)
        for p in procs:
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        self.peak = max(self.peak, total)
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()

    @property
    def peak_mb(self) -> float:
        return self.peak / (1024 * 1024)


# --- HTTP -------------------------------------------------------------------------------------


class ApiClient:
    """A small JSON client over one keep-alive connection (it reconnects when the server closes)."""

    def __init__(self, port: int, token: str = "", timeout: float = 30.0):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict, dict]:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Accept": "application/json", "Connection": "keep-alive"}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=payload, headers=all_headers)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest):
                # The server closed the idle connection (sync workers do not keep it alive): reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                if attempt:
                    raise
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {"raw": raw[:200].decode(errors="replace")}
        return response.status, data, dict(response.getheaders())

    def get(self, path: str) -> tuple[int, dict, dict]:
        return self.request("GET", path)

    def post(self, path: str, body: dict, headers: dict | None = None) -> tuple[int, dict, dict]:
        return self.request("POST", path, body, headers)

    def close(self) -> None:
        self.conn.close()


# --- numbers and output -----------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (the smallest value with at least p % of the values at
    or below it): one definition for every bench, so p95s are comparable; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


def summary(values: list[float]) -> dict[str, float]:
    """p50, p95 and max of a list of milliseconds (nearest rank)."""
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values, default=0.0)}


def tiny_png_data_url() -> str:
    """A 1×1 greyscale PNG as a data URL: the customer's "signature" on a bench completion report."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + (zlib.crc32(kind + body) & 0xFFFFFFFF).to_bytes(4, "big")

    ihdr = (1).to_bytes(4, "big") * 2 + bytes((8, 0, 0, 0, 0))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode()


def result_line(name: str, **fields) -> str:
    parts = []
    for key, value in fields.items():
        parts.append(f"{key}={value:.2f}" if isinstance(value, float) else f"{key}={value}")
    return f"RESULT {name} " + " ".join(parts)
