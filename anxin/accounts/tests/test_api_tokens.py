"""API tokens: administrators create (raw token shown once), list and revoke; the command line too."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from anxin.accounts.models import ApiToken
from anxin.accounts.services import api_token_create, api_token_revoke
from anxin.core.errors import PermissionDenied, ValidationFailed
from anxin.core.models import IdempotencyRecord
from anxin.core.tests.apiclient import api, assert_error

NON_ADMINS = ["tech_lead", "quality", "settlement", "region_director", "agent", "callback_agent", "parts_clerk", "dispatcher", "dealer"]


def test_admin_creates_a_token_shown_once(world):
    response = api(world.hq_manager).post("/tokens", {"user_id": world.agent.pk, "name": "PBX screen pop"})
    assert response.status_code == 201, response.content
    body = response.json()
    raw = body["token"]
    assert raw.startswith("ax_") and len(raw) > 40
    assert body["prefix"] == raw[3:11]
    assert body["username"] == "agent"
    assert body["created_by"] == "hq_manager"
    token = ApiToken.objects.get(pk=body["id"])
    assert token.token_hash == ApiToken.hash(raw)
    assert raw not in token.token_hash  # only the hash is stored
    # Shown once: neither the list nor the token itself reveals it again.
    listed = api(world.hq_manager).get("/tokens").json()
    assert [t["id"] for t in listed] == [token.pk]
    assert "token" not in listed[0]
    assert raw not in api(world.hq_manager).get("/tokens").content.decode()
    # And it works.
    assert api(token=raw).get("/me").json()["username"] == "agent"


def test_token_creation_with_an_idempotency_key_never_stores_or_replays_the_secret(world):
    client = api(world.hq_manager)
    payload = {"user_id": world.agent.pk, "name": "PBX"}
    first = client.post("/tokens", payload, key="mint-1")
    assert first.status_code == 201
    assert "no-store" in first["Cache-Control"]
    raw = first.json()["token"]
    assert not any(raw.encode() in bytes(r.body) for r in IdempotencyRecord.objects.all())
    retry = client.post("/tokens", payload, key="mint-1")
    assert_error(retry, 409, "idempotency_not_replayable")
    assert raw not in retry.content.decode()
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_others_may_not_create_tokens(world, persona):
    response = api(world.users[persona]).post("/tokens", {"user_id": world.users[persona].pk, "name": "mine"})
    assert_error(response, 403, "forbidden")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("persona", NON_ADMINS)
def test_others_may_not_list_or_revoke_tokens(world, persona):
    token, _ = api_token_create(actor=world.hq_manager, user=world.users[persona], name="theirs")
    client = api(world.users[persona])
    assert_error(client.get("/tokens"), 403, "forbidden")
    assert_error(client.delete(f"/tokens/{token.pk}"), 403, "forbidden")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_cannot_be_used_to_grant_itself_more(world):
    _, raw = api_token_create(actor=world.hq_manager, user=world.dispatcher, name="ERP")
    assert_error(api(token=raw).post("/tokens", {"user_id": world.hq_manager.pk, "name": "escalate"}), 403, "forbidden")


def test_unknown_user_and_blank_name_are_field_errors(world):
    client = api(world.hq_manager)
    assert_error(client.post("/tokens", {"user_id": 999999, "name": "x"}), 400, "invalid", fields=("user_id",))
    assert_error(client.post("/tokens", {"user_id": world.agent.pk, "name": "  "}), 400, "invalid", fields=("name",))
    assert_error(client.post("/tokens", {"user_id": world.agent.pk}), 422, "invalid", fields=("name",))
    assert not ApiToken.objects.exists()


def test_no_token_for_an_inactive_user(world):
    world.agent.is_active = False
    world.agent.save()
    assert_error(api(world.hq_manager).post("/tokens", {"user_id": world.agent.pk, "name": "x"}), 400, "invalid", fields=("user_id",))


def test_an_hq_manager_cannot_mint_a_superuser_token(world):
    world.agent.is_superuser = True
    world.agent.save()
    with pytest.raises(PermissionDenied):
        api_token_create(actor=world.hq_manager, user=world.agent, name="root")


def test_revoke_takes_effect_at_once(world):
    token, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    assert api(token=raw).get("/me").status_code == 200
    response = api(world.hq_manager).delete(f"/tokens/{token.pk}")
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_error(api(token=raw).get("/me"), 401, "unauthenticated")
    # Listed only on request, and revoking again changes nothing.
    assert api(world.hq_manager).get("/tokens").json() == []
    listed = api(world.hq_manager).get("/tokens", include_revoked="true").json()
    assert listed[0]["revoked_at"] is not None
    first_revocation = token.revoked_at
    assert api(world.hq_manager).delete(f"/tokens/{token.pk}").status_code == 204
    token.refresh_from_db()
    assert token.revoked_at == first_revocation


def test_revoking_an_unknown_token_is_404(world):
    assert_error(api(world.hq_manager).delete("/tokens/999999"), 404, "not_found")


def test_services_refuse_non_admins(world):
    token, _ = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    with pytest.raises(PermissionDenied):
        api_token_create(actor=world.agent, user=world.agent, name="mine")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=world.agent, token=token)
    with pytest.raises(ValidationFailed):
        api_token_create(actor=world.hq_manager, user=world.agent, name="x" * 101)


def test_command_prints_a_working_token(world):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "dispatcher", "Outlet ERP", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("ax_")
    assert "\n" not in raw  # only the token on stdout, so scripts can capture it
    token = ApiToken.objects.get()
    assert token.user == world.dispatcher
    assert token.name == "Outlet ERP"
    assert token.created_by is None
    assert token.prefix in err.getvalue()
    assert api(token=raw).get("/me").json()["username"] == "dispatcher"


def test_command_refuses_an_unknown_user(world):
    with pytest.raises(CommandError, match="nobody"):
        call_command("create_api_token", "nobody", "x", stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_command_refuses_a_blank_name(world):
    with pytest.raises(CommandError, match="name"):
        call_command("create_api_token", "agent", " ", stdout=StringIO(), stderr=StringIO())
