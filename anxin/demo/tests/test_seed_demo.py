"""Demo data: the plan is deterministic, the seeded world is complete and coherent, logins work."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from anxin.accounts.models import OrgUnit, User
from anxin.customers.address import _jionlp
from anxin.customers.models import Customer, CustomerAddress, CustomerPhone
from anxin.customers.services import phone_normalize
from anxin.demo import data as D
from anxin.demo.logins import as_markdown
from anxin.demo.plan import make_plan
from anxin.network.models import Technician
from anxin.orders.choices import OrderStatus
from anxin.orders.models import StatusChange, WorkOrder
from anxin.orders.workflow.transitions import TRANSITIONS

# One worker seeds the module's world once (pytest -n 2 --dist loadgroup keeps the group together).
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("seed_demo")]

SEED = 1


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One tiny demo world for the whole module, rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--scale", "tiny", "--seed", str(SEED), verbosity=0)
        yield
        transaction.set_rollback(True)


# --- the plan (no database) -------------------------------------------------------------------


def test_same_seed_gives_the_same_plan_and_another_seed_does_not():
    first, again, other = make_plan("small", 7), make_plan("small", 7), make_plan("small", 8)
    assert [(c.name, c.phones, c.address) for c in first.customers] == [(c.name, c.phones, c.address) for c in again.customers]
    assert [(o.customer, o.status, o.order_type, o.rseed) for o in first.orders] == [
        (o.customer, o.status, o.order_type, o.rseed) for o in again.orders
    ]
    assert [c.name for c in first.customers] != [c.name for c in other.customers]


def test_plan_people_look_real():
    plan = make_plan("small", SEED)
    assert len(plan.customers) == 200 and len(plan.orders) == 300
    lengths = Counter(len(c.name) for c in plan.customers if c.group != "project")
    assert lengths[2] >= 20 and lengths[3] >= 80
    numbers = [phone_normalize(p).number for c in plan.customers for p in c.phones]
    assert len(numbers) == len(set(numbers)), "phone numbers are unique"
    kinds = Counter(phone_normalize(p).kind for c in plan.customers for p in c.phones)
    assert kinds["mobile"] > 200 and kinds["landline"] > 10
    assert {c.group for c in plan.customers} >= {"vip", "urban", "rural", "complete_set"}
    assert any(c.marketing_consent for c in plan.customers) and not all(c.marketing_consent for c in plan.customers)
    assert {o.status for o in plan.orders} == set(OrderStatus.values)


def test_division_codes_are_the_real_ones():
    _, loader = _jionlp()
    for city in D.CITIES:
        assert loader[city.province][city.name]["_admin_code"].startswith(city.code)
        for district in city.districts:
            assert loader[city.province][city.name][district.name]["_admin_code"] == district.code, district.name
    for (key, name), code in D.EXTRA_DISTRICT_CODES.items():
        city = D.CITY_BY_KEY[key]
        assert loader[city.province][city.name][name]["_admin_code"] == code
    assert loader["浙江省"]["杭州市"]["西湖区"]["_admin_code"] == "330106"


def test_docs_table_is_in_step_with_the_data():
    doc = Path(settings.BASE_DIR) / "docs" / "demo-logins.md"
    assert doc.read_text(encoding="utf-8") == as_markdown()


# --- the seeded world -------------------------------------------------------------------------


def test_every_status_is_present(seeded):
    statuses = set(WorkOrder.objects.values_list("status", flat=True))
    assert statuses == set(OrderStatus.values)


def test_deadlines_and_complaints_lie_where_a_user_expects_them(seeded):
    from anxin.complaints.models import Complaint

    now = timezone.now()
    for order in WorkOrder.objects.exclude(accept_deadline=None):
        assert order.accept_deadline > order.created_at
        assert order.accepted_at is None or order.created_at <= order.accepted_at <= now
    assert {c.status for c in Complaint.objects.all()} >= {"open", "resolved"}
    assert all(c.order_id for c in Complaint.objects.all())


def test_seeded_customers_are_the_planned_ones(seeded):
    plan = make_plan("tiny", SEED)
    assert sorted(Customer.objects.values_list("name", flat=True)) == sorted(c.name for c in plan.customers)
    planned = sorted(phone_normalize(p).number for c in plan.customers for p in c.phones)
    assert sorted(CustomerPhone.objects.values_list("number", flat=True)) == planned
    assert not CustomerAddress.objects.filter(needs_review=True).exists(), "every demo address parses"
    assert CustomerAddress.objects.filter(division_code="330106").exists()


def test_every_role_has_a_demo_user_who_can_log_in(seeded, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    roles = set()
    for login in D.DEMO_LOGINS:
        request = RequestFactory().post("/accounts/login/")
        user = authenticate(request=request, username=login.username, password=D.DEMO_PASSWORD)
        assert user is not None, login.username
        assert user.role == login.role and not user.is_superuser
        roles.add(user.role)
    assert roles == {r for r, _ in User._meta.get_field("role").choices}
    assert User.objects.get(username="agent").extension == "8012"
    assert User.objects.get(username="director").org_unit.code == "R-HZ"


def test_demo_personas_have_work_waiting(seeded):
    dispatcher = User.objects.get(username="dispatcher")
    at_outlet = Counter(WorkOrder.objects.filter(outlet=dispatcher.org_unit).values_list("status", flat=True))
    assert at_outlet["routed"] >= 2 and at_outlet["accepted"] >= 1
    tech = User.objects.get(username="tech")
    assert tech.technician.grade == "A"
    today = timezone.localdate()
    todays = WorkOrder.objects.filter(technician__user=tech, status__in=("assigned", "confirmed", "en_route", "on_site"))
    assert sum(1 for o in todays if timezone.localtime(o.appointment_start).date() == today) >= 3
    callback = User.objects.get(username="callback")
    assert WorkOrder.objects.visible_to(callback).filter(status="completed").count() >= 2
    assert set(Technician.objects.values_list("grade", flat=True)) == {"A+", "A", "B", "C", "D"}
    outlets = OrgUnit.objects.filter(kind="outlet")
    assert set(outlets.values_list("outlet_kind", flat=True)) == {"authorized", "star", "community", "technical"}
    assert outlets.filter(status="probation").count() == 1


def test_status_history_follows_the_state_machine_and_lies_in_the_past(seeded):
    now = timezone.now()
    changes: dict[int, list[StatusChange]] = {}
    for change in StatusChange.objects.order_by("order_id", "at", "id"):
        changes.setdefault(change.order_id, []).append(change)
    for order in WorkOrder.objects.all():
        steps = changes[order.pk]
        assert steps[0].action == "create" and steps[0].to_status == "created"
        for before, step in zip(steps, steps[1:], strict=False):
            transition = TRANSITIONS[step.action]
            assert step.from_status == before.to_status and step.from_status in transition.sources, order.number
            assert step.to_status == transition.target
            assert step.at >= before.at
        assert steps[-1].to_status == order.status
        assert steps[-1].at <= now and order.created_at <= now
        assert order.number.startswith(f"WO{timezone.localtime(order.created_at):%Y%m%d}")


def test_if_empty_is_idempotent(seeded):
    counts = (OrgUnit.objects.count(), Customer.objects.count(), WorkOrder.objects.count())
    call_command("seed_demo", "--scale", "tiny", "--seed", "2", "--if-empty", verbosity=0)
    assert (OrgUnit.objects.count(), Customer.objects.count(), WorkOrder.objects.count()) == counts
    with pytest.raises(CommandError):
        call_command("seed_demo", "--scale", "tiny", "--seed", "2", verbosity=0)
