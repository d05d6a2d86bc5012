"""The outbox of domain events (decisions 0039, 0040): written with the change, handled after commit,
exactly once per (event, handler) for database effects, whatever crashes, retries or runners do.

The kill / restart / two-runner tests need real commits (``transaction=True``) and, for the race,
a connection per thread (``anxin.testing.race``); on PostgreSQL the claim also skips rows another
runner holds. Time is the ``now`` passed to ``drain`` (leases and backoff without sleeping).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from anxin.core import events, outbox
from anxin.core.events import EventPayloadError, after_commit, has_subscribers, in_transaction, publish
from anxin.core.models import ActivityLog, DeliveryStatus, OutboxDelivery, OutboxEvent
from anxin.orders.choices import OrderStatus
from anxin.orders.models import StatusChange
from anxin.orders.workflow.services import order_transition
from anxin.testing import build_world, race

EVENT = "test.happened"


class Handlers:
    """Durable handlers registered for one test and removed after it; each call is counted and
    leaves one database effect (an activity-log row naming the handler and the event)."""

    def __init__(self):
        self.calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self.registered: list[tuple[str, str]] = []

    def add(self, name: str, *, event: str = EVENT, fail: BaseException | None = None, before=None, after=None):
        def handler(outbox_event):
            if before:
                before()
            from anxin.core.services import activity_record

            activity_record(actor=None, action="test.outbox", target=f"{name}:{outbox_event.pk}", detail=outbox_event.payload)
            with self._lock:
                self.calls.append((name, outbox_event.pk))
            if after:
                after()
            if fail is not None:
                raise fail

        handler.__qualname__ = f"handler_{name}"
        after_commit(event, name=name)(handler)
        self.registered.append((event, name))
        return handler

    def effects(self, name: str, event_id: int) -> int:
        return ActivityLog.objects.filter(action="test.outbox", target=f"{name}:{event_id}").count()

    def clear(self):
        for event, name in self.registered:
            events.unregister(event, name)


@pytest.fixture
def handlers():
    h = Handlers()
    yield h
    h.clear()


def delivery(event_id: int, handler: str) -> OutboxDelivery:
    return OutboxDelivery.objects.get(event_id=event_id, handler=handler)


# --- publishing ---------------------------------------------------------------------------------


def test_publish_writes_the_event_and_one_delivery_per_durable_handler(world, handlers):
    handlers.add("test.first")
    handlers.add("test.second")
    order = world.order()
    at = timezone.now()
    publish(EVENT, order=order, actor=world.agent, nobody=None, at=at, on=at.date(), ids=[order, 2], note="好", extra={"n": 1.5})
    event = OutboxEvent.objects.get(name=EVENT)
    assert event.payload == {
        "order": order.pk,
        "actor": world.agent.pk,
        "nobody": None,
        "at": at.isoformat(),
        "on": at.date().isoformat(),
        "ids": [order.pk, 2],
        "note": "好",
        "extra": {"n": 1.5},
    }
    assert sorted(event.deliveries.values_list("handler", "status", "attempts")) == [
        ("test.first", DeliveryStatus.PENDING, 0),
        ("test.second", DeliveryStatus.PENDING, 0),
    ]
    assert handlers.calls == []  # nothing runs before commit and a drain


def test_an_event_nobody_handles_after_commit_writes_no_row(world):
    world.order()  # order.created, order.route: only in-transaction rules (dispatch) listen
    assert not OutboxEvent.objects.exists()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (Decimal("12.50"), "Decimal"),
        (timezone.now().replace(tzinfo=None), "naive datetime"),
        ({1, 2}, "set"),
        (b"raw", "bytes"),
        (object(), "object"),
        (float("nan"), "nan"),
        ({1: "x"}, "key 1"),
        ([1, Decimal("1")], "thing[1] is a Decimal"),
    ],
    ids=["decimal", "naive-datetime", "set", "bytes", "object", "nan", "int-key", "nested"],
)
def test_a_payload_that_is_not_json_is_refused_at_publish_time(db, handlers, value, says):
    handlers.add("test.first")
    with pytest.raises(EventPayloadError) as refused:
        publish(EVENT, thing=value)
    assert "test.happened" in str(refused.value) and "thing" in str(refused.value) and says in str(refused.value)
    assert not OutboxEvent.objects.exists()
    # Refused for an event nobody handles yet, too: a bad payload fails in the first test that publishes it.
    with pytest.raises(EventPayloadError):
        publish("test.unheard", thing=value)


def test_an_unsaved_model_instance_is_refused(world, handlers):
    from anxin.customers.models import Customer

    handlers.add("test.first")
    with pytest.raises(EventPayloadError, match="unsaved Customer"):
        publish(EVENT, customer=Customer(name="x"))


def test_handler_names_are_checked_and_unique_per_event(handlers):
    with pytest.raises(ValueError, match="dotted lower-case"):
        after_commit(EVENT, name="NoDots")
    handlers.add("test.first")
    with pytest.raises(ValueError, match="already taken"):
        after_commit(EVENT, name="test.first")(lambda event: None)


def test_has_subscribers_counts_both_kinds(handlers):
    assert not has_subscribers(EVENT)
    handlers.add("test.first")
    assert has_subscribers(EVENT)
    events.unregister(EVENT, "test.first")
    assert not has_subscribers(EVENT)

    def rule(**payload):
        pass

    in_transaction(EVENT)(rule)
    try:
        assert has_subscribers(EVENT)
    finally:
        events._handlers[EVENT].remove(rule)


def test_routing_stays_a_rule_inside_the_creating_transaction(world):
    # dispatch's rule is registered with in_transaction: the intake answer already says where it went.
    from anxin.dispatch.services import route_new_order

    assert route_new_order in events._handlers["order.created"] and route_new_order in events._handlers["order.approve"]
    assert world.order().status == OrderStatus.ROUTED


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_event(handlers):
    handlers.add("test.first")
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(EVENT, n=1)
        raise RuntimeError("the change failed")
    assert not OutboxEvent.objects.exists() and not OutboxDelivery.objects.exists()

    # An order step that fails (here: an in-transaction rule refuses it) writes no event either.
    handlers.add("test.on_create", event="order.created")
    world = build_world()

    def refuse(**payload):
        raise RuntimeError("rule broken")

    events._handlers["order.created"].append(refuse)
    try:
        with pytest.raises(RuntimeError, match="rule broken"):
            world.order()
    finally:
        events._handlers["order.created"].remove(refuse)
    assert not OutboxEvent.objects.exists()
    world.order()
    assert OutboxEvent.objects.filter(name="order.created").count() == 1


# --- after a crash --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_killed_between_commit_and_handling_it_is_handled_once_after_restart(handlers):
    handlers.add("test.on_create", event="order.created")
    world = build_world()
    order = world.order()  # committed; the process "dies" before any runner drains
    event = OutboxEvent.objects.get(name="order.created")
    assert event.payload == {"order": order.pk, "actor": world.agent.pk}
    assert delivery(event.pk, "test.on_create").status == DeliveryStatus.PENDING

    result = outbox.drain()  # the restarted runner
    assert result.done == [delivery(event.pk, "test.on_create").pk]
    assert outbox.drain().done == []  # and again: nothing left
    assert handlers.calls == [("test.on_create", event.pk)] and handlers.effects("test.on_create", event.pk) == 1
    done = delivery(event.pk, "test.on_create")
    assert done.status == DeliveryStatus.DONE and done.attempts == 1 and done.done_at is not None and done.claim_token == ""


@pytest.mark.django_db(transaction=True)
def test_a_runner_killed_while_handling_is_taken_over_after_the_lease(handlers, settings):
    settings.ANXIN_OUTBOX_LEASE_SECONDS = 300
    state = {"kill": True}

    def die_first_time():
        if state.pop("kill", False):
            raise SystemExit("killed")  # not an Exception: the runner process ends here

    handlers.add("test.first")
    # The fragile handler writes its effect, then its process dies before the commit.
    handlers.add("test.fragile", after=die_first_time)
    publish(EVENT, n=1)
    event = OutboxEvent.objects.get()
    t0 = timezone.now()
    with pytest.raises(SystemExit):
        outbox.drain(now=t0)
    fragile_row = delivery(event.pk, "test.fragile")
    assert fragile_row.status == DeliveryStatus.PENDING and fragile_row.attempts == 1 and fragile_row.claimed_until is not None
    assert handlers.effects("test.fragile", event.pk) == 0  # its write died with its transaction

    assert delivery(event.pk, "test.first").status == DeliveryStatus.DONE  # handled before the crash, and kept
    # Within the lease nobody touches it (its runner may still be alive).
    assert not outbox.drain(now=t0 + timedelta(seconds=299))
    assert delivery(event.pk, "test.fragile").attempts == 1
    # After the lease another runner takes it over, once.
    assert outbox.drain(now=t0 + timedelta(seconds=301)).done == [fragile_row.pk]
    assert outbox.drain(now=t0 + timedelta(hours=1)).done == []
    assert handlers.effects("test.fragile", event.pk) == 1 and handlers.effects("test.first", event.pk) == 1
    assert delivery(event.pk, "test.fragile").attempts == 2


@pytest.mark.django_db(transaction=True)
def test_a_claim_whose_runner_died_before_running_is_retaken_after_the_lease(handlers, settings):
    settings.ANXIN_OUTBOX_LEASE_SECONDS = 60
    handlers.add("test.first")
    publish(EVENT, n=1)
    t0 = timezone.now()
    claimed, _token = outbox.claim_next(now=t0)  # … and the runner is gone
    assert outbox.drain(now=t0 + timedelta(seconds=59)).done == []
    assert outbox.drain(now=t0 + timedelta(seconds=61)).done == [claimed.pk]
    assert handlers.calls == [("test.first", claimed.event_id)]


@pytest.mark.django_db(transaction=True)
def test_a_late_runner_whose_lease_passed_cannot_mark_it_done_twice(handlers, settings):
    settings.ANXIN_OUTBOX_LEASE_SECONDS = 60
    handlers.add("test.first")
    publish(EVENT, n=1)
    t0 = timezone.now()
    slow, slow_token = outbox.claim_next(now=t0)  # runner A claims, then stalls past its lease
    assert outbox.drain(now=t0 + timedelta(seconds=61)).done == [slow.pk]  # runner B takes over and handles it
    assert outbox.deliver(slow, slow_token) == "lost"  # A wakes up: its work is refused and undone
    assert handlers.effects("test.first", slow.event_id) == 1


@pytest.mark.django_db(transaction=True)
def test_a_runner_that_died_at_its_last_try_leaves_the_delivery_stuck(handlers, settings):
    settings.ANXIN_OUTBOX_MAX_ATTEMPTS = 1
    settings.ANXIN_OUTBOX_LEASE_SECONDS = 60
    handlers.add("test.first")
    publish(EVENT, n=1)
    t0 = timezone.now()
    claimed, _token = outbox.claim_next(now=t0)
    assert outbox.drain(now=t0 + timedelta(seconds=61)).stuck == [claimed.pk]
    row = delivery(claimed.event_id, "test.first")
    assert row.status == DeliveryStatus.STUCK and "lease" in row.last_error and handlers.calls == []


# --- two runners ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_run_each_handler_once_per_event(handlers):
    # A short pause inside each handler keeps both runners busy at the same time.
    for name in ("test.first", "test.second"):
        handlers.add(name, before=lambda: time.sleep(0.02))
    for n in range(6):
        publish(EVENT, n=n)
    event_ids = list(OutboxEvent.objects.values_list("pk", flat=True))

    first, second = race([outbox.drain, outbox.drain])
    assert sorted(first.done + second.done) == sorted(OutboxDelivery.objects.values_list("pk", flat=True))
    expected = sorted((name, pk) for pk in event_ids for name in ("test.first", "test.second"))
    assert sorted(handlers.calls) == expected  # each (handler, event) exactly once
    assert all(handlers.effects(name, pk) == 1 for name, pk in expected)
    assert set(OutboxDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.DONE, 1)}


@pytest.mark.django_db(transaction=True)
def test_two_runners_claiming_the_same_delivery_at_once_one_gets_it(handlers):
    handlers.add("test.first")
    publish(EVENT, n=1)
    now = timezone.now()
    claims = race([lambda: outbox.claim_next(now=now), lambda: outbox.claim_next(now=now)])
    assert sorted(c is None for c in claims) == [False, True]
    assert OutboxDelivery.objects.get().attempts == 1


# --- failures -------------------------------------------------------------------------------------


def test_a_failing_handler_is_retried_with_backoff_then_stuck_and_the_order_step_is_unaffected(world, handlers, settings):
    settings.ANXIN_OUTBOX_MAX_ATTEMPTS = 3
    settings.ANXIN_OUTBOX_BACKOFF_SECONDS = 30
    settings.ANXIN_OUTBOX_BACKOFF_MAX_SECONDS = 3600
    handlers.add("test.failing", event="order.accept", fail=RuntimeError("settlement service down"))
    handlers.add("test.good", event="order.accept")
    order = world.order()
    accepted = order_transition(order_id=order.pk, action="accept", actor=world.dispatcher, expected_version=order.version)
    assert accepted.status == OrderStatus.ACCEPTED  # the step is done, whatever its handlers will do
    event = OutboxEvent.objects.get(name="order.accept")

    t0 = timezone.now()
    first = outbox.drain(now=t0)
    failing = delivery(event.pk, "test.failing")
    assert first.done == [delivery(event.pk, "test.good").pk] and first.failed == [failing.pk]
    assert failing.status == DeliveryStatus.PENDING and failing.attempts == 1
    assert failing.next_attempt_at == t0 + timedelta(seconds=30)
    assert failing.last_error.startswith("RuntimeError: settlement service down")
    assert handlers.effects("test.failing", event.pk) == 0  # its writes were rolled back with the failure

    assert not outbox.drain(now=t0 + timedelta(seconds=29))  # not before its backoff
    assert outbox.drain(now=t0 + timedelta(seconds=30)).failed == [failing.pk]
    failing.refresh_from_db()
    assert failing.attempts == 2 and failing.next_attempt_at == t0 + timedelta(seconds=30 + 60)
    assert outbox.drain(now=t0 + timedelta(seconds=90)).stuck == [failing.pk]
    failing.refresh_from_db()
    assert failing.status == DeliveryStatus.STUCK and failing.attempts == 3
    assert not outbox.drain(now=t0 + timedelta(days=1))  # stuck: waits for a person

    assert handlers.calls.count(("test.good", event.pk)) == 1 and handlers.effects("test.good", event.pk) == 1
    assert handlers.calls.count(("test.failing", event.pk)) == 3
    accepted.refresh_from_db()
    assert accepted.status == OrderStatus.ACCEPTED
    assert StatusChange.objects.filter(order=order, action="accept").count() == 1


def test_backoff_doubles_and_is_capped(settings):
    settings.ANXIN_OUTBOX_BACKOFF_SECONDS = 30
    settings.ANXIN_OUTBOX_BACKOFF_MAX_SECONDS = 200
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_a_handler_gone_from_the_code_fails_like_any_error(db, handlers, settings):
    settings.ANXIN_OUTBOX_MAX_ATTEMPTS = 1
    handlers.add("test.retired")
    publish(EVENT, n=1)
    events.unregister(EVENT, "test.retired")  # a deploy removed it; its deliveries remain
    assert outbox.drain().stuck
    assert "no durable handler 'test.retired'" in OutboxDelivery.objects.get().last_error


# --- drivers --------------------------------------------------------------------------------------


def test_run_periodic_once_drains_the_outbox(db, handlers):
    handlers.add("test.first")
    publish(EVENT, n=1)
    out = StringIO()
    call_command("run_periodic", "--once", stdout=out)
    assert "outbox: 1 handled, 0 to retry, 0 stuck" in out.getvalue()
    assert OutboxDelivery.objects.get().status == DeliveryStatus.DONE


def test_the_celery_task_drains_and_beat_schedules_it(db, handlers, settings):
    from anxin.celery import beat_schedule, drain_outbox

    settings.ANXIN_OUTBOX_POLL_SECONDS = 5
    entry = beat_schedule()["outbox:drain"]
    assert entry["task"] == "anxin.outbox.drain" and entry["schedule"] == 5
    handlers.add("test.first")
    publish(EVENT, n=1)
    assert drain_outbox.apply().get() == 1
    assert OutboxDelivery.objects.get().status == DeliveryStatus.DONE


def test_with_a_worker_a_commit_kicks_a_drain(db, handlers, settings, django_capture_on_commit_callbacks):
    handlers.add("test.first")
    settings.ANXIN_OUTBOX_KICK = True  # production: the task goes to a worker; here it runs eagerly
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        publish(EVENT, n=1)
        assert OutboxDelivery.objects.get().status == DeliveryStatus.PENDING
    assert len(callbacks) == 1
    assert OutboxDelivery.objects.get().status == DeliveryStatus.DONE


def test_without_a_worker_nothing_runs_in_the_request(db, handlers, django_capture_on_commit_callbacks):
    handlers.add("test.first")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        publish(EVENT, n=1)
    assert callbacks == [] and OutboxDelivery.objects.get().status == DeliveryStatus.PENDING


def test_handled_events_are_purged_after_their_keeping_time_and_open_ones_kept(db, handlers, settings):
    settings.ANXIN_OUTBOX_KEEP_DAYS = 7
    settings.ANXIN_OUTBOX_MAX_ATTEMPTS = 1
    handlers.add("test.first")
    publish(EVENT, n=1)
    handlers.add("test.failing", event="test.other", fail=RuntimeError("x"))
    publish("test.other", n=2)
    outbox.drain()
    assert outbox.events_purge(now=timezone.now() + timedelta(days=6)) == 0
    assert outbox.events_purge(now=timezone.now() + timedelta(days=8)) == 1
    assert list(OutboxEvent.objects.values_list("name", flat=True)) == ["test.other"]  # its delivery is stuck


# --- the HQ page ----------------------------------------------------------------------------------


@pytest.fixture
def stuck(world, handlers, settings):
    settings.ANXIN_OUTBOX_MAX_ATTEMPTS = 1
    state = {"fail": True}

    def flaky(outbox_event):
        if state["fail"]:
            raise RuntimeError("message gateway refused")

    after_commit("order.accept", name="test.flaky")(flaky)
    handlers.registered.append(("order.accept", "test.flaky"))
    order = world.order()
    order_transition(order_id=order.pk, action="accept", actor=world.dispatcher)
    assert outbox.drain().stuck
    row = OutboxDelivery.objects.get(handler="test.flaky")
    row.fix = lambda: state.update(fail=False)
    return row


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_hq_manager_sees_stuck_deliveries_and_retries_one(world, stuck):
    client = client_for(world.hq_manager)
    page = client.get(reverse("outbox_deliveries"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-delivery="{stuck.pk}"' in html and "test.flaky" in html and "message gateway refused" in html
    assert "order.accept" in html and 'data-nav="outbox"' in html

    stuck.fix()
    response = client.post(reverse("outbox_retry", args=[stuck.pk]))
    assert response.status_code == 302 and response.url == reverse("outbox_deliveries")
    stuck.refresh_from_db()
    assert stuck.status == DeliveryStatus.PENDING and stuck.attempts == 0
    log = ActivityLog.objects.get(action="core.outbox_retry")
    assert log.actor == world.hq_manager and log.target == f"core.outboxdelivery:{stuck.pk}"
    assert log.detail["handler"] == "test.flaky" and log.detail["attempts"] == 1
    assert log.detail["last_error"] == "RuntimeError: message gateway refused"
    assert outbox.drain().done == [stuck.pk]
    assert f'data-delivery="{stuck.pk}"' not in client.get(reverse("outbox_deliveries")).content.decode()

    # Retrying it again (a second click): nothing happens, the page says why.
    again = client.post(reverse("outbox_retry", args=[stuck.pk]), follow=True)
    assert again.status_code == 200 and "不是卡住状态" in again.content.decode()
    assert ActivityLog.objects.filter(action="core.outbox_retry").count() == 1
    assert client.post(reverse("outbox_retry", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "persona",
    [
        "tech_lead",
        "quality",
        "settlement",
        "region_director",
        "agent",
        "callback_agent",
        "parts_clerk",
        "dispatcher",
        "technician",
        "dealer",
        "outsider_director",
    ],
)
def test_other_roles_may_not_see_or_retry(world, stuck, persona):
    client = client_for(world.users[persona])
    assert client.get(reverse("outbox_deliveries")).status_code == 403
    assert client.post(reverse("outbox_retry", args=[stuck.pk])).status_code == 403
    assert b'data-nav="outbox"' not in client.get(reverse("home")).content
    stuck.refresh_from_db()
    assert stuck.status == DeliveryStatus.STUCK and not ActivityLog.objects.filter(action="core.outbox_retry").exists()


def test_anonymous_visitors_are_sent_to_log_in(db):
    for response in (Client().get(reverse("outbox_deliveries")), Client().post(reverse("outbox_retry", args=[1]))):
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_page_takes_a_fixed_number_of_queries(world, handlers, settings, django_assert_max_num_queries):
    settings.ANXIN_OUTBOX_MAX_ATTEMPTS = 1
    handlers.add("test.failing", fail=RuntimeError("down"))
    for n in range(5):
        publish(EVENT, n=n)
    assert len(outbox.drain().stuck) == 5
    client = client_for(world.hq_manager)
    client.get(reverse("outbox_deliveries"))  # warm the session / user caches
    with django_assert_max_num_queries(12):
        page = client.get(reverse("outbox_deliveries"))
    assert page.content.decode().count("data-retry=") == 5
