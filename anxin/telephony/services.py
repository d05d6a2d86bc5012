"""Telephony writes: PBX call events, the agent's call log (intake), follow-ups, extension binding.

The PBX may replay an event or deliver ``answered`` before ``ringing``: every event only fills in
what is still empty and never moves a call's state backwards, so replays change nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts.choices import Role
from anxin.accounts.models import User
from anxin.core.audit import audited
from anxin.core.errors import NotFound, PermissionDenied, ValidationFailed
from anxin.customers.models import Appliance, Customer, CustomerPhone
from anxin.customers.services import phone_normalize
from anxin.orders.models import WorkOrder
from anxin.orders.workflow.services import LineInput, OrderInput, order_create
from anxin.telephony.choices import EVENT_ORDER, STATE_RANK, CallState, CallType, Disposition, FollowUpKind, FollowUpOutcome
from anxin.telephony.models import Call, FollowUpTask
from anxin.telephony.pop_push import announce_call

# Who may report PBX events: HQ managers and agents (a token issued to them), or an integration
# account (a token user without a role).
CALL_EVENT_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.CALLBACK_AGENT)
# Who answers calls (an extension binds to one of them) and logs them.
AGENT_ROLES = (Role.AGENT, Role.CALLBACK_AGENT)
CALL_LOG_ROLES = (Role.HQ_MANAGER, Role.AGENT, Role.CALLBACK_AGENT)
# A complaint is called back within a day (the complaint order itself follows its own SLA).
COMPLAINT_FOLLOW_UP = timedelta(hours=24)


def guidance_callback_minutes() -> int:
    return int(getattr(settings, "ANXIN_GUIDANCE_CALLBACK_MINUTES", 30))


def caller_normalize(raw: str) -> str:
    """The caller ID in national digits when it is a valid number, else as the PBX sent it."""
    raw = (raw or "").strip()
    try:
        return phone_normalize(raw, field="caller").number
    except ValidationFailed:
        return raw


def customers_for_number(number: str, *, user=None, limit: int = 5) -> list[Customer]:
    """Customers with this phone number, newest first (in ``user``'s scope when given)."""
    if not number:
        return []
    qs = Customer.objects.visible_to(user) if user is not None else Customer.objects.all()
    ids = CustomerPhone.objects.filter(number=number).values("customer_id")
    return list(qs.filter(pk__in=ids).order_by("-created_at", "-pk")[:limit])


def _agent_for_extension(extension: str) -> User | None:
    if not extension:
        return None
    return (
        User.objects.filter(extension=extension, is_active=True, role__in=AGENT_ROLES)
        .select_related("org_unit__parent")
        .order_by("pk")
        .first()
    )


def _may_post_events(actor, *, via_token: bool) -> bool:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.is_superuser or actor.role in CALL_EVENT_ROLES:
        return True
    return via_token and not actor.role


def call_event_record(
    *,
    actor,
    call_id: str,
    event: str,
    caller: str = "",
    called: str = "",
    extension: str = "",
    at: datetime | None = None,
    recording_url: str = "",
    via_token: bool = False,
) -> Call:
    """Apply one PBX event (``ringing`` / ``answered`` / ``ended``) to the call ``call_id``."""
    if not _may_post_events(actor, via_token=via_token):
        raise PermissionDenied(_("Only the PBX integration, agents and HQ managers may report call events."))
    errors = {}
    call_id = (call_id or "").strip()
    if not call_id:
        errors["call_id"] = _("The PBX call ID is required.")
    elif len(call_id) > 64:
        errors["call_id"] = _("The PBX call ID is longer than 64 characters.")
    if event not in EVENT_ORDER:
        errors["event"] = _("Unknown event “%(value)s”: use ringing, answered or ended.") % {"value": event}
    if len(recording_url or "") > 500:
        errors["recording_url"] = _("The recording URL is longer than 500 characters.")
    if errors:
        raise ValidationFailed(fields=errors)
    # A PBX that sends local wall-clock time without an offset means the call center's time zone.
    when = (timezone.make_aware(at) if timezone.is_naive(at) else at) if at is not None else timezone.now()
    extension = (extension or "").strip()[:10]
    number = caller_normalize(caller)[:32]

    try:
        with transaction.atomic():
            return _apply_event(call_id, event, number, (called or "").strip()[:32], extension, when, recording_url or "", actor)
    except IntegrityError:
        # Two first events of one call raced to create it: the row exists now, apply to it.
        with transaction.atomic():
            return _apply_event(call_id, event, number, (called or "").strip()[:32], extension, when, recording_url or "", actor)


def _apply_event(call_id, event, number, called, extension, when, recording_url, actor) -> Call:
    call = Call.objects.select_for_update().filter(call_id=call_id).first()
    created = call is None
    if created:
        call = Call(call_id=call_id, caller_number=number, called_line=called, extension=extension, started_at=when)
    changed = created
    # Fill what is still empty: a replay or a late duplicate changes nothing.
    for attr, value in (("caller_number", number), ("called_line", called), ("extension", extension), ("recording_url", recording_url)):
        if value and not getattr(call, attr):
            setattr(call, attr, value)
            changed = True
    if event == CallState.RINGING and when < call.started_at:
        call.started_at, changed = when, True
    if event == CallState.ANSWERED and call.answered_at is None:
        call.answered_at, changed = when, True
    if event == CallState.ENDED and call.ended_at is None:
        call.ended_at, changed = when, True
    if call.state == CallState.MISSED and event == CallState.ANSWERED:
        call.state, changed = CallState.ANSWERED, True  # a late PBX event knows better than our timeout
    elif EVENT_ORDER[event] > STATE_RANK[call.state]:
        call.state, changed = event, True
    if call.agent_id is None and call.extension:
        agent = _agent_for_extension(call.extension)
        if agent is not None:
            call.agent = agent
            call.region = agent.org_unit.region if agent.org_unit_id else None
            changed = True
    if call.customer_id is None and call.caller_number:
        matches = customers_for_number(call.caller_number, limit=1)
        if matches:
            call.customer, changed = matches[0], True
    if changed:
        audited(call, actor, f"pbx:{event}").save()
        announce_call(call)  # the bound agent's pop appears, changes or goes (decision 0051)
    return call


def _visible_call(actor, call_id: int) -> Call:
    call = Call.objects.visible_to(actor).select_for_update().filter(pk=call_id).first()
    if call is None:
        raise NotFound()
    return call


def call_log(
    *,
    actor: User,
    call_id: int,
    call_type: str,
    disposition: str,
    notes: str = "",
    advice: str = "",
    order_id: int | None = None,
    customer_id: int | None = None,
) -> Call:
    """The agent logs a call (来电登记): its type and disposition; guidance and complaints get a follow-up."""
    if not actor.has_role(*CALL_LOG_ROLES):
        raise PermissionDenied(_("Only agents and HQ managers log calls."))
    errors = {}
    if call_type not in CallType.values:
        errors["call_type"] = _("Choose the call type.")
    if disposition not in Disposition.values:
        errors["disposition"] = _("Every call ends with a disposition: choose one.")
    if call_type == CallType.PHONE_GUIDANCE and not (advice or "").strip():
        errors["advice"] = _("Write down the guidance given, so the callback can confirm it worked.")
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        call = _visible_call(actor, call_id)
        if customer_id is not None:
            customer = Customer.objects.visible_to(actor).filter(pk=customer_id).first()
            if customer is None:
                raise ValidationFailed(fields={"customer": _("Choose a customer you can see.")})
            call.customer = customer
        if order_id is not None:
            order = WorkOrder.objects.visible_to(actor).filter(pk=order_id).first()
            if order is None or (call.customer_id and order.customer_id != call.customer_id):
                raise ValidationFailed(fields={"order": _("Choose one of this customer's work orders.")})
            call.order = order
            call.customer_id = call.customer_id or order.customer_id
        first_log = call.logged_at is None
        call.call_type = call_type
        call.disposition = disposition
        call.notes = (notes or "").strip()
        call.advice = (advice or "").strip()
        call.logged_at = timezone.now()
        call.dismissed_at = call.dismissed_at or call.logged_at
        if call.agent_id is None and actor.has_role(*AGENT_ROLES):
            call.agent = actor
            call.region = call.region or (actor.org_unit.region if actor.org_unit_id else None)
        audited(call, actor, "call logged").save()
        announce_call(call)
        if first_log or not call.follow_ups.exists():
            _schedule_follow_up(call, actor)
    return call


def _schedule_follow_up(call: Call, actor: User) -> FollowUpTask | None:
    if call.call_type == CallType.PHONE_GUIDANCE:
        kind, due = FollowUpKind.CONFIRM_GUIDANCE, timezone.now() + timedelta(minutes=guidance_callback_minutes())
        note = call.advice
    elif call.call_type == CallType.COMPLAINT:
        kind, due, note = FollowUpKind.COMPLAINT, timezone.now() + COMPLAINT_FOLLOW_UP, call.notes
    else:
        return None
    return FollowUpTask.objects.create(
        call=call, customer_id=call.customer_id, assigned_to=call.agent or actor, kind=kind, due_at=due, note=note[:2000]
    )


def call_link_order(*, actor: User, call_id: int, order) -> Call | None:
    """Link the order created from a call's screen pop to the call (a service registration)."""
    with transaction.atomic():
        call = Call.objects.visible_to(actor).select_for_update().filter(pk=call_id).first()
        if call is None or call.order_id is not None:
            return call
        call.order = order
        call.customer_id = call.customer_id or order.customer_id
        call.call_type = call.call_type or CallType.SERVICE_REGISTRATION
        call.dismissed_at = call.dismissed_at or timezone.now()
        audited(call, actor, "order created from call").save()
        announce_call(call)
    return call


def call_dismiss(*, actor: User, call_id: int) -> Call:
    """Close the screen pop for this call (the call itself goes on)."""
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=call_id).first()
        mine = call is not None and (call.agent_id == actor.pk or (actor.extension and call.extension == actor.extension))
        if not mine:
            raise NotFound()
        if call.dismissed_at is None:
            call.dismissed_at = timezone.now()
            audited(call, actor, "pop dismissed").save()
            announce_call(call)
    return call


def follow_up_done(*, actor: User, task_id: int, note: str = "", outcome: str = "", appliance_id: int | None = None) -> FollowUpTask:
    """Tick off a follow-up. A phone-guidance confirmation records its outcome (decision 0026):
    ``solved`` closes it; ``not_solved`` registers a repair order for the customer's appliance through
    ``orders.services.order_create`` and links it to the task and the call."""
    with transaction.atomic():
        task = FollowUpTask.objects.select_for_update().select_related("call").filter(pk=task_id).first()
        if task is None or (task.assigned_to_id != actor.pk and not actor.sees_everything):
            raise NotFound()
        if task.done_at is not None:
            return task
        guidance = task.kind == FollowUpKind.CONFIRM_GUIDANCE
        if guidance and outcome not in FollowUpOutcome.values:
            raise ValidationFailed(fields={"outcome": _("Say whether the guidance solved the problem.")})
        if not guidance:
            outcome = ""
        if outcome == FollowUpOutcome.NOT_SOLVED:
            task.order = _guidance_service_order(actor=actor, task=task, appliance_id=appliance_id, note=note)
        task.outcome = outcome
        task.done_at = timezone.now()
        if note:
            task.note = f"{task.note}\n{note}".strip()
        task.save(update_fields=["done_at", "note", "outcome", "order"])
    return task


def _guidance_service_order(*, actor: User, task: FollowUpTask, appliance_id: int | None, note: str):
    """The repair order registered when phone guidance did not solve the problem (one existing rule:
    ``order_create``), linked to the call as well if it has none."""

    if task.customer_id is None:
        raise ValidationFailed(fields={"outcome": _("The call is linked to no customer: register the caller first.")})
    appliances = Appliance.objects.filter(customer_id=task.customer_id)
    if appliance_id is None and appliances.count() == 1:
        appliance_id = appliances.get().pk
    if appliance_id is None or not appliances.filter(pk=appliance_id).exists():
        raise ValidationFailed(fields={"appliance": _("Choose the customer's appliance to repair.")})
    call = task.call
    symptom = (note or call.notes or call.advice or "").strip()[:200]
    order = order_create(
        actor=actor,
        data=OrderInput(
            customer_id=task.customer_id,
            lines=[LineInput(appliance_id=appliance_id, symptom=symptom)],
            description=_("Phone guidance did not solve the problem. Advice given: %(advice)s") % {"advice": call.advice[:500]},
        ),
    )
    locked = Call.objects.select_for_update().get(pk=call.pk)
    if locked.order_id is None:
        locked.order = order
        audited(locked, actor, "order from unsolved phone guidance").save()
        announce_call(locked)
    return order


def call_link_customer(*, actor: User, call_id: int, customer: Customer) -> Call | None:
    """Link a call from an unknown number to the customer the agent just registered from its pop."""
    with transaction.atomic():
        call = Call.objects.visible_to(actor).select_for_update().filter(pk=call_id).first()
        if call is None or call.customer_id is not None:
            return call
        if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
            return call
        call.customer = customer
        audited(call, actor, "caller registered from the pop").save()
        announce_call(call)
        FollowUpTask.objects.filter(call=call, customer__isnull=True).update(customer=customer)
    return call


def missed_after() -> timedelta:
    return timedelta(minutes=max(int(settings.ANXIN_CALL_MISSED_AFTER_MINUTES), 1))


def calls_mark_missed(*, now: datetime | None = None, batch: int = 500) -> int:
    """Calls the PBX left ringing longer than ``ANXIN_CALL_MISSED_AFTER_MINUTES`` become *missed*
    (each change audited like a PBX event); run by the periodic job ``telephony.mark_missed_calls``."""
    now = now or timezone.now()
    cutoff = now - missed_after()
    marked = 0
    ids = list(
        Call.objects.filter(state=CallState.RINGING, answered_at__isnull=True, started_at__lt=cutoff)
        .order_by("started_at")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in ids:
        with transaction.atomic():
            call = Call.objects.select_for_update().filter(pk=pk, state=CallState.RINGING, answered_at__isnull=True).first()
            if call is None:
                continue  # answered or ended meanwhile
            call.state = CallState.MISSED
            call.ended_at = call.ended_at or now
            audited(call, None, "missed: rang without answer").save()
            announce_call(call)
            marked += 1
    return marked


def extension_set(*, actor: User, extension: str) -> User:
    """An agent binds their PBX extension (分机); one active user per extension."""
    if not actor.has_role(*AGENT_ROLES):
        raise PermissionDenied(_("Only agents answer the hotline from an extension."))
    extension = (extension or "").strip()
    if extension and (not extension.isdigit() or len(extension) > 10):
        raise ValidationFailed(fields={"extension": _("An extension is up to 10 digits.")})
    with transaction.atomic():
        if extension and User.objects.filter(extension=extension, is_active=True).exclude(pk=actor.pk).exists():
            raise ValidationFailed(fields={"extension": _("Extension %(ext)s is already used by someone else.") % {"ext": extension}})
        actor.extension = extension
        actor.save(update_fields=["extension"])
    return actor
