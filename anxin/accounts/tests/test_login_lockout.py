"""Login throttling (django-axes): repeated failures lock the username at that address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from anxin.testing import PASSWORD


@pytest.fixture(autouse=True)
def _axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


def login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_right_password_logs_in(world):
    client = Client()
    response = login(client, "agent", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_five_failures_lock_out_even_the_right_password(world):
    client = Client()
    for _ in range(4):
        response = login(client, "agent", "wrong-password")
        assert response.status_code == 200  # the form again, with an error
        assert not logged_in(client)
    assert login(client, "agent", "wrong-password").status_code == 429
    response = login(client, "agent", PASSWORD)
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert not logged_in(client)


def test_lockout_is_per_username(world):
    client = Client()
    for _ in range(5):
        login(client, "agent", "wrong-password")
    assert login(client, "dispatcher", PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(world):
    client = Client()
    for _ in range(4):
        login(client, "agent", "wrong-password")
    assert login(client, "agent", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert login(client, "agent", "wrong-password").status_code == 200
    assert login(client, "agent", PASSWORD).status_code == 302


def test_lockout_is_on_by_default():
    from django.conf import settings as django_settings

    assert django_settings.AXES_ENABLED is True
    assert "axes.backends.AxesStandaloneBackend" in django_settings.AUTHENTICATION_BACKENDS
    assert "axes.middleware.AxesMiddleware" in django_settings.MIDDLEWARE
