"""The technician's job cards, written out in Python (``job_cards``, decision 0056), print what the
``job_card.html`` partial printed: cards with a one-click step, a step with its own page, side steps,
a checked-in job, several lines with a fault code, a VIP and a failed step's errors, in both languages."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.test.html import parse_html
from django.utils import translation

from anxin.customers.choices import CustomerGroup
from anxin.network.models import Technician
from anxin.orders.templatetags.job_cards import job_cards
from anxin.orders.workflow.services import order_transition
from anxin.web.errors import UIError

# orders/partials/job_card.html before decision 0056, kept as the reference.
REFERENCE = """{% load i18n anxin %}{% for job in jobs %}<article class="job-card{% if job.failed %} job-failed{% endif %}" data-job="{{ job.number }}" data-status="{{ job.status }}">
  <header class="job-top">
    <span class="job-window">{% time_window job.appointment_start job.appointment_end %}</span>
    <span class="badge light">{{ job.get_order_type_display }}{% if job.line_list|length > 1 %} ×{{ job.line_list|length }}{% endif %}</span>
    {% status_badge job %}
    {% if job.is_vip %}<span class="badge vip">VIP</span>{% endif %}
  </header>
  <div class="job-sla">{% if job.checked_in_at %}<span class="small muted">{% blocktranslate with at=job.checked_in_at|date:"H:i" %}Checked in at {{ at }}{% endblocktranslate %}</span>{% else %}{% sla_clock job.sla_state job.sla_label job.visit_deadline %}{% endif %}</div>
  <div class="job-addr" data-address>{{ job.address.text }}</div>
  <div class="job-customer">{{ job.customer.name }}{% if job.phone %} · <a class="mono" href="tel:{{ job.phone }}" data-call>{{ job.phone }}</a>{% endif %}</div>
  <ul class="job-lines">
    {% for line in job.line_list %}<li>{{ line.product_model.category.name }} <span class="mono small">{{ line.product_model.code }}</span> · {{ line.symptom|default:"—" }}{% if line.fault_code %} · <span class="badge light">{% blocktranslate with level=line.fault_code.difficulty %}difficulty {{ level }}{% endblocktranslate %}</span>{% endif %}</li>{% endfor %}
  </ul>
  {% if job.description %}<div class="small muted pre">{{ job.description }}</div>{% endif %}
  {% if job.next_step %}{% with t=job.next_step %}
  {% if job.next_step_url %}
  {# The completion report, or a step that needs data (a new window…), opens its own page / dialog. #}
  <div class="job-step"><a class="btn btn-big" href="{{ job.next_step_url }}" data-action="{{ t.action }}">{{ t.label }}</a></div>
  {% else %}
  <form method="post" action="{% url 'order_action' job.pk t.action %}" class="job-step" data-action-form="{{ t.action }}">{% csrf_token %}
    <input type="hidden" name="expected_version" value="{{ job.version }}">
    <input type="hidden" name="next" value="{{ jobs_url }}">
    <button type="submit" class="btn btn-big" data-action="{{ t.action }}">{{ t.label }}</button>
  </form>
  {% endif %}
  {% endwith %}{% endif %}
  {% if job.failed and error %}{% for item in error.summary %}<div class="field-error" role="alert" data-job-error="{{ item.key }}">{{ item.label }}: {{ item.messages|join:" " }}</div>{% endfor %}{% endif %}
  {% if job.side_steps %}
  <div class="job-side small" data-side-steps>{% for s in job.side_steps %}<a class="btn btn-secondary{% if s.transition.style == 'danger' %} btn-danger{% endif %}" href="{{ s.url }}" data-side-step="{{ s.transition.action }}">{{ s.transition.label }}</a> {% endfor %}</div>
  {% endif %}
  <a class="job-more small" href="{% url 'order_detail' job.pk %}">{% translate "Order details" %} ›</a>
</article>
{% endfor %}"""


def _to(world, order, *actions):
    # The senior technician (grade A): a VIP order needs a higher grade than the junior's.
    senior = Technician.objects.get(user=world.users["senior"])
    for action in actions:
        data = {"technician": senior.pk} if action == "assign" else None
        actor = world.dispatcher if action in ("accept", "assign") else world.users["senior"]
        order_transition(order_id=order.pk, action=action, actor=actor, data=data)


@pytest.fixture
def jobs(world):
    vip = world.customer(name="<i>钱</i>", phone="13800000021", group=CustomerGroup.VIP)
    _to(world, world.order(customer=vip), "accept", "assign")
    _to(world, world.order(customer=world.customer(name="孙", phone="13800000022")), "accept", "assign", "confirm", "depart")
    _to(world, world.order(customer=world.customer(name="周", phone="13800000023")), "accept", "assign", "confirm", "depart", "check_in")
    return world


def _token(html: str) -> str:
    # Each masked CSRF token differs (the template printed the context's, the tag asks the request).
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value="T"', html)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_cards_print_what_the_partial_printed(client, jobs, language):
    client.force_login(jobs.users["senior"])
    with translation.override(language):
        response = client.get("/orders/jobs/", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        cards = [*response.context["today_jobs"], *response.context["upcoming_jobs"]]
        assert sorted(c.status for c in cards) == ["assigned", "en_route", "on_site"]
        cards[0].failed = True
        error = UIError(
            code="invalid",
            message="x",
            status=400,
            fields={},
            summary=[{"key": "reason", "label": "原因 <b>", "messages": ["必填", "<太短>"]}],
        )
        request = response.wsgi_request
        context = {"jobs": cards, "jobs_url": "/orders/jobs/", "error": error, "request": request, "csrf_token": "tok<en>"}
        expected = Template(REFERENCE).render(Context(context))
        written = job_cards(Context(context), cards)
        assert parse_html(_token(written)) == parse_html(_token(expected))
        assert "&lt;i&gt;" in written and 'data-job-error="reason"' in written and "csrfmiddlewaretoken" in written


def test_the_job_page_shows_the_cards(client, jobs):
    client.force_login(jobs.users["senior"])
    html = client.get("/orders/jobs/?part=list").content.decode()
    assert html.count('<article class="job-card') == 3
    assert 'data-action="depart"' in html and 'data-action="complete"' in html
