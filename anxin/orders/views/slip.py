"""The printable work-order slip (PDF, A4 / A5): ``/orders/<pk>/slip.pdf?size=a4|a5``.

Out of scope is 404 (``visible_to``); the contact is masked for roles that may not see it
(the same ``contact_visible`` rule as the order page); every print is logged (activity log).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from anxin.core.services import activity_record
from anxin.orders.models import WorkOrder
from anxin.orders.slip.pdf import render_slip


@login_required
@require_GET
def order_slip(request, pk: int):
    visible = WorkOrder.objects.visible_to(request.user).select_related("customer", "address", "outlet", "technician")
    order = get_object_or_404(visible, pk=pk)
    size = "A5" if request.GET.get("size", "a4").lower() == "a5" else "A4"
    url = request.build_absolute_uri(reverse("order_detail", args=[order.pk]))
    pdf = render_slip(order, size=size, user=request.user, order_url=url)
    activity_record(actor=request.user, action="orders.slip_print", target=order, detail={"size": size})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{order.number or order.pk}-{size}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
