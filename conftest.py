"""Shared test world: one persona per role, two regions, outlets inside and outside the scope.

Alice-style fixed personas (cf. healthchecks' Alice/Bob/Charlie): every scoping test uses the
same people, and ``outsider_*`` belong to another region's outlet.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "zh-hans"
    # Tests search far faster than a person (and share one in-process cache); the limit has its own
    # test (anxin/customers/tests/test_masked_search.py).
    settings.ANXIN_CUSTOMER_SEARCH_PER_MINUTE = 0


@pytest.fixture(autouse=True)
def _fresh_identity_cache():
    # Sessions and users are cached by id (decision 0050); rolled-back tests reuse ids on SQLite.
    from django.core.cache import caches

    caches["identity"].clear()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis for the tests that need one: ``ANXIN_TEST_REDIS_URL`` when set, else a private
    ``redis-server`` without persistence (``tests/servers.py``), one per test process. Tests share
    it: each keeps to a channel or key prefix of its own."""
    if os.environ.get("ANXIN_TEST_REDIS_URL"):
        yield os.environ["ANXIN_TEST_REDIS_URL"]
        return
    from tests.servers import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server.url(13)
    server.stop()


@pytest.fixture
def world(db):
    from anxin.testing import build_world

    return build_world()
