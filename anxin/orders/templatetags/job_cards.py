"""The technician's job cards written out in Python (decision 0056, as the order list's rows).

A phone's refresh after a change rebuilds about ten cards of ~40 template nodes each: through the
template engine they were a third of that request's CPU. The markup is the one
``orders/partials/job_card.html`` had; ``test_job_cards.py`` holds the two equal.
"""

from __future__ import annotations

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from anxin.web.templatetags.anxin import _date, pk_url, sla_clock, status_badge, time_window
from anxin.web.templatetags.anxin import esc as _e

register = template.Library()


def _lines(job) -> str:
    items = []
    for line in job.line_list:
        model = line.product_model
        level = ""
        if line.fault_code_id:
            difficulty = _("difficulty %(level)s") % {"level": line.fault_code.difficulty}
            level = f' · <span class="badge light">{_e(difficulty)}</span>'
        items.append(
            f'<li>{_e(model.category.name)} <span class="mono small">{_e(model.code)}</span> · {_e(line.symptom or "—")}{level}</li>'
        )
    return "".join(items)


def _step(job, *, csrf: str, jobs_url: str) -> str:
    t = job.next_step
    if t is None:
        return ""
    action, label = _e(t.action), _e(t.label)
    if job.next_step_url:
        # The completion report, or a step that needs data (a new window…), opens its own page / dialog.
        return f'<div class="job-step"><a class="btn btn-big" href="{_e(job.next_step_url)}" data-action="{action}">{label}</a></div>'
    return (
        f'<form method="post" action="{reverse("order_action", args=[job.pk, t.action])}" class="job-step" data-action-form="{action}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(csrf)}">'
        f'<input type="hidden" name="expected_version" value="{job.version}">'
        f'<input type="hidden" name="next" value="{_e(jobs_url)}">'
        f'<button type="submit" class="btn btn-big" data-action="{action}">{label}</button></form>'
    )


def _errors(job, error) -> str:
    if not (job.failed and error):
        return ""
    return "".join(
        f'<div class="field-error" role="alert" data-job-error="{_e(item["key"])}">{_e(item["label"])}: {" ".join(_e(m) for m in item["messages"])}</div>'
        for item in error.summary
    )


def _side(job) -> str:
    if not job.side_steps:
        return ""
    links = "".join(
        f'<a class="btn btn-secondary{" btn-danger" if s["transition"].style == "danger" else ""}" href="{_e(s["url"])}" '
        f'data-side-step="{_e(s["transition"].action)}">{_e(s["transition"].label)}</a> '
        for s in job.side_steps
    )
    return f'<div class="job-side small" data-side-steps>{links}</div>'


def job_card(job, *, csrf: str, jobs_url: str, error=None, detail_url) -> str:
    """One ``<article>`` for ``job`` as the job list decorates it (``line_list``, ``phone``,
    ``sla_state`` / ``sla_label``, ``next_step`` / ``next_step_url``, ``side_steps``, ``failed``)."""
    count = len(job.line_list)
    lines_badge = f" ×{count}" if count > 1 else ""
    vip = '<span class="badge vip">VIP</span>' if job.is_vip else ""
    if job.checked_in_at:
        checked_in = _("Checked in at %(at)s") % {"at": _date(job.checked_in_at, "H:i")}
        sla = f'<span class="small muted">{_e(checked_in)}</span>'
    else:
        sla = sla_clock(job.sla_state, job.sla_label, job.visit_deadline)
    phone = f' · <a class="mono" href="tel:{_e(job.phone)}" data-call>{_e(job.phone)}</a>' if job.phone else ""
    description = f'<div class="small muted pre">{_e(job.description)}</div>' if job.description else ""
    more = _("Order details")
    return (
        f'<article class="job-card{" job-failed" if job.failed else ""}" data-job="{_e(job.number)}" data-status="{_e(job.status)}">'
        f'<header class="job-top"><span class="job-window">{time_window(job.appointment_start, job.appointment_end)}</span>'
        f'<span class="badge light">{_e(job.get_order_type_display())}{lines_badge}</span>{status_badge(job)}{vip}</header>'
        f'<div class="job-sla">{sla}</div>'
        f'<div class="job-addr" data-address>{_e(job.address.text)}</div>'
        f'<div class="job-customer">{_e(job.customer.name)}{phone}</div>'
        f'<ul class="job-lines">{_lines(job)}</ul>'
        f"{description}{_step(job, csrf=csrf, jobs_url=jobs_url)}{_errors(job, error)}{_side(job)}"
        f'<a class="job-more small" href="{detail_url(job.pk)}">{_e(more)} ›</a>'
        "</article>"
    )


@register.simple_tag(takes_context=True)
def job_cards(context, jobs) -> str:
    """The cards of ``jobs``, with the page's CSRF token, job-list address and failed step's errors."""
    csrf = get_token(context["request"])
    jobs_url, error = context.get("jobs_url", ""), context.get("error")
    detail_url = pk_url("order_detail")
    return mark_safe("".join(job_card(job, csrf=csrf, jobs_url=jobs_url, error=error, detail_url=detail_url) for job in jobs))  # noqa: S308 — every value is escaped by _e or is a tag's safe output
