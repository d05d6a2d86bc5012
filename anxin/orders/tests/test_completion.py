"""The completion report (orders.completion) and its page (views_completion.order_complete)."""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from anxin.catalog.models import FaultCode, LabourItem, ProductCategory, ProductModel, SparePart
from anxin.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from anxin.core.events import _handlers
from anxin.customers.services import appliance_add
from anxin.orders.choices import AttachmentKind, ChecklistItem, OrderStatus, OrderType
from anxin.orders.completion.report import (
    SIGNATURE_MAX_BYTES,
    completion_code_debug,
    completion_code_key,
    completion_code_send,
    completion_code_verify,
    completion_summary,
)
from anxin.orders.models import Attachment, CompletionReport, LineLabour, LinePart, StatusChange, WorkOrder
from anxin.orders.tests.helpers import TINY_PNG, TINY_PNG_DATA_URL, minimal_report
from anxin.orders.workflow.services import LineInput, OrderInput, order_create, order_transition

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def catalog(world):
    """Parts and labour of the world's air-conditioner category, a generic part, a fridge category."""
    fridge = ProductCategory.objects.create(code="RF", name="冰箱")
    fridge_model = ProductModel.objects.create(category=fridge, code="BCD-470", name="对开门冰箱")
    fridge_fault = FaultCode.objects.create(category=fridge, code="RF-E2", name="不制冷", difficulty=1)
    world.technician.skills.add(fridge)
    return {
        "fridge": fridge,
        "fridge_model": fridge_model,
        "fridge_fault": fridge_fault,
        "compressor": SparePart.objects.create(
            code="AC-CMP", name="压缩机", category=world.aircon, main_part=True, unit_price=Decimal("800.00")
        ),
        "capacitor": SparePart.objects.create(code="AC-CAP", name="启动电容", category=world.aircon, unit_price=Decimal("25.50")),
        "tape": SparePart.objects.create(code="GEN-TAPE", name="保温胶带", unit_price=Decimal("3.00")),
        "retired": SparePart.objects.create(code="AC-OLD", name="旧款电容", category=world.aircon, unit_price=1, active=False),
        "fridge_part": SparePart.objects.create(code="RF-THM", name="温控器", category=fridge, unit_price=Decimal("60.00")),
        "recharge": LabourItem.objects.create(code="L-AC-GAS", name="加冷媒", category=world.aircon, price=Decimal("150.00")),
        "visit": LabourItem.objects.create(code="L-VISIT", name="上门费", price=Decimal("50.00")),
    }


def to_site(world, order, technician=None) -> WorkOrder:
    technician = technician or world.technician
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": technician.pk})
    for action in ("depart", "check_in"):
        order_transition(order_id=order.pk, action=action, actor=technician.user)
    order.refresh_from_db()
    return order


def appliance(world, customer, *, days_old=100, model=None, serial="SN-X"):
    return appliance_add(
        actor=world.agent,
        customer=customer,
        product_model=model or world.model,
        serial=serial,
        purchase_date=timezone.localdate() - timedelta(days=days_old),
    )


def order_with(world, *appliances, order_type=OrderType.REPAIR, customer=None):
    customer = customer or appliances[0].customer
    start = timezone.now() + timedelta(hours=2)
    return order_create(
        actor=world.agent,
        data=OrderInput(
            customer_id=customer.pk,
            order_type=order_type,
            lines=[LineInput(appliance_id=a.pk, symptom="不制冷") for a in appliances],
            appointment_start=start,
            appointment_end=start + timedelta(hours=2),
        ),
    )


def complete(world, order, data, technician=None):
    actor = (technician or world.technician).user
    return order_transition(order_id=order.pk, action="complete", actor=actor, data=data)


def refused(world, order, data) -> dict:
    with pytest.raises(ValidationFailed) as info:
        complete(world, order, data)
    return info.value.fields


# --- the rules ------------------------------------------------------------------------------


def test_minimal_report_completes_a_repair_and_records_everything(world):
    order = to_site(world, world.order())
    order = complete(world, order, minimal_report(order))
    assert order.status == OrderStatus.COMPLETED and order.completed_at is not None
    line = order.lines.get()
    assert line.fault_code == world.fault_easy and line.resolution and line.cause == "不制冷"
    report = CompletionReport.objects.get(order=order)
    assert report.checklist == {k: {"done": True, "reason": ""} for k in "ABCDE"}
    assert report.reported_by == world.technician.user and report.confirmation_method == "signature"
    assert report.signature.kind == AttachmentKind.SIGNATURE and report.signature.content_type == "image/png"
    assert report.signature.file.read() == TINY_PNG
    change = StatusChange.objects.get(order=order, action="complete")
    assert change.data["lines"] == 1 and change.data["charged"] == "0.00"
    assert change.data["checklist"] == dict.fromkeys("ABCDE", "done")
    assert line.history.first().history_user == world.technician.user  # audited


def test_an_empty_report_is_refused_naming_every_missing_item_and_nothing_is_saved(world):
    order = to_site(world, world.order())
    fields = refused(world, order, {})
    assert {"lines.0.fault_code", "lines.0.cause", "lines.0.action", "confirmation_method"} <= set(fields)
    assert {f"checklist.{k}" for k in "ABCDE"} <= set(fields)
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_SITE and order.completed_at is None
    assert not CompletionReport.objects.exists() and not Attachment.objects.exists()
    assert not StatusChange.objects.filter(action="complete").exists()


def test_a_refused_report_saves_no_part_of_a_valid_line(world, catalog):
    order = to_site(world, world.order())
    data = minimal_report(order)
    data["lines"][0]["parts"] = [{"part": catalog["capacitor"].pk, "quantity": 1}]
    data["checklist"].pop("E")
    assert set(refused(world, order, data)) == {"checklist.E"}
    assert not LinePart.objects.exists()
    assert order.lines.get().resolution == ""


def test_fault_code_of_another_category_is_refused_on_that_line(world, catalog):
    order = to_site(world, world.order())
    data = minimal_report(order)
    data["lines"][0]["fault_code"] = catalog["fridge_fault"].pk
    assert set(refused(world, order, data)) == {"lines.0.fault_code"}
    data["lines"][0]["fault_code"] = "abc"
    assert set(refused(world, order, data)) == {"lines.0.fault_code"}


def test_install_lines_need_the_action_but_no_fault_code(world, catalog):
    customer = world.customer()
    a1, a2 = appliance(world, customer, days_old=1), appliance(world, customer, days_old=1, model=catalog["fridge_model"])
    order = to_site(world, order_with(world, a1, a2, order_type=OrderType.INSTALL))
    data = minimal_report(order)
    for entry in data["lines"]:
        entry.update(fault_code=None, cause="", action="")
    fields = refused(world, order, data)
    assert set(fields) == {"lines.0.action", "lines.1.action"}
    for entry in data["lines"]:
        entry["action"] = "安装调试完成"
    order = complete(world, order, data)
    assert order.status == OrderStatus.COMPLETED
    assert [line.fault_code_id for line in order.lines.all()] == [None, None]


def test_the_checklist_needs_each_item_done_or_not_applicable_with_a_reason(world):
    order = to_site(world, world.order())
    data = minimal_report(order)
    data["checklist"]["D"] = {"done": False, "reason": ""}
    data["checklist"]["C"] = {"done": False, "reason": "   "}
    assert set(refused(world, order, data)) == {"checklist.C", "checklist.D"}
    data["checklist"]["C"] = {"done": False, "reason": "新机无需保养"}
    data["checklist"]["D"] = {"done": False, "reason": "客户家无其他本品牌家电"}
    data["checklist"]["A"] = {"done": False, "reason": "客户拒绝测电"}  # a repair may skip A with a reason
    complete(world, order, data)
    report = CompletionReport.objects.get(order=order)
    assert report.checklist["D"] == {"done": False, "reason": "客户家无其他本品牌家电"}
    assert StatusChange.objects.get(order=order, action="complete").data["checklist"]["C"] == "na"


def test_the_safety_electrical_test_cannot_be_skipped_on_an_install(world):
    customer = world.customer()
    order = to_site(world, order_with(world, appliance(world, customer, days_old=1), order_type=OrderType.INSTALL))
    data = minimal_report(order)
    data["checklist"]["A"] = {"done": False, "reason": "没时间"}
    with translation.override("en"):
        fields = refused(world, order, data)
    assert set(fields) == {"checklist.A"} and "install" in fields["checklist.A"][0]


def test_unsafe_wiring_blocks_an_install_and_points_to_refuse_install(world):
    customer = world.customer()
    order = to_site(world, order_with(world, appliance(world, customer, days_old=1), order_type=OrderType.INSTALL))
    data = {**minimal_report(order), "hazard_type": "unsafe_wiring", "hazard_note": "插座无接地"}
    with translation.override("en"):
        fields = refused(world, order, data)
    assert set(fields) == {"hazard_type"} and "Refuse install" in fields["hazard_type"][0]
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_SITE and order.hazard_type == ""


def test_a_hazard_on_a_repair_is_recorded_and_needs_its_details(world):
    order = to_site(world, world.order())
    data = {**minimal_report(order), "hazard_type": "no_earth"}
    assert set(refused(world, order, data)) == {"hazard_note"}
    data["hazard_type"] = "volcano"
    assert "hazard_type" in refused(world, order, data)
    data.update(hazard_type="no_earth", hazard_note="厨房插座未接地，已告知客户")
    order = complete(world, order, data)
    assert order.hazard_type == "no_earth" and order.hazard_note == "厨房插座未接地，已告知客户"
    assert StatusChange.objects.get(order=order, action="complete").data["hazard_type"] == "no_earth"


def test_in_warranty_everything_is_free_but_prices_are_recorded(world, catalog):
    order = to_site(world, world.order())
    assert order.lines.get().in_warranty
    data = minimal_report(order)
    data["lines"][0]["parts"] = [{"part": catalog["capacitor"].pk, "quantity": 2}, {"part": catalog["tape"].pk, "quantity": 1}]
    data["lines"][0]["labour"] = [{"item": catalog["recharge"].pk, "quantity": 1}]
    order = complete(world, order, data)
    line = order.lines.get()
    assert line.charge_total == Decimal("0.00")
    parts = list(LinePart.objects.filter(line=line))
    assert [(p.part.code, p.quantity, p.unit_price, p.charged) for p in parts] == [
        ("AC-CAP", 2, Decimal("25.50"), Decimal("0")),
        ("GEN-TAPE", 1, Decimal("3.00"), Decimal("0")),
    ]
    labour = LineLabour.objects.get(line=line)
    assert labour.price == Decimal("150.00") and labour.charged == 0


def test_out_of_warranty_the_customer_must_have_accepted_the_quote(world, catalog):
    customer = world.customer()
    order = to_site(world, order_with(world, appliance(world, customer, days_old=365 * 4)))
    line = order.lines.get()
    assert not line.in_warranty
    data = minimal_report(order)
    data["lines"][0].update(quote_amount=None, quote_accepted=None)
    with translation.override("en"):
        fields = refused(world, order, data)
    assert set(fields) == {"lines.0.quote_amount", "lines.0.quote_accepted"}
    assert fields["lines.0.quote_accepted"] == ["The customer has not accepted the quote."]
    data["lines"][0].update(quote_amount="300", quote_accepted=False)
    assert set(refused(world, order, data)) == {"lines.0.quote_accepted"}
    data["lines"][0].update(quote_amount="-1", quote_accepted=True)
    assert set(refused(world, order, data)) == {"lines.0.quote_amount"}


def test_out_of_warranty_charges_are_parts_plus_labour_and_may_not_exceed_the_quote(world, catalog):
    customer = world.customer()
    order = to_site(world, order_with(world, appliance(world, customer, days_old=365 * 4)))
    data = minimal_report(order)
    entry = data["lines"][0]
    entry["parts"] = [{"part": catalog["capacitor"].pk, "quantity": 2}]
    entry["labour"] = [{"item": catalog["recharge"].pk, "quantity": 1}, {"item": catalog["visit"].pk, "quantity": 1}]
    entry.update(quote_amount="200.00", quote_accepted=True)
    fields = refused(world, order, data)
    assert set(fields) == {"lines.0.quote_amount"} and "251.00" in fields["lines.0.quote_amount"][0]
    entry["quote_amount"] = "260"
    order = complete(world, order, data)
    line = order.lines.get()
    assert line.charge_total == Decimal("251.00")  # 2 × 25.50 + 150 + 50
    assert line.quote_amount == Decimal("260.00") and line.quote_accepted is True
    assert StatusChange.objects.get(order=order, action="complete").data["charged"] == "251.00"


def test_a_main_part_is_free_while_the_main_parts_warranty_runs(world, catalog):
    customer = world.customer()
    # 30 months old: the whole unit (24 months) is out of warranty, main parts (36 months) are not.
    old = appliance(world, customer, days_old=30 * 30)
    assert old.main_parts_warranty_end >= timezone.localdate() > old.warranty_end
    order = to_site(world, order_with(world, old))
    data = minimal_report(order)
    data["lines"][0].update(
        parts=[{"part": catalog["compressor"].pk, "quantity": 1}, {"part": catalog["capacitor"].pk, "quantity": 1}],
        quote_amount="25.50",
        quote_accepted=True,
    )
    order = complete(world, order, data)
    line = order.lines.get()
    compressor = LinePart.objects.get(line=line, part=catalog["compressor"])
    assert compressor.charged == 0 and compressor.unit_price == Decimal("800.00")
    assert line.charge_total == Decimal("25.50")


def test_parts_and_labour_come_from_the_active_catalog_with_a_quantity(world, catalog):
    order = to_site(world, world.order())
    data = minimal_report(order)
    data["lines"][0]["parts"] = [
        {"part": catalog["retired"].pk, "quantity": 1},
        {"part": catalog["fridge_part"].pk, "quantity": 1},
        {"part": catalog["capacitor"].pk, "quantity": 0},
        {"part": 999999, "quantity": 1},
        {"part": catalog["capacitor"].pk, "quantity": "x"},
    ]
    data["lines"][0]["labour"] = [{"item": None, "quantity": 1}]
    fields = refused(world, order, data)
    assert set(fields) == {"lines.0.parts", "lines.0.labour"}
    assert len(fields["lines.0.parts"]) == 5


def test_every_line_of_a_complete_set_needs_its_entry(world, catalog):
    customer = world.customer()
    a1 = appliance(world, customer)
    a2 = appliance(world, customer, model=catalog["fridge_model"], serial="RF-1")
    order = to_site(world, order_with(world, a1, a2))
    data = minimal_report(order)
    second = data["lines"].pop(1)
    fields = refused(world, order, data)
    assert {"lines.1.fault_code", "lines.1.cause", "lines.1.action"} == set(fields)
    data["lines"] = [data["lines"][0], data["lines"][0]]
    assert "lines" in refused(world, order, data)  # the same appliance twice
    data["lines"] = [data["lines"][0], {**second, "line": 999999}]
    assert "lines" in refused(world, order, data)
    data["lines"] = [minimal_report(order)["lines"][1], minimal_report(order)["lines"][0]]  # any order, matched by id
    order = complete(world, order, data)
    assert {line.fault_code_id for line in order.lines.all()} == {world.fault_easy.pk, catalog["fridge_fault"].pk}


def test_signature_must_be_a_png_of_at_most_512_kb(world):
    order = to_site(world, world.order())
    data = minimal_report(order)
    for bad in ("", "data:image/jpeg;base64," + base64.b64encode(JPEG).decode(), "data:image/png;base64,!!!", "data:image/png;base64,AAAA"):
        data["signature"] = bad
        assert set(refused(world, order, data)) == {"signature"}, bad
    big = TINY_PNG + b"\x00" * SIGNATURE_MAX_BYTES
    data["signature"] = "data:image/png;base64," + base64.b64encode(big).decode()
    with translation.override("en"):
        assert "512 KB" in refused(world, order, data)["signature"][0]
    data["signature"] = SimpleUploadedFile("sig.png", TINY_PNG, content_type="image/png")
    order = complete(world, order, data)
    assert CompletionReport.objects.get(order=order).signature.size == len(TINY_PNG)


def test_photos_are_checked_and_attached(world):
    order = to_site(world, world.order())
    data = minimal_report(order)
    data["photos"] = [SimpleUploadedFile("ok.jpg", JPEG), SimpleUploadedFile("evil.exe", b"MZ\x90\x00" + b"\x00" * 50)]
    with translation.override("en"):
        fields = refused(world, order, data)
    assert set(fields) == {"photos"} and "only JPEG, PNG, WebP or PDF" in fields["photos"][0] and "evil.exe" in fields["photos"][0]
    assert not Attachment.objects.exists()
    data["photos"] = [SimpleUploadedFile("before.jpg", JPEG), SimpleUploadedFile("after.jpg", JPEG)]
    complete(world, order, data)
    photos = Attachment.objects.filter(order=order, kind=AttachmentKind.PHOTO)
    assert sorted(p.original_name for p in photos) == ["after.jpg", "before.jpg"]
    assert StatusChange.objects.get(order=order, action="complete").data["photos"] == 2


def test_completing_needs_the_technician_on_site(world):
    order = world.order()
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    with pytest.raises(InvalidTransition):
        complete(world, order, minimal_report(order))
    for action in ("depart", "check_in"):
        order_transition(order_id=order.pk, action=action, actor=world.technician.user)
    with pytest.raises(PermissionDenied):
        order_transition(order_id=order.pk, action="complete", actor=world.dispatcher, data=minimal_report(order))


# --- SMS code ---------------------------------------------------------------------------------


@pytest.fixture
def sent_codes():
    sent = []

    def capture(**payload):
        sent.append(payload)

    _handlers["order.completion_code"].append(capture)
    yield sent
    _handlers["order.completion_code"].remove(capture)


def sms_report(order, code) -> dict:
    return {**minimal_report(order), "confirmation_method": "sms_code", "signature": "", "sms_code": code}


def test_sms_code_is_sent_through_the_event_and_confirms_the_completion(world, sent_codes, django_capture_on_commit_callbacks):
    order = to_site(world, world.order())
    result = completion_code_send(order, world.technician.user)
    assert len(sent_codes) == 1 and sent_codes[0]["order"].pk == order.pk and sent_codes[0]["phone"] == "13812345678"
    code = sent_codes[0]["code"]
    assert len(code) == 6 and code.isdigit() and completion_code_debug(order.pk) == code
    assert timedelta(minutes=9) < result["expires_at"] - timezone.now() <= timedelta(minutes=10)
    assert code not in str(cache.get(completion_code_key(order.pk))["digest"])  # kept hashed
    wrong = "000000" if code != "000000" else "111111"
    assert set(refused(world, order, sms_report(order, wrong))) == {"sms_code"}
    assert set(refused(world, order, sms_report(order, ""))) == {"sms_code"}
    with django_capture_on_commit_callbacks(execute=True):
        order = complete(world, order, sms_report(order, code))
    report = CompletionReport.objects.get(order=order)
    assert report.confirmation_method == "sms_code" and report.sms_code_verified_at is not None and report.signature is None
    assert cache.get(completion_code_key(order.pk)) is None  # used up


def test_an_expired_or_overtried_sms_code_is_refused(world, sent_codes):
    order = to_site(world, world.order())
    completion_code_send(order, world.technician.user)
    code = sent_codes[-1]["code"]
    key = completion_code_key(order.pk)
    entry = cache.get(key)
    cache.set(key, {**entry, "expires_at": (timezone.now() - timedelta(seconds=1)).isoformat()})
    assert not completion_code_verify(order, code)
    cache.set(key, entry)
    wrong = "000000" if code != "000000" else "111111"
    for _try in range(5):
        assert not completion_code_verify(order, wrong)
    assert not completion_code_verify(order, code)  # five wrong tries kill the code


def test_only_the_technician_on_site_may_send_a_code_and_not_twice_in_30_seconds(world, sent_codes):
    order = world.order()
    order_transition(order_id=order.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    with pytest.raises(InvalidTransition):
        completion_code_send(order, world.technician.user)
    for action in ("depart", "check_in"):
        order_transition(order_id=order.pk, action=action, actor=world.technician.user)
    with pytest.raises(PermissionDenied):
        completion_code_send(order, world.dispatcher)
    from anxin.core.errors import NotFound

    with pytest.raises(NotFound):
        completion_code_send(order, world.users["outsider_technician"])
    completion_code_send(order, world.technician.user)
    with pytest.raises(ValidationFailed) as info:
        completion_code_send(order, world.technician.user)
    assert set(info.value.fields) == {"sms_code"} and len(sent_codes) == 1


# --- the page ---------------------------------------------------------------------------------


def login(client, user):
    client.force_login(user)
    return client


def form_data(order, **extra) -> dict:
    """A valid POST of the page for ``order`` (every line with its first fault code)."""
    report = minimal_report(order)
    post = {"expected_version": order.version, "confirmation_method": "signature", "signature": TINY_PNG_DATA_URL}
    for i, entry in enumerate(report["lines"]):
        post[f"lines-{i}-fault_code"] = entry["fault_code"] or ""
        post[f"lines-{i}-cause"] = "冷凝器脏堵"
        post[f"lines-{i}-action"] = "清洗冷凝器"
        if entry["quote_amount"] is not None:
            post[f"lines-{i}-quote_amount"] = entry["quote_amount"]
            post[f"lines-{i}-quote_accepted"] = "yes"
    for item in ChecklistItem:
        post[f"checklist-{item.value}"] = "done"
    post.update(extra)
    return post


def test_page_shows_one_card_per_line_for_the_technician(client, world, catalog):
    customer = world.customer()
    a1 = appliance(world, customer, serial="AC-0001")
    a2 = appliance(world, customer, model=catalog["fridge_model"], serial="RF-0002", days_old=365 * 4)
    order = to_site(world, order_with(world, a1, a2))
    response = login(client, world.technician.user).get(reverse("order_complete", args=[order.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("data-line-card=") == 2 and "AC-0001" in html and "RF-0002" in html
    assert 'name="lines-0-fault_code"' in html and f'value="{world.fault_easy.pk}"' in html
    assert f'value="{catalog["fridge_fault"].pk}"' in html
    assert 'name="lines-1-quote_amount"' in html and 'name="lines-0-quote_amount"' not in html  # only out of warranty
    assert 'name="lines-0-parts-0-part"' in html and "AC-CMP" in html and "RF-THM" in html
    assert html.count('name="checklist-') == 15  # 5 × (done radio, not-applicable radio, reason)
    assert "data-signature-pad" in html and "anxin/signature.js" in html and "anxin/completion.css" in html


def test_page_is_scoped_and_explains_when_completion_is_not_possible(client, world):
    order = to_site(world, world.order())
    assert login(client, world.users["outsider_technician"]).get(reverse("order_complete", args=[order.pk])).status_code == 404
    client.logout()
    response = login(client, world.dispatcher).get(reverse("order_complete", args=[order.pk]))
    assert response.status_code == 200 and b"data-blocked" in response.content and b"data-completion-form" not in response.content
    client.logout()
    fresh = world.order()
    order_transition(order_id=fresh.pk, action="assign", actor=world.dispatcher, data={"technician": world.technician.pk})
    response = login(client, world.technician.user).get(reverse("order_complete", args=[fresh.pk]))
    assert b"data-blocked" in response.content
    response = client.post(reverse("order_complete", args=[fresh.pk]), form_data(fresh))
    assert response.status_code == 409
    fresh.refresh_from_db()
    assert fresh.status == OrderStatus.ASSIGNED


def test_page_refusal_shows_each_error_next_to_its_field_and_keeps_what_was_typed(client, world):
    order = to_site(world, world.order())
    post = form_data(order, **{"lines-0-fault_code": "", "lines-0-cause": "电容老化", "checklist-C": "na", "signature": ""})
    response = login(client, world.technician.user).post(reverse("order_complete", args=[order.pk]), post)
    assert response.status_code == 400
    html = response.content.decode()
    for key in ("lines.0.fault_code", "checklist.C", "signature"):
        assert f'data-field-error="{key}"' in html
    assert 'value="电容老化"' in html and "清洗冷凝器" in html
    assert 'name="checklist-C" value="na" checked' in html
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_SITE


def test_page_completes_the_order_and_returns_to_the_jobs(client, world, catalog):
    order = to_site(world, world.order())
    post = form_data(
        order,
        **{
            "lines-0-parts-0-part": catalog["capacitor"].pk,
            "lines-0-parts-0-quantity": "2",
            "lines-0-labour-0-item": catalog["recharge"].pk,
            "hazard_type": "",
            "remarks": "客户很满意",
        },
    )
    post["photos"] = [SimpleUploadedFile("site.jpg", JPEG, content_type="image/jpeg")]
    response = login(client, world.technician.user).post(reverse("order_complete", args=[order.pk]), post)
    assert response.status_code == 302 and response["Location"] == reverse("technician_jobs")
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    line = order.lines.get()
    assert line.cause == "冷凝器脏堵" and LinePart.objects.get(line=line).quantity == 2
    assert Attachment.objects.filter(order=order, kind="photo").count() == 1
    assert CompletionReport.objects.get(order=order).remarks == "客户很满意"
    page = client.get(reverse("technician_jobs"))
    assert order.number in page.content.decode()  # the success message names the order


def test_page_sends_the_sms_code_and_keeps_the_form(client, world, sent_codes):
    order = to_site(world, world.order())
    post = form_data(order, confirmation_method="sms_code", send_code="1", **{"lines-0-cause": "缺冷媒"})
    response = login(client, world.technician.user).post(reverse("order_complete", args=[order.pk]), post)
    assert response.status_code == 200 and b"data-code-sent" in response.content and len(sent_codes) == 1
    assert 'value="缺冷媒"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.ON_SITE
    post = form_data(order, confirmation_method="sms_code", sms_code=sent_codes[0]["code"], signature="")
    response = client.post(reverse("order_complete", args=[order.pk]), post)
    assert response.status_code == 302
    assert CompletionReport.objects.get(order=order).sms_code_verified_at is not None


def test_summary_partial_shows_the_report(world, catalog):
    order = to_site(world, world.order())
    data = minimal_report(order)
    data["lines"][0]["parts"] = [{"part": catalog["capacitor"].pk, "quantity": 1}]
    data["checklist"]["D"] = {"done": False, "reason": "无其他家电"}
    complete(world, order, data)
    summary = completion_summary(order)
    html = render_to_string("orders/partials/completion_summary.html", {"completion": summary})
    assert "data-completion-summary" in html and "AC-CAP" in html and "无其他家电" in html
    assert 'data-check-state="na"' in html and html.count('data-check-state="done"') == 4
    assert reverse("order_attachment", args=[summary["report"].signature.pk]) in html
    assert render_to_string("orders/partials/completion_summary.html", {"completion": None}).strip() == ""
    assert completion_summary(world.order()) is None


def stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_completion_rolled_back_after_its_files_were_stored_leaves_no_file(world, settings, monkeypatch):
    from anxin.orders.workflow import services

    order = to_site(world, world.order())
    data = {**minimal_report(order), "photos": [SimpleUploadedFile("现场.png", TINY_PNG, content_type="image/png")]}

    def fail(*args, **kwargs):
        raise RuntimeError("the write failed after the files were stored")

    monkeypatch.setattr(services, "publish", fail)  # runs after apply_completion stored signature + photo
    with pytest.raises(RuntimeError):
        complete(world, order, data)
    assert not Attachment.objects.filter(order=order).exists()
    assert stored_files(settings) == []
    monkeypatch.undo()

    data["photos"][0].seek(0)
    complete(world, order, data)
    kept = sorted(Attachment.objects.filter(order=order).values_list("file", flat=True))
    assert len(kept) == 2 and stored_files(settings) == kept  # the signature and the photo
