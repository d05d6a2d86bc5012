"""The order list's rows, written out in Python (``order_rows``, decision 0056), print what the
list template's row loop printed: the same markup for every kind of row, in both languages."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test.html import parse_html
from django.utils import translation

from anxin.customers.choices import CustomerGroup
from anxin.orders.choices import Priority
from anxin.orders.templatetags.order_rows import order_rows
from anxin.orders.workflow.services import order_transition

# The row loop of orders/list.html before decision 0056, kept as the reference.
REFERENCE = """{% load i18n anxin %}{% for order in orders %}
    <tr data-order="{{ order.pk }}" data-order-number="{{ order.number }}"{% if order.sla_state %} class="row-{{ order.sla_state }}"{% endif %}>
      {% if bulk_actions %}<td><input type="checkbox" name="ids" value="{{ order.pk }}" data-bulk-id aria-label="{{ order.number }}"></td>{% endif %}
      <td class="mono"><a href="{% url 'order_detail' order.pk %}">{{ order.number }}</a>{% if order.priority == "urgent" %} <span class="badge red" title="{{ order.get_priority_display }}">!</span>{% endif %}</td>
      <td>{{ order.customer_shown }}{% if order.is_vip %} <span class="badge vip" data-vip>VIP</span>{% endif %}</td>
      <td class="addr-cell" title="{{ order.masked_address }}">{% if order.address.district %}{{ order.address.district }}{% else %}<span class="muted">{{ order.masked_address }}</span>{% endif %}</td>
      <td>{{ order.get_order_type_display }}</td>
      <td class="num">{{ order.line_count }}</td>
      <td>{% status_badge order %}</td>
      <td>{% sla_clock order.sla_state order.sla_label order.visit_deadline %}</td>
      <td>{{ order.outlet.name|default:"—" }}</td>
      <td>{% if order.technician %}{{ order.technician.name }} <span class="muted">{{ order.technician.grade }}</span>{% else %}<span class="muted">—</span>{% endif %}</td>
      <td>{% time_window order.appointment_start order.appointment_end %}</td>
      <td class="muted" title="{{ order.created_at|date:'SHORT_DATETIME_FORMAT' }}">{{ order.age_label }}</td>
    </tr>
  {% endfor %}"""


@pytest.fixture
def varied(world):
    """Rows of every shape: urgent, VIP, no appointment, unrouted, assigned with a window, an
    address with no district, a name with markup in it."""
    vip = world.customer(name="<b>钱</b>", phone="13800000011", group=CustomerGroup.VIP)
    world.order(customer=vip, priority=Priority.URGENT)
    world.order(customer=world.customer(name="孙", phone="13800000012", address="无名小路1号"), window=False)
    assigned = world.order(customer=world.customer(name="周", phone="13800000013"))
    order_transition(order_id=assigned.pk, action="accept", actor=world.dispatcher)
    order_transition(order_id=assigned.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    return world


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", ["hq_manager", "dispatcher"])
def test_rows_print_what_the_template_printed(client, varied, language, who):
    client.force_login(varied.users[who])
    with translation.override(language):
        response = client.get("/orders/?queue=all", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        orders = list(response.context["page_obj"].object_list)
        bulk = response.context["bulk_actions"]
        # The address without a district routes nowhere: only HQ sees that row.
        assert len(orders) == (3 if who == "hq_manager" else 2)
        expected = Template(REFERENCE).render(Context({"orders": orders, "bulk_actions": bulk}))
        written = order_rows(orders, bulk)
        assert parse_html(written) == parse_html(expected)
        assert 'data-order="' in written and "&lt;b&gt;" in written


def test_the_list_page_shows_the_rows(client, varied):
    client.force_login(varied.users["hq_manager"])
    html = client.get("/orders/?queue=all").content.decode()
    assert html.count("<tr data-order=") == 3
    assert "data-vip" in html and 'class="badge red"' in html
