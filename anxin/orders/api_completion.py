"""Completion report, SMS confirmation code and attachment upload over the API.

Mounted inside the orders router (``router.add_router("", completion_router)`` in ``orders/api.py``), so
the paths are ``/api/v1/orders/{id}/completion``, ``…/completion-code`` and ``…/attachments``. The
handlers are thin: ``order_transition(action="complete")`` runs ``orders.completion``; a report with
missing items answers 400 with each of them under ``error.fields``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from anxin.core.errors import ValidationFailed
from anxin.core.scoping import get_visible_or_404
from anxin.orders.attachments import attachment_add
from anxin.orders.choices import AttachmentKind
from anxin.orders.completion import completion_code_send
from anxin.orders.models import WorkOrder
from anxin.orders.services import order_transition

router = Router(tags=["orders"])


class PartIn(Schema):
    part: int | None = None
    quantity: int = 1


class LabourIn(Schema):
    item: int | None = None
    quantity: int = 1


class CompletionLineIn(Schema):
    line: int | None = None
    fault_code: int | None = None
    cause: str = ""
    action: str = ""
    parts: list[PartIn] = []
    labour: list[LabourIn] = []
    quote_amount: Decimal | None = None
    quote_accepted: bool | None = None


class ChecklistEntryIn(Schema):
    done: bool | None = None
    reason: str = ""


class CompletionIn(Schema):
    """The completion report; ``signature`` is a ``data:image/png;base64,…`` URL. Photos are uploaded
    beforehand with ``POST /orders/{id}/attachments``."""

    expected_version: int | None = None
    lines: list[CompletionLineIn] = []
    checklist: dict[str, ChecklistEntryIn] = {}
    hazard_type: str = ""
    hazard_note: str = ""
    confirmation_method: str = ""
    signature: str = ""
    sms_code: str = ""
    remarks: str = ""


class CodeSentOut(Schema):
    sent: bool
    expires_at: datetime


class AttachmentOut(Schema):
    id: int
    kind: str
    line: int | None
    original_name: str
    content_type: str
    size: int
    url: str


def _order_detail(order_id: int, user):
    from anxin.orders.api import order_out  # orders.api mounts this router: import when called

    order = get_visible_or_404(WorkOrder, user, pk=order_id)
    return order_out(order, user, detail=True)


@router.post("/{order_id}/completion", summary="Complete an order with its completion report")
def complete_order(request, order_id: int, payload: CompletionIn):
    data = payload.dict(exclude={"expected_version"})
    order_transition(order_id=order_id, action="complete", actor=request.auth, data=data, expected_version=payload.expected_version)
    return _order_detail(order_id, request.auth)


@router.post("/{order_id}/completion-code", response=CodeSentOut, summary="Send the customer the SMS code that confirms completion")
def send_completion_code(request, order_id: int):
    order = get_visible_or_404(WorkOrder, request.auth, pk=order_id)
    sent = completion_code_send(order, request.auth)
    return CodeSentOut(sent=True, expires_at=sent["expires_at"])


@router.post("/{order_id}/attachments", response={201: AttachmentOut}, summary="Upload a photo or PDF to an order")
def upload_attachment(
    request,
    order_id: int,
    file: UploadedFile = File(...),  # noqa: B008 - Ninja's declaration style
    kind: str = Form(AttachmentKind.PHOTO),  # noqa: B008
    line: int | None = Form(None),  # noqa: B008
):
    order = get_visible_or_404(WorkOrder, request.auth, pk=order_id)
    if kind not in (AttachmentKind.PHOTO, AttachmentKind.DOCUMENT):
        # A signature is part of the completion report, never a loose upload.
        raise ValidationFailed(fields={"kind": _("Upload a photo or a document.")})
    attachment = attachment_add(request.auth, order, file, kind, line)
    return Status(
        201,
        AttachmentOut(
            id=attachment.pk,
            kind=attachment.kind,
            line=attachment.line_id,
            original_name=attachment.original_name,
            content_type=attachment.content_type,
            size=attachment.size,
            url=reverse("order_attachment", args=[attachment.pk]),
        ),
    )
