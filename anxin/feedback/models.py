from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from anxin.orders.choices import Satisfaction


class Callback(models.Model):
    """A callback (回访) to the customer after a completed order: did the repair work, how satisfied."""

    order = models.ForeignKey("orders.WorkOrder", on_delete=models.CASCADE, related_name="callbacks", verbose_name=_("work order"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("callback agent"))
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices)
    problem_solved = models.BooleanField(_("problem solved"), default=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.order} {self.satisfaction}"
