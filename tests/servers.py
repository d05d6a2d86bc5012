"""Real app servers for tests (issue 11 item 7): several server processes on free 127.0.0.1 ports
that share the test database and one Redis, the way app servers behind a load balancer share
PostgreSQL and Redis in production.

``RedisServer`` starts a private ``redis-server`` (the Debian package of the production service) on
a free port, so concurrent test runs never read each other's cache entries; ``AppServer`` starts
``gunicorn anxin.wsgi`` (or ``uvicorn anxin.asgi``) with the settings a production instance reads
from its environment; ``start_all`` starts several at once and waits for each to answer
``/healthz``. ``Browserless`` is a cookie-keeping HTTP client that does not follow redirects.
Every process is stopped by its own process group id, whatever happens.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """The ``DATABASE_URL`` of a Django connection's database (the test database inside a test)."""
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    if engine.endswith("postgresql"):
        auth = quote(settings_dict.get("USER") or "postgres")
        if settings_dict.get("PASSWORD"):
            auth += ":" + quote(settings_dict["PASSWORD"])
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{auth}@{settings_dict.get('HOST') or '127.0.0.1'}:{port}/{settings_dict['NAME']}"
    raise ValueError(f"no DATABASE_URL for {engine}")


class _Process:
    """A subprocess in its own process group, its output in ``log_path``."""

    proc: subprocess.Popen | None = None
    log_path: Path

    def _spawn(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None


class RedisServer(_Process):
    """A private ``redis-server`` without persistence; ``url(db)`` names one of its databases."""

    def __init__(self, tmp: Path):
        self.tmp, self.port = tmp, free_port()
        self.log_path = tmp / "redis.log"

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def start(self, timeout: float = 10.0) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("redis-server not found: install the redis-server package (apt-get install redis-server)")
        self._spawn(
            [binary, "--bind", HOST, "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
            dict(os.environ),
            self.tmp,
        )
        import redis

        deadline = time.monotonic() + timeout
        while True:
            try:
                redis.Redis.from_url(self.url(), socket_connect_timeout=1).ping()
                return self
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server did not start:\n{self.tail()}") from None
                time.sleep(0.05)

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url()).flushall()


class AppServer(_Process):
    """One app server instance: ``gunicorn anxin.wsgi`` (sync workers) or ``uvicorn anxin.asgi``."""

    def __init__(self, env: dict[str, str], log_path: Path, *, kind: str = "gunicorn", workers: int = 1):
        if kind not in ("gunicorn", "uvicorn"):
            raise ValueError(kind)
        self.env, self.log_path, self.kind, self.workers = env, log_path, kind, workers
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        if self.kind == "uvicorn":
            return [sys.executable, "-m", "uvicorn", "anxin.asgi:application", "--host", HOST, "--port", str(self.port)]
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "anxin.wsgi:application",
            f"--bind={HOST}:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=sync",
            "--timeout=60",
            "--log-level=warning",
            "--graceful-timeout=3",
        ]

    def start(self) -> AppServer:
        self._spawn(self.command(), {**os.environ, **self.env}, ROOT)
        return self

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.kind} on port {self.port} exited with {self.proc.returncode}:\n{self.tail()}")
        try:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False


def server_env(*, database: str, var_dir: Path, redis_url: str = "", **extra: str) -> dict[str, str]:
    """The environment of an instance: what a production instance reads, pointed at the test's services."""
    env = {
        "DJANGO_SETTINGS_MODULE": "anxin.settings",
        "DATABASE_URL": database,
        "ANXIN_VAR_DIR": str(var_dir),
        "REDIS_URL": redis_url,
        "ANXIN_ENV": "dev",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": f"{HOST},localhost",
        # No Celery worker runs beside the test servers.
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "ANXIN_OUTBOX_KICK": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra)
    return env


def start_all(servers: list[AppServer], timeout: float = 90.0) -> list[AppServer]:
    """Start the servers side by side and wait until each answers ``/healthz``; stop them all on failure."""
    try:
        for server in servers:
            server.start()
        pending = list(servers)
        deadline = time.monotonic() + timeout
        while pending:
            pending = [s for s in pending if not s.ready()]
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"no answer within {timeout:.0f} s from port {pending[0].port}:\n{pending[0].tail()}")
            if pending:
                time.sleep(0.1)
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


class Browserless:
    """Cookies kept like a browser's, redirects not followed (the test looks at each answer)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, base_url: str, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        host, port = base_url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        all_headers = {"Host": f"{host}:{port}", "Referer": f"{base_url}{path}", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value in ("", '""'):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie_value
        conn.close()
        return response.status, dict(response.getheaders()), content

    def get(self, base_url: str, path: str):
        return self.request(base_url, "GET", path)

    def post(self, base_url: str, path: str, form: dict):
        return self.request(base_url, "POST", path, {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
