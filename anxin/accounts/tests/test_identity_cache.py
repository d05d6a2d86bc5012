"""Identity off the hot path (issue 11 item 5, decision 0050): the session, the user behind it and
the user behind an API token come from the identity cache, and every change that matters — logout,
password change, deactivation, a new role or unit, revocation — takes effect on the next request."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from anxin.accounts import identity
from anxin.accounts.backends import CachedModelBackend
from anxin.accounts.choices import Role
from anxin.accounts.models import User
from anxin.accounts.services import api_token_create, api_token_revoke
from anxin.core.tests.apiclient import api, assert_error
from anxin.testing import PASSWORD

NEW_PASSWORD = "Kx9-mQ2v-Lp7w"
IDENTITY_TABLES = ("django_session", "accounts_user", "accounts_orgunit", "accounts_apitoken")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def me(client: Client, **headers):
    return client.get("/api/v1/me", headers=headers)


def identity_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if any(f'"{t}"' in q["sql"] for t in IDENTITY_TABLES)]


# --- query counts -------------------------------------------------------------------------------


def test_a_session_request_with_a_warm_cache_reads_neither_session_nor_user(world, django_assert_num_queries):
    client = logged_in(world.dispatcher)
    caches["identity"].clear()
    with django_assert_num_queries(2):  # cold: the session row, the user row with its unit
        assert me(client).json()["org_unit"] == world.outlet.name
    with django_assert_num_queries(0):  # warm (before the cache: 3 on every request)
        assert me(client).json()["org_unit"] == world.outlet.name


def test_a_page_with_a_warm_cache_makes_two_queries_fewer(world):
    client = logged_in(world.dispatcher)
    caches["identity"].clear()
    with CaptureQueriesContext(connection) as cold:
        assert client.get(reverse("notification_list")).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert client.get(reverse("notification_list")).status_code == 200
    assert len(identity_queries(cold)) == 2
    assert identity_queries(warm) == []
    assert len(warm.captured_queries) == len(cold.captured_queries) - 2


def test_a_token_request_with_a_warm_cache_makes_no_query(world, django_assert_num_queries):
    token, raw = api_token_create(actor=world.hq_manager, user=world.dispatcher, name="ERP")
    with django_assert_num_queries(2):  # cold: the token with its user and unit; last_used_at written
        assert api(token=raw).get("/me").json()["username"] == "dispatcher"
    with django_assert_num_queries(0):  # warm, and last_used_at is not written again within the minute
        assert api(token=raw).get("/me").json()["username"] == "dispatcher"
    token.refresh_from_db()
    assert token.last_used_at is not None


# --- sessions -------------------------------------------------------------------------------------


def test_after_logout_the_old_session_cookie_no_longer_authenticates(world):
    client = logged_in(world.dispatcher)
    assert me(client).status_code == 200  # the session is now in the cache
    cookie = client.cookies["sessionid"].value
    assert client.post(reverse("logout")).status_code == 302
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert_error(me(replay), 401, "unauthenticated")
    assert replay.get(reverse("home")).status_code == 302  # to the login page


def test_a_password_change_logs_out_the_users_other_sessions_and_keeps_this_one(world):
    this, other = Client(), Client()
    for client in (this, other):
        assert client.post(reverse("login"), {"username": "dispatcher", "password": PASSWORD}).status_code == 302
        assert me(client).status_code == 200  # session and user cached
    response = this.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302, response.content
    assert me(this).status_code == 200
    assert_error(me(other), 401, "unauthenticated")
    assert Client().post(reverse("login"), {"username": "dispatcher", "password": NEW_PASSWORD}).status_code == 302


def test_a_deactivated_user_is_logged_out_on_the_next_request(world):
    client = logged_in(world.dispatcher)
    assert me(client).status_code == 200
    world.dispatcher.is_active = False
    world.dispatcher.save()
    assert_error(me(client), 401, "unauthenticated")


def test_a_new_role_takes_effect_on_the_next_request(world):
    client = logged_in(world.dispatcher)
    assert me(client).json()["role"] == Role.OUTLET_MANAGER
    world.dispatcher.role = Role.PARTS_CLERK
    world.dispatcher.save()
    assert me(client).json()["role"] == Role.PARTS_CLERK


def test_a_move_to_another_unit_changes_the_scope_on_the_next_request(world):
    order = world.order()
    client = api(world.dispatcher)
    assert client.get(f"/orders/{order.pk}").status_code == 200
    world.dispatcher.org_unit = world.other_outlet
    world.dispatcher.save()
    assert_error(client.get(f"/orders/{order.pk}"), 404, "not_found")
    assert client.get("/me").json()["org_unit"] == world.other_outlet.name


def test_a_change_to_the_users_unit_shows_on_the_next_request(world):
    client = logged_in(world.dispatcher)
    assert me(client).json()["org_unit"] == world.outlet.name
    world.outlet.name = "西湖服务中心"
    world.outlet.save()
    assert me(client).json()["org_unit"] == "西湖服务中心"


# --- tokens ---------------------------------------------------------------------------------------


def test_a_revoked_token_answers_401_although_it_was_cached(world):
    token, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    assert api(token=raw).get("/me").status_code == 200
    assert isinstance(caches["identity"].get(identity.token_key(token.token_hash)), identity.TokenEntry)
    api_token_revoke(actor=world.hq_manager, token=token)
    assert_error(api(token=raw).get("/me"), 401, "unauthenticated")


def test_a_token_revoked_through_the_api_answers_401_at_once(world):
    token, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    assert api(token=raw).get("/me").status_code == 200
    assert api(world.hq_manager).delete(f"/tokens/{token.pk}").status_code == 204
    assert_error(api(token=raw).get("/me"), 401, "unauthenticated")


def test_the_token_of_a_user_deactivated_after_caching_answers_401(world):
    _, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    assert api(token=raw).get("/me").status_code == 200
    world.agent.is_active = False
    world.agent.save()
    assert_error(api(token=raw).get("/me"), 401, "unauthenticated")


def test_a_token_acts_with_the_users_new_role_on_the_next_request(world):
    _, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    assert api(token=raw).get("/me").json()["role"] == Role.AGENT
    world.agent.role = Role.CALLBACK_AGENT
    world.agent.save()
    assert api(token=raw).get("/me").json()["role"] == Role.CALLBACK_AGENT


# --- the cache itself -------------------------------------------------------------------------------


def test_a_row_read_before_a_change_cannot_be_stored_after_it(world, django_capture_on_commit_callbacks):
    # Another request read the user just before the change committed and stores it just after.
    stale = User.objects.select_related("org_unit").get(pk=world.dispatcher.pk)
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        world.dispatcher.role = Role.PARTS_CLERK
        world.dispatcher.save()
    assert after_commit  # the tombstone is laid again once the change is visible to others
    identity._store(identity.user_key(stale.pk), stale, 600)
    assert identity.user(world.dispatcher.pk).role == Role.PARTS_CLERK


def test_a_login_keeps_the_cached_user(world, django_assert_num_queries):
    identity.user(world.dispatcher.pk)
    logged_in(world.dispatcher)  # writes last_login
    with django_assert_num_queries(0):
        assert identity.user(world.dispatcher.pk).pk == world.dispatcher.pk


def test_the_async_lookup_answers_like_the_sync_one(world):
    backend = CachedModelBackend()
    assert async_to_sync(backend.aget_user)(world.dispatcher.pk) == world.dispatcher
    world.dispatcher.is_active = False
    world.dispatcher.save()
    assert async_to_sync(backend.aget_user)(world.dispatcher.pk) is None
