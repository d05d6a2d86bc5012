from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from anxin.accounts.choices import OrgKind, OutletKind, OutletStatus, Role, ServiceLevel
from anxin.core.scoping import ScopedQuerySet, ScopePaths


class OrgUnit(models.Model):
    """An organisation unit (组织): HQ (顾客服务部) → regional center (地区中心) → outlet (网点); dealers.

    One table for the four-level network so that every user belongs to exactly one unit and scoping
    follows ``parent``. Kind-specific fields (service level of a region, kind and lifecycle of an
    outlet) are blank for the other kinds.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=OrgKind.choices)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent"))
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    division_code = models.CharField(
        _("division code"), max_length=12, blank=True, help_text=_("Administrative division (行政区划) code of the seat.")
    )
    city = models.CharField(_("city"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    service_level = models.CharField(_("service level"), max_length=1, choices=ServiceLevel.choices, blank=True)
    outlet_kind = models.CharField(_("outlet kind"), max_length=12, choices=OutletKind.choices, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=OutletStatus.choices, default=OutletStatus.ACTIVE)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["code"]
        indexes = [models.Index(fields=["kind", "parent"])]

    def __str__(self) -> str:
        return self.name

    @property
    def region(self) -> OrgUnit | None:
        if self.kind == OrgKind.REGION:
            return self
        if self.kind == OrgKind.OUTLET:
            return self.parent
        return None

    # A unit sees itself; a region also its outlets (and every other child).
    scope = ScopePaths(region=("pk", "parent"), outlet=("pk",), dealer=("pk",))


class User(AbstractUser):
    """A person who logs in (用户). Belongs to one organisation unit and holds one role."""

    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="users", verbose_name=_("organisation unit")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    extension = models.CharField(_("phone extension"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def sees_everything(self) -> bool:
        """HQ staff and superusers see the whole network."""
        return self.is_superuser or (self.org_unit is not None and self.org_unit.kind == OrgKind.HQ)

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or self.role in roles


class ApiToken(models.Model):
    """A token for an integration (接口令牌), created by an admin; it acts as its user and is scoped like them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Past this moment the token answers 401 (decision 0029); set at creation from ANXIN_API_TOKEN_DAYS.
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
