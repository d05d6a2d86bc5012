"""The customer list's rows, written out in Python (``customer_rows``, decision 0056), print what the
list template's row loop printed: a page, and searches by name, phone and address, as HQ (whole
numbers), an outlet (masked) and a dealer (partial rows), in both languages."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.template import Context, Template
from django.test.html import parse_html
from django.utils import translation

from anxin.customers.choices import CustomerGroup
from anxin.customers.templatetags.customer_rows import customer_rows

# The row loop of customers/customer_list.html before decision 0056, kept as the reference.
REFERENCE = """{% load i18n anxin %}  {% for row in rows %}{% with c=row.customer %}
    <tr data-customer="{{ c.pk }}">
      <td><a href="{% url 'customer_detail' c.pk %}">{% if row.name_html %}{{ row.name_html }}{% else %}{{ row.name|default:"—" }}{% endif %}</a>{% if c.is_vip and not row.partial %} <span class="badge vip">VIP</span>{% endif %}</td>
      <td>{% if row.partial %}—{% else %}{{ c.get_group_display }}{% endif %}</td>
      <td class="mono">{% if row.phone_html %}{{ row.phone_html }}{% else %}{{ row.phones.0|default:"—" }}{% endif %}{% if row.phones|length > 1 %} <span class="muted">+{{ row.phones|length|add:"-1" }}</span>{% endif %}</td>
      <td class="wrap">{% if row.address_html %}{{ row.address_html }}{% else %}{{ row.address_text|default:"—" }}{% endif %}{% if row.address.needs_review %} <span class="badge amber" title="{% translate 'The address could not be matched to a district; please correct it.' %}">{% translate "Needs correction" %}</span>{% endif %}</td>
      <td>{% if row.address %}{{ row.address.get_market_tier_display }}{% endif %}</td>
      <td>{% if row.partial %}—{% else %}{{ c.region|default:"—" }}{% endif %}</td>
      <td>{{ c.created_at|date:"SHORT_DATETIME_FORMAT" }}</td>
      {% if search %}<td data-matched="{{ row.matched }}"><span class="badge light">{{ row.matched_label }}</span>{% if row.matched_html %} <span class="mono small">{{ row.matched_html }}</span>{% endif %}</td>{% endif %}
    </tr>
  {% endwith %}{% endfor %}
"""


@pytest.fixture
def archive(world):
    world.customer(name="<b>王</b>芳", phone="13800000031", group=CustomerGroup.VIP)
    two = world.customer(name="王芳", phone="13800000032")
    two.phones.create(number="13900000033")
    world.customer(name="王芳芳", phone="13800000034", address="无名小路1号")
    world.order(customer=two)
    return world


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["hq_manager", "agent", "dispatcher", "dealer"])
@pytest.mark.parametrize("q", ["", "王芳", "13800000032", "文三路"])
def test_rows_print_what_the_template_printed(client, archive, language, who, q):
    client.force_login(archive.users[who])
    with translation.override(language):
        response = client.get(f"/customers/?q={quote(q)}", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        rows, search = response.context["rows"], response.context["search"]
        expected = Template(REFERENCE).render(Context({"rows": rows, "search": search}))
        written = customer_rows(rows, search)
        assert parse_html(written) == parse_html(expected)
        assert written.count("<tr data-customer=") == len(rows)


def test_the_search_page_shows_the_rows(client, archive):
    client.force_login(archive.users["hq_manager"])
    html = client.get(f"/customers/?q={quote('王')}").content.decode()
    assert html.count("<tr data-customer=") == 3
    assert "&lt;b&gt;" in html and "<mark>" in html and 'class="badge vip"' in html and "+1" in html and 'class="badge amber"' in html
