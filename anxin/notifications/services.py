"""Notifications: ``notify`` writes the in-app rows and hands them to every registered channel.

Channels: the in-app bell is built in (the ``Notification`` rows themselves). Others — SMS, e-mail,
a WeCom bot — plug in with ``register_channel(name, fn)``; ``fn(notifications)`` is called once per
``notify`` after the transaction commits, with the saved rows, and decides itself which
recipients it reaches (e.g. those with a mobile number). A failing channel is logged and never
undoes the in-app notification. See docs/decisions/0015-notifications.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Literal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.notifications.models import Notification

logger = logging.getLogger("anxin.notifications")

Channel = Callable[[list[Notification]], None]
_channels: dict[str, Channel] = {}

TRANSLATE_KEY = "_translate"  # params whose values are English msgids, translated at display time too


def register_channel(name: str, fn: Channel) -> Channel:
    """Add (or replace) a delivery channel besides the built-in in-app one."""
    _channels[name] = fn
    return fn


def unregister_channel(name: str) -> None:
    _channels.pop(name, None)


def channels() -> list[str]:
    return ["in_app", *_channels]


def _deliver(rows: list[Notification]) -> None:
    for name, fn in list(_channels.items()):
        try:
            fn(rows)
        except Exception:  # one broken channel must not stop the others (nor the caller)
            logger.exception("notification channel %s failed", name)


def notify(
    recipients: Iterable,
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    order=None,
    params: dict | None = None,
    translate: Iterable[str] = (),
) -> list[Notification]:
    """Notify each distinct active recipient once; returns the saved rows.

    ``title`` and ``body`` are English message ids marked with ``gettext_noop`` at the call site,
    with ``%(name)s`` placeholders filled from ``params`` when shown; the params named in
    ``translate`` hold message ids themselves (a clock's name, a state) and are translated too.
    """
    seen: set[int] = set()
    users = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        users.append(user)
    if not users:
        return []
    stored = dict(params or {})
    keys = sorted(set(translate))
    if keys:
        stored[TRANSLATE_KEY] = keys
    with transaction.atomic():
        rows = Notification.objects.bulk_create(
            [Notification(recipient=u, kind=kind, title=title[:200], body=body, params=stored, url=url[:300], order=order) for u in users]
        )
        if _channels:
            transaction.on_commit(lambda: _deliver(rows))
    return rows


def _fill(msgid: str, params: dict) -> str:
    if not msgid:
        return ""
    text = _(msgid)
    values = {k: v for k, v in params.items() if k != TRANSLATE_KEY}
    for key in params.get(TRANSLATE_KEY, ()):
        if isinstance(values.get(key), str) and values[key]:
            values[key] = _(values[key])
    if "%(" not in text:
        return text
    try:
        return text % values
    except (KeyError, TypeError, ValueError):
        return text  # a placeholder without its value: show the text rather than fail the page


def render(notification: Notification) -> tuple[str, str]:
    """(title, body) in the active language (the reader's: the request's language)."""
    params = notification.params or {}
    return _fill(notification.title, params), _fill(notification.body, params)


def notifications_for(*, user, unread_only: bool = False):
    """The user's own notifications, newest first (nobody sees anyone else's)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user) -> int:
    return notifications_for(user=user, unread_only=True).count()


def mark_read(user, ids: Iterable[int] | Literal["all"]) -> int:
    """Mark the user's own notifications read (``ids="all"`` for every one); returns how many changed.

    Ids of other users' notifications are ignored, never an error (they are not revealed)."""
    qs = notifications_for(user=user, unread_only=True)
    if ids != "all":
        wanted = set()
        for value in ids:
            try:
                wanted.add(int(value))
            except (TypeError, ValueError):
                continue
        qs = qs.filter(pk__in=wanted)
    return qs.update(read_at=timezone.now())
