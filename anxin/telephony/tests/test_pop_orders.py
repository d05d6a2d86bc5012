"""The screen pop reads the caller's orders through the order list's one filter chain (issue 10, item 6)."""

from __future__ import annotations

from anxin.orders.workflow.services import order_transition
from anxin.orders.worklist.selectors import order_list
from anxin.telephony.selectors import pop_customers
from anxin.telephony.services import call_event_record


def test_the_pop_lists_what_the_order_list_gives_for_the_caller(world):
    caller = world.customer(phone="13812345678")
    other = world.customer(name="李四", phone="13900002222")
    first, second = world.order(customer=caller), world.order(customer=caller)
    world.order(customer=other)
    order_transition(order_id=second.pk, action="cancel", actor=world.agent, data={"reason": "客户取消"})

    assert set(order_list(user=world.agent, customer_ids=[caller.pk])) == {first, second}
    assert list(order_list(user=world.agent, customer_ids=[caller.pk], status="open")) == [first]
    assert not order_list(user=world.outsider_director, customer_ids=[caller.pk]).exists()

    call = call_event_record(actor=world.agent, call_id="C-9", event="ringing", caller="13812345678", extension="8012")
    [pop] = pop_customers(user=world.agent, call=call)
    assert pop.customer == caller and pop.open_orders == [first]
    assert pop.open_orders[0].sla_state is not None  # read through order_list (it annotates the clock)
