"""Template helpers shared by every page: query-string editing, sort headers, masking, money."""

from __future__ import annotations

import html
from decimal import Decimal

from django import template
from django.template import defaultfilters
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """The current query string with some parameters replaced (pagination, sorting)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label) -> str:
    request = context["request"]
    current = request.GET.get("sort", "")
    desc = current == f"-{field}"
    target = field if desc or current != field else f"-{field}"
    params = request.GET.copy()
    params["sort"] = target
    params.pop("page", None)
    arrow = "▼" if desc else ("▲" if current == field else "")
    return format_html('<a class="sort" href="?{}">{} {}</a>', params.urlencode(), label, arrow)


@register.filter
def money(value) -> str:
    if value in (None, ""):
        return ""
    return f"¥{Decimal(value):,.2f}"


@register.simple_tag
def time_left(deadline) -> str:
    """Time left or overdue in words: 剩余 3小时20分 / 超时 45分."""
    if deadline is None:
        return ""
    delta = deadline - timezone.now()
    minutes = int(abs(delta.total_seconds()) // 60)
    hours, mins = divmod(minutes, 60)
    span = _("%(h)sh %(m)smin") % {"h": hours, "m": mins} if hours else _("%(m)smin") % {"m": mins}
    if delta.total_seconds() >= 0:
        return _("%(span)s left") % {"span": span}
    return _("%(span)s overdue") % {"span": span}


@register.filter
def minutes(value) -> int:
    """Whole minutes of a timedelta (rounded up), e.g. a lockout's cool-off time."""
    if value is None:
        return 0
    seconds = value.total_seconds() if hasattr(value, "total_seconds") else float(value)
    return max(int(-(-seconds // 60)), 0)


# --- row pieces: one tag, not an include per cell (a list page shows 25 rows of them) ---------


_PK_MARK = 9_876_543_210  # a pk no path holds elsewhere: reversed once, replaced per row


def pk_url(name: str):
    """``pk -> reverse(name, args=[pk])`` for a route whose only argument is an integer pk, reversed
    once: ``reverse`` per row (its resolver walk and pattern check) was half of a row's cost."""
    head, mark, tail = reverse(name, args=[_PK_MARK]).partition(str(_PK_MARK))
    if not mark:
        raise ValueError(f"{name}: the pk does not appear in its path")
    return lambda pk: f"{head}{int(pk)}{tail}"


def esc(value) -> str:
    """What ``{{ value }}`` prints, for rows written out in Python (decision 0056): safe strings as
    they are, anything else as text escaped, without Django's per-call checks for lazy arguments."""
    return value if isinstance(value, SafeString) else html.escape(str(value))


# Fixed (language-independent) date formats of these tags as strftime: Django's date formatting
# parses the format string anew on every call, the most expensive part of a row.
_STRFTIME = {"Ymd": "%Y%m%d", "m-d H:i": "%m-%d %H:%M", "H:i": "%H:%M"}


def _date(value, fmt: str) -> str:
    # What ``{{ value|date:fmt }}`` prints: in the current time zone, by the active language's formats.
    if not value:
        return ""
    value = timezone.template_localtime(value)
    if fmt == "c":
        return value.isoformat()
    if fmt in _STRFTIME:
        return value.strftime(_STRFTIME[fmt])
    return defaultfilters.date(value, fmt)


@register.simple_tag
def status_badge(obj) -> str:
    """The status as a coloured badge (``obj.status_tone``, ``obj.get_status_display()``)."""
    return format_html('<span class="badge {}" data-status="{}">{}</span>', obj.status_tone, obj.status, obj.get_status_display())


@register.simple_tag
def sla_clock(state, label, deadline, risk_at=None) -> str:
    """A running deadline: its state's colour, the time left or overdue, the deadline on hover
    (``static/anxin/sla.js`` counts it down); a stopped one is a dash with the deadline on hover."""
    if state:
        risk = format_html(' data-risk-at="{}"', _date(risk_at, "c")) if risk_at else ""
        return format_html(
            '<span class="sla {}" data-sla="{}" data-deadline="{}"{} title="{} · {}">● <span data-time-left>{}</span></span>',
            state,
            state,
            _date(deadline, "c"),
            risk,
            label,
            _date(deadline, "SHORT_DATETIME_FORMAT"),
            time_left(deadline),
        )
    if deadline:
        return format_html('<span class="sla muted" data-sla="" title="{}">—</span>', _date(deadline, "SHORT_DATETIME_FORMAT"))
    return ""


@register.simple_tag
def time_window(start, end) -> str:
    """An appointment window, ``12-04 14:00–16:00`` (the end's date only when it is another day)."""
    if not start:
        return format_html('<span class="muted">{}</span>', "—")
    same_day = _date(end, "Ymd") == _date(start, "Ymd")
    return format_html('<span class="mono">{}–{}</span>', _date(start, "m-d H:i"), _date(end, "H:i" if same_day else "m-d H:i"))
