"""Reads that may come from a PostgreSQL streaming replica (docs/scaling.md).

Everything reads and writes the primary, except what runs inside ``replica_reads()``: a read-only
selector whose answer may lag the primary by the replica's delay (an export, a statistics page)
wraps its queries in it. With no ``replica`` database configured (``DATABASE_REPLICA_URL`` unset,
the embedded default) the block reads the primary like everything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connections

REPLICA = "replica"
_reading_replica: ContextVar[bool] = ContextVar("anxin_replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Inside the block, model reads go to the replica when there is one."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def replica_configured() -> bool:
    return REPLICA in connections.databases


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: reads inside ``replica_reads()`` → ``replica``; all else → default.
    Writes and migrations only ever go to the primary (the replica follows it by streaming)."""

    def db_for_read(self, model, **hints):
        return REPLICA if _reading_replica.get() and replica_configured() else "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
