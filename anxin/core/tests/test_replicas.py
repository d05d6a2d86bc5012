"""Reads inside ``replica_reads()`` go to the ``replica`` database when one is configured
(``DATABASE_REPLICA_URL``); everything else, and every write, goes to the primary. The order
export is such a read; the list page is not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from anxin.core import replicas
from anxin.core.replicas import REPLICA, ReplicaRouter, replica_reads
from anxin.orders.models import WorkOrder

router = ReplicaRouter()


def test_without_a_replica_everything_reads_the_primary():
    assert not replicas.replica_configured()
    with replica_reads():
        assert router.db_for_read(WorkOrder) == "default"


def test_with_a_replica_only_the_block_reads_it(monkeypatch):
    monkeypatch.setattr(replicas, "replica_configured", lambda: True)
    assert router.db_for_read(WorkOrder) == "default"
    with replica_reads():
        assert router.db_for_read(WorkOrder) == REPLICA
        assert router.db_for_write(WorkOrder) == "default"
        with replica_reads():
            pass
        assert router.db_for_read(WorkOrder) == REPLICA  # an inner block ending keeps the outer one
    assert router.db_for_read(WorkOrder) == "default"
    assert router.allow_migrate(REPLICA, "orders") is False and router.allow_migrate("default", "orders") is True


@pytest.fixture
def reads(monkeypatch):
    """Which models were read inside a replica block, and which outside."""
    seen = {"replica": set(), "primary": set()}
    original = ReplicaRouter.db_for_read

    def spy(self, model, **hints):
        seen["replica" if replicas._reading_replica.get() else "primary"].add(model.__name__)
        return original(self, model, **hints)

    monkeypatch.setattr(ReplicaRouter, "db_for_read", spy)
    return seen


def test_the_export_reads_in_a_replica_block_and_the_list_does_not(client, world, reads):
    order = world.order()
    client.force_login(world.dispatcher)
    assert client.get(reverse("order_list")).status_code == 200
    assert "WorkOrder" in reads["primary"] and not reads["replica"]
    reads["primary"].clear()
    response = client.get(reverse("order_export"), {"format": "csv"})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200 and order.number in content.decode("utf-8-sig")
    assert "WorkOrder" in reads["replica"]
    assert "WorkOrder" not in reads["primary"]
