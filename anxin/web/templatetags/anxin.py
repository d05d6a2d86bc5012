"""Template helpers shared by every page: query-string editing, sort headers, masking, money."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html
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
