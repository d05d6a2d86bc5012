"""Completion over the API: POST /orders/{id}/completion, /completion-code, /attachments.

Until ``orders/api.py`` mounts ``api_completion.router`` these tests serve it from an API of their own
(same auth, same error handlers, same middleware) under the same paths; once it is mounted they run
against the project's URLs.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, path, resolve

import anxin.urls
from anxin.core.events import _handlers
from anxin.core.tests.apiclient import api, assert_error
from anxin.orders.choices import OrderStatus
from anxin.orders.models import Attachment, CompletionReport, StatusChange
from anxin.orders.tests.helpers import minimal_report
from anxin.orders.tests.test_completion import JPEG, to_site

try:
    resolve("/api/v1/orders/1/completion")
    urlpatterns = anxin.urls.urlpatterns
except Resolver404:
    from ninja import NinjaAPI

    from anxin.core.api import BrowserSessionAuth, TokenAuth, install_error_handlers
    from anxin.orders.api.completion import router as completion_router

    _api = NinjaAPI(urls_namespace="api_completion_tests", auth=[TokenAuth(), BrowserSessionAuth()], docs_url=None)
    install_error_handlers(_api)
    _api.add_router("/orders", completion_router)
    urlpatterns = [path("api/v1/", _api.urls), *anxin.urls.urlpatterns]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


def payload(order, **extra) -> dict:
    report = minimal_report(order)
    return {**report, "expected_version": order.version, **extra}


def test_completion_answers_what_changed(world):
    order = to_site(world, world.order())
    response = api(world.technician.user).post(f"/orders/{order.pk}/completion", payload(order, remarks="已完工"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == OrderStatus.COMPLETED and body["version"] == order.version + 1 and body["action"] == "complete"
    assert {"completed_at", "first_time_fix", "callback_deadline"} <= set(body) and body["first_time_fix"] is True
    assert "detail" not in body and "lines" not in body
    report = CompletionReport.objects.get(order=order)
    assert report.remarks == "已完工" and report.signature.kind == "signature"


def test_completion_answers_the_order_detail_when_asked(world):
    order = to_site(world, world.order())
    response = api(world.technician.user).post(f"/orders/{order.pk}/completion?expand=detail", payload(order))
    assert response.status_code == 200, response.content
    detail = response.json()["detail"]
    assert detail["status"] == OrderStatus.COMPLETED and detail["version"] == order.version + 1
    assert detail["history"][-1]["action"] == "complete"
    assert detail["lines"][0]["fault_code"] == world.fault_easy.code


def test_a_report_with_missing_items_is_400_naming_each(world):
    order = to_site(world, world.order())
    body = {
        "expected_version": order.version,
        "lines": [{"line": order.lines.get().pk, "action": "检查"}],
        "checklist": {"A": {"done": True}},
    }
    error = assert_error(
        api(world.technician.user).post(f"/orders/{order.pk}/completion", body),
        400,
        "invalid",
        fields=("lines.0.fault_code", "lines.0.cause", "checklist.B", "checklist.E", "confirmation_method"),
    )
    assert "lines.0.action" not in error["fields"] and "checklist.A" not in error["fields"]
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_SITE and not CompletionReport.objects.exists()


def test_completion_with_a_stale_version_or_out_of_scope_is_refused(world):
    order = to_site(world, world.order())
    assert_error(
        api(world.technician.user).post(f"/orders/{order.pk}/completion", payload(order, expected_version=1)), 409, "stale_version"
    )
    assert_error(api(world.users["outsider_technician"]).post(f"/orders/{order.pk}/completion", payload(order)), 404)
    assert_error(api().post(f"/orders/{order.pk}/completion", payload(order)), 401)
    assert_error(api(world.dispatcher).post(f"/orders/{order.pk}/completion", payload(order)), 403)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_SITE


def test_completion_is_idempotent_with_a_key(world):
    order = to_site(world, world.order())
    client = api(world.technician.user)
    first = client.post(f"/orders/{order.pk}/completion", payload(order), key="complete-1")
    again = client.post(f"/orders/{order.pk}/completion", payload(order), key="complete-1")
    assert first.status_code == again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert StatusChange.objects.filter(order=order, action="complete").count() == 1


def test_sms_code_round_trip(world):
    sent = []
    _handlers["order.completion_code"].append(lambda **p: sent.append(p))
    try:
        order = to_site(world, world.order())
        client = api(world.technician.user)
        response = client.post(f"/orders/{order.pk}/completion-code")
        assert response.status_code == 200 and response.json()["sent"] is True and response.json()["expires_at"]
        assert "code" not in response.json()
        assert_error(client.post(f"/orders/{order.pk}/completion-code"), 400, fields=("sms_code",))  # not twice in 30 s
        wrong = payload(order, confirmation_method="sms_code", signature="", sms_code="12345x")
        assert_error(client.post(f"/orders/{order.pk}/completion", wrong), 400, fields=("sms_code",))
        good = payload(order, confirmation_method="sms_code", signature="", sms_code=sent[0]["code"])
        assert client.post(f"/orders/{order.pk}/completion", good).status_code == 200
        assert CompletionReport.objects.get(order=order).sms_code_verified_at is not None
    finally:
        _handlers["order.completion_code"].pop()


def test_sms_code_only_for_the_technician_on_site(world):
    order = world.order()
    assert_error(api(world.agent).post(f"/orders/{order.pk}/completion-code"), 409, "invalid_transition")
    assert_error(api(world.users["outsider_technician"]).post(f"/orders/{order.pk}/completion-code"), 404)


def _upload(user, order, name, data, **form):
    client = Client()
    client.force_login(user)
    return client.post(f"/api/v1/orders/{order.pk}/attachments", {"file": SimpleUploadedFile(name, data), **form})


def test_attachment_upload_answers_the_new_id(world):
    order = world.order()
    line = order.lines.get()
    response = _upload(world.agent, order, "发票.jpg", JPEG, line=str(line.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    attachment = Attachment.objects.get(pk=body["id"])
    assert attachment.line == line and body["content_type"] == "image/jpeg" and body["kind"] == "photo"
    assert body["url"] == f"/orders/attachments/{attachment.pk}/"


def test_attachment_upload_refuses_wrong_files_kinds_and_outsiders(world):
    order = world.order()
    error = assert_error(_upload(world.agent, order, "x.gif", b"GIF89a" + b"\x00" * 20), 400, "invalid", fields=("file",))
    assert "x.gif" in error["fields"]["file"][0]
    assert_error(_upload(world.agent, order, "s.png", JPEG, kind="signature"), 400, fields=("kind",))
    assert_error(_upload(world.users["outsider_dispatcher"], order, "a.jpg", JPEG), 404)
    assert not Attachment.objects.exists()
