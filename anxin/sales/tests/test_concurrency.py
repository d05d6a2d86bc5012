"""Two first sales for the same new phone number at once make ONE customer, not two.

Phone numbers are not unique (families share a landline), so the service takes a named lock on each
number before it looks the customer up (PostgreSQL: advisory lock; SQLite: the IMMEDIATE write lock).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from anxin.customers.models import Customer
from anxin.sales import services
from anxin.testing import build_world, race


@pytest.fixture
def slow_lookup(transactional_db, monkeypatch):
    # Widen the window between "nobody has this number" and "create the customer".
    real = services.customer_by_phone

    def slow(numbers):
        found = real(numbers)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(services, "customer_by_phone", slow)


def test_two_first_sales_with_one_new_number_make_one_customer(slow_lookup):
    world = build_world()
    start = timezone.now() + timedelta(days=1)

    def register(serial):
        return lambda: (
            services.sale_register(
                actor=world.users["dealer"],
                customer_name="陈静",
                phones=["13955556666"],
                address="浙江省杭州市西湖区文三路100号",
                items=[{"product_model_id": world.model.pk, "quantity": 1, "serials": [serial]}],
                purchase_date=timezone.localdate(),
                store_name="国美文三路店",
                invoice_no="",
                appointment_start=start,
                appointment_end=start + timedelta(hours=2),
            ).customer_id
        )

    first, second = race([register("AC-1"), register("AC-2")])
    assert first == second
    assert Customer.objects.filter(phones__number="13955556666").count() == 1
    assert Customer.objects.get(pk=first).appliances.count() == 2
