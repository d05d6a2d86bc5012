"""Two app server instances, one database, one Redis (issue 11 item 7; decision 0051): a pop raised
through one instance reaches an agent whose page waits on the other, and only that agent.

As in production: instance A is ``gunicorn anxin.wsgi`` (pages and the API, where the PBX posts its
event), instance B ``uvicorn anxin.asgi`` (the agents' streams), separate processes on the test
database and one Redis (``tests/servers.py``), so the ringing event taken by A travels over Redis
pub/sub to the stream held by B. The agent signs in on B; dismissing through A with that session
works too, and B's stream takes the pop away."""

from __future__ import annotations

import http.client
import json
import tempfile
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.hashers import ScryptPasswordHasher, make_password
from django.db import connection

from anxin.accounts.models import User
from anxin.accounts.services import api_token_create
from anxin.testing import PASSWORD
from tests.servers import AppServer, Browserless, RedisServer, database_url, server_env, start_all

pytestmark = pytest.mark.django_db(transaction=True)

GUARD = 20  # seconds: a pop that does not arrive fails the test instead of stalling the run


@pytest.fixture
def two_servers(transactional_db):
    """A (gunicorn) and B (uvicorn) on the test database and a private Redis."""
    with tempfile.TemporaryDirectory(prefix="anxin-pop-") as tmp:
        tmp = Path(tmp)
        redis, servers = RedisServer(tmp), []
        try:
            redis.start()
            env = server_env(
                database=database_url(connection.settings_dict),
                var_dir=tmp / "var",
                redis_url=redis.url(0),
                ANXIN_POP_CHANNEL=f"anxin-test:{uuid.uuid4().hex}",
                # Longer than GUARD: a pop that did not come over Redis would wait for a heartbeat's look.
                ANXIN_POP_HEARTBEAT_SECONDS="60",
            )
            servers = start_all([AppServer(env, tmp / "server-a.log"), AppServer(env, tmp / "server-b.log", kind="uvicorn")])
            yield servers
        finally:
            for server in servers:
                server.stop()
            redis.stop()


def log_in(browser: Browserless, server: AppServer, username: str) -> None:
    assert browser.get(server.url, "/accounts/login/")[0] == 200  # sets the csrftoken cookie
    status, _, body = browser.post(server.url, "/accounts/login/", {"username": username, "password": PASSWORD})
    assert status == 302 and "sessionid" in browser.cookies, body[:500]


class Stream:
    """The agent's page waiting on the pop stream, read as EventSource reads it."""

    def __init__(self, server: AppServer, browser: Browserless):
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=GUARD)
        self.conn.request("GET", "/telephony/pop/stream/", headers={"Accept": "text/event-stream", "Cookie": cookie})
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200 and self.resp.getheader("Content-Type").startswith("text/event-stream")

    def next(self) -> dict:
        """The next event's fields; a heartbeat is ``{"comment": …}``, the retry hint ``{"retry": …}``."""
        fields: dict = {}
        while True:
            line = self.resp.readline().decode().rstrip("\r\n")
            if not line:
                if fields:
                    return fields
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            key = name or "comment"
            fields[key] = f"{fields[key]}\n{value}" if key == "data" and key in fields else value

    def close(self) -> None:
        self.conn.close()


def ring(server: AppServer, token: str, **body) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=GUARD)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request("POST", "/api/v1/telephony/call-events", body=json.dumps(body), headers=headers)
    response = conn.getresponse()
    assert response.status == 200
    answer = json.loads(response.read())
    conn.close()
    return answer


def test_a_pop_raised_through_one_instance_reaches_the_agent_on_the_other(world, two_servers):
    server_a, server_b = two_servers
    customer = world.customer(name="张伟", phone="13812345678", group="vip")
    other = world.callback_agent
    other.extension = "8013"
    other.save()
    # The servers check passwords with the production hashers (the test run uses MD5).
    User.objects.filter(pk__in=[world.agent.pk, other.pk]).update(password=make_password(PASSWORD, hasher=ScryptPasswordHasher()))
    _token, pbx = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")

    agent, colleague = Browserless(), Browserless()
    log_in(agent, server_b, "agent")
    log_in(colleague, server_b, "callback_agent")
    agent_stream, colleague_stream = Stream(server_b, agent), Stream(server_b, colleague)
    try:
        assert "retry" in agent_stream.next() and agent_stream.next()["id"] == "none"
        assert "retry" in colleague_stream.next() and colleague_stream.next()["id"] == "none"

        # Taken by A, shown by B: the very next frame, long before a heartbeat could make B look again.
        call = ring(server_a, pbx, call_id="PBX-TWO-1", event="ringing", caller="13812345678", extension="8012")
        pop = agent_stream.next()
        assert pop["event"] == "pop" and pop["id"] == f"{call['id']}.ringing.{customer.pk}"
        assert "data-screen-pop" in pop["data"] and f'data-pop-customer="{customer.pk}"' in pop["data"] and "data-vip" in pop["data"]

        # Dismissed through A with the session opened on B: B's stream takes the pop away.
        status, _, body = agent.post(server_a.url, f"/telephony/pop/{call['id']}/dismiss/", {})
        assert status == 200 and b"data-screen-pop" not in body
        assert agent_stream.next()["id"] == "none"

        # The colleague waiting on B was never shown the first call: their next frame is their own.
        own = ring(server_a, pbx, call_id="PBX-TWO-2", event="ringing", caller="13700001111", extension="8013")
        theirs = colleague_stream.next()
        assert theirs["event"] == "pop" and theirs["id"] == f"{own['id']}.ringing." and "data-pop-new-customer" in theirs["data"]
    finally:
        agent_stream.close()
        colleague_stream.close()
