"""The printable slip: A4 / A5 PDF with real (extractable) Chinese text, QR code, masked contact, scope."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from anxin.core.models import ActivityLog
from anxin.orders.choices import ChecklistItem, ConfirmationMethod
from anxin.orders.models import CompletionReport
from anxin.orders.slip.pdf import render_slip

MM = 72 / 25.4


def pdf_text(data: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def slip(client, order, size="a4"):
    return client.get(reverse("order_slip", args=[order.pk]), {"size": size})


@pytest.mark.parametrize(("size", "width_mm", "height_mm"), [("a4", 210, 297), ("a5", 148, 210)])
def test_slip_renders_in_both_sizes_with_the_order_customer_and_card(client, world, size, width_mm, height_mm):
    order = world.order()
    client.force_login(world.agent)
    response = slip(client, order, size)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader, text = pdf_text(response.content)
    box = reader.pages[0].mediabox
    assert round(float(box.width) / MM) == width_mm
    assert round(float(box.height) / MM) == height_mm
    assert order.number in text
    assert "张伟" in text
    assert "安心" in text
    assert "1+5" in text
    assert "13812345678" in text  # the agent may see the full contact
    assert "400-699-9315" in text or "400-000-0000" in text  # the supervision hotline
    assert ActivityLog.objects.filter(action="orders.slip_print", target=f"orders.workorder:{order.pk}").count() == 1


def test_slip_labels_are_translated_and_chinese_text_is_extractable(world):
    order = world.order()
    with translation.override("zh-hans"):
        data = render_slip(order, size="A4", user=world.agent, order_url="https://anxin.example/orders/1/")
        _, text = pdf_text(data)
        assert "客户" in text  # "Customer" from the zh_Hans catalog
        for item in ChecklistItem:
            assert str(item.label) in text


def test_slip_masks_the_contact_for_a_role_without_contact_rights(client, world):
    order = world.order()
    client.force_login(world.region_director)
    response = slip(client, order)
    assert response.status_code == 200
    _, text = pdf_text(response.content)
    assert "138****5678" in text
    assert "13812345678" not in text
    assert "文三路90号" not in text


def test_slip_is_404_out_of_scope(client, world):
    order = world.order()
    for persona in ("outsider_dispatcher", "outsider_director", "dealer"):
        client.force_login(world.users[persona])
        assert slip(client, order).status_code == 404
    assert not ActivityLog.objects.filter(action="orders.slip_print").exists()


def test_slip_shows_the_completion_checklist_fault_action_and_charges(world):
    order = world.order(fault=world.fault_easy)
    line = order.lines.get()
    line.resolution = "更换电容"
    line.in_warranty = False
    line.charge_total = Decimal("120.50")
    line.save()
    order.completed_at = timezone.now()
    order.save()
    checklist = {item.value: {"done": True, "reason": ""} for item in ChecklistItem}
    checklist["D"] = {"done": False, "reason": "无其他家电"}
    CompletionReport.objects.create(order=order, checklist=checklist, confirmation_method=ConfirmationMethod.SMS_CODE)
    _, text = pdf_text(render_slip(order, size="A5", user=world.agent))
    assert "AC-E1" in text
    assert "更换电容" in text
    assert "¥120.50" in text
    assert "无其他家电" in text
    assert "✓" in text


def test_slip_qr_code_encodes_the_absolute_order_url(client, world):
    order = world.order()
    client.force_login(world.agent)
    response = slip(client, order)
    # The QR is drawn as vector squares: many filled rectangles in the page content.
    reader, _ = pdf_text(response.content)
    content = reader.pages[0].get_contents().get_data()
    assert content.count(b" re") > 100


def test_unknown_size_falls_back_to_a4_and_render_refuses_it(client, world):
    order = world.order()
    client.force_login(world.agent)
    reader, _ = pdf_text(slip(client, order, "letter").content)
    assert round(float(reader.pages[0].mediabox.width) / MM) == 210
    with pytest.raises(ValueError):
        render_slip(order, size="B5", user=world.agent)


def test_rare_name_characters_outside_gb2312_print_from_the_supplement_font(world):
    from anxin.orders.slip import pdf as slip_module

    for name in ("王喆", "李堃", "龚䶮"):
        with pytest.raises(UnicodeEncodeError):
            name.encode("gb2312")  # not in the base font's character set
    order = world.order(customer=world.customer(name="王喆", phone="13812340001", address="浙江省杭州市西湖区堃园路9号"))
    reader, text = pdf_text(render_slip(order, size="A4", user=world.agent, order_url="https://anxin.example/orders/1/"))
    assert "王喆" in text and "堃园路9号" in text
    # The supplement is embedded as a second font: the glyphs are drawn, not blanks.
    assert len(reader.pages[0]["/Resources"]["/Font"]) == 2

    # A slip whose text is all GB2312 does not load (nor embed) the 7 MB supplement.
    pdf = slip_module._SlipPDF(slip_module._Layout("A4"), "")
    pdf.add_page()
    pdf.cell(text="张伟 1+5 服务")
    assert slip_module.FONT_EXT not in pdf.fonts
    pdf.cell(text="龚䶮")
    assert slip_module.FONT_EXT in pdf.fonts
    assert ord("䶮") in pdf.fonts[slip_module.FONT_EXT].cmap
    _, text = pdf_text(bytes(pdf.output()))
    assert "龚䶮" in text


def test_a_plain_slip_embeds_only_the_base_font(world):
    reader, _ = pdf_text(render_slip(world.order(), size="A5", user=world.agent, order_url="https://anxin.example/orders/1/"))
    assert len(reader.pages[0]["/Resources"]["/Font"]) == 1
