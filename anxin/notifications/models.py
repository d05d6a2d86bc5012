from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app notification (站内通知) to one user: shown under the bell until read.

    The text is stored as English message ids (``title``, ``body``) with ``params`` and rendered in
    the reader's language when shown (``notifications.services.render``), so a Chinese reader sees
    Chinese whatever the sender's language was. ``kind`` says what it is about (e.g.
    ``sla.escalation``) for filtering and for channels that format their own text.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    order = models.ForeignKey(
        "orders.WorkOrder", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("work order")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"]), models.Index(fields=["recipient", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind}"
