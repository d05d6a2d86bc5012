from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerGroup(models.TextChoices):
    VIP = "vip", _("VIP (high-end)")
    COMPLETE_SET = "complete_set", _("Complete-set customer")
    PROJECT = "project", _("Project customer")
    URBAN = "urban", _("Urban community")
    RURAL = "rural", _("Town / rural")


HIGH_END_GROUPS = (CustomerGroup.VIP, CustomerGroup.COMPLETE_SET, CustomerGroup.PROJECT)


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")


class MarketTier(models.IntegerChoices):
    UNKNOWN = 0, _("Unknown")
    CITY = 1, _("Tier 1 (city)")
    COUNTY = 2, _("Tier 2 (county / town)")
    REMOTE = 3, _("Tier 3 (remote)")


class ApplianceStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    RETURNED = "returned", _("Returned")
    EXCHANGED = "exchanged", _("Exchanged")
    SCRAPPED = "scrapped", _("Scrapped")
