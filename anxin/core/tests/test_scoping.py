"""The one scope resolver: a model's declared paths and a user → the condition on its rows (decision 0045).

The per-route answers are held by ``tests/test_scoping_matrix.py``; these tests hold the resolver's
own rules, on stand-in users where no database is needed, and that every scoped model declares its
paths instead of writing them out by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db.models import Q

from anxin.accounts.choices import OrgKind, Role
from anxin.core import scoping
from anxin.core.scoping import NOTHING, ChildUnits, ScopedQuerySet, ScopePaths, Through, scope_q_for

PATHS = ScopePaths(
    region=("region", "outlet__parent"),
    outlet=("outlet",),
    technician=("technician__user",),
    dealer=("dealer",),
)


@dataclass(frozen=True)
class Unit:
    kind: str
    pk: int = 7


@dataclass(frozen=True)
class Person:
    """A stand-in user: what the resolver reads of one, and hashable so that conditions compare."""

    sees_everything: bool
    role: str
    org_unit: Unit


def person(kind: str, role: str = "", *, everything: bool = False) -> Person:
    return Person(sees_everything=everything, role=role, org_unit=Unit(kind))


def test_the_kinds_and_the_role_core_names_are_those_of_accounts():
    assert (scoping.REGION, scoping.OUTLET, scoping.DEALER) == (OrgKind.REGION, OrgKind.OUTLET, OrgKind.DEALER)
    assert scoping.TECHNICIAN == Role.TECHNICIAN


def test_hq_and_the_everything_roles_see_every_row():
    assert scope_q_for(PATHS, person(OrgKind.HQ, Role.HQ_MANAGER, everything=True)) is None
    archive = ScopePaths(region=("region",), everything_roles=(Role.AGENT,))
    assert scope_q_for(archive, person(OrgKind.REGION, Role.AGENT)) is None
    assert scope_q_for(archive, person(OrgKind.REGION, Role.REGION_DIRECTOR)) == Q(region=person(OrgKind.REGION).org_unit)


def test_each_kind_ors_its_paths_against_the_unit():
    region = person(OrgKind.REGION, Role.REGION_DIRECTOR)
    assert scope_q_for(PATHS, region) == Q(region=region.org_unit) | Q(outlet__parent=region.org_unit)
    outlet = person(OrgKind.OUTLET, Role.OUTLET_MANAGER)
    assert scope_q_for(PATHS, outlet) == Q(outlet=outlet.org_unit)
    dealer = person(OrgKind.DEALER, Role.DEALER)
    assert scope_q_for(PATHS, dealer) == Q(dealer=dealer.org_unit)


def test_a_technician_is_compared_as_a_person_or_else_as_outlet_staff():
    technician = person(OrgKind.OUTLET, Role.TECHNICIAN)
    assert scope_q_for(PATHS, technician) == Q(technician__user=technician)
    staff_like = ScopePaths(outlet=("outlet",))
    assert scope_q_for(staff_like, technician) == Q(outlet=technician.org_unit)


def test_outlet_roles_leave_the_other_outlet_roles_with_nothing():
    complaints = ScopePaths(outlet=("outlet",), outlet_roles=(Role.OUTLET_MANAGER,))
    manager = person(OrgKind.OUTLET, Role.OUTLET_MANAGER)
    assert scope_q_for(complaints, manager) == Q(outlet=manager.org_unit)
    assert scope_q_for(complaints, person(OrgKind.OUTLET, Role.TECHNICIAN)) == NOTHING
    assert scope_q_for(complaints, person(OrgKind.OUTLET, Role.PARTS_CLERK)) == NOTHING


@pytest.mark.parametrize("kind", [OrgKind.REGION, OrgKind.OUTLET, OrgKind.DEALER, "unknown"])
def test_a_kind_without_paths_sees_nothing(kind):
    assert scope_q_for(ScopePaths(), person(kind, Role.REGION_DIRECTOR)) == NOTHING


def test_every_scoped_model_declares_its_paths():
    scoped = [m for m in apps.get_models() if isinstance(m._default_manager.all(), ScopedQuerySet)]
    assert len(scoped) >= 7
    for model in scoped:
        assert isinstance(getattr(model, "scope", None), ScopePaths), model
        assert "scope_q" not in vars(model), f"{model.__name__} writes its scope by hand"


@pytest.mark.django_db
def test_child_units_is_a_subquery_not_a_join(world):
    """Decision 0019: the region's outlets as ``outlet_id IN (SELECT …)``, so the order list's
    (outlet, status, …) indexes serve the region's queue."""
    from anxin.orders.models import WorkOrder

    q = ChildUnits("outlet_id", kind=OrgKind.OUTLET).q(world.region)
    sql = str(WorkOrder.objects.filter(q).query)
    assert '"outlet_id" IN (SELECT' in sql
    assert "JOIN" not in sql
    orders = world.order()
    assert list(WorkOrder.objects.filter(q)) == [orders]  # routed to the region's outlet
    assert not WorkOrder.objects.filter(ChildUnits("outlet_id", kind=OrgKind.DEALER).q(world.region)).exists()


@pytest.mark.django_db
def test_through_reaches_rows_by_another_table(world):
    from anxin.customers.models import Appliance, Customer

    customer = world.customer()
    other = world.customer(name="李四", phone="13900009999")
    Appliance.objects.create(customer=customer, product_model=world.model, dealer=world.dealer)
    q = Through("customers.Appliance", "customer", "dealer").q(world.dealer)
    assert list(Customer.objects.filter(q)) == [customer]
    assert other not in Customer.objects.filter(q)


@pytest.mark.django_db
def test_visible_to_answers_nothing_to_anonymous_inactive_and_unplaced_users(world):
    from anxin.orders.models import WorkOrder

    world.order()
    director = world.region_director
    assert WorkOrder.objects.visible_to(director).count() == 1
    assert not WorkOrder.objects.visible_to(None).exists()
    director.is_active = False
    assert not WorkOrder.objects.visible_to(director).exists()
    director.is_active, director.org_unit = True, None
    assert not WorkOrder.objects.visible_to(director).exists()


def test_pk_is_the_row_being_the_unit_itself():
    region = person(OrgKind.REGION, Role.REGION_DIRECTOR)
    units = ScopePaths(region=("pk", "parent"), outlet=("pk",))
    assert scope_q_for(units, region) == Q(pk=7) | Q(parent=region.org_unit)
    assert scope_q_for(units, person(OrgKind.OUTLET, Role.TECHNICIAN)) == Q(pk=7)
