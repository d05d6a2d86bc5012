"""An upload over the size limit is refused from its Content-Length, before the body is read
(decision 0030). Issue 9, item 9."""

from __future__ import annotations

from django.test import Client, RequestFactory
from django.urls import reverse

from anxin.core.middleware import MB, UploadSizeMiddleware
from anxin.core.tests.apiclient import api, assert_error


class UnreadableBody:
    """A request body that fails the test if anybody reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def _post(client: Client, path: str, length: int, content_type="multipart/form-data; boundary=xyz", **headers):
    environ = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(length), "wsgi.input": UnreadableBody()}
    return client.generic("POST", path, b"", **environ, headers=headers)


def test_an_attachment_over_the_one_file_limit_is_refused_unread(world, settings):
    settings.ANXIN_UPLOAD_MAX_MB = 10
    order = world.order()
    client = Client()
    client.force_login(world.users["technician"])
    response = _post(client, f"/api/v1/orders/{order.pk}/attachments", 11 * MB, HTTP_IDEMPOTENCY_KEY="up-1")
    error = assert_error(response, 413, "too_large", fields=("file",))
    assert "10 MB" in error["message"]
    assert not order.attachments.exists()


def test_a_token_request_is_refused_before_the_token_is_even_looked_up(world, django_assert_num_queries):
    order = world.order()
    with django_assert_num_queries(0):
        response = _post(Client(), f"/api/v1/orders/{order.pk}/attachments", 50 * MB, HTTP_AUTHORIZATION="Bearer ax_x")
    assert_error(response, 413, "too_large")


def test_a_page_upload_over_the_ceiling_gets_a_translated_page(world, settings):
    settings.ANXIN_REQUEST_MAX_MB = 20
    order = world.order()
    client = Client()
    client.force_login(world.users["technician"])
    response = _post(client, reverse("order_complete", args=[order.pk]), 21 * MB)
    assert response.status_code == 413
    assert "上传内容超过 20 MB" in response.content.decode()


def test_a_page_that_takes_many_photos_may_exceed_the_one_file_limit(world, settings):
    """The completion page posts up to 20 photos: only the request ceiling applies to it."""
    settings.ANXIN_UPLOAD_MAX_MB, settings.ANXIN_REQUEST_MAX_MB = 10, 110
    order = world.order()
    seen = []
    middleware = UploadSizeMiddleware(lambda request: seen.append(request) or "passed")
    request = RequestFactory().generic("POST", reverse("order_complete", args=[order.pk]), CONTENT_TYPE="multipart/form-data; boundary=xyz")
    request.META["CONTENT_LENGTH"] = str(30 * MB)  # over one file, under the ceiling
    assert middleware(request) == "passed" and seen == [request]
    request.META["CONTENT_LENGTH"] = str(111 * MB)
    assert middleware(request).status_code == 413


def test_a_json_body_over_djangos_memory_limit_is_a_413_in_the_error_format(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api(world.agent).post("/customers", {"name": "x" * 2000, "phones": [], "address": ""})
    assert_error(response, 413, "too_large")
