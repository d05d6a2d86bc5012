"""The customer list's rows written out in Python (decision 0056): a search shows up to 50 ranked
customers, and through the template engine their rows were half of the search page's CPU. The
markup is the one ``customers/customer_list.html`` had; ``test_customer_rows.py`` holds the two equal.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from anxin.web.templatetags.anxin import _date, pk_url
from anxin.web.templatetags.anxin import esc as _e

register = template.Library()


def customer_row(row, *, search: bool, detail_url) -> str:
    """One ``<tr>`` for a ``views.CustomerRow`` (a page's or a search's; a dealer's rows are partial)."""
    c, address = row.customer, row.address
    name = _e(row.name_html) if row.name_html else _e(row.name or "—")
    vip = ' <span class="badge vip">VIP</span>' if c.is_vip and not row.partial else ""
    phone = _e(row.phone_html) if row.phone_html else _e(row.phones[0] if row.phones else "—")
    more = f' <span class="muted">+{len(row.phones) - 1}</span>' if len(row.phones) > 1 else ""
    shown = _e(row.address_html) if row.address_html else _e(row.address_text or "—")
    review = ""
    if address is not None and address.needs_review:
        why, label = _("The address could not be matched to a district; please correct it."), _("Needs correction")
        review = f' <span class="badge amber" title="{_e(why)}">{_e(label)}</span>'
    tier = _e(address.get_market_tier_display()) if address else ""
    matched = ""
    if search:
        extra = f' <span class="mono small">{_e(row.matched_html)}</span>' if row.matched_html else ""
        matched = f'<td data-matched="{_e(row.matched)}"><span class="badge light">{_e(row.matched_label)}</span>{extra}</td>'
    return (
        f'<tr data-customer="{c.pk}">'
        f'<td><a href="{detail_url(c.pk)}">{name}</a>{vip}</td>'
        f"<td>{'—' if row.partial else _e(c.get_group_display())}</td>"
        f'<td class="mono">{phone}{more}</td>'
        f'<td class="wrap">{shown}{review}</td>'
        f"<td>{tier}</td>"
        f"<td>{'—' if row.partial else _e(c.region if c.region_id else '—')}</td>"
        f"<td>{_e(_date(c.created_at, 'SHORT_DATETIME_FORMAT'))}</td>"
        f"{matched}</tr>"
    )


@register.simple_tag
def customer_rows(rows, search) -> str:
    """The list's ``<tr>`` rows; with the "matched" column when ``search`` is set."""
    detail_url = pk_url("customer_detail")
    return mark_safe("\n".join(customer_row(row, search=bool(search), detail_url=detail_url) for row in rows))  # noqa: S308 — every value is escaped by _e
