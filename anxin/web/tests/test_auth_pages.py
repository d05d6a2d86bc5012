"""Login, lockout and password pages."""

from __future__ import annotations

from datetime import timedelta

from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from anxin.testing import PASSWORD


def test_anonymous_root_redirects_to_the_login_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/")


def test_login_page_renders_the_form_in_chinese_by_default(client, db):
    response = client.get(reverse("login"))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in page
    assert 'name="username"' in page and 'name="password"' in page and "csrfmiddlewaretoken" in page
    assert "安心" in page
    assert 'class="sidenav"' not in page  # no navigation before login


def test_login_works_and_lands_on_the_dashboard(client, world):
    response = client.post(reverse("login"), {"username": "agent", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == world.agent


def test_wrong_password_shows_an_error(client, world):
    response = client.post(reverse("login"), {"username": "agent", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'role="alert"' in response.content.decode()


def test_locked_out_page_renders(db):
    request = RequestFactory().get("/accounts/login/")
    html = render_to_string(
        "registration/locked_out.html", {"failure_limit": 5, "cooloff_timedelta": timedelta(minutes=15)}, request=request
    )
    assert "15" in html and reverse("login") in html and "data-locked-out" in html


def test_password_change_pages(client, world):
    client.force_login(world.agent)
    response = client.get(reverse("password_change"))
    assert response.status_code == 200
    assert 'name="old_password"' in response.content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Anxin-new-pass-9876", "new_password2": "Anxin-new-pass-9876"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert response.status_code == 200
    bad = client.post(reverse("password_change"), {"old_password": "wrong", "new_password1": "x", "new_password2": "y"})
    assert bad.status_code == 200 and bad.context["form"].errors
