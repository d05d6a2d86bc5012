"""The agent's screen pop as a stream of server-sent events (decision 0051).

The page opens one ``EventSource`` (htmx's sse extension) and waits: the stream sends the pop as it is
on connect (so a pop raised while the page was loading or reconnecting is not missed), then nothing
but a heartbeat comment every ``ANXIN_POP_HEARTBEAT_SECONDS`` until an announcement of the push
channel (``pop_push``) wakes it; it then asks ``selectors.pop_call_for`` again and sends the rendered
pop partial only when what the agent should see changed. Each event's id says what it showed; a
browser reconnecting sends it back (``Last-Event-ID``), so an unchanged pop is not sent twice. After
``ANXIN_POP_STREAM_SECONDS`` the stream ends and the browser reconnects through the login check, so a
signed-out or deactivated agent stops receiving pops.

Two drivers of the same steps: an async generator under ASGI (uvicorn: a waiting agent is a parked
coroutine, no thread, no database connection) and a plain generator under WSGI (runserver, the test
server: it holds one server thread per open page, fine for one person, not for a call center).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import translation

from anxin.telephony import pop_push, selectors
from anxin.telephony.models import Call

RETRY = b"retry: 1000\n\n"  # the browser reconnects 1 s after a dropped connection
HEARTBEAT = b": keepalive\n\n"  # a comment: keeps proxies and the browser from timing the connection out
END = b""  # the session is over: end the stream


def pop_html(*, user, call: Call | None) -> str:
    """The pop partial for ``call`` as ``user`` sees it (nothing but the empty slot when ``None``)."""
    context: dict = {"call": call}
    if call is not None:
        context["pop_customers"] = selectors.pop_customers(user=user, call=call)
        context["caller"] = selectors.display_number(user, call.caller_number)
    return render_to_string("telephony/partials/pop.html", context)


def _shown(call: Call | None) -> str:
    """What a frame showed: the call and what its pop depends on (the title follows the state)."""
    return f"{call.pk}.{call.state}.{call.customer_id or ''}" if call is not None else "none"


def frame(event: str, data: str, event_id: str) -> bytes:
    lines = "".join(f"data: {line}\n" for line in (data.splitlines() or [""]))
    return f"id: {event_id}\nevent: {event}\n{lines}\n".encode()


# Looks of one process's streams at once: ``ANXIN_POP_LOOKS_AT_ONCE`` per event loop (ASGI) or per
# process (WSGI threads). A look holds a database connection; the others wait their turn.
_loop_looks: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
_thread_looks = threading.BoundedSemaphore(settings.ANXIN_POP_LOOKS_AT_ONCE)


def _looks_of(loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
    if loop not in _loop_looks:
        _loop_looks[loop] = asyncio.Semaphore(settings.ANXIN_POP_LOOKS_AT_ONCE)
    return _loop_looks[loop]


def _release_db() -> None:
    # A stream waits for minutes: it must not hold a database connection meanwhile. (Inside a test's
    # transaction the connection is the test's own and stays.)
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


class PopStream:
    """One agent's open stream: what it last showed and how it looks again."""

    def __init__(self, request) -> None:
        self.user = request.user
        self.session = getattr(request, "session", None)
        self.session_key = self.session.session_key if self.session is not None else None
        self.language = translation.get_language()
        self.shown = request.headers.get("Last-Event-ID", "")
        self.broker = pop_push.broker()
        self.addresses = pop_push.agent_addresses(self.user)
        self.heartbeat = settings.ANXIN_POP_HEARTBEAT_SECONDS
        self.lifetime = settings.ANXIN_POP_STREAM_SECONDS
        self.looked = False

    def look(self) -> bytes | None:
        """The frame to send when the pop changed since the last one sent, ``None`` when it did not,
        ``END`` when the agent's session is gone. Blocking (database): a thread under ASGI."""
        try:
            call = selectors.pop_call_for(user=self.user)
            shown = _shown(call)
            if shown == self.shown:
                return None
            if self.looked and self.session_key and not self.session.exists(self.session_key):
                return END  # signed out meanwhile: nothing more for this page
            with translation.override(self.language):
                data = frame("pop", pop_html(user=self.user, call=call), shown)
            self.shown = shown
            return data
        finally:
            self.looked = True
            _release_db()

    def frames(self) -> Iterator[bytes]:
        """The WSGI driver: blocks its thread between events."""
        waiter = self.broker.subscribe(self.addresses)
        try:
            yield RETRY
            deadline = time.monotonic() + self.lifetime
            look = True
            while True:
                if look:
                    waiter.reset()
                    with _thread_looks:
                        data = self.look()
                    if data == END:
                        return
                    if data:
                        yield data
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                if waiter.wait(min(self.heartbeat, left)):
                    look = True
                else:
                    yield HEARTBEAT
                    look = self.broker.recheck_on_heartbeat
        finally:
            self.broker.unsubscribe(waiter)

    async def aframes(self) -> AsyncIterator[bytes]:
        """The ASGI driver: the same steps, parked on the event loop between events. A client that
        disconnects cancels it (Django's ASGI handler), which unsubscribes it."""
        loop = asyncio.get_running_loop()
        waiter = self.broker.subscribe(self.addresses, loop=loop)
        look_db = sync_to_async(self.look)  # in this request's own thread, where its connection lives
        try:
            yield RETRY
            deadline = loop.time() + self.lifetime
            look = True
            while True:
                if look:
                    waiter.reset()
                    async with _looks_of(loop):
                        data = await look_db()
                    if data == END:
                        return
                    if data:
                        yield data
                left = deadline - loop.time()
                if left <= 0:
                    return
                if await waiter.wait_async(min(self.heartbeat, left)):
                    look = True
                else:
                    yield HEARTBEAT
                    look = self.broker.recheck_on_heartbeat
        finally:
            self.broker.unsubscribe(waiter)

    def snapshot(self) -> list[bytes]:
        """For a client that asked for no event stream (curl, a probe, a test client): the pop now, once."""
        data = self.look()
        return [RETRY, data] if data else [RETRY]


async def _once(frames: list[bytes]) -> AsyncIterator[bytes]:
    for data in frames:
        yield data


def response(request) -> StreamingHttpResponse:
    stream = PopStream(request)
    asgi = isinstance(request, ASGIRequest)
    if "text/event-stream" not in request.headers.get("Accept", ""):
        frames = stream.snapshot()
        content = _once(frames) if asgi else frames
    else:
        content = stream.aframes() if asgi else stream.frames()
    resp = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    resp["Cache-Control"] = "no-cache, no-store"
    resp["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return resp
