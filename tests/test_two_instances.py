"""Stateless app servers (issue 11 item 7): two instances on different ports share one database and
one Redis, as behind a load balancer; whatever one instance does, the other sees.

The two servers are started once for the module (``instances``) and shared by its tests; each test
gets an empty database (``transactional_db``: the servers must see committed rows) and an empty Redis.
"""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from anxin.accounts.choices import OrgKind, Role
from anxin.accounts.models import OrgUnit, User
from tests.servers import AppServer, Browserless, RedisServer, database_url, server_env, start_all

PASSWORD = "two-instances-2026"
NEW_PASSWORD = "Kx9-mQ2v-Lp7w"


class Instances:
    def __init__(self, servers: list[AppServer], redis: RedisServer):
        self.servers, self.redis = servers, redis
        self.a, self.b = servers


@pytest.fixture(scope="module")
def instances(django_db_setup, django_db_blocker):
    """Two gunicorn instances on the test database and one private Redis (cache, sessions, pops)."""
    with tempfile.TemporaryDirectory(prefix="anxin-two-") as tmp:
        tmp = Path(tmp)
        redis, servers = RedisServer(tmp), []
        try:
            redis.start()
            with django_db_blocker.unblock():
                database = database_url(connection.settings_dict)
            env = server_env(database=database, var_dir=tmp / "var", redis_url=redis.url(0))
            servers = start_all([AppServer(env, tmp / f"server-{name}.log") for name in ("a", "b")])
            yield Instances(servers, redis)
        finally:
            for server in servers:
                server.stop()
            redis.stop()


@pytest.fixture
def two(instances, transactional_db):
    instances.redis.flush()  # ids restart in an emptied SQLite database: no entry of an earlier test
    return instances


@functools.cache
def password_hash() -> str:
    # What the servers' default hasher writes (this process's tests hash with MD5, which they refuse).
    return PBKDF2PasswordHasher().encode(PASSWORD, "two-instances-salt")


def a_user(username: str = "dispatcher") -> User:
    outlet = OrgUnit.objects.create(kind=OrgKind.OUTLET, code="O-1", name="西湖服务中心")
    return User.objects.create(username=username, password=password_hash(), role=Role.OUTLET_MANAGER, org_unit=outlet)


def log_in(browser: Browserless, base_url: str, username: str) -> None:
    status, _, _ = browser.get(base_url, "/accounts/login/")  # sets the csrftoken cookie
    assert status == 200
    status, headers, body = browser.post(base_url, "/accounts/login/", {"username": username, "password": PASSWORD})
    assert status == 302, body[:500]
    assert "sessionid" in browser.cookies


def me(browser: Browserless, base_url: str) -> tuple[int, dict]:
    status, _, body = browser.get(base_url, "/api/v1/me")
    return status, json.loads(body)


def test_a_session_opened_on_one_instance_works_on_the_other_and_ends_on_both(two):
    # One test, not three: each test of this module empties the database, which takes seconds on PostgreSQL.
    a_user()
    this, other = Browserless(), Browserless()
    log_in(this, two.a.url, "dispatcher")
    status, body = me(this, two.b.url)
    assert (status, body["username"], body["org_unit"]) == (200, "dispatcher", "西湖服务中心")
    assert this.get(two.b.url, "/")[0] == 200  # the home page itself, not the redirect to the login page

    # A password change on a logs out the user's other sessions on b, which had read the user before.
    log_in(other, two.b.url, "dispatcher")
    for browser in (this, other):
        for server in two.servers:
            assert me(browser, server.url)[0] == 200
    status, _, body = this.post(
        two.a.url, "/accounts/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert status == 302, body[:500]
    assert me(other, two.b.url)[0] == 401
    assert me(this, two.b.url)[0] == 200  # the session that changed the password stays logged in

    # A logout on b ends the session on a, which serves sessions from the cache.
    cookie = this.cookies["sessionid"]
    assert me(this, two.a.url)[0] == 200
    assert this.post(two.b.url, "/accounts/logout/", {})[0] == 302
    replay = Browserless()
    replay.cookies["sessionid"] = cookie
    status, body = me(replay, two.a.url)
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
