from __future__ import annotations

from django.db.models import QuerySet

from anxin.accounts.models import ApiToken, User
from anxin.accounts.services import api_token_admin_required


def api_token_list(*, actor: User, include_revoked: bool = False) -> QuerySet[ApiToken]:
    """API tokens, newest first; only administrators (HQ managers) may see them."""
    api_token_admin_required(actor)
    qs = ApiToken.objects.select_related("user", "created_by").order_by("-created_at", "-id")
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return qs
