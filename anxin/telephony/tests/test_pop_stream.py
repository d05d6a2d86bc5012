"""Screen pops pushed (decision 0051): the stream sends the pop on connect and on each announcement,
only to the agent ``pop_call_for`` shows it to; heartbeats while nothing happens; the embedded
broker (no Redis) carries the pop in one process and looks again at each heartbeat for changes made
elsewhere; a stream that ends, by the page going away or by its lifetime, leaves no waiter behind.

The WSGI driver is read step by step in the test's own thread: a ring that arrives
while the stream is not waiting is kept for its next wait, so nothing here depends on timing. The
ASGI driver runs under Django's ASGI handler on an event loop, as uvicorn runs it."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import connection, connections
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from anxin.telephony import pop_push, pop_stream
from anxin.telephony.choices import CallState
from anxin.telephony.models import Call
from anxin.telephony.services import call_dismiss, call_event_record

# Committed data: the announcements go out after commit, and the ASGI driver looks from threads of its own.
pytestmark = pytest.mark.django_db(transaction=True)

STREAM = {"HTTP_ACCEPT": "text/event-stream"}


def ring(world, call_id="C-1", caller="13812345678", extension="8012"):
    return call_event_record(actor=world.agent, call_id=call_id, event="ringing", caller=caller, extension=extension)


def ring_elsewhere(world):
    """The PBX event as another request thread takes it (its connection closed after, as a request's is)."""
    try:
        return ring(world)
    finally:
        connections.close_all()


def other_database_sessions() -> int | None:
    """PostgreSQL: sessions on the test database besides this one (``None`` on SQLite, which has none)."""
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            return cursor.fetchone()[0]
    finally:
        connections.close_all()


def open_stream(client, user, **headers):
    client.force_login(user)
    response = client.get(reverse("screen_pop_stream"), **STREAM, **headers)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/event-stream")
    return response, iter(response.streaming_content)


def events(chunk: bytes) -> dict:
    """The fields of one event frame."""
    fields: dict = {}
    for line in chunk.decode().splitlines():
        name, _, value = line.partition(": ")
        fields[name] = f"{fields[name]}\n{value}" if name in fields and name == "data" else value
    return fields


@pytest.fixture(autouse=True)
def own_broker(monkeypatch):
    """Each test counts the waiters of a broker of its own (a failed test leaves its streams open)."""
    monkeypatch.setattr(pop_push, "_brokers", {})


@pytest.fixture
def quick(settings):
    settings.ANXIN_POP_HEARTBEAT_SECONDS = 1
    return settings


def test_the_stream_pops_the_bound_agent_and_not_another(world, client, quick):
    customer = world.customer(phone="13812345678", group="vip")
    other = world.callback_agent
    other.extension = "8013"
    other.save()
    other_client = client.__class__()
    mine, agent_stream = open_stream(client, world.agent)
    theirs, other_stream = open_stream(other_client, other)
    assert next(agent_stream) == pop_stream.RETRY and next(other_stream) == pop_stream.RETRY
    # On connect: the pop as it is now (nothing), so a page never misses one raised while it loaded.
    first = events(next(agent_stream))
    assert first["event"] == "pop" and first["id"] == "none" and 'id="screen-pop-slot"' in first["data"]
    assert "data-screen-pop" not in first["data"]
    assert events(next(other_stream))["id"] == "none"
    assert pop_push.broker().waiting() == 2

    call = ring(world)
    pop = events(next(agent_stream))
    assert pop["event"] == "pop" and pop["id"] == f"{call.pk}.ringing.{customer.pk}"
    assert "data-screen-pop" in pop["data"] and f'data-pop-customer="{customer.pk}"' in pop["data"] and "data-vip" in pop["data"]
    assert "13812345678" in pop["data"] and f"call={call.pk}" in pop["data"]
    # The other agent's stream was not woken by it: its next frame is the heartbeat, and what it
    # would pop when it looks again is still nothing (pop_call_for's rule).
    assert next(other_stream) == pop_stream.HEARTBEAT
    assert next(other_stream) == pop_stream.HEARTBEAT

    # Answered: the title changes, so the pop is sent again; a replay changes nothing and sends nothing.
    call_event_record(actor=world.agent, call_id="C-1", event="answered", extension="8012")
    call_event_record(actor=world.agent, call_id="C-1", event="answered", extension="8012")
    answered = events(next(agent_stream))
    assert answered["id"] == f"{call.pk}.answered.{customer.pk}" and "data-screen-pop" in answered["data"]
    assert next(agent_stream) == pop_stream.HEARTBEAT

    # Dismissed (the button keeps working): the pop goes from the stream as well.
    dismissed = client.post(reverse("screen_pop_dismiss", args=[call.pk]))
    assert dismissed.status_code == 200 and "data-screen-pop" not in dismissed.content.decode()
    gone = events(next(agent_stream))
    assert gone["id"] == "none" and "data-screen-pop" not in gone["data"]

    mine.close()
    theirs.close()
    assert pop_push.broker().waiting() == 0  # closed streams leave no waiter behind


def test_reconnecting_page_gets_the_pending_pop_once(world, client, quick):
    call = ring(world)
    response, stream = open_stream(client, world.agent)
    next(stream)
    pending = events(next(stream))
    assert "data-screen-pop" in pending["data"]
    response.close()
    # The browser reconnects with the id of the last event it saw: the unchanged pop is not sent again.
    response, stream = open_stream(client, world.agent, HTTP_LAST_EVENT_ID=pending["id"])
    next(stream)
    assert next(stream) == pop_stream.HEARTBEAT
    response.close()
    # A new page (no id) gets it again.
    response, stream = open_stream(client, world.agent)
    next(stream)
    assert f"call={call.pk}" in events(next(stream))["data"]
    response.close()
    assert pop_push.broker().waiting() == 0


def test_embedded_broker_sees_changes_of_other_processes_at_the_heartbeat(world, client, quick):
    """No Redis: a change no announcement tells this process about (run_periodic, another process)
    shows when the stream looks again at its next heartbeat."""
    assert pop_push.broker().name == "local" and pop_push.broker().recheck_on_heartbeat
    response, stream = open_stream(client, world.agent)
    next(stream)
    assert events(next(stream))["id"] == "none"
    # Written straight to the table: as another process would, without ringing this one.
    call = Call.objects.create(call_id="ELSEWHERE", caller_number="13700001111", extension="8012", started_at=timezone.now())
    assert next(stream) == pop_stream.HEARTBEAT
    later = events(next(stream))
    assert later["id"] == f"{call.pk}.ringing." and "data-pop-new-customer" in later["data"]
    response.close()


def test_a_missed_call_leaves_the_pop(world, client, quick, settings):
    from datetime import timedelta

    from anxin.telephony.services import calls_mark_missed

    settings.ANXIN_CALL_MISSED_AFTER_MINUTES = 5
    call = call_event_record(
        actor=world.agent, call_id="OLD", event="ringing", caller="13700001111", extension="8012", at=timezone.now() - timedelta(minutes=6)
    )
    response, stream = open_stream(client, world.agent)
    next(stream)
    assert events(next(stream))["id"].startswith(f"{call.pk}.")
    assert calls_mark_missed() == 1
    assert events(next(stream))["id"] == "none"
    response.close()


def test_stream_ends_after_its_lifetime_and_unsubscribes(world, client, quick):
    quick.ANXIN_POP_STREAM_SECONDS = 1
    response, stream = open_stream(client, world.agent)
    assert list(stream)[0] == pop_stream.RETRY  # ends by itself; the browser reconnects through the login check
    assert pop_push.broker().waiting() == 0


def test_signed_out_agent_stream_ends_at_the_next_change(world, client, quick):
    response, stream = open_stream(client, world.agent)
    next(stream)
    next(stream)
    client.session.delete()  # signed out in another tab
    ring(world)
    assert list(stream) == []  # nothing of the new call reaches the page
    assert pop_push.broker().waiting() == 0


def test_who_gets_a_stream(world, client):
    assert client.get(reverse("screen_pop_stream"), **STREAM).status_code == 302  # signed out: the login page
    client.force_login(world.dispatcher)
    assert client.get(reverse("screen_pop_stream"), **STREAM).status_code == 204  # nothing pops for them: no reconnect
    # A client asking for no event stream (curl, a probe) gets the pop as it is, once.
    ring(world)
    client.force_login(world.agent)
    response = client.get(reverse("screen_pop_stream"))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and b"data-screen-pop" in body and body.startswith(pop_stream.RETRY)
    assert response["Cache-Control"] == "no-cache, no-store" and response["X-Accel-Buffering"] == "no"


def test_looking_releases_the_database_connection(world):
    """A waiting stream holds no database connection (2,000 agents would be 2,000 connections)."""
    request = RequestFactory().get(reverse("screen_pop_stream"))
    request.user = world.agent
    stream = pop_stream.PopStream(request)
    assert stream.look() is not None
    assert connection.connection is None


# --- the ASGI driver, as uvicorn runs it --------------------------------------------------------


class FakeClient:
    """The ASGI server's side of one request: collects what the app sends, disconnects on demand."""

    def __init__(self):
        self.sent: asyncio.Queue = asyncio.Queue()
        self.gone = asyncio.Event()
        self.requested = False

    async def receive(self):
        if not self.requested:
            self.requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message):
        await self.sent.put(message)

    async def body(self) -> bytes:
        message = await asyncio.wait_for(self.sent.get(), timeout=15)  # a guard against a hang, not a timing check
        assert message["type"] == "http.response.body", message
        return message["body"]


def test_asgi_stream_pops_heartbeats_and_forgets_a_closed_page(world, client, quick, monkeypatch):
    # Heartbeats only, as with Redis: the embedded broker's look at each heartbeat would open a
    # connection for a moment, and the count below is about the waiting stream.
    monkeypatch.setattr(pop_push.LocalBroker, "recheck_on_heartbeat", False)
    customer = world.customer(phone="13812345678")
    client.force_login(world.agent)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": reverse("screen_pop_stream"),
        "raw_path": reverse("screen_pop_stream").encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"accept", b"text/event-stream"), (b"cookie", cookie)],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }

    async def main():
        page = FakeClient()
        served = asyncio.create_task(ASGIHandler()(scope, page.receive, page.send))
        start = await asyncio.wait_for(page.sent.get(), timeout=15)
        assert start["type"] == "http.response.start" and start["status"] == 200
        assert await page.body() == pop_stream.RETRY
        assert events(await page.body())["id"] == "none"
        assert pop_push.broker().waiting() == 1
        assert await page.body() == pop_stream.HEARTBEAT  # nothing happened: a comment, no request
        assert await sync_to_async(other_database_sessions)() in (0, None)  # the waiting stream holds no connection
        call = await sync_to_async(ring_elsewhere)(world)  # the PBX event, committed: announced to this process
        body = await page.body()
        for _ in range(5):  # a heartbeat may have been on its way already
            if body != pop_stream.HEARTBEAT:
                break
            body = await page.body()
        pop = events(body)
        assert pop["id"] == f"{call.pk}.ringing.{customer.pk}" and f'data-pop-customer="{customer.pk}"' in pop["data"]
        page.gone.set()  # the agent closes the page
        await asyncio.wait_for(served, timeout=15)
        assert pop_push.broker().waiting() == 0

    connection.close()  # this thread's own, so that only the stream's could be counted
    asyncio.run(main())
    assert Call.objects.get().state == CallState.RINGING


def test_dismiss_is_announced(world):
    call = ring(world)
    waiter = pop_push.broker().subscribe(pop_push.agent_addresses(world.agent))
    try:
        call_dismiss(actor=world.agent, call_id=call.pk)
        assert waiter.wait(0)
    finally:
        pop_push.broker().unsubscribe(waiter)


@pytest.mark.django_db(transaction=False)
def test_streams_of_one_process_look_at_the_database_a_few_at_a_time(monkeypatch, settings):
    """2,000 agents reconnecting at once must not open 2,000 database connections: each stream's look
    (in its request's own thread, as under Django's ASGI handler) waits for one of
    ``ANXIN_POP_LOOKS_AT_ONCE`` turns of its process."""
    import threading
    import time

    from asgiref.sync import ThreadSensitiveContext

    settings.ANXIN_POP_LOOKS_AT_ONCE = 2
    monkeypatch.setattr(pop_stream, "_loop_looks", {})
    lock = threading.Lock()
    now = {"running": 0, "peak": 0}

    def slow_look(self):
        with lock:
            now["running"] += 1
            now["peak"] = max(now["peak"], now["running"])
        time.sleep(0.05)
        with lock:
            now["running"] -= 1
        return b"data: pop\n\n"

    monkeypatch.setattr(pop_stream.PopStream, "look", slow_look)

    def stream(agent: int) -> pop_stream.PopStream:
        s = object.__new__(pop_stream.PopStream)
        s.broker, s.addresses, s.heartbeat, s.lifetime = pop_push.LocalBroker(), (f"agent:{agent}",), 5, 5
        return s

    async def connect(agent: int) -> bytes:
        async with ThreadSensitiveContext():  # a request of its own, with its own thread
            frames = stream(agent).aframes()
            assert await frames.__anext__() == pop_stream.RETRY
            first = await frames.__anext__()
            await frames.aclose()
            return first

    async def everyone():
        return await asyncio.gather(*(connect(agent) for agent in range(6)))

    assert asyncio.run(everyone()) == [b"data: pop\n\n"] * 6
    assert now["peak"] == 2
