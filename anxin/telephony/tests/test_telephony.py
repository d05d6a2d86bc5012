"""Telephony: PBX call events, the screen pop, intake logging with follow-ups, the call log's scope."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from anxin.accounts.choices import Role
from anxin.accounts.services import api_token_create, user_create
from anxin.core.errors import NotFound
from anxin.telephony.choices import CallState, CallType, Disposition, FollowUpKind
from anxin.telephony.models import Call, FollowUpTask
from anxin.telephony.services import call_event_record, call_log

URL = "/api/v1/telephony/call-events"


def _post(client, body, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def pbx_token(world):
    _token, raw = api_token_create(actor=world.hq_manager, user=world.agent, name="PBX")
    return raw


def _ring(client, token, call_id="C-1", caller="138 1234 5678", **kw):
    body = {"call_id": call_id, "event": "ringing", "caller": caller, "called": "4008887777", "extension": "8012", **kw}
    return _post(client, body, token)


def test_ringing_binds_agent_and_matches_customer(world, client, pbx_token):
    customer = world.customer(phone="13812345678")
    resp = _ring(client, pbx_token)
    assert resp.status_code == 200, resp.content
    call = Call.objects.get(call_id="C-1")
    assert call.agent == world.agent
    assert call.customer == customer
    assert call.caller_number == "13812345678"
    assert call.region == world.region
    assert call.state == CallState.RINGING
    assert resp.json()["customer_id"] == customer.pk
    assert call.history.count() == 1


def test_unknown_caller_keeps_the_number(world, client, pbx_token):
    assert _ring(client, pbx_token, caller="13700001111").status_code == 200
    call = Call.objects.get(call_id="C-1")
    assert call.customer is None and call.caller_number == "13700001111"
    # An invalid caller ID (anonymous, internal) is kept as the PBX sent it.
    assert _ring(client, pbx_token, call_id="C-2", caller="anonymous").status_code == 200
    assert Call.objects.get(call_id="C-2").caller_number == "anonymous"


def test_events_are_idempotent_and_out_of_order_tolerant(world, client, pbx_token):
    t0 = timezone.now().replace(microsecond=0)
    base = {"call_id": "C-9", "caller": "13812345678", "extension": "8012"}
    # answered arrives before ringing.
    assert _post(client, {**base, "event": "answered", "at": (t0 + timedelta(seconds=5)).isoformat()}, pbx_token).status_code == 200
    assert _post(client, {**base, "event": "ringing", "at": t0.isoformat()}, pbx_token).status_code == 200
    call = Call.objects.get(call_id="C-9")
    assert call.state == CallState.ANSWERED
    assert call.started_at == t0 and call.answered_at == t0 + timedelta(seconds=5)
    history = call.history.count()
    # Replays change nothing.
    for _ in range(2):
        _post(client, {**base, "event": "ringing", "at": t0.isoformat()}, pbx_token)
        _post(client, {**base, "event": "answered", "at": (t0 + timedelta(seconds=9)).isoformat()}, pbx_token)
    call.refresh_from_db()
    assert call.answered_at == t0 + timedelta(seconds=5) and call.history.count() == history
    assert Call.objects.filter(call_id="C-9").count() == 1
    end = {**base, "event": "ended", "at": (t0 + timedelta(minutes=3)).isoformat(), "recording_url": "https://pbx.example/r/9.wav"}
    assert _post(client, end, pbx_token).status_code == 200
    _post(client, {**base, "event": "answered", "at": (t0 + timedelta(minutes=4)).isoformat()}, pbx_token)
    call.refresh_from_db()
    assert call.state == CallState.ENDED
    assert call.ended_at == t0 + timedelta(minutes=3)
    assert call.recording_url == "https://pbx.example/r/9.wav"
    assert call.duration_seconds == 175


def test_bad_event_names_the_field(world, client, pbx_token):
    resp = _post(client, {"call_id": "C-1", "event": "hangup"}, pbx_token)
    assert resp.status_code == 422  # outside the documented enum
    assert "event" in resp.json()["error"]["fields"]
    resp = _post(client, {"call_id": "", "event": "ringing"}, pbx_token)
    assert "call_id" in resp.json()["error"]["fields"]


def test_technician_may_not_post_events(world, client):
    _t, raw = api_token_create(actor=world.hq_manager, user=world.users["technician"], name="x")
    assert _ring(client, raw).status_code == 403
    client.force_login(world.users["technician"])
    assert _ring(client, None).status_code == 403
    assert not Call.objects.exists()


def test_anonymous_is_refused(world, client):
    assert _ring(client, None).status_code == 401


def test_pop_shows_customer_to_bound_agent_only(world, client, pbx_token):
    customer = world.customer(phone="13812345678", group="vip")
    _ring(client, pbx_token)
    call = Call.objects.get()
    client.force_login(world.agent)
    resp = client.get(reverse("screen_pop"))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "data-screen-pop" in html and f'data-pop-customer="{customer.pk}"' in html and "data-vip" in html
    assert f"call={call.pk}" in html and "data-pop-new-order" in html
    # Already shown: nothing to swap.
    assert client.get(reverse("screen_pop"), {"shown": call.pk}).status_code == 204
    # Another agent sees nothing.
    other = world.callback_agent
    other.extension = "8013"
    other.save()
    client.force_login(other)
    assert "data-screen-pop" not in client.get(reverse("screen_pop")).content.decode()
    # Dismissed: the pop closes.
    client.force_login(world.agent)
    resp = client.post(reverse("screen_pop_dismiss", args=[call.pk]))
    assert "data-screen-pop" not in resp.content.decode()
    assert "data-screen-pop" not in client.get(reverse("screen_pop")).content.decode()


def test_pop_for_unknown_caller_offers_new_customer(world, client, pbx_token):
    _ring(client, pbx_token, caller="13700001111")
    client.force_login(world.agent)
    html = client.get(reverse("screen_pop")).content.decode()
    assert "data-pop-new-customer" in html and "phone=13700001111" in html
    resp = client.get(reverse("customer_create"), {"phone": "13700001111"})
    assert 'value="13700001111"' in resp.content.decode()


def test_agent_pages_wait_on_the_pop_stream_and_poll_nothing(world, client):
    client.force_login(world.agent)
    html = client.get(reverse("home")).content.decode()
    assert f'sse-connect="{reverse("screen_pop_stream")}"' in html and 'sse-swap="pop"' in html
    assert "vendor/htmx-ext-sse.min.js" in html
    assert f'hx-get="{reverse("screen_pop")}' not in html  # the pop is not polled: no request per second (decision 0051)
    client.force_login(world.dispatcher)
    assert reverse("screen_pop_stream") not in client.get(reverse("home")).content.decode()


def _call(world, call_id="C-1"):
    return call_event_record(actor=world.agent, call_id=call_id, event="ringing", caller="13812345678", extension="8012")


def test_guidance_schedules_callback_in_30_minutes(world, settings):
    call = _call(world)
    before = timezone.now()
    call_log(
        actor=world.agent,
        call_id=call.pk,
        call_type=CallType.PHONE_GUIDANCE,
        disposition=Disposition.RESOLVED,
        advice="断电重启，清洗滤网",
    )
    task = FollowUpTask.objects.get(call=call)
    assert task.kind == FollowUpKind.CONFIRM_GUIDANCE and task.assigned_to == world.agent
    assert timedelta(minutes=29) < task.due_at - before < timedelta(minutes=31)
    settings.ANXIN_GUIDANCE_CALLBACK_MINUTES = 10
    other = _call(world, "C-2")
    call_log(actor=world.agent, call_id=other.pk, call_type=CallType.PHONE_GUIDANCE, disposition=Disposition.RESOLVED, advice="x")
    assert FollowUpTask.objects.get(call=other).due_at - before < timedelta(minutes=11)


def test_guidance_needs_advice_and_complaint_gets_follow_up(world):
    from anxin.core.errors import ValidationFailed

    call = _call(world)
    with pytest.raises(ValidationFailed) as exc:
        call_log(actor=world.agent, call_id=call.pk, call_type=CallType.PHONE_GUIDANCE, disposition=Disposition.RESOLVED)
    assert "advice" in exc.value.fields
    call_log(actor=world.agent, call_id=call.pk, call_type=CallType.COMPLAINT, disposition=Disposition.FOLLOW_UP, notes="师傅迟到")
    assert FollowUpTask.objects.get(call=call).kind == FollowUpKind.COMPLAINT


def test_disposition_required(world, client):
    call = _call(world)
    client.force_login(world.agent)
    resp = client.post(reverse("call_detail", args=[call.pk]), {"call_type": CallType.INFORMATION, "disposition": ""})
    assert resp.status_code == 400
    assert 'data-error-field="disposition"' in resp.content.decode()
    call.refresh_from_db()
    assert call.disposition == ""
    resp = client.post(reverse("call_detail", args=[call.pk]), {"call_type": CallType.INFORMATION, "disposition": Disposition.RESOLVED})
    assert resp.status_code == 302
    call.refresh_from_db()
    assert call.disposition == Disposition.RESOLVED and call.logged_at is not None


def test_log_links_a_customer_order(world, client):
    customer = world.customer()
    call = _call(world)
    assert call.customer == customer
    order = world.order(customer=customer)
    client.force_login(world.agent)
    resp = client.post(
        reverse("call_detail", args=[call.pk]),
        {"call_type": CallType.SERVICE_REGISTRATION, "disposition": Disposition.ORDER_CREATED, "order": order.pk},
    )
    assert resp.status_code == 302
    call.refresh_from_db()
    assert call.order == order


def test_order_created_from_pop_links_the_call(world, client):
    from anxin.customers.services import appliance_add

    customer = world.customer()
    appliance = appliance_add(actor=world.agent, customer=customer, product_model=world.model, serial="SN-7")
    call = _call(world)
    client.force_login(world.agent)
    start = timezone.localtime() + timedelta(hours=3)
    resp = client.post(
        reverse("order_create") + f"?customer={customer.pk}",
        {
            "customer": customer.pk,
            "call": call.pk,
            "address": customer.addresses.first().pk,
            "order_type": "repair",
            "priority": "normal",
            "appointment_start": start.strftime("%Y-%m-%dT%H:%M"),
            "appointment_end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "appliance_id": [appliance.pk],
            f"symptom_{appliance.pk}": "不制冷",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    call.refresh_from_db()
    assert call.order is not None and call.order.customer == customer
    assert call.call_type == CallType.SERVICE_REGISTRATION


def test_call_list_scoped_and_masked(world, client):
    call = _call(world)
    client.force_login(world.agent)
    html = client.get(reverse("call_list")).content.decode()
    assert f'data-call="{call.pk}"' in html and "13812345678" in html
    client.force_login(world.hq_manager)
    assert "13812345678" in client.get(reverse("call_list")).content.decode()
    client.force_login(world.region_director)
    html = client.get(reverse("call_list")).content.decode()
    assert f'data-call="{call.pk}"' in html and "138****5678" in html and "13812345678" not in html
    client.force_login(world.outsider_director)
    assert f'data-call="{call.pk}"' not in client.get(reverse("call_list")).content.decode()
    assert client.get(reverse("call_detail", args=[call.pk])).status_code == 404
    outsider_agent = user_create(username="nj_agent", password="x-pass-2026", role=Role.AGENT, org_unit=world.other_region)
    client.force_login(outsider_agent)
    assert f'data-call="{call.pk}"' not in client.get(reverse("call_list")).content.decode()
    assert client.get(reverse("call_detail", args=[call.pk])).status_code == 404
    with pytest.raises(NotFound):
        call_log(actor=outsider_agent, call_id=call.pk, call_type=CallType.OTHER, disposition=Disposition.OTHER)
    client.force_login(world.users["technician"])
    assert client.get(reverse("call_list")).status_code == 403


def test_call_list_filters(world, client):
    a = _call(world, "C-1")
    b = call_event_record(actor=world.agent, call_id="C-2", event="ringing", caller="13700001111", extension="8012")
    call_log(actor=world.agent, call_id=a.pk, call_type=CallType.COMPLAINT, disposition=Disposition.FOLLOW_UP)
    client.force_login(world.agent)
    html = client.get(reverse("call_list"), {"call_type": CallType.COMPLAINT}).content.decode()
    assert f'data-call="{a.pk}"' in html and f'data-call="{b.pk}"' not in html
    html = client.get(reverse("call_list"), {"number": "0001111", "sort": "agent"}).content.decode()
    assert f'data-call="{b.pk}"' in html and f'data-call="{a.pk}"' not in html


def test_extension_unique_and_shown(world, client):
    client.force_login(world.callback_agent)
    resp = client.post(reverse("extension_edit"), {"extension": "8012"})
    assert resp.status_code == 400 and 'data-error-field="extension"' in resp.content.decode()
    assert client.post(reverse("extension_edit"), {"extension": "8013"}).status_code == 302
    world.callback_agent.refresh_from_db()
    assert world.callback_agent.extension == "8013"
    client.force_login(world.agent)
    assert "8012" in client.get(reverse("home")).content.decode()


def test_due_callbacks_on_dashboard_and_done(world, client):
    call = _call(world)
    call_log(actor=world.agent, call_id=call.pk, call_type=CallType.PHONE_GUIDANCE, disposition=Disposition.RESOLVED, advice="重启")
    task = FollowUpTask.objects.get()
    client.force_login(world.agent)
    assert f'data-follow-up="{task.pk}"' in client.get(reverse("home")).content.decode()
    client.force_login(world.callback_agent)
    client.post(reverse("follow_up_done", args=[task.pk]))
    task.refresh_from_db()
    assert task.done_at is None  # not theirs
    client.force_login(world.agent)
    assert client.post(reverse("follow_up_done", args=[task.pk]), {"outcome": "solved"}).status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None and task.outcome == "solved"
    assert f'data-follow-up="{task.pk}"' not in client.get(reverse("home")).content.decode()


def test_call_list_query_count(world, client, django_assert_max_num_queries):
    world.customer()
    for i in range(12):
        call = _call(world, f"C-{i}")
        call_log(actor=world.agent, call_id=call.pk, call_type=CallType.INFORMATION, disposition=Disposition.RESOLVED)
    client.force_login(world.agent)
    client.get(reverse("call_list"))
    with django_assert_max_num_queries(12):
        resp = client.get(reverse("call_list"))
    assert resp.content.decode().count("data-call=") == 12


def test_naive_event_time_is_call_center_local(world):
    from datetime import datetime

    call = call_event_record(
        actor=world.agent, call_id="C-N", event="ringing", caller="13812345678", extension="8012", at=datetime(2026, 11, 24, 9, 0)
    )
    assert timezone.localtime(call.started_at).hour == 9


def test_integration_account_and_hq_may_post(world, client):
    from anxin.accounts.models import User

    pbx = User.objects.create(username="pbx", role="", org_unit=world.hq)
    _t, raw = api_token_create(actor=world.hq_manager, user=pbx, name="PBX")
    assert _ring(client, raw, call_id="C-I").status_code == 200
    assert Call.objects.get(call_id="C-I").agent == world.agent
    # Without a token a role-less account is refused.
    client.force_login(pbx)
    assert _ring(client, None, call_id="C-J").status_code == 403
    _t, raw = api_token_create(actor=world.hq_manager, user=world.hq_manager, name="HQ")
    assert _ring(client, raw, call_id="C-K").status_code == 200


def test_call_page_shows_call_and_log_form(world, client):
    customer = world.customer()
    call = _call(world)
    client.force_login(world.agent)
    html = client.get(reverse("call_detail", args=[call.pk])).content.decode()
    assert "data-call-log" in html and f'data-call-customer="{customer.pk}"' in html
    html = client.get(reverse("call_detail", args=[call.pk]), {"type": "phone_guidance"}).content.decode()
    assert '<option value="phone_guidance" selected>' in html
    client.force_login(world.region_director)
    html = client.get(reverse("call_detail", args=[call.pk])).content.decode()
    assert "data-call-log" not in html and "138****5678" in html
