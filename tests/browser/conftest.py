"""Playwright for Python driving Debian's Chromium (never `playwright install`: no internet)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("ANXIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make deps-test` (scripts/system-deps.sh; `make test` does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


# Every document reports what the Content-Security-Policy refused (decision 0034) to the console,
# where the fixture below collects it together with Chromium's own "Refused to …" messages.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber + " (" + (e.sample || "") + ")");
}, true);
"""


def is_csp_violation(text: str) -> bool:
    return text.startswith("CSP violation:") or "Content Security Policy" in text


class PageMaker:
    """``new_page(viewport=LAPTOP)`` → a page in a fresh context (own cookies), base URL set.

    ``violations`` lists every CSP violation any of its pages reported; the test fails if one
    is left at the end (a test that provokes one on purpose clears the list)."""

    def __init__(self, browser, base_url: str):
        self.browser, self.base_url = browser, base_url
        self.contexts = []
        self.violations: list[str] = []

    def __call__(self, viewport=LAPTOP, locale="zh-CN"):
        ctx = self.browser.new_context(viewport=viewport, locale=locale, base_url=self.base_url)
        ctx.set_default_timeout(15000)
        ctx.add_init_script(CSP_REPORTER)
        ctx.on("console", self._console)
        self.contexts.append(ctx)
        return ctx.new_page()

    def _console(self, message) -> None:
        if is_csp_violation(message.text):
            self.violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def settle(self) -> None:
        """Deliver console messages still on their way (a round trip to every open page)."""
        for ctx in self.contexts:
            for page in ctx.pages:
                if not page.is_closed():
                    page.evaluate("0")


@pytest.fixture
def new_page(browser, live_server):
    maker = PageMaker(browser, live_server.url)
    yield maker
    maker.settle()
    violations = list(maker.violations)
    for ctx in maker.contexts:
        ctx.close()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations), pytrace=False)


def login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def draw_signature(page) -> None:
    """Draw two strokes on the signature pad of the completion page."""
    canvas = page.locator("[data-signature-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 100
    x0, y0 = box["x"] + 20, box["y"] + box["height"] * 0.6
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x0 + i * 10, y0 - (i % 6) * 8, steps=2)
    page.mouse.up()
    page.mouse.move(x0 + 40, y0 - 40)
    page.mouse.down()
    page.mouse.move(x0 + 90, y0 + 10, steps=5)
    page.mouse.up()
