"""The push channel of the screen pop (decision 0051): "a call changed that may concern these agents".

A service that changes a call announces it after commit under the addresses the call concerns (its
agent, its extension). Every open pop stream subscribed to one of them wakes up and asks
``selectors.pop_call_for`` again, which alone decides what the agent sees: the addresses are only a
coarse sorting of the wake-ups, the channel carries no call data.

Two brokers, chosen by settings (``ANXIN_POP_BROKER``):

* ``local`` (the embedded default, no server to run): an announcement rings the waiters of this
  process. ``make run`` serves every page from one process, so that is where the PBX event and the
  agent's stream meet. A change made by another process (``run_periodic`` marking a call missed)
  shows at the stream's next heartbeat, when it looks again.
* ``redis`` (``REDIS_URL`` set, production): an announcement is published on one Redis pub/sub
  channel; each server process that holds streams runs one listener thread that rings its own
  waiters, so a pop raised through one app server reaches an agent connected to another. Processes
  that only announce (gunicorn workers, Celery) never subscribe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)


def agent_addresses(user) -> tuple[str, ...]:
    """Where announcements for ``user``'s pops arrive: their own address and their extension's."""
    addresses = [f"agent:{user.pk}"]
    if user.extension:
        addresses.append(f"ext:{user.extension}")
    return tuple(addresses)


def call_addresses(call) -> tuple[str, ...]:
    """Whom a change of ``call`` may concern: more agents than ``pop_call_for`` shows it to (each
    woken stream asks that rule again), never fewer."""
    addresses = []
    if call.agent_id:
        addresses.append(f"agent:{call.agent_id}")
    if call.extension:
        addresses.append(f"ext:{call.extension}")
    return tuple(addresses)


def announce_call(call) -> None:
    """Wake the streams ``call`` may concern once the current transaction commits (at once without one)."""
    addresses = call_addresses(call)
    if addresses:
        transaction.on_commit(lambda: broker().announce(addresses), robust=True)


class Waiter:
    """One open stream's doorbell: rung from any thread, waited on by a thread or by an event loop."""

    def __init__(self, addresses: Iterable[str], loop: asyncio.AbstractEventLoop | None = None):
        self.addresses = frozenset(addresses)
        self._rung = threading.Event()
        self._loop = loop
        self._async_rung = asyncio.Event() if loop is not None else None

    def ring(self) -> None:
        self._rung.set()
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: its stream is gone
                self._loop.call_soon_threadsafe(self._async_rung.set)

    def reset(self) -> None:
        """Called before the stream looks at the database: a ring from then on is kept for the next wait."""
        self._rung.clear()
        if self._async_rung is not None:
            self._async_rung.clear()

    def wait(self, timeout: float) -> bool:
        return self._rung.wait(timeout)

    async def wait_async(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._async_rung.wait(), timeout)
        except TimeoutError:
            return False
        return True


class Hub:
    """This process's waiters by address."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_address: dict[str, set[Waiter]] = {}

    def add(self, waiter: Waiter) -> None:
        with self._lock:
            for address in waiter.addresses:
                self._by_address.setdefault(address, set()).add(waiter)

    def remove(self, waiter: Waiter) -> None:
        with self._lock:
            for address in waiter.addresses:
                waiters = self._by_address.get(address)
                if waiters is not None:
                    waiters.discard(waiter)
                    if not waiters:
                        del self._by_address[address]

    def ring(self, addresses: Iterable[str]) -> None:
        with self._lock:
            found = {w for a in addresses for w in self._by_address.get(a, ())}
        for waiter in found:
            waiter.ring()

    def ring_all(self) -> None:
        with self._lock:
            found = {w for waiters in self._by_address.values() for w in waiters}
        for waiter in found:
            waiter.ring()

    def __len__(self) -> int:
        with self._lock:
            return len({w for waiters in self._by_address.values() for w in waiters})


class LocalBroker:
    """One process: an announcement rings this process's waiters."""

    name = "local"
    # Nothing tells this process about another process's changes: streams look again at each heartbeat.
    recheck_on_heartbeat = True

    def __init__(self) -> None:
        self.hub = Hub()

    def announce(self, addresses: Iterable[str]) -> None:
        self.hub.ring(addresses)

    def subscribe(self, addresses: Iterable[str], *, loop: asyncio.AbstractEventLoop | None = None) -> Waiter:
        waiter = Waiter(addresses, loop)
        self.hub.add(waiter)
        return waiter

    def unsubscribe(self, waiter: Waiter) -> None:
        self.hub.remove(waiter)

    def waiting(self) -> int:
        """Open streams of this process (a stream that ended and is still counted is a leak)."""
        return len(self.hub)

    def close(self) -> None:
        pass


class RedisBroker(LocalBroker):
    """Every process: announcements go through one Redis pub/sub channel (pub/sub ignores the database
    number, so the channel's name keeps installations sharing a Redis apart: ``ANXIN_POP_CHANNEL``)."""

    name = "redis"
    recheck_on_heartbeat = False
    # The listener thread waits at most this long for a message before it checks whether it should stop.
    LISTEN_TIMEOUT = 1.0

    def __init__(self, url: str, channel: str) -> None:
        super().__init__()
        self.url, self.channel = url, channel
        self._lock = threading.Lock()
        self._client = None
        self._client_pid = 0
        self._listener: threading.Thread | None = None
        self._listener_pid = 0
        self._stop = threading.Event()
        self.listening = threading.Event()  # set while the listener is subscribed

    def _redis(self):
        import redis

        with self._lock:
            if self._client is None or self._client_pid != os.getpid():  # a forked worker opens its own
                self._client = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
                self._client_pid = os.getpid()
            return self._client

    def announce(self, addresses: Iterable[str]) -> None:
        addresses = tuple(addresses)
        if not addresses:
            return
        try:
            self._redis().publish(self.channel, " ".join(addresses))
        except Exception:  # Redis down: at least this process's agents are told
            log.warning("screen pop: publishing to Redis failed; only this process's streams are woken", exc_info=True)
            self.hub.ring(addresses)

    def subscribe(self, addresses: Iterable[str], *, loop: asyncio.AbstractEventLoop | None = None) -> Waiter:
        waiter = super().subscribe(addresses, loop=loop)
        self._ensure_listener()
        return waiter

    def _ensure_listener(self) -> None:
        with self._lock:
            alive = self._listener is not None and self._listener.is_alive() and self._listener_pid == os.getpid()
            if alive or self._stop.is_set():
                return
            self._listener = threading.Thread(target=self._listen, name="anxin-pop-listener", daemon=True)
            self._listener_pid = os.getpid()
            self._listener.start()

    def _listen(self) -> None:
        import redis

        delay = 0.5
        while not self._stop.is_set():
            pubsub = None
            try:
                client = redis.Redis.from_url(self.url, socket_connect_timeout=2, health_check_interval=30)
                pubsub = client.pubsub()
                pubsub.subscribe(self.channel)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=self.LISTEN_TIMEOUT)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        # What was announced before the subscription took is not lost: every stream looks again.
                        self.listening.set()
                        delay = 0.5
                        self.hub.ring_all()
                    elif message["type"] == "message":
                        self.hub.ring(message["data"].decode().split())
            except Exception:
                self.listening.clear()
                log.warning("screen pop: the Redis subscription dropped; retrying in %.1f s", delay, exc_info=True)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
            finally:
                self.listening.clear()
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        pubsub.close()

    def close(self) -> None:
        """Stop the listener thread (tests; a server process just exits)."""
        self._stop.set()
        if self._listener is not None:
            self._listener.join(self.LISTEN_TIMEOUT + 1)


_brokers: dict[tuple, LocalBroker] = {}
_brokers_lock = threading.Lock()


def broker() -> LocalBroker:
    """This process's broker for the current settings."""
    if settings.ANXIN_POP_BROKER == "redis":
        key = ("redis", settings.REDIS_URL, settings.ANXIN_POP_CHANNEL)
    else:
        key = ("local",)
    with _brokers_lock:
        found = _brokers.get(key)
        if found is None:
            found = _brokers[key] = RedisBroker(key[1], key[2]) if key[0] == "redis" else LocalBroker()
        return found
