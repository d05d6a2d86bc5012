from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from anxin.accounts.models import ApiToken, User
from anxin.accounts.selectors import api_token_list
from anxin.accounts.services import API_TOKEN_MAX_DAYS, api_token_admin_required, api_token_create, api_token_revoke
from anxin.core.api import Id, model_text
from anxin.core.errors import ValidationFailed

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    org_unit: str | None
    org_kind: str | None


class TokenIn(Schema):
    user_id: Id
    name: model_text(ApiToken, "name")
    # Default ANXIN_API_TOKEN_DAYS (365); after it, requests with the token answer 401.
    expires_in_days: Annotated[int, Field(ge=1, le=API_TOKEN_MAX_DAYS)] | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    user_id: int
    username: str
    created_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime
    expired: bool


class TokenCreatedOut(TokenOut):
    token: str


def token_out(token: ApiToken) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "user_id": token.user_id,
        "username": token.user.username,
        "created_at": token.created_at,
        "created_by": token.created_by.username if token.created_by else None,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
        "expires_at": token.expires_at,
        "expired": token.expires_at <= timezone.now(),
    }


@router.get("/me", response=MeOut)
def me(request):
    user = request.auth
    return MeOut(
        id=user.pk,
        username=user.username,
        display_name=str(user),
        role=user.role,
        org_unit=user.org_unit.name if user.org_unit else None,
        org_kind=user.org_unit.kind if user.org_unit else None,
    )


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request, include_revoked: bool = False):
    return [token_out(t) for t in api_token_list(actor=request.auth, include_revoked=include_revoked)]


@router.post("/tokens", response={201: TokenCreatedOut})
def create_token(request, payload: TokenIn, response: HttpResponse):
    """Create a token for a user (administrators only). The raw token is in this response only."""
    response["Cache-Control"] = "no-store"  # nor kept by caches or the Idempotency-Key store
    api_token_admin_required(request.auth)  # before revealing whether the user exists
    user = User.objects.filter(pk=payload.user_id).first()
    if user is None:
        raise ValidationFailed(fields={"user_id": _("User not found.")})
    token, raw = api_token_create(actor=request.auth, user=user, name=payload.name, days=payload.expires_in_days)
    return Status(201, {**token_out(token), "token": raw})


@router.delete("/tokens/{token_id}", response={204: None})
def revoke_token(request, token_id: Id):
    """Revoke a token at once (administrators only); later requests with it answer 401."""
    token = get_object_or_404(api_token_list(actor=request.auth, include_revoked=True), pk=token_id)
    api_token_revoke(actor=request.auth, token=token)
    return Status(204, None)
