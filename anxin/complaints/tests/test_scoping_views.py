"""Complaint pages and scoping per persona: list, filing from an order / a customer, the detail page
with its actions, the template tags for the order and customer pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anxin.complaints.choices import ComplaintStatus, RootCause, Severity
from anxin.complaints.models import Complaint
from anxin.complaints.services import ComplaintInput, complaint_create

NANJING = "江苏省南京市玄武区中山路1号"


def numbers_on(response) -> set[str]:
    return set(re.findall(r'data-complaint-number="([^"]+)"', response.content.decode()))


@pytest.fixture
def two_complaints(world):
    """One complaint against the Hangzhou outlet, one against the Nanjing outlet."""
    hz_order = world.order()
    nj_order = world.order(customer=world.customer(name="李雷", phone="13900009999", address=NANJING))
    hz = complaint_create(actor=world.hq_manager, data=ComplaintInput(description="态度差", category="attitude", order_id=hz_order.pk))
    nj = complaint_create(actor=world.hq_manager, data=ComplaintInput(description="乱收费", category="charges", order_id=nj_order.pk))
    return hz, nj


def test_scope_per_persona(world, two_complaints):
    hz, nj = two_complaints
    expected = {
        "hq_manager": {hz.number, nj.number},
        "quality": {hz.number, nj.number},
        "region_director": {hz.number},
        "agent": {hz.number},
        "outsider_director": {nj.number},
        "dispatcher": {hz.number},
        "outsider_dispatcher": {nj.number},
        "technician": set(),
        "parts_clerk": set(),
        "dealer": set(),
    }
    for persona, numbers in expected.items():
        user = world.users[persona]
        assert set(Complaint.objects.visible_to(user).values_list("number", flat=True)) == numbers, persona


def test_list_page_shows_only_the_scope_and_filters(client, world, two_complaints):
    hz, nj = two_complaints
    client.force_login(world.dispatcher)
    response = client.get(reverse("complaint_list"))
    assert response.status_code == 200
    assert numbers_on(response) == {hz.number}
    client.force_login(world.quality)
    assert numbers_on(client.get(reverse("complaint_list"))) == {hz.number, nj.number}
    assert numbers_on(client.get(reverse("complaint_list"), {"severity": Severity.CRITICAL})) == set()
    assert numbers_on(client.get(reverse("complaint_list"), {"status": ComplaintStatus.OPEN})) == {hz.number, nj.number}
    assert numbers_on(client.get(reverse("complaint_list"), {"overdue": "on"})) == set()
    Complaint.objects.filter(pk=nj.pk).update(due_at=nj.created_at - timedelta(hours=1))
    assert numbers_on(client.get(reverse("complaint_list"), {"overdue": "on"})) == {nj.number}


def test_detail_is_404_out_of_scope(client, world, two_complaints):
    hz, nj = two_complaints
    client.force_login(world.dispatcher)
    assert client.get(reverse("complaint_detail", args=[hz.pk])).status_code == 200
    assert client.get(reverse("complaint_detail", args=[nj.pk])).status_code == 404
    response = client.post(reverse("complaint_action", args=[nj.pk, "resolve"]), {"resolution": "x", "root_cause": "other"})
    assert response.status_code == 404
    client.force_login(world.users["technician"])
    assert client.get(reverse("complaint_detail", args=[hz.pk])).status_code == 404


def test_file_from_an_order_page_then_resolve_and_close(client, world):
    order = world.order()
    client.force_login(world.quality)
    page = client.get(reverse("complaint_create"), {"order": order.pk})
    assert page.status_code == 200
    assert order.number in page.content.decode()
    bad = client.post(reverse("complaint_create"), {"order": order.pk, "severity": "major", "category": "", "channel": "hotline"})
    assert bad.status_code == 400
    assert 'data-field-error="category"' in bad.content.decode()
    assert 'data-field-error="description"' in bad.content.decode()
    assert Complaint.objects.count() == 0
    response = client.post(
        reverse("complaint_create"),
        {"order": order.pk, "severity": "critical", "category": "quality", "channel": "hotline", "description": "修完又坏"},
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("complaint_detail", args=[complaint.pk])
    assert complaint.outlet == world.outlet and complaint.severity == Severity.CRITICAL
    detail = client.get(response["Location"]).content.decode()
    assert 'data-action="resolve"' in detail and 'data-action="escalate"' in detail
    refused = client.post(reverse("complaint_action", args=[complaint.pk, "resolve"]), {"resolution": "已返修"})
    assert refused.status_code == 400
    assert 'data-error-field="root_cause"' in refused.content.decode()
    ok = client.post(
        reverse("complaint_action", args=[complaint.pk, "resolve"]),
        {"resolution": "已返修", "root_cause": RootCause.TECHNICIAN_SKILL, "responsible_party": "technician"},
    )
    assert ok.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.RESOLVED
    conflict = client.post(reverse("complaint_action", args=[complaint.pk, "resolve"]), {"resolution": "x", "root_cause": "other"})
    assert conflict.status_code == 409
    client.post(reverse("complaint_action", args=[complaint.pk, "close"]), {})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED


def test_file_from_a_customer_and_refusals(client, world):
    customer = world.customer()
    client.force_login(world.agent)
    assert client.get(reverse("complaint_create"), {"customer": customer.pk}).status_code == 200
    assert client.get(reverse("complaint_create")).status_code == 404
    client.force_login(world.users["technician"])
    assert client.get(reverse("complaint_create"), {"customer": customer.pk}).status_code == 403
    nanjing = world.customer(name="李雷", phone="13900009999", address=NANJING)
    client.force_login(world.region_director)
    assert client.get(reverse("complaint_create"), {"customer": nanjing.pk}).status_code == 404


def test_template_tags_render_scoped_complaints_and_the_file_link(world, two_complaints):
    hz, nj = two_complaints
    template = Template("{% load complaints %}{% order_complaints order %}|{% customer_complaints customer %}")

    def render(user, order):
        request = RequestFactory().get("/")
        request.user = user
        return template.render(Context({"request": request, "order": order, "customer": order.customer}))

    html = render(world.agent, hz.order)
    assert hz.number in html and nj.number not in html
    assert f"?order={hz.order.pk}" in html and f"?customer={hz.customer.pk}" in html
    html = render(world.outsider_dispatcher, hz.order)
    assert hz.number not in html and "data-file-complaint" not in html


def test_list_runs_a_fixed_number_of_queries(client, world, two_complaints):
    client.force_login(world.quality)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("complaint_list"))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    queries()  # the first request fills the identity cache (session, user: decision 0050)
    few = queries()
    for i in range(5):
        complaint_create(
            actor=world.quality, data=ComplaintInput(description=f"#{i}", category="other", customer_id=two_complaints[0].customer_id)
        )
    assert queries() == few
