"""The row tags print what the template partials they replaced printed (the ``date`` filter's output)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

SH = ZoneInfo("Asia/Shanghai")


def render(source: str, **context) -> str:
    return Template("{% load anxin %}" + source).render(Context(context))


def filtered(value, fmt: str) -> str:
    return Template("{{ v|date:f }}").render(Context({"v": value, "f": fmt}))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_clock_and_window_dates_as_the_date_filter_prints_them(language):
    start = datetime(2026, 12, 4, 6, 5, tzinfo=UTC)  # 14:05 in Shanghai
    with translation.override(language):
        html = render("{% sla_clock 'at_risk' 'At risk' d r %}", d=start, r=start - timedelta(hours=1))
        assert f'data-deadline="{filtered(start, "c")}"' in html
        assert 'data-deadline="2026-12-04T14:05:00+08:00"' in html
        assert f'data-risk-at="{filtered(start - timedelta(hours=1), "c")}"' in html
        assert f'title="At risk · {filtered(start, "SHORT_DATETIME_FORMAT")}"' in html
        assert html.startswith('<span class="sla at_risk" data-sla="at_risk"')
        same_day = render("{% time_window s e %}", s=start, e=start + timedelta(hours=2))
        assert same_day == '<span class="mono">12-04 14:05–16:05</span>'
        next_day = render("{% time_window s e %}", s=start, e=start + timedelta(days=1))
        assert next_day == f'<span class="mono">{filtered(start, "m-d H:i")}–{filtered(start + timedelta(days=1), "m-d H:i")}</span>'


def test_stopped_clock_and_empty_window():
    deadline = datetime(2026, 12, 4, 6, 5, tzinfo=SH)
    assert (
        render("{% sla_clock '' 'x' d %}", d=deadline)
        == f'<span class="sla muted" data-sla="" title="{filtered(deadline, "SHORT_DATETIME_FORMAT")}">—</span>'
    )
    assert render("{% sla_clock '' 'x' None %}") == ""
    assert render("{% time_window None None %}") == '<span class="muted">—</span>'


def test_status_badge_escapes():
    class Row:
        status = "on_site"
        status_tone = "blue"

        def get_status_display(self):
            return "<在现场>"

    assert render("{% status_badge o %}", o=Row()) == '<span class="badge blue" data-status="on_site">&lt;在现场&gt;</span>'


def test_pk_url_is_reverse():
    from django.urls import NoReverseMatch, reverse

    from anxin.web.templatetags.anxin import pk_url

    detail = pk_url("order_detail")
    for pk in (1, 42, 9_876_543_211, "7"):
        assert detail(pk) == reverse("order_detail", args=[pk])
    with pytest.raises(NoReverseMatch):  # a route without a pk argument
        pk_url("healthz")
