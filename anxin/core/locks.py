"""Named locks held until the end of the current transaction.

Used where two requests could both find "nothing yet" and both create it — e.g. the first sale and an
import arriving at once for the same new phone number (phone numbers are deliberately not unique:
families share a landline). PostgreSQL: transaction-level advisory locks. SQLite: every writing
transaction already holds the database write lock from its first statement (``transaction_mode``
IMMEDIATE in settings), so there is nothing more to take.
"""

from __future__ import annotations

import hashlib

from django.db import connection


def _key(name: str) -> int:
    # A signed 64-bit integer, as pg_advisory_xact_lock takes.
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def lock_names(*names: str) -> None:
    """Block until this transaction holds the lock for each name (sorted: no lock-order deadlocks)."""
    if connection.vendor != "postgresql" or not names:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("lock_names() must run inside a transaction")
    with connection.cursor() as cursor:
        for key in sorted({_key(n) for n in names}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
