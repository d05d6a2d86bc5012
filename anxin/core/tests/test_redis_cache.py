"""The Redis cache backend keeps one client per connection pool (decision 0057) and still behaves as
Django's: values round-trip, expire, are deleted, and a forked process reconnects on its own."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from anxin.core.cache import ReusingRedisCache

KEYS = ["before", "child", "counter", "gone", "kept", *(f"k{i}" for i in range(20))]


@pytest.fixture
def cache(redis_url):
    # The run's Redis (root conftest) may be shared: a prefix of this test's own, its keys removed
    # one by one rather than the database flushed.
    backend = ReusingRedisCache(redis_url, {"KEY_PREFIX": f"cache-test-{uuid.uuid4().hex}"})
    yield backend
    backend.delete_many(KEYS)


def test_one_client_per_pool_for_every_call(cache, monkeypatch):
    made = []
    inner = cache._cache
    original = inner._client

    def counting(**kwargs):
        made.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(inner, "_client", counting)
    inner._clients.clear()
    for i in range(20):
        cache.set(f"k{i}", {"n": i})
        assert cache.get(f"k{i}") == {"n": i}
    assert len(made) == 1
    assert inner.get_client() is inner.get_client(write=True)


def test_values_expire_and_delete(cache):
    cache.set("gone", "soon", timeout=1)
    cache.set("kept", "yes")
    assert cache.get_many(["gone", "kept"]) == {"gone": "soon", "kept": "yes"}
    assert cache.add("kept", "no") is False
    assert cache.add("counter", 0) is True
    assert cache.incr("counter") == 1
    cache.delete("kept")
    assert cache.get("kept") is None
    time.sleep(1.2)
    assert cache.get("gone") is None


def test_a_forked_child_uses_its_own_connections(cache):
    cache.set("before", 1)
    pid = os.fork()
    if pid == 0:  # the child: the pool opens a new connection instead of sharing the parent's socket
        try:
            cache.set("child", os.getpid())
            os._exit(0 if cache.get("before") == 1 else 1)
        except BaseException:
            os._exit(2)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.get("child") == pid
    assert cache.get("before") == 1
