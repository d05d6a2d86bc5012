"""Navigation by role: each role sees the menu entries of its daily work. A context processor of the
surfaces (it names the pages of every app), so it lives here rather than in the UI kit (decision 0044)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anxin.accounts.choices import Role

NAV = [
    ("home", _("Dashboard"), "home", None),
    ("orders", _("Work orders"), "order_list", None),
    (
        "customers",
        _("Customers"),
        "customer_list",
        (
            Role.HQ_MANAGER,
            Role.AGENT,
            Role.CALLBACK_AGENT,
            Role.REGION_DIRECTOR,
            Role.OUTLET_MANAGER,
            Role.DEALER,
            Role.QUALITY,
            Role.TECH_LEAD,
        ),
    ),
    ("callbacks", _("Callbacks"), "callback_queue", (Role.HQ_MANAGER, Role.CALLBACK_AGENT, Role.QUALITY, Role.REGION_DIRECTOR)),
    (
        "complaints",
        _("Complaints"),
        "complaint_list",
        (Role.HQ_MANAGER, Role.QUALITY, Role.REGION_DIRECTOR, Role.AGENT, Role.CALLBACK_AGENT, Role.OUTLET_MANAGER),
    ),
    ("calls", _("Calls"), "call_list", (Role.HQ_MANAGER, Role.AGENT, Role.CALLBACK_AGENT, Role.REGION_DIRECTOR)),
    ("jobs", _("My jobs"), "technician_jobs", (Role.TECHNICIAN,)),
    ("sales", _("Register a sale"), "sale_create", (Role.DEALER,)),
    ("sla", _("SLA policies"), "sla_policy_list", (Role.HQ_MANAGER,)),
    ("outbox", _("Event deliveries"), "outbox_deliveries", (Role.HQ_MANAGER,)),
    ("imports", _("Import customers"), "customer_import", (Role.HQ_MANAGER, Role.REGION_DIRECTOR, Role.AGENT)),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for key, label, url_name, roles in NAV:
        if roles is None or user.is_superuser or user.role in roles:
            items.append({"key": key, "label": label, "url": reverse(url_name)})
    return {"nav_items": items}
