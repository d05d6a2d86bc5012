"""The notifications page (mine only), the bell partial it refreshes, and marking read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from anxin.notifications.services import mark_read, notifications_for
from anxin.notifications.services import render as render_notification


@login_required
@require_GET
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(notifications_for(user=request.user, unread_only=unread_only), 50).get_page(request.GET.get("page"))
    items = []
    for n in page.object_list:
        title, body = render_notification(n)
        items.append({"n": n, "title": title, "body": body})
    return render(
        request,
        "notifications/list.html",
        {"nav_active": "notifications", "page": page, "items": items, "unread_only": unread_only},
    )


@login_required
@require_GET
def notification_bell(request):
    """The bell alone (htmx polls it every 30 s)."""
    return render(request, "notifications/partials/bell_link.html")


@login_required
@require_POST
def notification_read(request):
    """Mark read: ``all=1`` or one or more ``id``; back to where the user came from."""
    if request.POST.get("all"):
        mark_read(request.user, "all")
    else:
        mark_read(request.user, request.POST.getlist("id"))
    if request.headers.get("HX-Request"):
        return render(request, "notifications/partials/bell_link.html")
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "notification_list"
    return redirect(target)


@login_required
@require_GET
def notification_open(request, pk: int):
    """Follow a notification's link and mark it read (another user's id: just the list)."""
    n = notifications_for(user=request.user).filter(pk=pk).first()
    if n is None:
        return redirect("notification_list")
    mark_read(request.user, [n.pk])
    url = n.url if n.url and url_has_allowed_host_and_scheme(n.url, allowed_hosts={request.get_host()}) else ""
    return redirect(url or "notification_list")
