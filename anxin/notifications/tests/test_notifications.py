"""The in-app notifications: notify, the bell's count, marking read, scoping, channels, pages, API."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import gettext_noop, override

from anxin.core.tests.apiclient import api
from anxin.notifications import services
from anxin.notifications.models import Notification
from anxin.notifications.services import mark_read, notify, register_channel, render, unread_count, unregister_channel

WORK_ORDERS = gettext_noop("Work orders")


def send(users, title=WORK_ORDERS, **kw):
    return notify(users, kind="test", title=title, **kw)


def test_notify_once_per_active_recipient_and_count_unread(world):
    world.technician.is_active = False
    world.technician.save()
    rows = send([world.dispatcher, world.dispatcher, world.technician, world.region_director, None])
    assert sorted(n.recipient.username for n in rows) == ["dispatcher", "region_director"]
    send([world.dispatcher])
    assert unread_count(world.dispatcher) == 2
    assert unread_count(world.region_director) == 1
    assert unread_count(world.agent) == 0


def test_mark_read_touches_only_the_readers_own(world):
    mine = send([world.dispatcher])[0]
    other = send([world.region_director])[0]
    assert mark_read(world.dispatcher, [other.pk, "junk"]) == 0  # someone else's id: ignored
    assert unread_count(world.region_director) == 1
    assert mark_read(world.dispatcher, [mine.pk]) == 1
    assert unread_count(world.dispatcher) == 0
    send([world.dispatcher])
    send([world.dispatcher])
    assert mark_read(world.dispatcher, "all") == 2
    assert unread_count(world.dispatcher) == 0 and unread_count(world.region_director) == 1


def test_text_is_rendered_in_the_readers_language(world):
    note = send(
        [world.dispatcher],
        title=gettext_noop("%(what)s for %(name)s"),
        body=gettext_noop("Work orders"),
        params={"what": gettext_noop("Work orders"), "name": "张伟"},
        translate=("what",),
    )[0]
    with override("en"):
        assert render(note) == ("Work orders for 张伟", "Work orders")
    with override("zh-hans"):
        title, body = render(note)
    assert body == "工单" and title.startswith("工单")
    broken = send([world.dispatcher], title="%(missing)s here")[0]
    assert render(broken)[0] == "%(missing)s here"  # never a crash on a bad placeholder


def test_channels_run_after_commit_and_a_failing_one_is_contained(world, django_capture_on_commit_callbacks):
    seen = []

    def broken(rows):
        raise RuntimeError("SMS gateway down")

    register_channel("test_sms", lambda rows: seen.extend(n.recipient_id for n in rows))
    register_channel("test_broken", broken)
    try:
        assert services.channels() == ["in_app", "test_sms", "test_broken"]
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            send([world.dispatcher, world.region_director])
        assert seen == []  # nothing leaves before the commit
        for callback in callbacks:
            callback()
        assert sorted(seen) == sorted([world.dispatcher.pk, world.region_director.pk])
    finally:
        unregister_channel("test_sms")
        unregister_channel("test_broken")
    assert Notification.objects.count() == 2


def test_list_page_shows_only_mine_unread_bold_and_marks_read(client, world):
    mine = send([world.dispatcher], url="/orders/")[0]
    send([world.region_director], title=gettext_noop("Customers"))
    client.force_login(world.dispatcher)
    html = client.get(reverse("notification_list")).content.decode()
    assert html.count("data-notification=") == 1
    assert f'data-notification="{mine.pk}"' in html and "data-unread>" in html and "<strong>" in html
    response = client.post(reverse("notification_read"), {"id": mine.pk, "next": "http://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("notification_list")
    html = client.get(reverse("notification_list")).content.decode()
    assert "data-unread>" not in html
    # Opening someone else's notification reveals nothing and marks nothing.
    other = Notification.objects.get(recipient=world.region_director)
    assert client.get(reverse("notification_open", args=[other.pk]))["Location"] == reverse("notification_list")
    other.refresh_from_db()
    assert other.read_at is None


def test_opening_a_notification_follows_its_link_and_marks_it_read(client, world):
    note = send([world.dispatcher], url="/orders/")[0]
    client.force_login(world.dispatcher)
    response = client.get(reverse("notification_open", args=[note.pk]))
    assert response["Location"] == "/orders/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_bell_shows_the_unread_count_and_polls(client, world):
    client.force_login(world.dispatcher)
    html = client.get(reverse("notification_bell")).content.decode()
    assert 'data-unread-count="0"' in html and "data-bell-count" not in html and 'hx-trigger="every 30s"' in html
    send([world.dispatcher])
    send([world.dispatcher])
    html = client.get(reverse("notification_bell")).content.decode()
    assert 'data-unread-count="2"' in html and "data-bell-count>2<" in html
    html = client.post(reverse("notification_read"), {"all": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-unread-count="0"' in html


def test_bell_partial_for_the_topbar(rf, world):
    from django.template.loader import render_to_string

    send([world.dispatcher])
    request = rf.get("/")
    request.user = world.dispatcher
    html = render_to_string("web/partials/bell.html", {"user": world.dispatcher, "request": request})
    assert 'data-unread-count="1"' in html and "anxin/sla.js" in html and "data-sla-formats" in html


def test_pages_need_a_login(client, world):
    assert client.get(reverse("notification_list")).status_code == 302
    assert client.get(reverse("notification_bell")).status_code == 302


@pytest.mark.parametrize("persona", ["dispatcher", "region_director"])
def test_api_lists_only_mine_and_marks_read(world, persona):
    send([world.dispatcher])
    send([world.dispatcher])
    send([world.region_director])
    client = api(world.users[persona])
    body = client.get("/notifications").json()
    expected = 2 if persona == "dispatcher" else 1
    assert body["unread"] == expected and len(body["items"]) == expected
    assert {item["title"] for item in body["items"]} == {"工单"}
    first = body["items"][0]["id"]
    others = list(Notification.objects.exclude(recipient=world.users[persona]).values_list("pk", flat=True))
    assert client.post("/notifications/read", {"ids": [first, *others]}).json() == {"updated": 1, "unread": expected - 1}
    assert client.post("/notifications/read", {"all": True}).json()["unread"] == 0
    assert Notification.objects.exclude(recipient=world.users[persona]).filter(read_at__isnull=True).count() == len(others)
