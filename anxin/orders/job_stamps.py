"""The technician's job list answers ``304 Not Modified`` when nothing changed (decision 0048).

Each technician carries a change stamp, ``network.Technician.jobs_changed_at``. Every step of the
order machine on an order that a technician had before the step or has after it — assign, a reroute
or reject that takes it away, confirm / parts arrived / revisit with a new window, check-in,
completion, cancel, a bulk action, dispatch's routing — moves the stamp on, in the step's own
transaction (``jobs_changed``, called where the step is recorded: ``orders.workflow.transitions``).
Registering an order touches no technician (nobody has it yet).

The list's ETag (the page, its htmx refresh, ``GET /api/v1/orders/jobs``) is a hash of the stamp and
of everything else the answer is built from: the user and their role, the language, the local date
(today / upcoming, "completed today"), the variant (the page also hashes the CSRF secret its forms
carry) and a window of ``MAX_AGE`` seconds, offset per technician so that not every phone misses at
once. The window bounds what the stamp cannot see: edits made outside orders to what a card shows
(a customer's name or phone in the archive, a catalog name). Reading the stamp is one indexed query
(``network_technician.user_id`` is unique); an unchanged refresh builds nothing else.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable

from django.http import HttpResponseBase
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import get_language

from anxin.network.models import Technician

# The longest an unchanged answer is confirmed for (seconds): a ten-minute window per technician.
MAX_AGE = 600


def jobs_changed(technician_ids: Iterable[int | None]) -> None:
    """Move on the change stamp of these technicians (``None`` ignored), in the caller's transaction."""
    ids = sorted({pk for pk in technician_ids if pk})
    if ids:
        Technician.objects.filter(pk__in=ids).update(jobs_changed_at=timezone.now())


def _seconds() -> float:
    return time.time()


def jobs_stamp(*, user) -> tuple[int, object] | None:
    """``(technician id, change stamp)`` of ``user`` — one indexed read — or ``None`` for a user who
    is no technician. Read it before building the list: a change committed in between is then seen
    by the next refresh, never hidden behind the old tag."""
    rows = Technician.objects.filter(user_id=user.pk).order_by().values_list("pk", "jobs_changed_at")[:1]
    return next(iter(rows), None)


def jobs_etag(*, user, variant: str, stamp: tuple[int, object] | None = None) -> str | None:
    """The ETag of ``user``'s job list as shown by ``variant`` (``None``: the user is no technician);
    ``stamp`` from ``jobs_stamp`` when the caller read it already (no query then)."""
    stamp = stamp or jobs_stamp(user=user)
    if stamp is None:
        return None
    technician_id, changed_at = stamp
    window = int((_seconds() + technician_id * 7919 % MAX_AGE) // MAX_AGE)
    parts = (technician_id, changed_at.isoformat(), user.pk, user.role, get_language(), timezone.localdate().isoformat(), window, variant)
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=12).hexdigest()
    return f'W/"jobs-{digest}"'  # weak: the same list, not the same bytes (CSRF masks differ per answer)


def revalidate(response: HttpResponseBase, etag: str) -> HttpResponseBase:
    """Mark ``response`` with ``etag``; kept by the browser only for this user, asked again each time."""
    response.headers["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    return response


def not_modified(request, etag: str | None) -> HttpResponseBase | None:
    """The ``304`` (with the ETag and cache headers) when the client's copy is ``etag``, else ``None``."""
    if etag is None:
        return None
    headers = revalidate(HttpResponseBase(), etag)
    answer = get_conditional_response(request, etag=etag, response=headers)
    return answer if answer is not headers and answer.status_code == 304 else None
