"""The identity cache (decision 0050): the user behind a session or an API token, read on every
request, is served from the ``identity`` cache (Redis in production, files in the embedded default)
instead of the database.

An entry is dropped whenever its row is saved or deleted through the ORM — a user (password, active
flag, role, unit), the user's organisation unit (kind, parent: the scope), an API token (revoked) —
so the next request of any app server reads the row again. A change leaves a short-lived tombstone
in place of the entry, once at once and again after its commit, and entries are stored with ``add``
(never over a tombstone): a request that read the old row just before the change committed cannot
store it after. ``ANXIN_IDENTITY_CACHE_SECONDS`` only bounds what a change past the ORM (raw SQL)
leaves behind.

The rules — which token is live, which user may log in — stay with their callers
(``services.api_token_authenticate``, ``backends.CachedModelBackend``); this module only keeps copies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from anxin.accounts.models import ApiToken, OrgUnit, User

ALIAS = "identity"
TOMBSTONE = "gone"
# How long a change keeps its entry from being stored again: far longer than a request takes
# between reading a row and storing it.
TOMBSTONE_SECONDS = 10
# An API token's last use is written at most once a minute.
LAST_USE_EVERY_SECONDS = 60


@dataclass(frozen=True)
class TokenEntry:
    """What the cache keeps of a token that was not revoked when it was read."""

    token_id: int
    user_id: int
    expires_at: datetime


def _cache():
    return caches[ALIAS]


@cache
def _shape() -> str:
    # Cached users are pickled model instances: a deploy that changes the columns of either model
    # reads under new keys instead of unpickling rows of the old shape.
    names = [f.attname for model in (User, OrgUnit) for f in model._meta.concrete_fields]
    return hashlib.sha256(",".join(names).encode()).hexdigest()[:8]


def user_key(user_id: int) -> str:
    return f"user:{_shape()}:{int(user_id)}"


def token_key(token_hash: str) -> str:
    return f"token:{token_hash}"


def _store(key: str, value, timeout: float) -> None:
    if timeout >= 1:
        _cache().add(key, value, int(timeout))


def user(user_id: int) -> User | None:
    """The user row (with its organisation unit) of ``user_id``; None when there is none."""
    key = user_key(user_id)
    found = _cache().get(key)
    if isinstance(found, User):
        return found
    row = User.objects.select_related("org_unit").filter(pk=user_id).first()
    if row is not None and found is None:
        _store(key, row, settings.ANXIN_IDENTITY_CACHE_SECONDS)
    return row


def live_token(token_hash: str) -> tuple[TokenEntry, User | None] | None:
    """The token of this hash if it is not revoked, with its user; None if unknown or revoked.

    Expiry is the caller's to check on every request: an entry lives at most until the token expires.
    """
    key = token_key(token_hash)
    found = _cache().get(key)
    if isinstance(found, TokenEntry):
        return found, user(found.user_id)
    token = ApiToken.objects.select_related("user__org_unit").filter(token_hash=token_hash, revoked_at__isnull=True).first()
    if token is None:
        return None
    entry = TokenEntry(token_id=token.pk, user_id=token.user_id, expires_at=token.expires_at)
    if found is None:
        until_expiry = (token.expires_at - timezone.now()).total_seconds()
        _store(key, entry, min(settings.ANXIN_IDENTITY_CACHE_SECONDS, until_expiry))
        _store(user_key(token.user_id), token.user, settings.ANXIN_IDENTITY_CACHE_SECONDS)
    return entry, token.user


def first_use_this_minute(token_id: int) -> bool:
    """True for the first use of a token in each minute: the one whose ``last_used_at`` is written."""
    return _cache().add(f"token-used:{int(token_id)}", 1, LAST_USE_EVERY_SECONDS)


def forget(*keys: str) -> None:
    """Drop entries now and again after the commit, leaving tombstones (see the module docstring)."""
    if not keys:
        return
    tombstones = dict.fromkeys(keys, TOMBSTONE)

    def bury():
        _cache().set_many(tombstones, TOMBSTONE_SECONDS)

    bury()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(bury)


# --- what drops entries ---------------------------------------------------------------------------


def _user_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) == {"last_login"}:
        # Every login writes last_login, which nothing reads from the request's user: a cached copy
        # stays good, so the requests right after a login are served from the cache.
        return
    if created:
        # Nobody can have read a row that did not exist; the delete covers a reused id (SQLite).
        _cache().delete(user_key(instance.pk))
        return
    forget(user_key(instance.pk))


def _user_deleted(sender, instance: User, **kwargs) -> None:
    forget(user_key(instance.pk))


def _unit_saved(sender, instance: OrgUnit, created: bool, **kwargs) -> None:
    if not created:
        forget(*(user_key(pk) for pk in User.objects.filter(org_unit_id=instance.pk).values_list("pk", flat=True)))


def _token_changed(sender, instance: ApiToken, created: bool = False, **kwargs) -> None:
    if not created:
        forget(token_key(instance.token_hash))


def connect() -> None:
    """Called by ``AccountsConfig.ready``."""
    post_save.connect(_user_saved, sender=User, dispatch_uid="identity.user_saved")
    post_delete.connect(_user_deleted, sender=User, dispatch_uid="identity.user_deleted")
    post_save.connect(_unit_saved, sender=OrgUnit, dispatch_uid="identity.unit_saved")
    post_save.connect(_token_changed, sender=ApiToken, dispatch_uid="identity.token_saved")
    post_delete.connect(_token_changed, sender=ApiToken, dispatch_uid="identity.token_deleted")
