"""The technician's job list answers 304 while it is unchanged (decision 0048): the page, its htmx
refresh and ``GET /api/v1/orders/jobs``; every writer of a technician's jobs moves their stamp on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anxin.accounts.choices import OrgKind
from anxin.accounts.models import OrgUnit
from anxin.core.tests.apiclient import api, assert_error
from anxin.network.models import Technician
from anxin.orders import job_stamps
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.workflow.bulk import bulk_apply
from anxin.orders.workflow.services import order_transition

JOBS = reverse("technician_jobs")
API_JOBS = "/api/v1/orders/jobs"


@pytest.fixture(autouse=True)
def _fixed_window(monkeypatch):
    # The ETag's ten-minute window is pinned (a test running across its edge would see a new tag).
    monkeypatch.setattr(job_stamps, "_seconds", lambda: 1_000_000.0)


def assign(world, technician=None, **order_kw):
    order = world.order(**order_kw)
    technician = technician or world.technician
    return order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": technician.pk})


def stamp(technician) -> object:
    return Technician.objects.values_list("jobs_changed_at", flat=True).get(pk=technician.pk)


@pytest.fixture
def tech_client(client, world):
    client.force_login(world.users["technician"])
    return client


def conditional(client, url, etag, **extra):
    return client.get(url, headers={"If-None-Match": etag, **extra})


# --- the page ---------------------------------------------------------------------------------


def test_unchanged_page_answers_304_with_no_body_in_a_fixed_number_of_queries(tech_client, world, django_assert_num_queries):
    first_job = assign(world)
    response = tech_client.get(JOBS)
    assert response.status_code == 200 and first_job.number in response.content.decode()
    etag = response["ETag"]
    assert etag.startswith('W/"jobs-') and "private" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]

    with CaptureQueriesContext(connection) as ctx:
        unchanged = conditional(tech_client, JOBS, etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged["ETag"] == etag and "no-cache" in unchanged["Cache-Control"]
    # The session and the user (as on every page) and one indexed read of the stamp: no list is built.
    queries = [q["sql"] for q in ctx.captured_queries]  # (the log is reset by the next request)
    assert len([sql for sql in queries if "network_technician" in sql]) == 1 and "workorder" not in " ".join(queries)
    assert len(queries) <= 3
    # More jobs cost the unchanged refresh nothing more.
    more = [assign(world, customer=world.customer(name=f"客户{i}", phone=f"1370000000{i}")) for i in range(4)]
    etag = tech_client.get(JOBS)["ETag"]
    with django_assert_num_queries(len(queries)):
        assert conditional(tech_client, JOBS, etag).status_code == 304
    assert all(o.number for o in more)


def test_the_304_does_not_build_the_list(tech_client, world, monkeypatch):
    assign(world)
    etag = tech_client.get(JOBS)["ETag"]

    def refuse(*args, **kwargs):
        raise AssertionError("the list was built for an unchanged refresh")

    monkeypatch.setattr("anxin.orders.views.detail._jobs_context", refuse)
    assert conditional(tech_client, JOBS, etag).status_code == 304


def test_a_change_gives_a_new_etag_and_the_new_list(tech_client, world):
    assign(world)
    etag = tech_client.get(JOBS)["ETag"]
    new_job = assign(world, customer=world.customer(name="新客户", phone="13700000009"))
    response = conditional(tech_client, JOBS, etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert new_job.number in response.content.decode()
    assert conditional(tech_client, JOBS, response["ETag"]).status_code == 304


def test_another_technicians_change_keeps_my_etag(tech_client, world):
    assign(world)
    etag = tech_client.get(JOBS)["ETag"]
    mine = stamp(world.technician)
    assign(world, technician=world.senior_technician, customer=world.customer(name="别人的客户", phone="13700000008"))
    assert stamp(world.technician) == mine
    assert conditional(tech_client, JOBS, etag).status_code == 304


def test_the_etag_depends_on_the_language_the_user_and_the_part(client, world):
    assign(world)
    assign(world, technician=world.senior_technician, customer=world.customer(name="王客户", phone="13700000007"))
    client.force_login(world.users["technician"])
    page = client.get(JOBS)["ETag"]
    fragment = client.get(JOBS, {"part": "list"})
    assert fragment.status_code == 200 and fragment["ETag"] != page
    assert "<html" not in fragment.content.decode() and 'id="jobs-live"' in fragment.content.decode()
    english = client.get(JOBS, headers={"Accept-Language": "en", "If-None-Match": page})
    assert english.status_code == 200 and english["ETag"] != page
    client.force_login(world.users["senior"])
    assert client.get(JOBS)["ETag"] not in (page, english["ETag"])


def test_a_new_csrf_secret_is_a_new_page(tech_client, world):
    assign(world)
    etag = tech_client.get(JOBS)["ETag"]  # the page set the CSRF cookie its forms carry
    assert conditional(tech_client, JOBS, etag).status_code == 304
    tech_client.cookies["csrftoken"] = "x" * 32  # another secret: the forms' tokens of the copy are void
    assert conditional(tech_client, JOBS, etag).status_code == 200


def test_a_pending_message_is_shown_not_skipped(tech_client, world):
    order = assign(world)
    etag = tech_client.get(JOBS)["ETag"]
    # An action from the page redirects back with a message: the page is built and shows it.
    response = tech_client.post(
        reverse("order_action", args=[order.pk, "depart"]), {"expected_version": order.version, "next": JOBS}, follow=False
    )
    assert response.status_code == 302
    page = conditional(tech_client, JOBS, etag)
    assert page.status_code == 200 and order.number in page.content.decode()
    assert "ETag" not in page  # built with its one-time message: not a copy to keep


def test_the_window_bounds_what_the_stamp_cannot_see(tech_client, world, monkeypatch):
    assign(world)
    etag = tech_client.get(JOBS)["ETag"]
    monkeypatch.setattr(job_stamps, "_seconds", lambda: 1_000_000.0 + job_stamps.MAX_AGE)
    assert conditional(tech_client, JOBS, etag).status_code == 200


def test_the_page_refreshes_its_list_with_a_conditional_get(tech_client, world):
    assign(world)
    html = tech_client.get(JOBS).content.decode()
    assert f'hx-get="{JOBS}?part=list"' in html and 'hx-trigger="every 30s' in html


# --- the API ----------------------------------------------------------------------------------


def test_api_jobs_answer_304_while_unchanged(world, django_assert_num_queries):
    job = assign(world)
    assign(world, technician=world.senior_technician, customer=world.customer(name="别人的客户", phone="13700000008"))
    client = api(world.users["technician"])
    response = client.get("/orders/jobs")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1 and [o["number"] for o in body["results"]] == [job.number]
    assert body["results"][0]["status"] == "assigned" and "depart" in body["results"][0]["actions"]
    etag = response["ETag"]
    assert etag != tech_page_etag(world)  # not the page's tag
    with CaptureQueriesContext(connection) as ctx:
        unchanged = client.client.get(API_JOBS, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == etag
    queries = [q["sql"] for q in ctx.captured_queries]  # (the log is reset by the next request)
    assert len([sql for sql in queries if "network_technician" in sql]) == 1 and "workorder" not in " ".join(queries)
    assert len(queries) <= 3
    assign(world, customer=world.customer(name="第二位", phone="13700000006"))
    changed = client.client.get(API_JOBS, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["count"] == 2 and changed["ETag"] != etag
    with django_assert_num_queries(len(queries)):
        assert client.client.get(API_JOBS, headers={"If-None-Match": changed["ETag"]}).status_code == 304


def tech_page_etag(world) -> str:
    from django.test import Client

    browser = Client()
    browser.force_login(world.users["technician"])
    return browser.get(JOBS)["ETag"]


def test_api_jobs_with_a_token(world):
    from anxin.accounts.services import api_token_create

    assign(world)
    _token, raw = api_token_create(actor=world.hq_manager, user=world.users["technician"], name="phone")
    client = api(token=raw)
    etag = client.get("/orders/jobs")["ETag"]
    assert client.client.get(API_JOBS, headers={"If-None-Match": etag, "Authorization": f"Bearer {raw}"}).status_code == 304


@pytest.mark.parametrize("persona", ["dispatcher", "hq_manager", "agent"])
def test_api_jobs_are_for_technicians(world, persona):
    assert_error(api(world.users[persona]).get("/orders/jobs"), 403, "forbidden")


def test_api_jobs_are_in_the_openapi_document_with_their_304():
    from anxin.api import api as ninja_api

    operation = ninja_api.get_openapi_schema()["paths"]["/api/v1/orders/jobs"]["get"]
    assert {200, 304} <= set(operation["responses"])
    assert [p["name"] for p in operation["parameters"]] == ["If-None-Match"]


# --- every writer of a technician's jobs moves the stamp on --------------------------------------


def test_assign_moves_the_assigned_technicians_stamp(world):
    order = world.order()
    before = stamp(world.technician)
    order_transition(order_id=order.pk, action="accept", actor=world.dispatcher)
    assert stamp(world.technician) == before  # nobody's job yet
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    assert stamp(world.technician) > before


def test_reassigning_moves_both_technicians_stamps(world):
    # No step hands an order from one technician to another: it goes back to routing (a reroute)
    # and is assigned again. Each hand-over moves the stamp of the technician it concerns.
    order = assign(world)
    first, second = stamp(world.technician), stamp(world.senior_technician)
    order = order_transition(
        order_id=order.pk, action="reroute", actor=world.agent, data={"outlet": _second_outlet(world).pk, "reason": "换人"}
    )
    assert order.technician is None
    assert stamp(world.technician) > first  # the job left their list
    assert stamp(world.senior_technician) == second
    order = order_transition(order_id=order.pk, action="reroute", actor=world.agent, data={"outlet": world.outlet.pk, "reason": "回原网点"})
    taken = stamp(world.technician)
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.senior_technician.pk})
    assert stamp(world.senior_technician) > second  # the job joined theirs
    assert stamp(world.technician) == taken


def _second_outlet(world):
    return OrgUnit.objects.create(kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-02", name="拱墅网点", city="杭州市")


def test_every_step_on_a_technicians_order_moves_their_stamp(world):
    order = assign(world)
    tech = world.users["technician"]
    start = timezone.now() + timedelta(days=1)
    window = {"appointment_start": start.isoformat(), "appointment_end": (start + timedelta(hours=2)).isoformat()}
    for action, data in (("confirm", window), ("depart", {}), ("check_in", {}), ("complete", None)):
        before = stamp(world.technician)
        order = order_transition(order_id=order.pk, action=action, actor=tech, data=minimal_report(order) if data is None else data)
        assert stamp(world.technician) > before, action


def test_a_new_appointment_window_moves_the_stamp(world):
    order = assign(world)
    before = stamp(world.technician)
    start = timezone.now() + timedelta(days=3)
    order_transition(
        order_id=order.pk,
        action="confirm",
        actor=world.dispatcher,
        data={"appointment_start": start.isoformat(), "appointment_end": (start + timedelta(hours=1)).isoformat()},
    )
    assert stamp(world.technician) > before


def test_cancel_moves_the_stamp(world):
    order = assign(world)
    before = stamp(world.technician)
    order_transition(order_id=order.pk, action="cancel", actor=world.agent, data={"reason": "客户取消"})
    assert stamp(world.technician) > before


def test_a_bulk_action_moves_the_stamp(world):
    order = assign(world)
    before = stamp(world.technician)
    [result] = bulk_apply(actor=world.agent, action="cancel", order_ids=[order.pk], data={"reason": "批量取消"})
    assert result["ok"]
    assert stamp(world.technician) > before


def test_the_stamp_is_no_audit_event_of_the_technician(world):
    before = world.technician.history.count()
    assign(world)
    assert world.technician.history.count() == before
    assert "jobs_changed_at" not in {f.name for f in Technician.history.model._meta.fields}
