from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OrgKind(models.TextChoices):
    HQ = "hq", pgettext_lazy("org kind", "HQ")
    REGION = "region", pgettext_lazy("org kind", "Regional center")
    OUTLET = "outlet", pgettext_lazy("org kind", "Service outlet")
    DEALER = "dealer", pgettext_lazy("org kind", "Dealer")


class OutletKind(models.TextChoices):
    AUTHORIZED = "authorized", _("Authorized outlet")
    STAR = "star", _("Star service center")
    COMMUNITY = "community", _("Community sales and service center")
    TECHNICAL = "technical", _("Technical service center")


class OutletStatus(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("outlet status", "Applied")
    PROBATION = "probation", pgettext_lazy("outlet status", "Probation")
    ACTIVE = "active", pgettext_lazy("outlet status", "Active")
    SUSPENDED = "suspended", pgettext_lazy("outlet status", "Suspended")
    REVOKED = "revoked", pgettext_lazy("outlet status", "Revoked")


class ServiceLevel(models.TextChoices):
    A = "A", _("Level A")
    B = "B", _("Level B")
    C = "C", _("Level C")


class Role(models.TextChoices):
    """The role table of DOMAIN.md; each user has exactly one."""

    HQ_MANAGER = "hq_manager", _("HQ service manager")
    TECH_LEAD = "tech_lead", _("Technical lead")
    QUALITY = "quality", _("Service-quality specialist")
    SETTLEMENT = "settlement", _("Settlement clerk")
    REGION_DIRECTOR = "region_director", _("Regional center director")
    AGENT = "agent", _("Call-center agent")
    CALLBACK_AGENT = "callback_agent", _("Callback agent")
    PARTS_CLERK = "parts_clerk", _("Parts clerk")
    OUTLET_MANAGER = "outlet_manager", _("Outlet manager / dispatcher")
    TECHNICIAN = "technician", _("Technician")
    DEALER = "dealer", _("Dealer / sales guide")


# Which organisation kinds a role may belong to.
ROLE_ORG_KINDS: dict[str, tuple[str, ...]] = {
    Role.HQ_MANAGER: (OrgKind.HQ,),
    Role.TECH_LEAD: (OrgKind.HQ, OrgKind.REGION),
    Role.QUALITY: (OrgKind.HQ,),
    Role.SETTLEMENT: (OrgKind.HQ,),
    Role.REGION_DIRECTOR: (OrgKind.REGION,),
    Role.AGENT: (OrgKind.HQ, OrgKind.REGION),
    Role.CALLBACK_AGENT: (OrgKind.HQ, OrgKind.REGION),
    Role.PARTS_CLERK: (OrgKind.REGION, OrgKind.OUTLET),
    Role.OUTLET_MANAGER: (OrgKind.OUTLET,),
    Role.TECHNICIAN: (OrgKind.OUTLET,),
    Role.DEALER: (OrgKind.DEALER,),
}
