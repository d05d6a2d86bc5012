"""My notifications over the API: list, mark read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Router, Schema
from pydantic import Field

from anxin.core.api import Id
from anxin.notifications.services import mark_read, notifications_for, render, unread_count

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    order_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationList(Schema):
    unread: int
    items: list[NotificationOut]


class ReadIn(Schema):
    ids: Annotated[list[Id], Field(max_length=1000)] = []
    all: bool = False


class ReadOut(Schema):
    updated: int
    unread: int


@router.get("", response=NotificationList)
def notification_list(request, unread: bool = False, limit: Annotated[int, Field(ge=1, le=200)] = 50):
    """The caller's own notifications, newest first; texts in the request's language."""
    rows = list(notifications_for(user=request.auth, unread_only=unread)[:limit])
    items = []
    for n in rows:
        title, body = render(n)
        items.append(
            NotificationOut(
                id=n.pk, kind=n.kind, title=title, body=body, url=n.url, order_id=n.order_id, created_at=n.created_at, read_at=n.read_at
            )
        )
    return NotificationList(unread=unread_count(request.auth), items=items)


@router.post("/read", response=ReadOut)
def notification_read(request, payload: ReadIn):
    """Mark the given ids (or ``all``) read; other users' ids are ignored."""
    updated = mark_read(request.auth, "all" if payload.all else payload.ids)
    return ReadOut(updated=updated, unread=unread_count(request.auth))
