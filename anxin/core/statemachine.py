"""The state-machine kit: one way for every workflow to take a step (decision 0041).

A workflow declares its steps as data — ``Transition`` rows (action, label, source statuses,
target, roles, required data, an optional guard and apply function, and what the UI needs to know)
— and a ``Machine`` that names the model, how a user's role is read, how a step is recorded (the
workflow's own status-change model) and the event prefix. ``Machine.take`` is then the only code
that changes the status, always the same way:

1. the row is loaded through the actor's scope (``visible_to``; ``actor=None`` is the system) with
   a row lock (``SELECT … FOR UPDATE``; SQLite's IMMEDIATE transactions serialise writers);
2. the version the caller saw is checked (409 ``stale_version``), when the model has one;
3. the source status, the guard, the role and the required data are checked (409 / 403 / 400);
4. the status is set to the target and the action's apply function does the rest (it may still
   refuse: the transaction rolls back, nothing is changed);
5. the version is bumped, the row saved with its audit reason (django-simple-history, ``core.audit``),
   the step recorded, and ``<prefix>.<action>`` published (``core.events``: in-transaction rules
   now, durable handlers through the outbox).

Core knows no workflow: roles are plain strings the caller owns, the record is a callable, the
messages can be the workflow's own. ``available_actions`` applies the same checks for the buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from anxin.core.audit import audited
from anxin.core.errors import InvalidTransition, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from anxin.core.events import publish

SYSTEM = "system"  # the pseudo-role of automatic steps (``actor=None``)

# Apply function: ``apply(obj, data, actor) -> dict`` (what the step record keeps), or a refusal.
Apply = Callable[[Any, dict, Any], dict]


@dataclass(frozen=True)
class Transition:
    """One declared step. ``target=None`` keeps the status (e.g. an escalation)."""

    action: str
    label: object
    sources: tuple[str, ...]
    target: str | None
    roles: tuple[str, ...]
    required: tuple[str, ...] = ()
    style: str = "primary"  # "danger" for steps that end or refuse something
    apply: Apply | None = None
    # ``guard(obj) -> str``: why the step does not apply to this object ("" when it does).
    guard: Callable[[Any], str] | None = None
    # What a page needs to know: the step opens a dialog (it asks for more than a click), the
    # label of its reason field ("" when it asks none), and whether it is offered as a bulk action
    # (with its menu label, and further transitions it runs for objects outside its own sources).
    dialog: bool = False
    reason_label: object = ""
    bulk: bool = False
    bulk_label: object = ""
    bulk_also: tuple[str, ...] = ()

    def refusal(self, obj) -> str:
        """Why the guard refuses ``obj`` ("" when the step applies to it)."""
        return self.guard(obj) if self.guard else ""

    def applies_to(self, obj) -> bool:
        return not self.refusal(obj)


@dataclass(frozen=True)
class Step:
    """What a record function is told about a step that was taken."""

    transition: Transition
    actor: Any
    from_status: str
    data: dict
    recorded: dict  # what the apply function returned
    reason: str  # ``data["reason"]`` stripped and cut to 300 characters ("" when none)

    @property
    def action(self) -> str:
        return self.transition.action


def _default_wrong_status(t: Transition, obj) -> str:
    return _("Cannot “%(action)s” while it is “%(status)s”.") % {"action": t.label, "status": obj.get_status_display()}


def _default_forbidden(t: Transition, obj) -> str:
    return _("Your role may not “%(action)s”.") % {"action": t.label}


# Steps taken (model label, pk) while an outer step publishes its event: an in-transaction rule
# that moves the same row on (dispatch routing an approved order) makes the outer copy stale.
_taken: ContextVar[set | None] = ContextVar("statemachine_taken", default=None)


@dataclass
class Machine:
    """A workflow: its model, its declared transitions and how it records and announces a step.

    ``role_of(user) -> str`` reads the actor's role (``None`` must give ``SYSTEM`` for automatic
    steps); ``record(obj, step)`` writes the workflow's status-change row; ``event`` is the name of
    the subject in events (``"order"`` → ``order.approve`` with ``order=…, actor=…``), ``""`` for
    none. The message functions ``(transition, obj) -> str`` let a workflow keep its own wording.
    """

    model: type[models.Model]
    transitions: Iterable[Transition]
    role_of: Callable[[Any], str]
    record: Callable[[Any, Step], Any]
    event: str = ""
    status_field: str = "status"
    version_field: str | None = "version"
    not_found: object = None
    wrong_status: Callable[[Transition, Any], str] = _default_wrong_status
    forbidden: Callable[[Transition, Any], str] = _default_forbidden
    # The audit row's reason (default: the action; orders: the step's reason when given, else the action).
    audit_reason: Callable[[Step], str] = lambda step: step.action
    # Check the role before the status (complaints have always answered 403 before 409).
    role_first: bool = False
    # How the event is raised (default ``core.events.publish``).
    publish: Callable[..., None] | None = None
    by_action: dict[str, Transition] = field(init=False)  # the table every read uses, in declaration order

    def __post_init__(self):
        self.by_action = {t.action: t for t in self.transitions}

    def __getitem__(self, action: str) -> Transition:
        return self.by_action[action]

    def status_of(self, obj) -> str:
        return getattr(obj, self.status_field)

    def available_actions(self, obj, user) -> list[Transition]:
        """The steps ``user`` may take on ``obj`` now (``obj`` must already be visible to them)."""
        role = self.role_of(user)
        status = self.status_of(obj)
        return [t for t in self.by_action.values() if status in t.sources and role in t.roles and t.applies_to(obj)]

    def _check(self, t: Transition, obj, actor, data: dict) -> None:
        def status():
            if self.status_of(obj) not in t.sources:
                raise InvalidTransition(self.wrong_status(t, obj))
            refusal = t.refusal(obj)
            if refusal:
                raise InvalidTransition(refusal)

        def role():
            if self.role_of(actor) not in t.roles:
                raise PermissionDenied(self.forbidden(t, obj))

        for check in (role, status) if self.role_first else (status, role):
            check()
        missing = {k: _("This field is required.") for k in t.required if _blank(data.get(k))}
        if missing:
            raise ValidationFailed(fields=missing)

    @transaction.atomic
    def take(
        self,
        *,
        pk: int,
        action: str,
        actor,
        data: dict | None = None,
        expected_version=None,
        where: models.Q | None = None,
    ):
        """Take one step on the row ``pk``, or refuse it with nothing changed; returns the object.

        ``where`` narrows the locked load further (a periodic job re-checking its condition under
        the lock: no row matches → ``NotFound``)."""
        data = data or {}
        t = self.by_action.get(action)
        if t is None:
            raise ValidationFailed(fields={"action": _("Unknown action.")})
        base = self.model.objects.all() if actor is None else self.model.objects.visible_to(actor)
        if where is not None:
            base = base.filter(where)
        obj = base.select_for_update(of=("self",)).filter(pk=pk).first()
        if obj is None:
            raise NotFound(self.not_found) if self.not_found else NotFound()
        if expected_version is not None and self.version_field and getattr(obj, self.version_field) != _version(expected_version):
            raise StaleVersion()
        self._check(t, obj, actor, data)
        from_status = self.status_of(obj)
        # The apply function sees the status being entered; a refusal raised by it rolls back.
        if t.target is not None:
            setattr(obj, self.status_field, t.target)
        recorded = (t.apply(obj, data, actor) if t.apply else None) or {}
        if self.version_field:
            setattr(obj, self.version_field, getattr(obj, self.version_field) + 1)
        step = Step(t, actor, from_status, data, recorded, (data.get("reason") or "").strip()[:300])
        audited(obj, actor, self.audit_reason(step)).save()
        self.record(obj, step)
        key = (obj._meta.label, obj.pk)
        outer = _taken.get()
        if outer is not None:
            outer.add(key)
        if self.event:
            token = _taken.set(set())
            try:
                (self.publish or publish)(f"{self.event}.{action}", **{self.event: obj, "actor": actor})
                moved_on = key in _taken.get()
            finally:
                _taken.reset(token)
            if moved_on:
                # A rule run in this transaction took a further step on the same row (its own copy):
                # ours is stale, so the caller gets the row as it is now.
                obj.refresh_from_db()
        return obj


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _version(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={"expected_version": _("Enter a valid version number.")}) from None


def status_history(records, schema, **fields):
    """The API form of a workflow's step records, oldest first: ``schema`` rows with ``from_status``,
    ``to_status``, ``actor`` (its name, or None for the system), ``at`` and the ``fields`` given as
    ``output name="attribute name"`` (``action="action"``, ``note="note"``…)."""
    return [
        schema(
            **{name: getattr(r, attr) for name, attr in fields.items()},
            from_status=r.from_status,
            to_status=r.to_status,
            actor=str(r.actor) if r.actor_id else None,
            at=r.at,
        )
        for r in records
    ]
