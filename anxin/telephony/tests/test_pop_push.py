"""The push channel's brokers (decision 0051): the embedded one rings this process's waiters; the Redis
one carries an announcement from one process's broker to another's subscribers, and falls back to
this process when Redis cannot be reached. Redis is the test run's (``redis_url`` in the root
conftest); pub/sub ignores the database number, so each test takes a channel of its own."""

from __future__ import annotations

import uuid

import pytest

from anxin.telephony import pop_push


def test_local_broker_rings_only_the_addressed_waiters():
    broker = pop_push.LocalBroker()
    mine = broker.subscribe(("agent:1", "ext:8012"))
    other = broker.subscribe(("agent:2",))
    broker.announce(("ext:8012",))
    assert mine.wait(0) and not other.wait(0)
    broker.unsubscribe(mine)
    broker.unsubscribe(other)
    assert broker.waiting() == 0


def test_a_ring_while_the_stream_looks_is_kept_for_its_next_wait():
    broker = pop_push.LocalBroker()
    waiter = broker.subscribe(("agent:1",))
    broker.announce(("agent:1",))
    waiter.reset()  # the stream starts looking at the database …
    broker.announce(("agent:1",))  # … and the call changes again meanwhile
    assert waiter.wait(0)
    broker.unsubscribe(waiter)


@pytest.fixture
def channel():
    return f"anxin-test:{uuid.uuid4().hex}"


def test_redis_carries_an_announcement_to_another_process_subscriber(channel, redis_url):
    server_b = pop_push.RedisBroker(redis_url, channel)  # holds the agent's stream
    server_a = pop_push.RedisBroker(redis_url, channel)  # where the PBX event came in (announces only)
    try:
        waiter = server_b.subscribe(("agent:7", "ext:8012"))
        assert server_b.listening.wait(10)
        assert waiter.wait(5)  # on subscribing every stream looks again: nothing announced before is lost
        waiter.reset()
        server_a.announce(("agent:99",))
        server_a.announce(("ext:8012",))
        assert waiter.wait(10)
        assert server_a._listener is None  # a process that only announces never subscribes
        server_b.unsubscribe(waiter)
        assert server_b.waiting() == 0
    finally:
        server_a.close()
        server_b.close()


def test_redis_unreachable_still_rings_this_process(channel):
    broker = pop_push.RedisBroker("redis://127.0.0.1:1/0", channel)
    waiter = pop_push.LocalBroker.subscribe(broker, ("agent:1",))  # no listener: nothing to subscribe to
    broker.announce(("agent:1",))
    assert waiter.wait(0)
    broker.unsubscribe(waiter)


def test_broker_follows_the_settings(settings, channel, redis_url):
    assert pop_push.broker().name == "local"
    settings.ANXIN_POP_BROKER, settings.REDIS_URL, settings.ANXIN_POP_CHANNEL = "redis", redis_url, channel
    broker = pop_push.broker()
    assert broker.name == "redis" and broker.channel == channel and pop_push.broker() is broker
    broker.close()
