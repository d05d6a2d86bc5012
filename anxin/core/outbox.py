"""The outbox (事件发件箱): domain events written with the change, durable handlers run after commit.

``core.events.publish`` calls ``event_record`` inside the publisher's transaction: one
``OutboxEvent`` and one pending ``OutboxDelivery`` per durable handler. ``drain()`` — called by the
embedded runner (``manage.py run_periodic``) every ``ANXIN_OUTBOX_POLL_SECONDS``, by Celery
(``anxin.outbox.drain``, on beat and kicked after a commit) in production, and by tests directly —
takes due deliveries one at a time:

1. **Claim** (its own short transaction): a conditional UPDATE on the row — still pending, due, not
   claimed by a live runner — sets a fresh token, a lease (``ANXIN_OUTBOX_LEASE_SECONDS``) and
   ``attempts + 1``. Of two runners exactly one sees "1 row updated" (PostgreSQL also skips rows
   another runner holds: ``FOR UPDATE SKIP LOCKED``; SQLite's IMMEDIATE transactions serialise).
2. **Run** (one transaction): first mark the delivery done *if the token is still ours* — this also
   locks the row — then call the handler. The handler's writes and "done" commit together, or
   neither does: a crash, a kill or an exception leaves the delivery pending and the handler's writes
   undone. A claim whose runner died is taken over once its lease has passed.
3. **Failure**: the attempt's error is stored and the next try waits
   ``ANXIN_OUTBOX_BACKOFF_SECONDS × 2^(attempts − 1)`` (at most ``ANXIN_OUTBOX_BACKOFF_MAX_SECONDS``);
   after ``ANXIN_OUTBOX_MAX_ATTEMPTS`` tries the delivery is *stuck*, listed for HQ managers on the
   "Event deliveries" page, and runs again only when one of them retries it (audited).

Other handlers of the same event are separate deliveries: one failing never holds the others back.
See docs/decisions/0039-durable-outbox.md and 0040-outbox-drivers-and-stuck-page.md.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.errors import Conflict, NotFound, PermissionDenied
from anxin.core.models import DeliveryStatus, OutboxDelivery, OutboxEvent

logger = logging.getLogger("anxin.outbox")

ERROR_MAX_LENGTH = 4000  # characters of the last error kept on the delivery
DRAIN_LIMIT = 500  # deliveries per drain() call; the next tick takes the rest


@dataclass
class DrainResult:
    done: list[int] = field(default_factory=list)  # delivery ids handled
    failed: list[int] = field(default_factory=list)  # failed this time, to be retried
    stuck: list[int] = field(default_factory=list)  # failed for the last allowed time (or their runner died at it)

    def __bool__(self) -> bool:
        return bool(self.done or self.failed or self.stuck)


def max_attempts() -> int:
    return int(settings.ANXIN_OUTBOX_MAX_ATTEMPTS)


def lease() -> timedelta:
    return timedelta(seconds=int(settings.ANXIN_OUTBOX_LEASE_SECONDS))


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: base × 2^(attempts − 1), capped."""
    base = int(settings.ANXIN_OUTBOX_BACKOFF_SECONDS)
    cap = int(settings.ANXIN_OUTBOX_BACKOFF_MAX_SECONDS)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


# --- writing --------------------------------------------------------------------------------------


def event_record(*, name: str, payload: dict, handlers: list[str]) -> OutboxEvent:
    """Write ``name`` and one pending delivery per durable handler, in the caller's transaction
    (``core.events.publish`` calls it; ``payload`` is already JSON)."""
    with transaction.atomic():
        event = OutboxEvent.objects.create(name=name, payload=payload)
        OutboxDelivery.objects.bulk_create(
            [OutboxDelivery(event=event, handler=handler, next_attempt_at=event.occurred_at) for handler in handlers]
        )
    if settings.ANXIN_OUTBOX_KICK:
        transaction.on_commit(kick, robust=True)
    return event


def kick() -> None:
    """Ask a Celery worker to drain now (after a commit that wrote events); beat drains anyway.

    The task is found by its name in the current Celery app (``anxin/celery.py`` sits above core)."""
    from celery import current_app

    try:
        current_app.tasks["anxin.outbox.drain"].delay()
    except Exception:  # noqa: BLE001 - the broker being away must not fail the request; beat catches up
        logger.warning("outbox: could not kick a drain; the next scheduled drain takes the events", exc_info=True)


# --- running --------------------------------------------------------------------------------------


def _due(now: datetime) -> Q:
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, attempts__lt=max_attempts()) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim_next(*, now: datetime | None = None) -> tuple[OutboxDelivery, str] | None:
    """Claim the next due delivery for the caller: (delivery with its event, claim token), or None."""
    now = now or timezone.now()
    while True:
        with transaction.atomic():
            candidates = OutboxDelivery.objects.filter(_due(now)).order_by("next_attempt_at", "id")
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True)
            pk = candidates.values_list("pk", flat=True).first()
            if pk is None:
                return None
            token = uuid.uuid4().hex
            updated = OutboxDelivery.objects.filter(_due(now), pk=pk).update(
                claim_token=token, claimed_until=now + lease(), attempts=F("attempts") + 1, last_attempt_at=now
            )
        if updated == 1:
            return OutboxDelivery.objects.select_related("event").get(pk=pk), token
        # Another runner took it between the read and the update (a backend without row locks): next one.


def _error_text(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    head = f"{type(exc).__name__}: {exc}\n"
    return (head + text)[:ERROR_MAX_LENGTH]


class _ClaimLost(Exception):
    """The lease ran out and another runner took the delivery over: this runner's work is undone."""


class UnknownHandler(LookupError):
    """No durable handler of that name is registered for the event in this process."""


def deliver(delivery: OutboxDelivery, token: str, *, now: datetime | None = None) -> str:
    """Run one claimed delivery: ``"done"``, ``"failed"`` (to be retried), ``"stuck"`` or ``"lost"``."""
    from anxin.core.events import durable_handler

    fn = durable_handler(delivery.event.name, delivery.handler)
    try:
        with transaction.atomic():
            # First, while still ours: mark done and take the row's lock. A runner that takes the
            # delivery over after our lease then waits for this transaction, and finds it done.
            marked = OutboxDelivery.objects.filter(pk=delivery.pk, claim_token=token, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.DONE, done_at=timezone.now(), claim_token="", claimed_until=None, last_error=""
            )
            if marked != 1:
                raise _ClaimLost()
            if fn is None:
                raise UnknownHandler(f"no durable handler {delivery.handler!r} for {delivery.event.name!r} in this process")
            fn(delivery.event)
    except _ClaimLost:
        logger.warning("outbox: lost the claim on delivery %s (%s); another runner has it", delivery.pk, delivery.handler)
        return "lost"
    except Exception as exc:  # noqa: BLE001 - any failure of a handler is recorded and retried
        return _record_failure(delivery, token, exc, now=now or timezone.now())
    logger.info("outbox: %s handled event %s (%s)", delivery.handler, delivery.event_id, delivery.event.name)
    return "done"


def _record_failure(delivery: OutboxDelivery, token: str, exc: Exception, *, now: datetime) -> str:
    attempts = delivery.attempts  # counted when it was claimed
    stuck = attempts >= max_attempts()
    with transaction.atomic():
        recorded = OutboxDelivery.objects.filter(pk=delivery.pk, claim_token=token, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.STUCK if stuck else DeliveryStatus.PENDING,
            next_attempt_at=now + backoff(attempts),
            claim_token="",
            claimed_until=None,
            last_error=_error_text(exc),
        )
    if recorded != 1:
        logger.warning("outbox: %s failed on event %s after its claim was taken over: %s", delivery.handler, delivery.event_id, exc)
        return "lost"
    if stuck:
        logger.error("outbox: %s is stuck on event %s after %s tries: %s", delivery.handler, delivery.event_id, attempts, exc)
        return "stuck"
    logger.warning("outbox: %s failed on event %s (try %s): %s", delivery.handler, delivery.event_id, attempts, exc)
    return "failed"


def _sweep_abandoned(now: datetime) -> list[int]:
    """Deliveries out of tries that nobody holds (their runner died at the last try, or the limit
    was lowered): stuck, so that they show on the page instead of waiting forever."""
    abandoned = Q(status=DeliveryStatus.PENDING, attempts__gte=max_attempts()) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    ids = list(OutboxDelivery.objects.filter(abandoned).values_list("pk", flat=True)[:DRAIN_LIMIT])
    if not ids:
        return []
    with transaction.atomic():
        OutboxDelivery.objects.filter(abandoned, pk__in=ids, last_error="").update(
            last_error="The runner stopped during the last allowed try (no answer within its lease)."
        )
        OutboxDelivery.objects.filter(abandoned, pk__in=ids).update(status=DeliveryStatus.STUCK, claim_token="", claimed_until=None)
    return ids


def drain(*, now: datetime | None = None, limit: int = DRAIN_LIMIT) -> DrainResult:
    """Run the due deliveries (at most ``limit``) one by one; safe to call from several runners at
    once. ``now`` fixes the clock (tests); by default each claim reads the time afresh."""
    result = DrainResult()
    result.stuck.extend(_sweep_abandoned(now or timezone.now()))
    for _i in range(limit):
        claimed = claim_next(now=now)
        if claimed is None:
            break
        delivery, token = claimed
        outcome = deliver(delivery, token, now=now)
        if outcome in ("done", "failed", "stuck"):
            getattr(result, outcome).append(delivery.pk)
    return result


# --- the HQ page ----------------------------------------------------------------------------------


def may_manage_outbox(user) -> bool:
    """HQ managers (and superusers) see stuck deliveries and retry them.

    Roles belong to accounts, a layer above core: settings name the roles (decision 0043)."""
    return bool(user and user.is_authenticated and user.has_role(*settings.ANXIN_OUTBOX_MANAGER_ROLES))


def delivery_retry(*, actor, delivery_id: int, now: datetime | None = None) -> OutboxDelivery:
    """Put a stuck delivery back in the queue with fresh tries; recorded in the activity log."""
    from anxin.core.services import activity_record

    if not may_manage_outbox(actor):
        raise PermissionDenied(_("Only HQ managers may retry event deliveries."))
    now = now or timezone.now()
    with transaction.atomic():
        delivery = OutboxDelivery.objects.select_for_update().select_related("event").filter(pk=delivery_id).first()
        if delivery is None:
            raise NotFound(_("Event delivery not found."))
        if delivery.status != DeliveryStatus.STUCK:
            raise Conflict(_("This delivery is not stuck (it is “%(status)s”).") % {"status": delivery.get_status_display()})
        previous = {"attempts": delivery.attempts, "last_error": delivery.last_error.splitlines()[0][:300] if delivery.last_error else ""}
        OutboxDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.STUCK).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, claim_token="", claimed_until=None
        )
        activity_record(
            actor=actor,
            action="core.outbox_retry",
            target=delivery,
            detail={"event": delivery.event.name, "event_id": delivery.event_id, "handler": delivery.handler, **previous},
        )
    logger.info("outbox: %s retried delivery %s (%s on event %s)", actor, delivery.pk, delivery.handler, delivery.event_id)
    if settings.ANXIN_OUTBOX_KICK:
        transaction.on_commit(kick, robust=True)
    delivery.refresh_from_db()
    return delivery


# --- keeping --------------------------------------------------------------------------------------


def events_purge(*, now: datetime | None = None, batch: int = 5000) -> int:
    """Delete events older than ``ANXIN_OUTBOX_KEEP_DAYS`` whose every delivery is done (pending or
    stuck ones are kept whatever their age); how many went. Batches, each its own transaction."""
    now = now or timezone.now()
    open_delivery = OutboxDelivery.objects.filter(event=OuterRef("pk")).exclude(status=DeliveryStatus.DONE)
    old = OutboxEvent.objects.filter(occurred_at__lt=now - timedelta(days=int(settings.ANXIN_OUTBOX_KEEP_DAYS))).filter(
        ~Exists(open_delivery)
    )
    total = 0
    while True:
        ids = list(old.order_by("occurred_at").values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        with transaction.atomic():
            OutboxDelivery.objects.filter(event_id__in=ids).delete()
            OutboxEvent.objects.filter(pk__in=ids).delete()
        total += len(ids)


# --- reading (the HQ page) ------------------------------------------------------------------------

PAGE_ROWS = 200  # rows per table of the page; the counts say how many there are in all


@dataclass
class OutboxOverview:
    stuck: list[OutboxDelivery]
    stuck_count: int
    retrying: list[OutboxDelivery]  # failed at least once, will be tried again
    retrying_count: int
    pending_count: int  # every delivery still to run, retrying ones included


def outbox_overview() -> OutboxOverview:
    """What the "Event deliveries" page shows: stuck deliveries first (newest try first), then the
    ones being retried (next try first). Three counts and two bounded lists: five queries."""
    stuck = OutboxDelivery.objects.filter(status=DeliveryStatus.STUCK)
    retrying = OutboxDelivery.objects.filter(status=DeliveryStatus.PENDING, last_error__gt="")
    return OutboxOverview(
        stuck=list(stuck.select_related("event").order_by("-last_attempt_at", "-id")[:PAGE_ROWS]),
        stuck_count=stuck.count(),
        retrying=list(retrying.select_related("event").order_by("next_attempt_at", "id")[:PAGE_ROWS]),
        retrying_count=retrying.count(),
        pending_count=OutboxDelivery.objects.filter(status=DeliveryStatus.PENDING).count(),
    )
