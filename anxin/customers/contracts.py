"""Service contracts on an appliance (延保 / 签约保养): extended warranty and maintenance.

While a contract runs the appliance is served as in warranty (``orders.eligibility``), whatever
its purchase date says.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from anxin.accounts.models import User
from anxin.core.audit import audited
from anxin.core.errors import NotFound, PermissionDenied, ValidationFailed
from anxin.customers.models import Appliance, ContractKind, Customer, ServiceContract
from anxin.customers.services import CUSTOMER_CREATE_ROLES

# Who records a contract: those who register customers and sales (a dealer sells extended warranty).
CONTRACT_ROLES = CUSTOMER_CREATE_ROLES


def _appliance_in_scope(actor: User, appliance: Appliance) -> None:
    if not Customer.objects.visible_to(actor).filter(pk=appliance.customer_id).exists():
        raise NotFound(_("Appliance not found."))


@transaction.atomic
def contract_add(
    *,
    actor: User,
    appliance: Appliance,
    kind: str,
    starts_on: date | None,
    ends_on: date | None,
    number: str = "",
    note: str = "",
) -> ServiceContract:
    """Record an extended-warranty or maintenance contract on ``appliance``."""
    if not actor.has_role(*CONTRACT_ROLES):
        raise PermissionDenied(_("Your role may not record service contracts."))
    _appliance_in_scope(actor, appliance)
    errors: dict[str, str] = {}
    if kind not in ContractKind.values:
        errors["kind"] = _("Choose the kind of contract.")
    if starts_on is None:
        errors["starts_on"] = _("Enter the day the contract starts.")
    if ends_on is None:
        errors["ends_on"] = _("Enter the day the contract ends.")
    elif starts_on is not None and ends_on <= starts_on:
        errors["ends_on"] = _("The contract must end after it starts.")
    number, note = (number or "").strip(), (note or "").strip()
    if len(number) > 40:
        errors["number"] = _("At most %(n)s characters.") % {"n": 40}
    if len(note) > 200:
        errors["note"] = _("At most %(n)s characters.") % {"n": 200}
    if errors:
        raise ValidationFailed(fields=errors)
    contract = ServiceContract(appliance=appliance, kind=kind, starts_on=starts_on, ends_on=ends_on, number=number, note=note)
    audited(contract, actor, "created").save()
    return contract


def contract_list(*, actor: User, appliance: Appliance) -> list[ServiceContract]:
    """The contracts of an appliance in ``actor``'s scope, latest end first."""
    _appliance_in_scope(actor, appliance)
    return list(appliance.contracts.order_by("-ends_on", "id"))
