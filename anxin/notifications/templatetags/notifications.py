from django import template

from anxin.notifications.services import render, unread_count

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    """The bell's number: the user's unread notifications (one COUNT query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return unread_count(user)


@register.filter
def notification_title(notification) -> str:
    return render(notification)[0]


@register.filter
def notification_body(notification) -> str:
    return render(notification)[1]
