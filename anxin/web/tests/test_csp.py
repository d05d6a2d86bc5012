"""Content-Security-Policy (decision 0034): every page carries it, it refuses inline script, and the
templates need nothing it refuses (the browser tests also assert no violation on the pages they visit)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

TEMPLATES = sorted(Path(settings.BASE_DIR, "anxin").glob("*/templates/**/*.html"))


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("name", ["login", "home", "order_list", "customer_list"])
def test_pages_carry_a_policy_that_refuses_inline_script(client, world, name):
    if name != "login":
        client.force_login(world.hq_manager)
    response = client.get(reverse(name))
    assert response.status_code == 200
    csp = policy(response)
    script = csp.get("script-src", csp["default-src"])
    assert script == ["'self'"]
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]


def test_the_api_answers_with_the_policy_too(client, world):
    client.force_login(world.hq_manager)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert policy(response)["default-src"] == ["'self'"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_templates_need_nothing_the_policy_refuses(path):
    """No inline <script>, on*= handler, javascript: URL, <style> or style= attribute: behaviour goes
    to static JS (app.js reads data- attributes), styles to static CSS."""
    text = re.sub(r"{#.*?#}", "", path.read_text(encoding="utf-8"), flags=re.S)  # template comments
    for pattern in (INLINE_SCRIPT, HANDLER, STYLE, JS_URL):
        found = pattern.search(text)
        assert found is None, f"{path.name}: {found.group(0)!r} is refused by the Content-Security-Policy"


def test_htmx_neither_injects_styles_nor_evaluates_attributes():
    base = Path(settings.BASE_DIR, "anxin/web/templates/web/base.html").read_text(encoding="utf-8")
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base)
    assert config and '"includeIndicatorStyles": false' in config.group(1) and '"allowEval": false' in config.group(1)
