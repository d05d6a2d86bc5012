from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IdempotencyRecord(models.Model):
    """A POST answered once (幂等记录): same user + key + route replays the stored response."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    route = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    # Indexed for the hourly purge (core.jobs): records are kept ANXIN_IDEMPOTENCY_KEEP_HOURS.
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "route"], name="idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.key}"


class ActivityLog(models.Model):
    """An activity record (操作日志): who did what, when, for events that change no row — exports,
    contact reveals, bulk downloads. Row changes are audited by django-simple-history instead."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    org_unit = models.ForeignKey(
        "accounts.OrgUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation unit")
    )
    action = models.CharField(_("action"), max_length=60)
    target = models.CharField(_("target"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("activity record")
        verbose_name_plural = _("activity records")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target}".strip()


class PeriodicRun(models.Model):
    """The last run of one periodic job (定时任务): the claim that keeps two runners (the embedded
    ``run_periodic`` loop, Celery beat) from running the same job twice in one period."""

    name = models.CharField(_("job"), max_length=100, unique=True)
    last_started = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished = models.DateTimeField(_("last finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("outbox delivery", "Pending")
    DONE = "done", pgettext_lazy("outbox delivery", "Done")
    STUCK = "stuck", pgettext_lazy("outbox delivery", "Stuck")


class OutboxEvent(models.Model):
    """A domain event (领域事件) kept in the outbox: written in the publisher's transaction, so it
    exists exactly when the change that raised it committed. Its durable handlers run after commit,
    one ``OutboxDelivery`` each (decision 0039)."""

    name = models.CharField(_("event"), max_length=100)
    # JSON only (ids, strings, ISO times): checked by ``core.events.publish`` before it is written.
    payload = models.JSONField(_("payload"), default=dict)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class OutboxDelivery(models.Model):
    """One durable handler's progress on one event (事件投递): claimed by a runner with a conditional
    UPDATE and a lease, marked done in the handler's own transaction, retried with backoff after a
    failure and stuck after ``ANXIN_OUTBOX_MAX_ATTEMPTS`` tries (decision 0039)."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event"))
    # The handler's registered name (stable across deploys), not its Python path.
    handler = models.CharField(_("event handler"), max_length=100)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # The runner holding the delivery (a random token per claim) and until when; a claim past its
    # lease belongs to a runner that died and is taken over.
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["event", "handler"], name="outbox_delivery_once_per_handler")]
        indexes = [
            # The runner's question, "what is due?", reads only pending rows.
            models.Index(fields=["next_attempt_at", "id"], condition=models.Q(status="pending"), name="outbox_delivery_due"),
            models.Index(fields=["status", "last_attempt_at"], name="outbox_delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} ← {self.event_id}"


class ChoiceLabels:
    """A model mixin: ``get_<field>_display()`` from a value → label table built once per field.

    Django's own builds ``dict(make_hashable(field.flatchoices))`` on every call, and hashing a
    lazy label translates it: a list page showing 25 orders' status and type translated every
    label of both enums 50 times. Here each call translates the one label it returns. Fields with
    callable choices, and values that are not plain keys, keep Django's way."""

    _choice_labels: dict = {}

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        table = ChoiceLabels._choice_labels.get(field)
        if table is None:
            if callable(getattr(field, "choices", None)):
                return super()._get_FIELD_display(field)
            table = ChoiceLabels._choice_labels[field] = dict(field.flatchoices)
        try:
            label = table.get(value, value)
        except TypeError:  # an unhashable value (never a key)
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
