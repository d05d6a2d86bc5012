"""The order page's timeline: a long history keeps its newest entries, and changes are told by field
name (never found again by comparing translated labels)."""

from __future__ import annotations

from django.urls import reverse

from anxin.core.audit import audited, history_entries
from anxin.orders.models import WorkOrder


def change(order, actor, **values):
    for name, value in values.items():
        setattr(order, name, value)
    audited(order, actor, "edit").save()


def test_history_entries_keep_the_newest_records_each_with_its_changes(world):
    order = world.order()  # created + routed: two records
    for i in range(5):
        change(order, world.hq_manager, notes=f"备注 {i}")
    entries = history_entries(order, limit=3)
    assert len(entries) == 3
    # Newest first, and the oldest one kept is diffed against the record before it (not shown bare).
    assert [e["changes"] for e in entries] == [
        [{"name": "notes", "field": "内部备注", "old": f"备注 {i - 1}", "new": f"备注 {i}"}] for i in (4, 3, 2)
    ]
    assert all(e["model"] is WorkOrder for e in entries)


def test_a_long_history_shows_its_newest_change_on_the_page(client, world):
    order = world.order()
    for i in range(205):
        change(order, world.hq_manager, notes=f"备注 {i}")
    change(order, world.hq_manager, priority="urgent")
    client.force_login(world.hq_manager)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-change-field="priority"' in html
    assert "备注 204" in html


def test_changes_are_matched_by_field_name_not_by_label(client, world, monkeypatch):
    order = world.order()
    change(order, world.hq_manager, notes="请先电话联系")
    # Two fields that happen to share a label (a translation, a rename) must not be confused: the
    # notes change is not the hidden status change.
    monkeypatch.setattr(WorkOrder._meta.get_field("notes"), "verbose_name", WorkOrder._meta.get_field("status").verbose_name)
    client.force_login(world.hq_manager)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-change-field="notes"' in html and "请先电话联系" in html
    assert 'data-change-field="status"' not in html and 'data-change-field="version"' not in html
