"""The authentication backend: Django's ModelBackend, its per-request user lookup served from the
identity cache (decision 0050)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend

from anxin.accounts import identity


class CachedModelBackend(ModelBackend):
    """Logs in like ``ModelBackend``; ``get_user`` — run on every request of a session — reads the
    identity cache. Django then checks the session's password hash against that user, so a password
    change (which drops the cached user) logs out the user's other sessions."""

    def get_user(self, user_id):
        user = identity.user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        return await sync_to_async(self.get_user)(user_id)
