"""SLA escalation (超时升级): a periodic job tells the people responsible when a clock is at risk or
breached — level 1 the outlet manager(s) of the order's outlet (the region's director while no outlet
has it yet), level 2 the regional director(s) — once per order, clock and level.

"Once" is the ``Escalation`` unique constraint (order, clock, level): each escalation is inserted in
its own transaction together with its notifications, and a concurrent runner that loses the insert
gets an IntegrityError and sends nothing. A breached clock that never got its level-1 escalation
(the runner was down while it was at risk) gets both levels. See docs/decisions/0014-sla-engine.md.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from anxin.accounts.choices import OrgKind, Role
from anxin.accounts.models import User
from anxin.core.events import publish
from anxin.core.periodic import periodic
from anxin.notifications.services import notify
from anxin.orders.choices import OrderStatus, SlaClock
from anxin.orders.models import Escalation, WorkOrder
from anxin.orders.sla import clocks

logger = logging.getLogger("anxin.orders.sla.escalation")

LEVEL_OUTLET, LEVEL_REGION = 1, 2
# The level each clock state asks for (a breached clock also gets the lower level if it was missed).
LEVELS = {clocks.AT_RISK: (LEVEL_OUTLET,), clocks.BREACHED: (LEVEL_OUTLET, LEVEL_REGION)}

ESCALATION_BATCH = 500  # orders per clock and state per run
NOTIFICATION_KIND = "sla.escalation"
# English message ids, translated when the reader opens the bell (notifications.services.render).
TITLES = {
    clocks.AT_RISK: gettext_noop("%(number)s: %(clock)s deadline at risk"),
    clocks.BREACHED: gettext_noop("%(number)s: %(clock)s deadline breached"),
}
BODY = gettext_noop("Deadline %(deadline)s · customer %(customer)s · escalation level %(level)s.")
CLOCK_NAMES = {
    SlaClock.ACCEPT: gettext_noop("acceptance"),
    SlaClock.VISIT: gettext_noop("visit"),
    SlaClock.ONSITE: gettext_noop("on-site"),
    SlaClock.CALLBACK: gettext_noop("callback"),
}
DEADLINE_FIELD = {
    SlaClock.ACCEPT: "accept_deadline",
    SlaClock.VISIT: "visit_deadline",
    SlaClock.ONSITE: "onsite_deadline",
    SlaClock.CALLBACK: "callback_deadline",
}
# Each clock runs from a start to its deadline; at risk when a quarter of that span or less is left.
# (start, deadline, while running) of the clocks without a selector rule of their own.
CLOCK_SPANS = {
    SlaClock.ACCEPT: ("created_at", "accept_deadline", Q(status=OrderStatus.ROUTED, accepted_at__isnull=True)),
    SlaClock.ONSITE: ("checked_in_at", "onsite_deadline", Q(status=OrderStatus.ON_SITE)),
}


def _candidates(clock: str, state: str, now: datetime):
    """Orders whose ``clock`` is in ``state`` and that still miss an escalation that state asks for."""
    qs = clocks.sla_aliases(WorkOrder.objects.all(), now)
    if clock == SlaClock.VISIT:
        qs = qs.filter(clocks.visit_state_q(state, now))
    elif clock == SlaClock.CALLBACK:
        qs = qs.filter(clocks.callback_state_q(state, now))
    else:  # accept (routed, not accepted yet) and on-site (checked in, not done yet)
        start, deadline, running = CLOCK_SPANS[clock]
        running &= Q(**{f"{deadline}__isnull": False})
        if state == clocks.BREACHED:
            qs = qs.filter(running & Q(**{f"{deadline}__lt": now}))
        else:
            qs = qs.alias(
                _left4=ExpressionWrapper((F(deadline) - Value(now)) * clocks.AT_RISK_SHARE, output_field=DurationField()),
                _span=ExpressionWrapper(F(deadline) - F(start), output_field=DurationField()),
            ).filter(running & Q(**{f"{deadline}__gte": now}, _left4__lte=F("_span")))
    # Levels are sent lowest first, so "the state's top level is missing" ⇔ "something is missing"
    # (one NOT EXISTS: an anti-join on the unique index).
    top = max(LEVELS[state])
    missing = ~Exists(Escalation.objects.filter(order=OuterRef("pk"), clock=clock, level=top))
    return qs.filter(missing).select_related("outlet", "region", "customer").order_by("pk")


def recipients_for(order: WorkOrder, level: int) -> list[User]:
    """Level 1: the outlet's managers (the region's directors while no outlet has it); level 2: the
    directors of the order's region. Where a level has nobody (an outlet without an active manager,
    a region without a director) the next one up is told, up to the HQ service managers: an
    escalation always reaches someone who can act."""
    region_id = order.region_id or (order.outlet.parent_id if order.outlet_id else None)
    chain = []
    if level == LEVEL_OUTLET and order.outlet_id:
        chain.append(Q(role=Role.OUTLET_MANAGER, org_unit_id=order.outlet_id))
    if region_id:
        chain.append(Q(role=Role.REGION_DIRECTOR, org_unit_id=region_id))
    chain.append(Q(role=Role.HQ_MANAGER, org_unit__kind=OrgKind.HQ))
    for q in chain:
        users = list(User.objects.filter(q, is_active=True).order_by("pk"))
        if users:
            return users
    return []


def _escalate(order: WorkOrder, clock: str, state: str, level: int) -> bool:
    """Record and send one escalation; False when it already exists (this or another runner)."""
    deadline = getattr(order, DEADLINE_FIELD[clock])
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(order=order, clock=clock, level=level, state=state)
            users = recipients_for(order, level)
            notify(
                users,
                kind=NOTIFICATION_KIND,
                title=TITLES[state],
                body=BODY,
                url=reverse("order_detail", args=[order.pk]),
                order=order,
                params={
                    "number": order.number or f"#{order.pk}",
                    "clock": CLOCK_NAMES[clock],
                    "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M") if deadline else "",
                    "customer": order.customer.name,
                    "level": level,
                    "state": state,
                },
                translate=("clock",),
            )
            # A plain UPDATE (no version bump): escalating is not an edit that should make a person's
            # pending transition stale. The Escalation row is the record of who was told and when.
            WorkOrder.objects.filter(pk=order.pk, escalation_level__lt=level).update(escalation_level=level)
            publish("order.escalated", order=order, escalation=escalation, recipients=users)
    except IntegrityError:
        return False
    return True


def escalate_due(now: datetime | None = None, *, batch: int = ESCALATION_BATCH) -> int:
    """Escalate every open clock at risk or breached that was not escalated to that level yet;
    returns how many escalations were sent. Safe to run again and from two runners at once."""
    now = now or timezone.now()
    sent = 0
    for clock in (SlaClock.ACCEPT, SlaClock.VISIT, SlaClock.ONSITE, SlaClock.CALLBACK):
        for state in (clocks.BREACHED, clocks.AT_RISK):
            # A bounded batch per run (the next run, 5 minutes later, takes the rest): a backlog —
            # e.g. the first run over imported history — never makes one run take minutes.
            orders = list(_candidates(clock, state, now)[:batch])
            done: dict[int, set[int]] = {}
            for order_id, level in Escalation.objects.filter(order__in=orders, clock=clock).values_list("order_id", "level"):
                done.setdefault(order_id, set()).add(level)
            for order in orders:
                for level in LEVELS[state]:
                    if level not in done.get(order.pk, ()) and _escalate(order, clock, state, level):
                        sent += 1
    if sent:
        logger.info("escalated %s SLA clocks", sent)
    return sent


@periodic(every=timedelta(minutes=5), name="orders.escalate_due")
def escalate_due_job() -> int:
    return escalate_due()
