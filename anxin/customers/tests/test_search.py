"""Lookup by any one of phone, last digits, name (1–3 characters), pinyin, initials, address
fragment, serial, order number; ranking; hints for too-short input; freshness; scoping."""

import io

import pytest

from anxin.customers.search import Kind, customer_search
from anxin.customers.services import address_add, appliance_add


@pytest.fixture
def people(world):
    zhang = world.customer(name="张伟", phone="13812345678", address="广东省深圳市南山区科技园科苑路15号")
    ouyang = world.customer(name="欧阳娜娜", phone="13987654321", address="浙江省杭州市西湖区文三路90号3号楼")
    zhangsan = world.customer(name="张三丰", phone="0571-88001234", address="浙江省杭州市上城区解放路8号")
    appliance_add(actor=world.agent, customer=ouyang, product_model=world.model, serial="KFR35GW-2026-7788")
    return {"zhang": zhang, "ouyang": ouyang, "zhangsan": zhangsan}


def names(result):
    return [h.customer.name for h in result.hits]


@pytest.mark.parametrize(
    ("query", "expected", "field"),
    [
        ("13812345678", "张伟", "phone"),
        ("138 1234 5678", "张伟", "phone"),
        ("5678", "张伟", "phone"),
        ("88001234", "张三丰", "phone"),
        ("张伟", "张伟", "name"),
        ("娜娜", "欧阳娜娜", "name"),
        ("欧阳娜娜", "欧阳娜娜", "name"),
        ("zw", "张伟", "pinyin"),
        ("zhangwei", "张伟", "pinyin"),
        ("oynn", "欧阳娜娜", "pinyin"),
        ("科苑路15号", "张伟", "address"),
        ("文三路90号", "欧阳娜娜", "address"),
        ("南山区科技园", "张伟", "address"),
        ("KFR35GW-2026-7788", "欧阳娜娜", "serial"),
        ("kfr35gw-2026", "欧阳娜娜", "serial"),
    ],
)
def test_each_query_kind_finds_the_customer(world, people, query, expected, field):
    result = customer_search(user=world.agent, q=query)
    assert result.hits, query
    assert result.hits[0].customer.name == expected
    assert result.hits[0].matched == field


def test_one_chinese_character_finds_every_name_with_it_and_full_names_rank_first(world, people):
    result = customer_search(user=world.agent, q="张")
    assert set(names(result)) == {"张伟", "张三丰"}


def test_order_number_finds_the_customer(world, people):
    order = world.order(customer=people["zhangsan"])  # Hangzhou: an order of the agent's region
    result = customer_search(user=world.agent, q=order.number)
    assert names(result)[0] == "张三丰" and result.hits[0].matched == "order"


def test_order_number_outside_the_scope_finds_nobody(world, people):
    # The agent sees the whole archive but only its region's orders: a Shenzhen order's number
    # must not find (and so confirm) its customer.
    order = world.order(customer=people["zhang"])
    assert customer_search(user=world.agent, q=order.number).hits == []
    assert names(customer_search(user=world.hq_manager, q=order.number))[0] == "张伟"


@pytest.mark.parametrize("query", ["", " ", "a", "7"])
def test_too_short_input_gets_a_hint_not_a_scan(world, people, query, django_assert_num_queries):
    with django_assert_num_queries(0):
        result = customer_search(user=world.agent, q=query)
    assert result.hint and not result.hits


def test_index_follows_new_addresses_and_appliances(world, people):
    assert not customer_search(user=world.agent, q="中山路18号").hits
    address_add(actor=world.agent, customer=people["zhang"], text="江苏省南京市玄武区中山路18号")
    assert names(customer_search(user=world.agent, q="中山路18号")) == ["张伟"]


def test_search_respects_scope(world, people):
    world.order(customer=people["zhangsan"])  # 杭州: routed to the world outlet
    # The outlet sees only customers it has orders for; the outsider outlet sees none of these.
    assert names(customer_search(user=world.dispatcher, q="张")) == ["张三丰"]
    assert customer_search(user=world.outsider_dispatcher, q="张").hits == []
    assert set(names(customer_search(user=world.agent, q="张"))) == {"张伟", "张三丰"}


def test_search_api_ranks_and_masks(client, world, people):
    client.force_login(world.agent)
    body = client.get("/api/v1/customers/search", {"q": "5678"}).json()
    assert body["results"][0]["customer"]["name"] == "张伟"
    assert body["results"][0]["matched"] == "phone" and body["results"][0]["matched_text"] == "13812345678"
    client.force_login(world.users["quality"])
    # A role that sees numbers masked finds a customer by the whole number only (decision 0024).
    assert client.get("/api/v1/customers/search", {"q": "5678"}).json()["results"] == []
    body = client.get("/api/v1/customers/search", {"q": "13812345678"}).json()
    assert body["results"][0]["matched_text"] == "138****5678"
    assert body["results"][0]["customer"]["phones"][0]["number"] == "138****5678"


def test_search_api_hint_for_short_input(client, world):
    client.force_login(world.agent)
    body = client.get("/api/v1/customers/search", {"q": "a"}).json()
    assert body["hint"] and body["results"] == []


def test_full_rebuild_gives_the_same_answers(world, people):
    from anxin.customers.models import SearchToken
    from anxin.customers.search import rebuild_index

    before = sorted(SearchToken.objects.values_list("customer_id", "kind", "token"))
    rows = rebuild_index(batch=2)
    assert rows == len(before)
    assert sorted(SearchToken.objects.values_list("customer_id", "kind", "token")) == before
    assert names(customer_search(user=world.agent, q="科苑路15号")) == ["张伟"]


def test_reindex_if_missing_fills_an_empty_index_and_leaves_a_full_one(world, people):
    from django.core.management import call_command

    from anxin.customers.models import SearchToken

    SearchToken.objects.all().delete()  # a database loaded before the index existed
    call_command("search_reindex", "--if-missing", stdout=io.StringIO())
    assert names(customer_search(user=world.agent, q="zw")) == ["张伟"]
    count = SearchToken.objects.count()
    SearchToken.objects.filter(kind=Kind.NAME).delete()
    call_command("search_reindex", "--if-missing", stdout=io.StringIO())
    assert SearchToken.objects.count() < count  # not rebuilt: the index was there


def test_three_digits_get_a_hint_not_an_empty_answer(world, people):
    result = customer_search(user=world.agent, q="138")
    assert result.hint and not result.hits
