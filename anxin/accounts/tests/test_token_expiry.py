"""API tokens expire (decision 0029): a default lifetime from ANXIN_API_TOKEN_DAYS, shown in the
token list; an expired token answers 401 like a revoked one. Issue 9, item 9."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from unittest import mock

from django.core.cache import caches
from django.core.management import call_command
from django.utils import timezone

from anxin.accounts import identity
from anxin.accounts.models import ApiToken
from anxin.accounts.services import api_token_create
from anxin.core.tests.apiclient import api, assert_error


def test_a_new_token_expires_after_the_configured_days(world, settings):
    settings.ANXIN_API_TOKEN_DAYS = 30
    before = timezone.now()
    token, _ = api_token_create(actor=world.hq_manager, user=world.agent, name="ERP")
    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)


def test_the_api_sets_the_lifetime_and_the_list_shows_it(world):
    client = api(world.hq_manager)
    created = client.post("/tokens", {"user_id": world.agent.pk, "name": "PBX", "expires_in_days": 7})
    assert created.status_code == 201, created.content
    token = ApiToken.objects.get()
    assert timedelta(days=6, hours=23) < token.expires_at - token.created_at <= timedelta(days=7, seconds=1)
    listed = client.get("/tokens").json()
    assert listed[0]["expires_at"] == created.json()["expires_at"]
    assert listed[0]["expired"] is False
    assert_error(client.post("/tokens", {"user_id": world.agent.pk, "name": "x", "expires_in_days": 0}), 422, fields=("expires_in_days",))
    assert_error(
        client.post("/tokens", {"user_id": world.agent.pk, "name": "x", "expires_in_days": 3651}), 422, fields=("expires_in_days",)
    )


def test_an_expired_token_answers_401_and_is_listed_as_expired(world):
    token, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="ERP")
    assert api(token=raw).get("/me").status_code == 200
    # The token is now in the identity cache (decision 0050); expiry is still honoured to the second.
    assert isinstance(caches["identity"].get(identity.token_key(token.token_hash)), identity.TokenEntry)
    with mock.patch("django.utils.timezone.now", return_value=token.expires_at - timedelta(seconds=1)):
        assert api(token=raw).get("/me").status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=token.expires_at):
        assert_error(api(token=raw).get("/me"), 401, "unauthenticated")
        listed = api(world.hq_manager).get("/tokens").json()
    assert [(t["id"], t["expired"]) for t in listed] == [(token.pk, True)]


def test_a_token_expired_before_it_was_first_used_answers_401(world):
    token, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="ERP")
    with mock.patch("django.utils.timezone.now", return_value=token.expires_at + timedelta(days=1)):
        assert_error(api(token=raw).get("/me"), 401, "unauthenticated")


def test_the_command_line_takes_the_lifetime(world):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "agent", "PBX", "--days", "90", stdout=out, stderr=err)
    token = ApiToken.objects.get()
    assert timedelta(days=89, hours=23) < token.expires_at - token.created_at <= timedelta(days=90, seconds=1)
    assert f"{token.expires_at:%Y-%m-%d}" in err.getvalue()
