from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.accounts import identity
from anxin.accounts.choices import ROLE_ORG_KINDS, Role
from anxin.accounts.models import ApiToken, OrgUnit, User
from anxin.core.errors import PermissionDenied, ValidationFailed


def user_create(*, username: str, password: str, role: str, org_unit: OrgUnit, display_name: str = "", extension: str = "") -> User:
    if role not in Role.values:
        raise ValidationFailed(fields={"role": _("Unknown role.")})
    if org_unit.kind not in ROLE_ORG_KINDS[role]:
        raise ValidationFailed(fields={"org_unit": _("This role cannot belong to this kind of organisation unit.")})
    user = User(username=username, role=role, org_unit=org_unit, display_name=display_name, extension=extension)
    user.set_password(password)
    user.save()
    return user


def api_token_admin_required(actor: User) -> None:
    """API tokens are managed by administrators (HQ service managers) only."""
    if not actor.has_role(Role.HQ_MANAGER):
        raise PermissionDenied(_("Only an administrator can manage API tokens."))


# The longest a token may be made to live (decision 0029): ten years.
API_TOKEN_MAX_DAYS = 3650


@transaction.atomic
def api_token_create(*, actor: User | None, user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the token row and the raw secret (shown once).

    It expires after ``days`` (default ``ANXIN_API_TOKEN_DAYS``); then requests with it answer 401.
    ``actor=None`` is the operator at the command line (``manage.py create_api_token``).
    """
    if actor is not None:
        api_token_admin_required(actor)
        if user.is_superuser and not actor.is_superuser:
            raise PermissionDenied(_("Only a superuser can create a token for a superuser."))
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Name the token after the integration that uses it.")
    elif len(name) > ApiToken._meta.get_field("name").max_length:
        errors["name"] = _("The name is too long.")
    if not user.is_active:
        errors["user_id"] = _("This user is not active.")
    days = settings.ANXIN_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= API_TOKEN_MAX_DAYS:
        errors["expires_in_days"] = _("A token lives from 1 to %(max)s days.") % {"max": API_TOKEN_MAX_DAYS}
    if errors:
        raise ValidationFailed(fields=errors)
    raw = "ax_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[3:11],
        token_hash=ApiToken.hash(raw),
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke a token at once (requests with it answer 401); revoking twice keeps the first time."""
    if actor is not None:
        api_token_admin_required(actor)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw_token: str) -> User | None:
    """The user of a live token: known, not revoked, not expired, its user active; else None (401).

    Token and user come from the identity cache (decision 0050): revoking drops the token's entry and
    a change to the user drops the user's, so both take effect on the next request; expiry is
    checked here, on every request, to the second. ``last_used_at`` is written at most once a minute.
    """
    found = identity.live_token(ApiToken.hash(raw_token))
    if found is None:
        return None
    token, user = found
    now = timezone.now()
    if token.expires_at <= now or user is None or not user.is_active:
        return None
    if identity.first_use_this_minute(token.token_id):
        ApiToken.objects.filter(pk=token.token_id).update(last_used_at=now)
    return user
