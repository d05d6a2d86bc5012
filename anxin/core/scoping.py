"""Object-level scoping: ONE mechanism for every list, detail, export and API endpoint.

Each scoped model defines a classmethod ``scope_q(user) -> Q | None`` saying how a row reaches
the organisation units a user may see (``None`` means everything). Its manager is built from
``ScopedQuerySet`` and every read goes through ``Model.objects.visible_to(user)``; a row outside
the scope is a 404, never a 403, so its existence is not revealed.
"""

from __future__ import annotations

from django.db import models
from django.shortcuts import get_object_or_404


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if not user.is_superuser and getattr(user, "org_unit_id", None) is None:
            return self.none()  # a user not yet placed in the network sees nothing
        q = self.model.scope_q(user)
        if q is None:
            return self
        return self.filter(q)


def get_visible_or_404(model, user, **lookup):
    """The detail-page counterpart of ``visible_to``: out of scope answers 404."""
    return get_object_or_404(model.objects.visible_to(user), **lookup)
