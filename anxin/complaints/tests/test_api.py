"""Complaints API: file, list (scoped), read, actions; errors in the one API format."""

from __future__ import annotations

from anxin.complaints.models import Complaint
from anxin.core.tests.apiclient import api, assert_error

NANJING = "江苏省南京市玄武区中山路1号"


def test_file_read_and_act_through_the_api(world):
    order = world.order()
    client = api(world.agent)
    response = client.post("/complaints", {"order_id": order.pk, "category": "timeliness", "severity": "critical", "description": "迟到"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("TS")
    assert body["outlet_id"] == world.outlet.pk
    assert body["order_number"] == order.number
    assert body["follow_up_due_at"] is not None
    assert [e["kind"] for e in body["events"]] == ["created", "follow_up"]
    cid = body["id"]

    quality = api(world.quality)
    assert quality.get(f"/complaints/{cid}").json()["actions"] == ["assign", "escalate", "resolve"]
    body = quality.post(f"/complaints/{cid}/actions/assign", {"assignee_id": world.dispatcher.pk}).json()
    assert body["status"] == "in_progress" and body["assigned_to"] == str(world.dispatcher)
    body = quality.post(f"/complaints/{cid}/actions/escalate", {"reason": "VIP"}).json()
    assert body["escalation_level"] == 1
    assert_error(quality.post(f"/complaints/{cid}/actions/resolve", {"resolution": "已处理"}), 400, "invalid", fields=("root_cause",))
    body = quality.post(f"/complaints/{cid}/actions/resolve", {"resolution": "已处理", "root_cause": "late_visit"}).json()
    assert body["status"] == "resolved"
    assert_error(quality.post(f"/complaints/{cid}/actions/resolve", {"resolution": "x", "root_cause": "other"}), 409, "invalid_transition")
    assert_error(quality.post(f"/complaints/{cid}/actions/fly", {}), 422, "invalid", fields=("action",))
    body = quality.post(f"/complaints/{cid}/actions/close", {}).json()
    assert body["status"] == "closed"
    body = api(world.callback_agent).post(f"/complaints/{cid}/actions/reopen", {"reason": "又坏了"}).json()
    assert body["status"] == "reopened"


def test_api_refuses_bad_input_and_hides_out_of_scope(world):
    client = api(world.agent)
    error = assert_error(client.post("/complaints", {"category": "other", "description": ""}), 400, "invalid")
    assert {"customer", "description"} <= set(error["fields"])
    assert_error(client.post("/complaints", {"category": "x", "description": "x"}), 422, "invalid", fields=("category",))
    assert_error(
        api(world.users["technician"]).post("/complaints", {"customer_id": world.customer().pk, "category": "other", "description": "x"}),
        403,
    )
    nj = world.order(customer=world.customer(name="李雷", phone="13900009999", address=NANJING))
    cid = api(world.hq_manager).post("/complaints", {"order_id": nj.pk, "category": "other", "description": "x"}).json()["id"]
    assert_error(api(world.dispatcher).get(f"/complaints/{cid}"), 404)
    assert_error(api(world.dispatcher).post(f"/complaints/{cid}/actions/resolve", {"resolution": "x", "root_cause": "other"}), 404)
    assert api(world.dispatcher).get("/complaints").json() == {"count": 0, "results": []}
    listing = api(world.outsider_dispatcher).get("/complaints", overdue=False).json()
    assert [c["id"] for c in listing["results"]] == [cid]
    assert Complaint.objects.count() == 1
