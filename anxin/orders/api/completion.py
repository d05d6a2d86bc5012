"""Completion report, SMS confirmation code and attachment upload over the API.

Mounted under ``/orders`` beside the orders router (``anxin/api.py``), so the paths are
``/api/v1/orders/{id}/completion``, ``…/completion-code`` and ``…/attachments``. The handlers are thin:
the ``complete`` step runs ``orders.completion`` and answers what it changed, like every step
(``OrderChangeOut``, decision 0049); a report with missing items answers 400 with each of them under
``error.fields``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from anxin.core.api import Id, Version, one_of
from anxin.core.errors import ValidationFailed
from anxin.core.scoping import get_visible_or_404
from anxin.orders.api.orders import Expand, OrderChangeOut, take_step
from anxin.orders.choices import AttachmentKind, ChecklistItem, ConfirmationMethod, HazardType
from anxin.orders.completion.attachments import attachment_add
from anxin.orders.completion.report import SIGNATURE_MAX_BYTES, completion_code_send
from anxin.orders.models import WorkOrder

router = Router(tags=["orders"])


# The report's texts and quantities are checked by ``orders.completion`` (the same rules as the
# page's form, 400 naming each item); the schema bounds what the database could not store.
Quantity = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Text = Annotated[str, Field(max_length=10_000)]


class PartIn(Schema):
    part: Id | None = None
    quantity: Quantity = 1


class LabourIn(Schema):
    item: Id | None = None
    quantity: Quantity = 1


class CompletionLineIn(Schema):
    line: Id | None = None
    fault_code: Id | None = None
    cause: Text = ""
    action: Text = ""
    parts: Annotated[list[PartIn], Field(max_length=100)] = []
    labour: Annotated[list[LabourIn], Field(max_length=100)] = []
    quote_amount: Annotated[Decimal, Field(max_digits=10, decimal_places=2)] | None = None
    quote_accepted: bool | None = None


class ChecklistEntryIn(Schema):
    done: bool | None = None
    reason: Text = ""


class CompletionIn(Schema):
    """The completion report; ``signature`` is a ``data:image/png;base64,…`` URL. Photos are uploaded
    beforehand with ``POST /orders/{id}/attachments``."""

    expected_version: Version | None = None
    lines: Annotated[list[CompletionLineIn], Field(max_length=50)] = []
    checklist: dict[one_of(ChecklistItem.values), ChecklistEntryIn] = {}
    hazard_type: one_of(HazardType.values) = HazardType.NONE.value
    hazard_note: Text = ""
    confirmation_method: one_of(["", *ConfirmationMethod.values]) = ""
    signature: Annotated[str, Field(max_length=SIGNATURE_MAX_BYTES * 4 // 3 + 100)] = ""  # a PNG data: URL
    sms_code: Text = ""
    remarks: Text = ""


class CodeSentOut(Schema):
    """What happened to the code (decision 0032): ``sent`` only when an SMS channel took it
    (``delivery: "sms"``); without one no code is made (``delivery: "not_configured"``,
    ``expires_at: null``) and ``message`` says to ask for the customer's signature instead."""

    sent: bool
    delivery: str
    expires_at: datetime | None
    message: str


class AttachmentOut(Schema):
    id: int
    kind: str
    line: int | None
    original_name: str
    content_type: str
    size: int
    url: str


@router.post("/{order_id}/completion", response=OrderChangeOut, exclude_unset=True, summary="Complete an order with its completion report")
def complete_order(request, order_id: Id, payload: CompletionIn, expand: Expand = None):
    """The ``complete`` step with its report; the answer says what it changed (status, version,
    ``completed_at``, ``first_time_fix``, the callback deadline…), the whole order with ``?expand=detail``."""
    data = payload.dict(exclude={"expected_version"})
    return take_step(request, order_id=order_id, action="complete", data=data, expected_version=payload.expected_version, expand=expand)


@router.post(
    "/{order_id}/completion-code",
    response=CodeSentOut,
    summary="Send the customer the SMS code that confirms completion (if an SMS service is set up)",
)
def send_completion_code(request, order_id: Id):
    order = get_visible_or_404(WorkOrder, request.auth, pk=order_id)
    result = completion_code_send(order, request.auth)
    return CodeSentOut(sent=result["sent"], delivery=result["delivery"], expires_at=result["expires_at"], message=result["message"])


@router.post("/{order_id}/attachments", response={201: AttachmentOut}, summary="Upload a photo or PDF to an order")
def upload_attachment(
    request,
    order_id: Id,
    file: UploadedFile = File(...),  # noqa: B008 - Ninja's declaration style
    kind: one_of(AttachmentKind.values) = Form(AttachmentKind.PHOTO.value),  # noqa: B008
    line: Id | None = Form(None),  # noqa: B008
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
