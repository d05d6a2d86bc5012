"""The work-order queue (工单列表): queue tabs per role, filters, sorting, paging, bulk bar, CSV / Excel export.

Every row is scoped by ``visible_to`` and masked like the page; the export is audit-logged.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from anxin.accounts.choices import OrgKind, Role
from anxin.accounts.models import OrgUnit
from anxin.core.limits import parse_id
from anxin.core.replicas import replica_reads
from anxin.core.services import activity_record
from anxin.customers.selectors import mask_address, shown_customer_names
from anxin.network.models import Technician
from anxin.orders.models import WorkOrder
from anxin.orders.views.bulk import bulk_actions_for
from anxin.orders.views.detail import _sla_label
from anxin.orders.workflow.services import ORDER_CREATE_ROLES
from anxin.orders.worklist import queues, selectors
from anxin.orders.worklist.filters import OrderFilterForm
from anxin.web.exports import table_response
from anxin.web.widgets import FastSelect

# Who may download the queue (CSV / Excel); the file is scoped and masked exactly like the page.
ORDER_EXPORT_ROLES = (Role.HQ_MANAGER, Role.REGION_DIRECTOR, Role.AGENT, Role.OUTLET_MANAGER, Role.QUALITY)


def _can_export(user) -> bool:
    return user.has_role(*ORDER_EXPORT_ROLES)


# --- the queue ------------------------------------------------------------------------------


def _filter_choices(request):
    """``(pk, label)`` of the outlets (for HQ and regional staff) and technicians the filters bar
    offers, all in scope (rows as values: HQ is offered 500 outlets on every page view)."""
    user = request.user
    unit = user.org_unit
    outlets = []
    if user.sees_everything or (unit is not None and unit.kind == OrgKind.REGION):
        outlets = list(OrgUnit.objects.visible_to(user).filter(kind=OrgKind.OUTLET).order_by("code").values_list("pk", "name"))
    technicians = []
    if user.role != Role.TECHNICIAN:
        techs = Technician.objects.visible_to(user).order_by("name")
        outlet = parse_id(request.GET.get("outlet"))
        if outlet is not None:
            techs = techs.filter(outlet_id=outlet)
        technicians = [(pk, f"{name} ({grade})") for pk, name, grade in techs.values_list("pk", "name", "grade")[:300]]
    return outlets, technicians


class BoundedPaginator(Paginator):
    """Counts at most ``queues.COUNT_LIMIT`` rows ("10,000+"): an exact COUNT over a million orders
    is what makes a big list slow (docs/decisions/0019-order-list-at-scale.md)."""

    more = False

    @cached_property
    def count(self) -> int:
        # limit + 1 when there are more, so that the pages up to the limit stay whole.
        n, self.more = queues.bounded_count(self.object_list)
        return n + 1 if self.more else n

    def page(self, number):
        """A deferred join: the page's ids first (a narrow query the indexes serve, sorted without
        the joined columns), then those rows with everything they show. Two queries, any page size."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count) if bottom + self.per_page + self.orphans >= self.count else bottom + self.per_page
        ids = queues.urgency_page_ids(self.object_list, bottom, top)
        if ids is None:
            ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {o.pk: o for o in self.object_list.filter(pk__in=ids)} if ids else {}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


def _queue(request, now=None):
    outlets, technicians = _filter_choices(request)
    form = OrderFilterForm(request.GET, outlets=outlets, technicians=technicians)
    filters = form.selector_kwargs()
    queue, qs = queues.queue_orders(request.user, request.GET.get("queue", ""), now=now, **filters)
    return form, filters, queue, selectors.with_line_counts(qs), outlets


def _decorate_row(order: WorkOrder, now) -> WorkOrder:
    # The queue and its export mask the address for everyone: full contact is on the order page.
    order.masked_address = mask_address(order.address.text, order.address.district)
    order.sla_label = _sla_label(order.sla_state)
    order.age_label = timesince(order.created_at, now, depth=1)
    return order


def _page_size(request) -> int:
    return int(settings.ANXIN_PAGE_SIZE)


@login_required
@require_GET
def order_list(request):
    now = timezone.now()
    form, filters, queue, qs, outlets = _queue(request, now)
    page_obj = BoundedPaginator(qs, _page_size(request)).get_page(request.GET.get("page"))
    page_obj.object_list = [_decorate_row(o, now) for o in page_obj.object_list]
    names = shown_customer_names(user=request.user, customers=[o.customer for o in page_obj.object_list])  # decision 0023
    for o in page_obj.object_list:
        o.customer_shown = names[o.customer_id]
    filtered = any(v not in (None, "") for k, v in filters.items() if k != "sort")
    tabs = queues.queues_for(request.user)
    bulk_actions = bulk_actions_for(request.user)
    return render(
        request,
        "orders/list.html",
        {
            "nav_active": "orders",
            "form": form,
            "page_obj": page_obj,
            "count_more": page_obj.paginator.more,
            "count_limit": queues.COUNT_LIMIT,
            "filtered": filtered,
            "queue": queue,
            # The counts come with a second request right after the page (htmx, on load): the list
            # shows at once, and a tab count never holds up the rows (decision 0019).
            "tabs": [{"queue": t, "count": None} for t in tabs],
            "counts_url": f"{reverse('order_tab_counts')}?queue={queue.key}",
            "bulk_actions": bulk_actions,
            # 500 outlets for HQ: one widget written out in Python, not a template loop.
            "bulk_outlets": FastSelect(choices=[("", "—"), *outlets]).render("outlet", "", attrs={"data-bulk-outlet": True})
            if outlets and "reroute" in dict(bulk_actions)
            else "",
            "can_export": _can_export(request.user),
            "can_create": request.user.has_role(*ORDER_CREATE_ROLES),
            "show_outlet_filter": "outlet" in form.fields,
            "show_technician_filter": request.user.role != Role.TECHNICIAN,
        },
    )


def _export_header() -> list:
    return [
        _("Order number"),
        _("Customer"),
        _("District"),
        _("Address"),
        _("Type"),
        _("Lines"),
        _("Status"),
        _("SLA"),
        _("Visit deadline"),
        _("Outlet"),
        _("Technician"),
        _("Appointment from"),
        _("Appointment until"),
        _("Created at"),
    ]


def _export_rows(qs, now):
    def when(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    # An export may lag the primary by the replica's delay (docs/scaling.md).
    with replica_reads():
        for order in qs.iterator(chunk_size=1000):
            _decorate_row(order, now)
            yield [
                order.number or "",
                order.customer.name,
                order.address.district,
                order.masked_address,
                order.get_order_type_display(),
                order.line_count,
                order.get_status_display(),
                order.sla_label,
                when(order.visit_deadline),
                order.outlet.name if order.outlet else "",
                order.technician.name if order.technician else "",
                when(order.appointment_start),
                when(order.appointment_end),
                when(order.created_at),
            ]


@login_required
@require_GET
def order_export(request):
    if not _can_export(request.user):
        raise PermissionDenied
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _form, filters, _queue_, qs, _outlets = _queue(request)
    with replica_reads():
        count = qs.count()
    limit = int(getattr(settings, "ANXIN_EXPORT_MAX_ROWS", 20000))
    if count > limit:
        messages.error(
            request, _("%(count)s orders match; narrow the filters to at most %(limit)s to export.") % {"count": count, "limit": limit}
        )
        query = request.GET.copy()
        query.pop("format", None)
        return redirect(f"{reverse('order_list')}?{query.urlencode()}")
    logged = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items() if v not in (None, "")}
    activity_record(actor=request.user, action="orders.export", target="orders", detail={"format": fmt, "rows": count, "filters": logged})
    return table_response(
        header=_export_header(), rows=_export_rows(qs, timezone.now()), fmt=fmt, filename="work-orders", sheet_title=_("Work orders")
    )


@login_required
@require_GET
def order_tab_counts(request):
    """The queue tabs with their bounded counts (loaded by the list page after it has rendered)."""
    queue = queues.queue_for(request.user, request.GET.get("queue", ""))
    tabs = queues.queues_for(request.user)
    counts = queues.tab_counts(request.user, tabs, now=timezone.now())
    return render(
        request,
        "orders/partials/queue_tabs.html",
        {"queue": queue, "tabs": [{"queue": t, "count": counts.get(t.key)} for t in tabs], "counts_url": ""},
    )
