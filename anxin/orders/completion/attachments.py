"""Files on a work order (附件): photos, signatures, PDFs.

The type is decided by the file's first bytes (never by its name or the browser's claim) and the
size is checked against the limit of that type; a refused file names the limit. Files go through
``default_storage`` under ``MEDIA_ROOT`` and are served only by ``views_completion.attachment_download``,
which checks that the order is visible to the user. A file stored inside a write that then fails
is deleted again (``files_removed_on_error``): the rolled-back row leaves no file behind.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from anxin.core.errors import NotFound, PermissionDenied, ValidationFailed
from anxin.orders.choices import AttachmentKind, OrderStatus
from anxin.orders.models import Attachment, OrderLine, WorkOrder

MB = 1024 * 1024
IMAGE_MAX_BYTES = 5 * MB
PDF_MAX_BYTES = 10 * MB

JPEG, PNG, WEBP, PDF = "image/jpeg", "image/png", "image/webp", "application/pdf"
IMAGE_TYPES = (JPEG, PNG, WEBP)
EXTENSIONS = {JPEG: "jpg", PNG: "png", WEBP: "webp", PDF: "pdf"}
# No new files on an order that is finished for good.
FROZEN_STATUSES = (OrderStatus.CLOSED, OrderStatus.CANCELLED)

logger = logging.getLogger(__name__)
# The names stored inside the current ``files_removed_on_error`` block (None outside one).
_stored_in_block: ContextVar[list[str] | None] = ContextVar("anxin_stored_files", default=None)


@contextmanager
def files_removed_on_error() -> Iterator[None]:
    """Delete the files ``attachment_store`` saved inside the block if the block raises.

    Put it around the write's ``transaction.atomic()``: when the transaction rolls back, the rows
    that named the files are gone, so the files go too. A nested block joins the outer one."""
    if _stored_in_block.get() is not None:
        yield
        return
    names: list[str] = []
    token = _stored_in_block.set(names)
    try:
        yield
    except BaseException:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:  # the storage itself failed: say so, keep the original error
                logger.warning("could not delete %s after a rolled-back write", name)
        raise
    finally:
        _stored_in_block.reset(token)


def sniff_content_type(head: bytes) -> str | None:
    """The content type told by the file's magic bytes, or ``None`` when it is none we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def max_bytes_for(content_type: str) -> int:
    return PDF_MAX_BYTES if content_type == PDF else IMAGE_MAX_BYTES


def _file_size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        pos = file.tell()
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(pos)
    return int(size)


def _display_name(file) -> str:
    name = os.path.basename(str(getattr(file, "name", "") or "")).strip()
    return name[:200] or _("file")


def attachment_problem(file, *, images_only: bool = False) -> tuple[str | None, str | None]:
    """``(content_type, None)`` when ``file`` may be stored, else ``(None, message naming the limit)``."""
    name = _display_name(file)
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    content_type = sniff_content_type(head or b"")
    if content_type is None or (images_only and content_type not in IMAGE_TYPES):
        if images_only:
            return None, _("“%(name)s”: only JPEG, PNG or WebP images are accepted.") % {"name": name}
        return None, _("“%(name)s”: only JPEG, PNG, WebP or PDF files are accepted.") % {"name": name}
    limit = max_bytes_for(content_type)
    if _file_size(file) > limit:
        return None, _("“%(name)s” is larger than %(limit)s MB.") % {"name": name, "limit": limit // MB}
    return content_type, None


def attachment_store(*, actor, order: WorkOrder, file, kind: str, content_type: str, line: OrderLine | None = None) -> Attachment:
    """Save an already checked file (see ``attachment_problem``); callers run inside their transaction."""
    attachment = Attachment(
        order=order,
        line=line,
        kind=kind,
        original_name=_display_name(file),
        content_type=content_type,
        size=_file_size(file),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    file.seek(0)
    # A random stored name: the customer's file name is kept only as a label.
    attachment.file.save(f"{uuid.uuid4().hex}.{EXTENSIONS[content_type]}", file, save=False)
    stored = _stored_in_block.get()
    if stored is not None:
        stored.append(attachment.file.name)
    attachment.save()
    return attachment


def attachment_add(actor, order: WorkOrder, file, kind: str = AttachmentKind.PHOTO, line: OrderLine | int | None = None) -> Attachment:
    """Attach ``file`` to ``order`` (and optionally one of its lines) after checking type and size.

    The order must be visible to ``actor`` (else ``NotFound``) and not closed or cancelled.
    """
    errors: dict[str, str] = {}
    if kind not in AttachmentKind.values:
        errors["kind"] = _("Unknown attachment kind.")
    with files_removed_on_error(), transaction.atomic():
        visible = WorkOrder.objects.visible_to(actor).filter(pk=order.pk).first() if actor is not None else order
        if visible is None:
            raise NotFound(_("Work order not found."))
        if visible.status in FROZEN_STATUSES:
            raise PermissionDenied(_("Files cannot be added to a closed or cancelled order."))
        line_obj = None
        if line is not None:
            line_id = line.pk if isinstance(line, OrderLine) else line
            line_obj = OrderLine.objects.filter(pk=line_id, order=visible).first()
            if line_obj is None:
                errors["line"] = _("This appliance is not on the order.")
        if file is None:
            errors["file"] = _("Choose a file.")
            content_type = None
        else:
            content_type, problem = attachment_problem(file, images_only=kind == AttachmentKind.SIGNATURE)
            if problem:
                errors["file"] = problem
        if errors:
            raise ValidationFailed(fields=errors)
        return attachment_store(actor=actor, order=visible, file=file, kind=kind, content_type=content_type, line=line_obj)


def content_file(data: bytes, name: str) -> ContentFile:
    return ContentFile(data, name=name)
