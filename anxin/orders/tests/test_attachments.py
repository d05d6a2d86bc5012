"""Attachments: type by content, size limits named, scoped add and download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from anxin.core.errors import NotFound, PermissionDenied, ValidationFailed
from anxin.orders.choices import AttachmentKind
from anxin.orders.completion.attachments import IMAGE_MAX_BYTES, PDF_MAX_BYTES, attachment_add, attachment_problem, sniff_content_type
from anxin.orders.models import Attachment
from anxin.orders.tests.helpers import TINY_PNG
from anxin.orders.workflow.services import order_transition

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
PDF = b"%PDF-1.7\n" + b"0" * 100


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    "data,expected",
    [(JPEG, "image/jpeg"), (TINY_PNG, "image/png"), (WEBP, "image/webp"), (PDF, "application/pdf"), (b"GIF89a....", None), (b"", None)],
)
def test_type_is_sniffed_from_the_content(data, expected):
    assert sniff_content_type(data[:16]) == expected


def test_the_claimed_type_and_name_do_not_count():
    content_type, problem = attachment_problem(upload("photo.jpg", b"<html>not an image</html>", "image/jpeg"))
    assert content_type is None
    with translation.override("en"):
        _none, problem = attachment_problem(upload("photo.jpg", b"<html>not an image</html>", "image/jpeg"))
    assert "only JPEG, PNG, WebP or PDF" in problem and "photo.jpg" in problem
    assert attachment_problem(upload("scan.bin", PDF)) == ("application/pdf", None)


def test_size_limits_are_per_type_and_named():
    with translation.override("en"):
        _none, problem = attachment_problem(upload("big.jpg", JPEG + b"\x00" * IMAGE_MAX_BYTES))
        assert "larger than 5 MB" in problem
        assert attachment_problem(upload("ok.pdf", PDF + b"0" * IMAGE_MAX_BYTES))[1] is None  # a 5 MB PDF is fine
        _none, problem = attachment_problem(upload("big.pdf", PDF + b"0" * PDF_MAX_BYTES))
        assert "larger than 10 MB" in problem
    assert attachment_problem(upload("edge.jpg", JPEG + b"\x00" * (IMAGE_MAX_BYTES - len(JPEG)))) == ("image/jpeg", None)


def test_attachment_add_stores_the_file_under_a_random_name(world):
    order = world.order()
    line = order.lines.get()
    attachment = attachment_add(world.agent, order, upload("发票 照片.jpg", JPEG), AttachmentKind.PHOTO, line=line)
    assert attachment.order == order and attachment.line == line and attachment.uploaded_by == world.agent
    assert attachment.original_name == "发票 照片.jpg" and attachment.content_type == "image/jpeg" and attachment.size == len(JPEG)
    assert attachment.file.name.startswith(f"orders/{order.pk}/") and attachment.file.name.endswith(".jpg")
    assert "发票" not in attachment.file.name
    assert attachment.file.read() == JPEG


def test_attachment_add_refuses_bad_files_lines_and_kinds_with_nothing_saved(world):
    order, other = world.order(), world.order()
    with pytest.raises(ValidationFailed) as info:
        attachment_add(world.agent, order, upload("x.exe", b"MZ" + b"\x00" * 40), "photo", line=other.lines.get())
    assert set(info.value.fields) == {"file", "line"}
    with pytest.raises(ValidationFailed) as info:
        attachment_add(world.agent, order, upload("x.jpg", JPEG), "virus")
    assert set(info.value.fields) == {"kind"}
    with pytest.raises(ValidationFailed) as info:
        attachment_add(world.agent, order, upload("sig.pdf", PDF), AttachmentKind.SIGNATURE)
    assert set(info.value.fields) == {"file"}  # a signature is an image
    assert not Attachment.objects.exists()


def test_attachment_add_is_scoped_and_refused_on_finished_orders(world):
    order = world.order()
    with pytest.raises(NotFound):
        attachment_add(world.users["outsider_dispatcher"], order, upload("x.jpg", JPEG))
    order_transition(order_id=order.pk, action="cancel", actor=world.agent, data={"reason": "客户取消"})
    with pytest.raises(PermissionDenied):
        attachment_add(world.agent, order, upload("x.jpg", JPEG))
    assert not Attachment.objects.exists()


def test_download_serves_the_file_inline_to_whoever_sees_the_order(client, world):
    order = world.order()
    attachment = attachment_add(world.agent, order, upload("现场.pdf", PDF), AttachmentKind.DOCUMENT)
    url = reverse("order_attachment", args=[attachment.pk])
    assert client.get(url).status_code == 302  # login first
    client.force_login(world.dispatcher)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize("persona", ["outsider_dispatcher", "outsider_director", "outsider_technician", "dealer"])
def test_download_is_404_outside_the_scope(client, world, persona):
    order = world.order()
    attachment = attachment_add(world.agent, order, upload("a.jpg", JPEG))
    client.force_login(world.users[persona])
    assert client.get(reverse("order_attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("order_attachment", args=[999999])).status_code == 404


def test_download_of_a_missing_file_is_404_not_500(client, world):
    order = world.order()
    attachment = attachment_add(world.agent, order, upload("a.jpg", JPEG))
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(world.agent)
    assert client.get(reverse("order_attachment", args=[attachment.pk])).status_code == 404
