"""What core needs of accounts is named in settings, not imported (decision 0043): the names must
stay true to accounts."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from anxin.accounts.choices import Role
from anxin.accounts.services import api_token_authenticate
from anxin.core.outbox import may_manage_outbox


def test_the_token_authenticator_core_calls_is_accounts_own():
    assert import_string(settings.ANXIN_API_TOKEN_AUTHENTICATOR) is api_token_authenticate


def test_the_outbox_manager_roles_are_roles_and_mean_hq_managers(world):
    assert set(settings.ANXIN_OUTBOX_MANAGER_ROLES) <= set(Role.values)
    assert may_manage_outbox(world.users["hq_manager"])
    assert not may_manage_outbox(world.agent)
