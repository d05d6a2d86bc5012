from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from anxin.accounts.choices import OrgKind
from anxin.core.models import ChoiceLabels
from anxin.core.scoping import ScopedQuerySet, ScopePaths
from anxin.network.choices import GRADE_LEVEL, Grade


class OutletCoverage(models.Model):
    """An area an outlet serves (服务区域): a division-code prefix (district ``330106`` or city ``3301``),
    optionally limited to one product category."""

    outlet = models.ForeignKey(
        "accounts.OrgUnit",
        on_delete=models.CASCADE,
        related_name="coverages",
        limit_choices_to={"kind": OrgKind.OUTLET},
        verbose_name=_("outlet"),
    )
    division_prefix = models.CharField(_("division code prefix"), max_length=12)
    category = models.ForeignKey("catalog.ProductCategory", on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("category"))

    class Meta:
        verbose_name = _("outlet coverage")
        verbose_name_plural = _("outlet coverages")
        indexes = [models.Index(fields=["division_prefix"])]

    def __str__(self) -> str:
        return f"{self.outlet} {self.division_prefix}"


class Technician(ChoiceLabels, models.Model):
    """A service technician (服务工程师) of an outlet, with a grade and category skills."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="technician", verbose_name=_("user"))
    outlet = models.ForeignKey(
        "accounts.OrgUnit",
        on_delete=models.PROTECT,
        related_name="technicians",
        limit_choices_to={"kind": OrgKind.OUTLET},
        verbose_name=_("outlet"),
    )
    name = models.CharField(_("name"), max_length=50)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices, default=Grade.C)
    skills = models.ManyToManyField("catalog.ProductCategory", blank=True, related_name="technicians", verbose_name=_("skills"))
    years_of_service = models.PositiveSmallIntegerField(_("years of service"), default=0)
    active = models.BooleanField(_("active"), default=True)
    # When the technician's job list last changed (an order of theirs was assigned, taken away or
    # moved on): the change stamp behind the list's ETag (decision 0048). Written only by the order
    # side, with ``update()`` in the transaction of the change (``orders.job_stamps``), never
    # by saving the row; not audited (it says nothing about the technician).
    jobs_changed_at = models.DateTimeField(_("job list changed at"), default=timezone.now, editable=False)

    history = HistoricalRecords(excluded_fields=["jobs_changed_at"])
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")
        ordering = ["outlet", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.grade})"

    @property
    def grade_level(self) -> int:
        return GRADE_LEVEL[self.grade]

    def covers(self, difficulty: int) -> bool:
        return self.grade_level >= difficulty

    scope = ScopePaths(region=("outlet__parent",), outlet=("outlet",))
