"""The order list's rows written out in Python (decision 0056).

A page shows 25 rows of twelve cells; through the template engine they were about 40 % of the
page's CPU (variable lookups, escaping and a date filter per cell, ~35 nodes a row). The markup is
the one the list template had; ``tests/test_order_rows.py`` holds the two equal.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from anxin.web.templatetags.anxin import _date, pk_url, sla_clock, status_badge, time_window
from anxin.web.templatetags.anxin import esc as _e

register = template.Library()


def order_row(order, *, bulk: bool, detail_url) -> str:
    """One ``<tr>`` of the order list for ``order`` as the list view decorates it (``masked_address``,
    ``sla_state`` / ``sla_label``, ``age_label``, ``customer_shown``, ``line_count``)."""
    pk, number, address, technician = order.pk, _e(order.number), order.address, order.technician
    masked = _e(order.masked_address)
    check = f'<td><input type="checkbox" name="ids" value="{pk}" data-bulk-id aria-label="{number}"></td>' if bulk else ""
    urgent = f' <span class="badge red" title="{_e(order.get_priority_display())}">!</span>' if order.priority == "urgent" else ""
    vip = ' <span class="badge vip" data-vip>VIP</span>' if order.is_vip else ""
    district = _e(address.district) if address.district else f'<span class="muted">{masked}</span>'
    outlet = _e(order.outlet.name) if order.outlet_id and order.outlet.name else "—"
    worker = f'{_e(technician.name)} <span class="muted">{_e(technician.grade)}</span>' if technician else '<span class="muted">—</span>'
    row_class = f' class="row-{_e(order.sla_state)}"' if order.sla_state else ""
    return (
        f'<tr data-order="{pk}" data-order-number="{number}"{row_class}>{check}'
        f'<td class="mono"><a href="{detail_url(pk)}">{number}</a>{urgent}</td>'
        f"<td>{_e(order.customer_shown)}{vip}</td>"
        f'<td class="addr-cell" title="{masked}">{district}</td>'
        f"<td>{_e(order.get_order_type_display())}</td>"
        f'<td class="num">{_e(order.line_count)}</td>'
        f"<td>{status_badge(order)}</td>"
        f"<td>{sla_clock(order.sla_state, order.sla_label, order.visit_deadline)}</td>"
        f"<td>{outlet}</td>"
        f"<td>{worker}</td>"
        f"<td>{time_window(order.appointment_start, order.appointment_end)}</td>"
        f'<td class="muted" title="{_e(_date(order.created_at, "SHORT_DATETIME_FORMAT"))}">{_e(order.age_label)}</td>'
        "</tr>"
    )


@register.simple_tag
def order_rows(orders, bulk) -> str:
    """The list's ``<tr>`` rows, one per order."""
    detail_url = pk_url("order_detail")
    return mark_safe("\n".join(order_row(order, bulk=bool(bulk), detail_url=detail_url) for order in orders))  # noqa: S308 — every value is escaped by _e or is a tag's safe output
