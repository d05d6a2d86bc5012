"""The completion code says what really happens (decision 0032): without an SMS channel (nothing
subscribes to ``order.completion_code``) no code is made or "sent", and the API and the page say the
same translated sentence; with a channel the code goes to it and the answer says "sms"."""

from __future__ import annotations

from django.core.cache import cache
from django.urls import reverse

from anxin.core.events import _handlers
from anxin.core.tests.apiclient import api, assert_error
from anxin.orders.completion.report import completion_code_key
from anxin.orders.tests.test_api_completion import payload
from anxin.orders.tests.test_completion import form_data, to_site

NOT_SENT = "尚未接入短信服务，验证码未发送：客户收不到验证码。请改由客户签名确认。"


def test_api_says_no_code_was_sent_without_an_sms_service(world):
    assert not _handlers.get("order.completion_code")
    order = to_site(world, world.order())
    client = api(world.technician.user)
    response = client.post(f"/orders/{order.pk}/completion-code")
    assert response.status_code == 200, response.content
    assert response.json() == {"sent": False, "delivery": "not_configured", "expires_at": None, "message": NOT_SENT}
    assert cache.get(completion_code_key(order.pk)) is None  # no code nobody could receive
    # Completing with a code then names the same reason.
    error = assert_error(
        client.post(f"/orders/{order.pk}/completion", payload(order, confirmation_method="sms_code", signature="", sms_code="123456")),
        400,
        fields=("sms_code",),
    )
    assert error["fields"]["sms_code"] == [NOT_SENT]


def test_page_says_the_same_and_offers_no_send_button(client, world):
    order = to_site(world, world.order())
    client.force_login(world.technician.user)
    page = client.get(reverse("order_complete", args=[order.pk])).content.decode()
    assert "data-code-not-sent" in page and NOT_SENT in page and "data-send-code" not in page
    response = client.post(reverse("order_complete", args=[order.pk]), form_data(order, send_code="1"))
    html = response.content.decode()
    assert response.status_code == 200 and NOT_SENT in html and "data-code-sent" not in html
    assert cache.get(completion_code_key(order.pk)) is None


def test_with_an_sms_channel_the_code_is_handed_to_it(world):
    sent = []
    _handlers["order.completion_code"].append(lambda **p: sent.append(p))
    try:
        order = to_site(world, world.order())
        body = api(world.technician.user).post(f"/orders/{order.pk}/completion-code").json()
        assert body["sent"] is True and body["delivery"] == "sms" and body["expires_at"] and len(sent) == 1
        assert "验证码已通过短信发送" in body["message"] and "code" not in body
    finally:
        _handlers["order.completion_code"].pop()
