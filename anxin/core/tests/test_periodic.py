"""The periodic-job registry and runner: each due job runs once per period, whoever asks."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from anxin.core import periodic
from anxin.core.models import PeriodicRun


@pytest.fixture
def counter():
    calls = []

    @periodic.periodic(every=timedelta(minutes=5), name="test.counter")
    def job():
        calls.append(1)
        return len(calls)

    yield calls
    periodic.unregister("test.counter")


def only_test_jobs(monkeypatch):
    # The escalation job is registered too; keep these tests about the runner alone.
    monkeypatch.setattr(periodic, "jobs", lambda: [periodic.get_job("test.counter")])


def test_a_due_job_runs_once_per_period(db, counter, monkeypatch):
    only_test_jobs(monkeypatch)
    now = timezone.now()
    assert periodic.run_due(now) == ["test.counter"]
    assert periodic.run_due(now) == []
    assert periodic.run_due(now + timedelta(minutes=4)) == []
    assert periodic.run_due(now + timedelta(minutes=5)) == ["test.counter"]
    assert len(counter) == 2
    run = PeriodicRun.objects.get(name="test.counter")
    assert run.last_started == now + timedelta(minutes=5) and run.last_finished >= run.last_started


def test_two_runners_claim_the_same_period_only_once(db, counter):
    job = periodic.get_job("test.counter")
    now = timezone.now()
    assert [periodic.claim(job, now), periodic.claim(job, now)] == [True, False]


def test_a_running_job_is_not_started_again_until_it_is_stale(db, counter):
    job = periodic.get_job("test.counter")
    now = timezone.now()
    PeriodicRun.objects.create(name=job.name, last_started=now - timedelta(minutes=10), last_finished=None)
    assert periodic.run_job(job, now) is False  # still "running" (started 10 min ago, never finished)
    assert periodic.run_job(job, now + job.stale_after) is True  # died: taken over
    assert counter == [1]


def test_a_failing_job_is_logged_and_finished(db, monkeypatch):
    @periodic.periodic(every=timedelta(minutes=1), name="test.failing")
    def failing():
        raise RuntimeError("boom")

    try:
        job = periodic.get_job("test.failing")
        assert periodic.run_job(job) is True
        assert PeriodicRun.objects.get(name="test.failing").last_finished is not None
    finally:
        periodic.unregister("test.failing")


def test_registry_loads_the_escalation_job():
    names = [job.name for job in periodic.load_jobs()]
    assert "orders.escalate_due" in names
    assert periodic.get_job("orders.escalate_due").every == timedelta(minutes=5)


def test_run_periodic_once_command_runs_due_jobs(db, counter):
    out = StringIO()
    call_command("run_periodic", "--once", stdout=out)
    assert "test.counter" in out.getvalue() and "orders.escalate_due" in out.getvalue()
    assert counter == [1]
    call_command("run_periodic", "--once", stdout=out)
    assert counter == [1]
    call_command("run_periodic", "--job", "test.counter", stdout=out)  # forced
    assert counter == [1, 1]


def test_celery_task_and_beat_schedule_use_the_same_jobs(db, counter):
    from anxin.celery import beat_schedule, run_periodic_job

    schedule = beat_schedule()
    entry = schedule["periodic:orders.escalate_due"]
    assert entry["task"] == "anxin.periodic.run_job" and entry["schedule"] == 300 and entry["args"] == ("orders.escalate_due",)
    assert run_periodic_job.apply(args=("test.counter",)).get() is True
    assert run_periodic_job.apply(args=("test.counter",)).get() is False  # same period: already run
    assert counter == [1]
    assert run_periodic_job.apply(args=("no.such.job",)).get() is False
