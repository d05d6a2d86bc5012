"""Query helpers that keep a condition on an index on both databases."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q


def prefix_q(field: str, prefix: str) -> Q:
    """Rows whose ``field`` starts with ``prefix`` (case-sensitive), in the form each database's
    index serves: PostgreSQL ``LIKE 'p%'`` (the ``varchar_pattern_ops`` index Django adds to indexed
    and unique CharFields); SQLite a range under its BINARY collation (its LIKE ignores case and so
    never uses an ordinary index)."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field}__startswith": prefix})
