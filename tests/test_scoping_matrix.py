"""The scoping matrix: every URL pattern and every API route, for every persona, with the exact answer.

The matrix is data (``HTML`` and ``API`` below): for each route and method, for each persona of
``anxin.testing.build_world`` plus an anonymous visitor, the exact status code — on an object in
the persona's region / outlet ("in") and on one of the other region ("out") when the route takes an
id. A route in the URLconf or the API without a row fails ``test_every_url_pattern_has_a_row`` /
``test_every_api_route_has_a_row`` with its name; a row whose route is gone fails too.

POST routes are asked with a harmless body (empty or invalid): refused roles get 403 / 404, allowed
ones a form with errors (200), a 400 / 422, or the redirect of a step that needs no data. Every
request runs in a savepoint that is rolled back, so no answer depends on another.

Beside the status matrix, the content checks of the old matrix stay: lists and exports show
exactly the persona's set of orders and customers, and masked personas never receive a full
phone number (decision 0037).
"""

from __future__ import annotations

import base64
import copy
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from anxin.accounts.choices import OrgKind, OutletKind
from anxin.accounts.models import OrgUnit
from anxin.accounts.services import api_token_create
from anxin.complaints.services import ComplaintInput, complaint_create
from anxin.customers.selectors import mask_phone
from anxin.network.models import OutletCoverage
from anxin.orders.completion.attachments import attachment_add, content_file
from anxin.orders.tests.helpers import TINY_PNG, minimal_report
from anxin.orders.workflow.services import order_transition

# The module's world is built once (``matrix``) and rolled back at the end; each test runs inside it.
pytestmark = pytest.mark.django_db

HANGZHOU = "浙江省杭州市西湖区文三路90号"
BINJIANG = "浙江省杭州市滨江区江南大道100号"  # a second outlet of the same region covers this district
NANJING = "江苏省南京市玄武区中山路18号"  # the outsiders' region and outlet

# key: (customer name, phone, address, who registers the customer)
CUSTOMERS = {
    "home": ("上官甲", "13812345670", HANGZHOU, "agent"),
    "senior": ("上官乙", "13812345671", HANGZHOU, "agent"),
    "routed": ("上官丙", "13812345672", HANGZHOU, "agent"),
    "dealer": ("上官丁", "13812345673", HANGZHOU, "dealer"),
    "binjiang": ("上官戊", "13812345674", BINJIANG, "agent"),
    "done": ("上官己", "13812345675", HANGZHOU, "agent"),
    "lonely": ("上官庚", "13812345676", HANGZHOU, "agent"),  # no order yet
    "out": ("上官辛", "13812345677", NANJING, "agent"),
    "walk_in": ("上官壬", "13812345678", NANJING, "outsider_dispatcher"),  # registered at the outsiders' outlet, no order
}
ORDERS = ("home", "senior", "routed", "dealer", "binjiang", "done", "out")  # one order per customer of the same key

ALL_ORDERS = set(ORDERS)
REGION_ORDERS = ALL_ORDERS - {"out"}
OUTLET_ORDERS = {"home", "senior", "routed", "dealer", "done"}
ALL_CUSTOMERS = set(CUSTOMERS)
REGION_CUSTOMERS = ALL_CUSTOMERS - {"out", "walk_in"}

# persona: (orders they see, customers they see)
EXPECTED = {
    "hq_manager": (ALL_ORDERS, ALL_CUSTOMERS),
    "tech_lead": (ALL_ORDERS, ALL_CUSTOMERS),
    "quality": (ALL_ORDERS, ALL_CUSTOMERS),
    "settlement": (ALL_ORDERS, ALL_CUSTOMERS),
    "region_director": (REGION_ORDERS, REGION_CUSTOMERS),
    # The hotline sees the nationwide customer archive, but only its region's orders.
    "agent": (REGION_ORDERS, ALL_CUSTOMERS),
    "callback_agent": (REGION_ORDERS, ALL_CUSTOMERS),
    "parts_clerk": (OUTLET_ORDERS, {"home", "senior", "routed", "dealer", "done"}),
    "dispatcher": (OUTLET_ORDERS, {"home", "senior", "routed", "dealer", "done"}),
    "technician": ({"home", "done"}, {"home", "done"}),
    "senior": ({"senior"}, {"senior"}),
    "dealer": ({"dealer"}, {"dealer"}),
    "outsider_director": ({"out"}, {"out", "walk_in"}),
    "outsider_dispatcher": ({"out"}, {"out", "walk_in"}),
    "outsider_technician": ({"out"}, {"out"}),
}
PERSONAS = list(EXPECTED)
ANON = "anonymous"
EVERYONE = [*PERSONAS, ANON]

# Roles that talk to customers see full numbers; everyone else 138****5678. A technician sees the
# full number only while a job for that customer is open (here: assigned), not after completion.
FULL_CONTACT = {
    "hq_manager": ALL_CUSTOMERS,
    "agent": ALL_CUSTOMERS,
    "callback_agent": ALL_CUSTOMERS,
    "dispatcher": EXPECTED["dispatcher"][1],
    "outsider_dispatcher": EXPECTED["outsider_dispatcher"][1],
    "dealer": {"dealer"},
    "technician": {"home"},
    "senior": {"senior"},
    "outsider_technician": {"out"},
}

# --- the world, built once for the module -----------------------------------------------------------


@dataclass
class Matrix:
    world: object
    orders: dict
    customers: dict
    objects: dict = field(default_factory=dict)  # target objects of parameterised routes
    own: dict = field(default_factory=dict)  # per persona: objects only that persona owns (notifications, tokens, jobs)
    clients: dict = field(default_factory=dict)

    def order_numbers(self) -> dict[str, str]:
        return {k: o.number for k, o in self.orders.items()}

    def customer_names(self) -> dict[str, str]:
        return {k: c.name for k, c in self.customers.items()}


def _build() -> Matrix:
    from anxin.imports.services import import_job_create
    from anxin.notifications.services import notify
    from anxin.sales.models import SaleRegistration
    from anxin.sales.services import sale_register
    from anxin.telephony.models import Call, FollowUpTask
    from anxin.telephony.services import call_event_record, call_log
    from anxin.testing import build_world

    world = build_world()
    outlet_b = OrgUnit.objects.create(
        kind=OrgKind.OUTLET, parent=world.region, code="O-HZ-02", name="滨江特约网点", outlet_kind=OutletKind.AUTHORIZED, city="杭州市"
    )
    OutletCoverage.objects.create(outlet=outlet_b, division_prefix="330108")

    customers = {
        key: world.customer(name=name, phone=phone, address=address, actor=world.users[actor])
        for key, (name, phone, address, actor) in CUSTOMERS.items()
    }
    orders = {}
    for key in ORDERS:
        actor = world.users["dealer"] if key == "dealer" else world.agent
        orders[key] = world.order(customer=customers[key], actor=actor)

    def step(key, action, actor, **data):
        orders[key] = order_transition(order_id=orders[key].pk, action=action, actor=actor, data=data)

    tech = world.users["technician"]
    step("home", "assign", world.dispatcher, technician=world.technician.pk)
    step("senior", "assign", world.dispatcher, technician=world.senior_technician.pk)
    step("done", "assign", world.dispatcher, technician=world.technician.pk)
    step("done", "check_in", tech)
    step("done", "complete", tech, **minimal_report(orders["done"]))
    step("out", "assign", world.outsider_dispatcher, technician=world.outsider_technician.pk)

    # The world is what the matrix assumes.
    assert orders["binjiang"].outlet == outlet_b
    assert orders["out"].outlet == world.other_outlet
    assert customers["out"].region == world.other_region
    assert orders["dealer"].dealer == world.dealer
    assert {o.outlet for k, o in orders.items() if k in OUTLET_ORDERS} == {world.outlet}

    m = Matrix(world=world, orders=orders, customers=customers)
    o = m.objects
    o["order_hz"], o["order_nj"] = orders["home"], orders["out"]
    o["order_done"] = orders["done"]  # completed: waiting for its callback
    o["customer_hz"], o["customer_nj"] = customers["home"], customers["out"]
    # A second customer on each side, to merge with.
    o["customer_hz_2"], o["customer_nj_2"] = customers["senior"], customers["walk_in"]
    o["phone_hz"], o["phone_nj"] = customers["home"].phones.get(), customers["out"].phones.get()
    o["address_hz"], o["address_nj"] = customers["home"].addresses.get(), customers["out"].addresses.get()
    png = base64.b64decode(base64.b64encode(TINY_PNG))
    o["attachment_hz"] = attachment_add(None, orders["home"], content_file(png, "in.png"))
    o["attachment_nj"] = attachment_add(None, orders["out"], content_file(png, "out.png"))
    o["complaint_hz"] = complaint_create(
        actor=world.hq_manager, data=ComplaintInput(description="态度差", category="attitude", order_id=orders["home"].pk)
    )
    o["complaint_nj"] = complaint_create(
        actor=world.hq_manager, data=ComplaintInput(description="乱收费", category="charges", order_id=orders["out"].pk)
    )
    # A hotline call of the Hangzhou agent (with its guidance follow-up) and one of the Nanjing centre.
    call = call_event_record(actor=world.agent, call_id="MX-1", event="ringing", caller=CUSTOMERS["home"][1], extension="8012")
    call_log(actor=world.agent, call_id=call.pk, call_type="phone_guidance", disposition="resolved", advice="复位遥控器")
    call_event_record(actor=world.agent, call_id="MX-3", event="ringing", caller=CUSTOMERS["senior"][1], extension="8012")
    o["call_hz"] = Call.objects.get(call_id="MX-1")
    o["pop_hz"] = Call.objects.get(call_id="MX-3")  # still ringing on the agent's screen
    o["follow_up_hz"] = FollowUpTask.objects.get(call=o["call_hz"])
    o["call_nj"] = Call.objects.create(
        call_id="MX-2", caller_number=CUSTOMERS["out"][1], region=world.other_region, started_at=timezone.now(), extension="9001"
    )
    o["pop_nj"] = o["call_nj"]
    o["follow_up_nj"] = FollowUpTask.objects.create(
        call=o["call_nj"], customer=customers["out"], assigned_to=world.outsider_director, kind="confirm_guidance", due_at=timezone.now()
    )
    # The dealer's sale of a second appliance to its own customer (no install wanted).
    name, phone, address, _ = CUSTOMERS["dealer"]
    sale_register(
        actor=world.users["dealer"],
        customer_name=name,
        phones=[phone],
        address=address,
        items=[{"product_model_id": world.model.pk, "quantity": 1, "serials": ["MX-SALE-1"]}],
        purchase_date=timezone.localdate() - timedelta(days=1),
        install_wanted=False,
    )
    o["sale_hz"] = SaleRegistration.objects.get(dealer=world.dealer)
    # A dealer of the Nanjing region sells to the Nanjing customer (registered by HQ for it).
    nj_dealer = OrgUnit.objects.create(kind=OrgKind.DEALER, parent=world.other_region, code="D-NJ-01", name="南京苏宁新街口店")
    name, phone, address, _ = CUSTOMERS["out"]
    o["sale_nj"] = sale_register(
        actor=world.hq_manager,
        dealer_id=nj_dealer.pk,
        customer_name=name,
        phones=[phone],
        address=address,
        items=[{"product_model_id": world.model.pk, "quantity": 1, "serials": ["MX-SALE-2"]}],
        purchase_date=timezone.localdate() - timedelta(days=1),
        install_wanted=False,
    )
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "手机"])
    buffer = __import__("io").BytesIO()
    book.save(buffer)
    o["job_hz"] = import_job_create(actor=world.agent, filename="in.xlsx", data=buffer.getvalue())
    o["job_nj"] = import_job_create(actor=world.outsider_director, filename="out.xlsx", data=buffer.getvalue())
    from anxin.orders.models import SlaPolicy

    o["policy"] = SlaPolicy.objects.order_by("pk").first() or SlaPolicy.objects.create(name="默认", visit_hours=24)
    # Each "hz" object belongs to the world's region, each "nj" object to the outsiders'.
    assert (o["complaint_hz"].region, o["complaint_nj"].region) == (world.region, world.other_region)
    assert (o["call_hz"].region, o["call_nj"].region) == (world.region, world.other_region)
    assert (o["sale_hz"].dealer.parent, o["sale_nj"].dealer.parent) == (world.region, world.other_region)
    assert (o["attachment_hz"].order.outlet, o["attachment_nj"].order.outlet) == (world.outlet, world.other_outlet)
    assert (o["follow_up_hz"].assigned_to, o["follow_up_nj"].assigned_to) == (world.agent, world.outsider_director)
    assert o["pop_hz"].state == "ringing" and o["pop_hz"].agent == world.agent

    for persona in PERSONAS:
        user = world.users[persona]
        (n,) = notify([user], kind="test", title="Matrix %(who)s", params={"who": persona}, url=reverse("home"))
        token, _ = api_token_create(actor=None, user=user, name=f"matrix-{persona}")
        m.own[persona] = {"notification": n, "token": token}
        client = Client()
        client.force_login(user)
        m.clients[persona] = client
    # Somebody else's notification and token: the HQ manager's, for everyone (own for the HQ manager).
    o["notification_other"] = m.own["hq_manager"]["notification"]
    o["token_other"] = m.own["hq_manager"]["token"]
    m.clients[ANON] = Client()
    return m


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    media = tempfile.mkdtemp(prefix="anxin-matrix-")
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        override_settings(PASSWORD_HASHERS=hashers, LANGUAGE_CODE="zh-hans", MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        built = _build()
        yield built
        transaction.set_rollback(True)
    shutil.rmtree(media, ignore_errors=True)


# --- the route matrix -------------------------------------------------------------------------------

LOGIN = 302  # an anonymous visitor of a page is sent to the login page
UNAUTHORIZED = 401  # an anonymous caller of the API

HQ = {"hq_manager", "tech_lead", "quality", "settlement"}
REGION = {"region_director", "agent", "callback_agent"}
OUTLET = {"parts_clerk", "dispatcher"}
TECHS = {"technician", "senior"}
OUTSIDERS = {"outsider_director", "outsider_dispatcher", "outsider_technician"}
ALL = set(PERSONAS)


def answers(default: int, others: dict[int, set[str] | str] | None = None, *, anon: int = LOGIN) -> dict[str, int]:
    """Persona → status: ``default`` for every signed-in persona not named in ``others``."""
    result = dict.fromkeys(PERSONAS, default)
    seen: set[str] = set()
    for status, names in (others or {}).items():
        names = set(names.split()) if isinstance(names, str) else set(names)
        assert not names & seen, names & seen
        assert names <= ALL, names - ALL
        seen |= names
        result.update(dict.fromkeys(names, status))
    result[ANON] = anon
    return result


Target = Callable[[Matrix, str], dict]  # (world, persona) → URL keywords


def side(**names: tuple[str, str] | str) -> dict[str, Target]:
    """Targets "hz" (an object of the Hangzhou region, the world's own) and "nj" (one of the Nanjing
    region, the outsiders'): ``kw=("obj_hz", "obj_nj")`` names objects of ``Matrix.objects``; a
    plain string is put in the URL as it is (an action slug)."""

    def target(i: int) -> Target:
        return lambda m, p: {kw: (m.objects[v[i]].pk if isinstance(v, tuple) else v) for kw, v in names.items()}

    return {"hz": target(0), "nj": target(1)}


# A route without parameters asked about both sides (the side is in the body or the query string).
SIDES: dict[str, Target] = {"hz": lambda m, p: {}, "nj": lambda m, p: {}}


def one(name: str, kw: str = "pk") -> dict[str, Target]:
    """A single target, shared by everybody (an SLA policy row)."""
    return {"": lambda m, p: {kw: m.objects[name].pk}}


def own(kind: str, kw: str = "pk") -> dict[str, Target]:
    """Targets "own" (the persona's own ``kind``; the anonymous visitor tries the HQ manager's) and
    "other" (the HQ manager's, i.e. somebody else's for everyone but the HQ manager)."""
    return {
        "own": lambda m, p: {kw: m.own["hq_manager" if p == ANON else p][kind].pk},
        "other": lambda m, p: {kw: m.objects[f"{kind}_other"].pk},
    }


NONE: dict[str, Target] = {"": lambda m, p: {}}


Data = dict | Callable[[Matrix, str], dict]  # a body or query string, or one built per target


@dataclass(frozen=True)
class Ask:
    """One request of the matrix and its exact answers: target → persona → status."""

    method: str
    expect: dict[str, dict[str, int]]
    body: Data = field(default_factory=dict)
    params: Data = field(default_factory=dict)  # query string


@dataclass(frozen=True)
class Route:
    targets: dict[str, Target]
    asks: tuple[Ask, ...]


def _ask(method: str, expect, body, params, by_target) -> Ask:
    return Ask(method, {"": expect} if expect is not None else by_target, body=body or {}, params=params or {})


def GET(expect=None, *, params: Data | None = None, **by_target) -> Ask:  # noqa: N802
    return _ask("GET", expect, None, params, by_target)


def POST(expect=None, *, body: Data | None = None, params: Data | None = None, **by_target) -> Ask:  # noqa: N802
    return _ask("POST", expect, body, params, by_target)


def DELETE(expect=None, **by_target) -> Ask:  # noqa: N802
    return _ask("DELETE", expect, None, None, by_target)


def _object(m: Matrix, names: tuple[str, str], target: str):
    return m.objects[names[0] if target == "hz" else names[1]]


def pk_of(key: str, names: tuple[str, str], **extra) -> Callable[[Matrix, str], dict]:
    """A body / query string naming the target's object, e.g. ``customer=<id>``."""
    return lambda m, target: {key: _object(m, names, target).pk, **extra}


def TEXT_FILE(m: Matrix, target: str) -> dict:  # noqa: N802
    """An upload that is no image (refused by type, after the order is found in scope)."""
    return {"file": SimpleUploadedFile("notes.txt", b"plain text, not an image")}


def version_of(names: tuple[str, str], **extra) -> Callable[[Matrix, str], dict]:
    """The form of a step on the target's order, with the version it is at."""
    return lambda m, target: {"expected_version": _object(m, names, target).version, **extra}


# --- running ------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int | str
    text: str  # the body as text ("" for binary files: PDF, Excel, images)


BINARY = ("application/pdf", "application/vnd.openxmlformats", "image/")


def send(client: Client, method: str, url: str, *, body: dict | None = None, params: dict | None = None, api_call: bool = False):
    """One request inside a savepoint that is rolled back afterwards (with the client's cookies), so
    a POST that an allowed role may make leaves nothing behind and signing out signs nobody out."""
    cache.clear()  # rate limits and cached counters must not carry over from one persona to the next
    cookies = copy.deepcopy(client.cookies)
    body = body or {}
    with transaction.atomic():
        try:
            if params:
                url = f"{url}?{urlencode(params, doseq=True)}"
            if method == "GET":
                response = client.get(url)
            elif api_call and "file" not in body:
                response = client.generic(method, url, json.dumps(body), content_type="application/json")
            elif method == "POST":
                response = client.post(url, body)
            else:
                response = client.generic(method, url)
            content = b"".join(response.streaming_content) if response.streaming else response.content
            binary = response.get("Content-Type", "").startswith(BINARY)
            answer = Answer(response.status_code, "" if binary else content.decode("utf-8-sig", errors="replace"))
        except Exception as exc:  # a crash is an answer too, reported with the route
            answer = Answer(f"500 {type(exc).__name__}: {exc}", "")
        transaction.set_rollback(True)
    client.cookies = cookies
    return answer


def run(m: Matrix, route: Route, a: Ask, url_for: Callable[[dict], str], *, api_call: bool = False) -> dict:
    """target → persona → Answer, for every persona and the anonymous visitor."""
    got: dict = {}
    for target in a.expect:
        body = a.body(m, target) if callable(a.body) else a.body
        params = a.params(m, target) if callable(a.params) else a.params
        for persona in EVERYONE:
            url = url_for(route.targets[target](m, persona))
            fresh = a.body(m, target) if callable(a.body) else body  # an upload is read once
            got.setdefault(target, {})[persona] = send(m.clients[persona], a.method, url, body=fresh, params=params, api_call=api_call)
    return got


def hidden_contact(persona: str) -> set[str]:
    """Phone numbers and street addresses ``persona`` must never receive in full, on any page, in
    any export or API answer: those of customers whose contact details are masked for them."""
    full = FULL_CONTACT.get(persona, set())
    phones = {phone for key, (_, phone, _, _) in CUSTOMERS.items() if key not in full}
    streets = {address.split("区", 1)[1] for address in {a for _, _, a, _ in CUSTOMERS.values()}}
    seen_streets = {CUSTOMERS[key][2].split("区", 1)[1] for key in full}
    return phones | (streets - seen_streets)


def check(m: Matrix, route: Route, a: Ask, url_for, *, api_call: bool = False) -> None:
    got = run(m, route, a, url_for, api_call=api_call)
    statuses = {target: {p: answer.status for p, answer in by_persona.items()} for target, by_persona in got.items()}
    assert statuses == a.expect, _differences(statuses, a.expect)
    leaks = {
        (target, persona): sorted(secret for secret in hidden_contact(persona) if secret in answer.text)
        for target, by_persona in got.items()
        for persona, answer in by_persona.items()
    }
    assert not {k: v for k, v in leaks.items() if v}, leaks


def _differences(got: dict, expected: dict) -> dict:
    return {
        f"{target or '-'}/{persona}": f"got {got[target][persona]}, expected {expected[target][persona]}"
        for target in expected
        for persona in EVERYONE
        if got.get(target, {}).get(persona) != expected[target][persona]
    }


def edits(ok: int) -> dict[str, dict[str, int]]:
    """Changing a customer (edit, phones, addresses, opt-out): the edit roles (HQ manager, agents,
    regional director, outlet manager) on a customer in their scope get ``ok``; other roles that
    see the customer 403; who does not see it 404. The Nanjing customer is in the nationwide
    archive the hotline works on, so agents may change it, the Hangzhou director may not see it."""
    return {
        "hz": answers(ok, {403: "tech_lead quality settlement parts_clerk technician", 404: OUTSIDERS | {"senior", "dealer"}}),
        "nj": answers(
            404,
            {
                ok: "hq_manager agent callback_agent outsider_director outsider_dispatcher",
                403: "tech_lead quality settlement outsider_technician",
            },
        ),
    }


# --- the matrix itself ------------------------------------------------------------------------------
# Read a row as: who gets what. ``answers(default, {status: personas})`` gives every signed-in persona
# ``default`` except those named; ``anon`` is the anonymous visitor's answer (302 to the login page
# unless said otherwise). "hz" is the world's own side (Hangzhou region, outlet O-HZ-01), "nj" the
# outsiders' (Nanjing); "own" / "other" are the persona's own object and the HQ manager's.

HTML: dict[str, Route] = {
    "healthz": Route(NONE, (GET(answers(200, anon=200)),)),
    "api:openapi-json": Route(NONE, (GET(answers(200, anon=200)),)),
    "api:openapi-view": Route(NONE, (GET(answers(200, anon=200)),)),
    "api:api-root": Route(NONE, (GET(answers(404, anon=404)),)),
    "set_language": Route(NONE, (POST(answers(302), body={"language": "zh-hans"}),)),
    "login": Route(
        NONE,
        (
            GET(answers(302, anon=200)),
            POST(answers(302, anon=200)),
        ),
    ),
    "logout": Route(
        NONE,
        (
            GET(answers(405, anon=405)),
            POST(answers(302)),
        ),
    ),
    "password_change": Route(
        NONE,
        (
            GET(answers(200)),
            POST(answers(200)),
        ),
    ),
    "password_change_done": Route(NONE, (GET(answers(200)),)),
    "home": Route(NONE, (GET(answers(200)),)),
    "customer_list": Route(NONE, (GET(answers(200)),)),
    "customer_export": Route(
        NONE,
        (
            GET(
                answers(403, {200: "hq_manager region_director agent dispatcher dealer outsider_director outsider_dispatcher"}),
                params={"format": "csv"},
            ),
        ),
    ),
    "customer_create": Route(
        NONE,
        (
            GET(answers(403, {200: "hq_manager region_director agent dispatcher dealer outsider_director outsider_dispatcher"})),
            POST(answers(403, {200: "hq_manager region_director agent dispatcher dealer outsider_director outsider_dispatcher"})),
        ),
    ),
    "customer_detail": Route(
        side(pk=("customer_hz", "customer_nj")),
        (
            GET(
                hz=answers(200, {404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(200, {404: OUTLET | TECHS | {"region_director", "dealer"}}),
            ),
        ),
    ),
    "customer_edit": Route(
        side(pk=("customer_hz", "customer_nj")),
        (
            GET(
                **edits(200),
            ),
            POST(
                **edits(200),
            ),
        ),
    ),
    "customer_opt_out": Route(
        side(pk=("customer_hz", "customer_nj")),
        (
            POST(
                **edits(302),
            ),
        ),
    ),
    "customer_reveal": Route(
        side(pk=("customer_hz", "customer_nj")),
        (
            POST(
                hz=answers(
                    200, {400: "tech_lead quality region_director", 403: "settlement parts_clerk", 404: OUTSIDERS | {"senior", "dealer"}}
                ),
                nj=answers(
                    404,
                    {
                        200: "hq_manager agent callback_agent outsider_dispatcher outsider_technician",
                        400: "tech_lead quality outsider_director",
                        403: "settlement",
                    },
                ),
            ),
        ),
    ),
    "phone_create": Route(
        side(pk=("customer_hz", "customer_nj")),
        (
            GET(
                **edits(200),
            ),
            POST(
                **edits(200),
            ),
        ),
    ),
    "phone_delete": Route(
        side(pk=("customer_hz", "customer_nj"), phone_pk=("phone_hz", "phone_nj")),
        (
            POST(
                **edits(302),
            ),
        ),
    ),
    "phone_primary": Route(
        side(pk=("customer_hz", "customer_nj"), phone_pk=("phone_hz", "phone_nj")),
        (
            POST(
                **edits(302),
            ),
        ),
    ),
    "address_create": Route(
        side(pk=("customer_hz", "customer_nj")),
        (
            GET(
                **edits(200),
            ),
            POST(
                **edits(200),
            ),
        ),
    ),
    "address_correct": Route(
        side(pk=("customer_hz", "customer_nj"), address_pk=("address_hz", "address_nj")),
        (
            GET(
                hz=answers(403, {200: "hq_manager agent callback_agent dispatcher", 404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(
                    404,
                    {
                        200: "hq_manager agent callback_agent outsider_dispatcher",
                        403: "tech_lead quality settlement outsider_director outsider_technician",
                    },
                ),
            ),
            POST(
                hz=answers(403, {200: "hq_manager agent callback_agent dispatcher", 404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(
                    404,
                    {
                        200: "hq_manager agent callback_agent outsider_dispatcher",
                        403: "tech_lead quality settlement outsider_director outsider_technician",
                    },
                ),
            ),
        ),
    ),
    "address_primary": Route(
        side(pk=("customer_hz", "customer_nj"), address_pk=("address_hz", "address_nj")),
        (
            POST(
                **edits(302),
            ),
        ),
    ),
    "customer_merge": Route(
        side(pk=("customer_hz", "customer_nj")),
        (
            GET(
                hz=answers(403, {200: "hq_manager region_director agent", 404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(403, {200: "hq_manager agent outsider_director", 404: OUTLET | TECHS | {"region_director", "dealer"}}),
            ),
        ),
    ),
    "customer_merge_confirm": Route(
        side(pk=("customer_hz", "customer_nj"), other_pk=("customer_hz_2", "customer_nj_2")),
        (
            GET(
                hz=answers(403, {200: "hq_manager region_director agent", 404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(403, {200: "hq_manager agent outsider_director", 404: OUTLET | TECHS | {"region_director", "dealer"}}),
            ),
            POST(
                hz=answers(403, {200: "hq_manager region_director agent", 404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(403, {200: "hq_manager agent outsider_director", 404: OUTLET | TECHS | {"region_director", "dealer"}}),
            ),
        ),
    ),
    "appliance_create": Route(
        side(pk=("customer_hz", "customer_nj")),
        (
            GET(
                hz=answers(403, {200: "hq_manager region_director agent dispatcher", 404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(
                    404,
                    {
                        200: "hq_manager agent outsider_director outsider_dispatcher",
                        403: "tech_lead quality settlement callback_agent outsider_technician",
                    },
                ),
            ),
            POST(
                hz=answers(403, {200: "hq_manager region_director agent dispatcher", 404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(
                    404,
                    {
                        200: "hq_manager agent outsider_director outsider_dispatcher",
                        403: "tech_lead quality settlement callback_agent outsider_technician",
                    },
                ),
            ),
        ),
    ),
    "order_list": Route(NONE, (GET(answers(200)),)),
    "order_export": Route(
        NONE,
        (
            GET(
                answers(403, {200: "hq_manager quality region_director agent dispatcher outsider_director outsider_dispatcher"}),
                params={"format": "csv"},
            ),
        ),
    ),
    "order_tab_counts": Route(NONE, (GET(answers(200)),)),
    "order_bulk": Route(SIDES, (POST(body=pk_of("ids", ("order_hz", "order_nj"), action="cancel"), hz=answers(302), nj=answers(302)),)),
    "order_create": Route(
        SIDES,
        (
            GET(
                params=pk_of("customer", ("customer_hz", "customer_nj")),
                hz=answers(403, {200: "hq_manager region_director agent dispatcher", 404: "dealer outsider_director outsider_dispatcher"}),
                nj=answers(403, {200: "hq_manager agent outsider_director outsider_dispatcher", 404: "region_director dispatcher dealer"}),
            ),
            POST(
                body=pk_of("customer", ("customer_hz", "customer_nj")),
                hz=answers(403, {400: "hq_manager region_director agent dispatcher", 404: "dealer outsider_director outsider_dispatcher"}),
                nj=answers(403, {400: "hq_manager agent outsider_director outsider_dispatcher", 404: "region_director dispatcher dealer"}),
            ),
        ),
    ),
    "technician_jobs": Route(NONE, (GET(answers(403, {200: TECHS | {"outsider_technician"}})),)),
    "sla_policy_list": Route(NONE, (GET(answers(403, {200: "hq_manager"})),)),
    "outbox_deliveries": Route(NONE, (GET(answers(403, {200: "hq_manager"})),)),
    # No delivery in the world: the HQ manager gets 404 for the id, everybody else 403 before the lookup.
    "outbox_retry": Route({"": lambda m, p: {"pk": 999999}}, (POST(answers(403, {404: "hq_manager"})),)),
    "sla_policy_create": Route(
        NONE,
        (
            GET(answers(403, {200: "hq_manager"})),
            POST(answers(403, {400: "hq_manager"})),
        ),
    ),
    "grade_policy_edit": Route(
        NONE,
        (POST(answers(403, {400: "hq_manager"}), body={"vip_min_grade": "Z"}),),
    ),
    "sla_policy_edit": Route(
        one("policy"),
        (
            GET(answers(403, {200: "hq_manager"})),
            POST(answers(403, {400: "hq_manager"})),
        ),
    ),
    "order_detail": Route(
        side(pk=("order_hz", "order_nj")),
        (GET(hz=answers(200, {404: OUTSIDERS | {"senior", "dealer"}}), nj=answers(404, {200: HQ | OUTSIDERS})),),
    ),
    "order_complete": Route(
        side(pk=("order_hz", "order_nj")),
        (
            GET(hz=answers(200, {404: OUTSIDERS | {"senior", "dealer"}}), nj=answers(404, {200: HQ | OUTSIDERS})),
            POST(
                body=version_of(("order_hz", "order_nj")),
                hz=answers(409, {404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(404, {409: HQ | OUTSIDERS}),
            ),
        ),
    ),
    "order_slip": Route(
        side(pk=("order_hz", "order_nj")),
        (GET(hz=answers(200, {404: OUTSIDERS | {"senior", "dealer"}}), nj=answers(404, {200: HQ | OUTSIDERS})),),
    ),
    "order_action": Route(
        side(pk=("order_hz", "order_nj"), action="cancel"),
        (
            POST(
                body=version_of(("order_hz", "order_nj")),
                hz=answers(403, {400: "hq_manager region_director agent", 404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(
                    404, {400: "hq_manager outsider_director", 403: "tech_lead quality settlement outsider_dispatcher outsider_technician"}
                ),
            ),
        ),
    ),
    "order_attachment": Route(
        side(pk=("attachment_hz", "attachment_nj")),
        (GET(hz=answers(200, {404: OUTSIDERS | {"senior", "dealer"}}), nj=answers(404, {200: HQ | OUTSIDERS})),),
    ),
    "callback_queue": Route(NONE, (GET(answers(403, {200: "hq_manager quality region_director callback_agent outsider_director"})),)),
    "callback_record": Route(
        side(order_pk=("order_done", "order_nj")),
        (
            GET(hz=answers(200, {404: OUTSIDERS | {"senior", "dealer"}}), nj=answers(404, {200: HQ | OUTSIDERS})),
            POST(
                body=version_of(("order_done", "order_nj"), satisfaction="satisfied"),
                hz=answers(403, {302: "hq_manager callback_agent", 404: OUTSIDERS | {"senior", "dealer"}}),
                nj=answers(404, {409: HQ | OUTSIDERS}),
            ),
        ),
    ),
    "call_list": Route(NONE, (GET(answers(403, {200: REGION | {"hq_manager", "outsider_director"}})),)),
    "call_detail": Route(
        side(pk=("call_hz", "call_nj")),
        (
            GET(
                hz=answers(403, {200: REGION | {"hq_manager"}, 404: "outsider_director"}),
                nj=answers(403, {200: "hq_manager outsider_director", 404: REGION}),
            ),
            POST(
                hz=answers(403, {400: "hq_manager agent callback_agent", 404: "outsider_director"}),
                nj=answers(403, {400: "hq_manager", 404: REGION}),
            ),
        ),
    ),
    "screen_pop": Route(NONE, (GET(answers(204, {200: "agent"})),)),
    "screen_pop_stream": Route(NONE, (GET(answers(204, {200: "agent callback_agent"})),)),
    "screen_pop_dismiss": Route(side(pk=("pop_hz", "pop_nj")), (POST(hz=answers(200), nj=answers(200)),)),
    "extension_edit": Route(
        NONE,
        (
            GET(answers(403, {200: "agent callback_agent"})),
            POST(answers(403, {400: "agent callback_agent"}), body={"extension": "x"}),
        ),
    ),
    "follow_up_done": Route(
        side(pk=("follow_up_hz", "follow_up_nj")),
        (POST(hz=answers(404, {302: HQ | {"agent"}}), nj=answers(404, {302: HQ | {"outsider_director"}})),),
    ),
    "sale_list": Route(NONE, (GET(answers(403, {200: "hq_manager dealer"})),)),
    "sale_create": Route(
        NONE,
        (
            GET(answers(403, {200: "hq_manager dealer"})),
            POST(answers(403, {400: "hq_manager dealer"})),
        ),
    ),
    "sale_review_list": Route(NONE, (GET(answers(403, {200: "hq_manager region_director agent outsider_director"})),)),
    "sale_review": Route(
        side(pk=("sale_hz", "sale_nj")),
        (
            POST(
                hz=answers(403, {302: "hq_manager region_director agent", 404: "outsider_director"}),
                nj=answers(403, {302: "hq_manager outsider_director", 404: "region_director agent"}),
            ),
        ),
    ),
    "customer_import": Route(
        NONE,
        (
            GET(answers(403, {200: "hq_manager region_director agent outsider_director"})),
            POST(answers(403, {400: "hq_manager region_director agent outsider_director"})),
        ),
    ),
    "customer_import_template": Route(NONE, (GET(answers(403, {200: "hq_manager region_director agent outsider_director"})),)),
    "import_jobs": Route(NONE, (GET(answers(200)),)),
    "import_job": Route(
        side(pk=("job_hz", "job_nj")), (GET(hz=answers(404, {200: "agent"}), nj=answers(404, {200: "outsider_director"})),)
    ),
    "import_job_progress": Route(
        side(pk=("job_hz", "job_nj")), (GET(hz=answers(404, {200: "agent"}), nj=answers(404, {200: "outsider_director"})),)
    ),
    "import_job_report": Route(
        side(pk=("job_hz", "job_nj")), (GET(hz=answers(404, {302: "agent"}), nj=answers(404, {302: "outsider_director"})),)
    ),
    "notification_list": Route(NONE, (GET(answers(200)),)),
    "notification_bell": Route(NONE, (GET(answers(200)),)),
    "notification_read": Route(NONE, (POST(answers(302), body={"id": ["0"]}),)),
    "notification_open": Route(own("notification"), (GET(own=answers(302), other=answers(302)),)),
    "complaint_list": Route(NONE, (GET(answers(200)),)),
    "complaint_create": Route(
        SIDES,
        (
            GET(
                params=pk_of("order", ("order_hz", "order_nj")),
                hz=answers(403, {200: REGION | {"hq_manager", "quality"}, 404: "outsider_director"}),
                nj=answers(403, {200: "hq_manager quality outsider_director", 404: REGION}),
            ),
            POST(
                body=pk_of("order", ("order_hz", "order_nj")),
                hz=answers(403, {400: REGION | {"hq_manager", "quality"}, 404: "outsider_director"}),
                nj=answers(403, {400: "hq_manager quality outsider_director", 404: REGION}),
            ),
        ),
    ),
    "complaint_detail": Route(
        side(pk=("complaint_hz", "complaint_nj")),
        (
            GET(
                hz=answers(200, {404: TECHS | OUTSIDERS | {"parts_clerk", "dealer"}}),
                nj=answers(404, {200: HQ | {"outsider_director", "outsider_dispatcher"}}),
            ),
        ),
    ),
    "complaint_action": Route(
        side(pk=("complaint_hz", "complaint_nj"), action="assign"),
        (
            POST(
                body={"assignee": "999999"},
                hz=answers(404, {400: "hq_manager quality region_director", 403: "tech_lead settlement agent callback_agent dispatcher"}),
                nj=answers(404, {400: "hq_manager quality outsider_director", 403: "tech_lead settlement outsider_dispatcher"}),
            ),
        ),
    ),
}
API: dict[str, Route] = {
    "GET /me": Route(NONE, (GET(answers(200, anon=UNAUTHORIZED)),)),
    "GET /tokens": Route(NONE, (GET(answers(403, {200: "hq_manager"}, anon=UNAUTHORIZED)),)),
    "POST /tokens": Route(NONE, (POST(answers(403, {400: "hq_manager"}, anon=UNAUTHORIZED), body={"user_id": 999999, "name": "x"}),)),
    "DELETE /tokens/{token_id}": Route(
        own("token", "token_id"),
        (DELETE(own=answers(403, {204: "hq_manager"}, anon=UNAUTHORIZED), other=answers(403, {204: "hq_manager"}, anon=UNAUTHORIZED)),),
    ),
    "GET /customers": Route(NONE, (GET(answers(200, anon=UNAUTHORIZED)),)),
    "POST /customers": Route(
        NONE,
        (
            POST(
                answers(
                    403,
                    {400: "hq_manager region_director agent dispatcher dealer outsider_director outsider_dispatcher"},
                    anon=UNAUTHORIZED,
                ),
                body={"name": "", "phones": [], "address": ""},
            ),
        ),
    ),
    "GET /customers/search": Route(NONE, (GET(answers(200, anon=UNAUTHORIZED), params={"q": "上官"}),)),
    "GET /customers/{customer_id}": Route(
        side(customer_id=("customer_hz", "customer_nj")),
        (
            GET(
                hz=answers(200, {404: OUTSIDERS | {"senior", "dealer"}}, anon=UNAUTHORIZED),
                nj=answers(200, {404: OUTLET | TECHS | {"region_director", "dealer"}}, anon=UNAUTHORIZED),
            ),
        ),
    ),
    "GET /orders": Route(NONE, (GET(answers(200, anon=UNAUTHORIZED)),)),
    "POST /orders": Route(
        SIDES,
        (
            POST(
                body=pk_of("customer_id", ("customer_hz", "customer_nj"), lines=[]),
                hz=answers(
                    403,
                    {400: "hq_manager region_director agent dispatcher dealer outsider_director outsider_dispatcher"},
                    anon=UNAUTHORIZED,
                ),
                nj=answers(
                    403,
                    {400: "hq_manager region_director agent dispatcher dealer outsider_director outsider_dispatcher"},
                    anon=UNAUTHORIZED,
                ),
            ),
        ),
    ),
    "GET /orders/jobs": Route(NONE, (GET(answers(403, {200: TECHS | {"outsider_technician"}}, anon=UNAUTHORIZED)),)),
    "GET /orders/{order_id}": Route(
        side(order_id=("order_hz", "order_nj")),
        (
            GET(
                hz=answers(200, {404: OUTSIDERS | {"senior", "dealer"}}, anon=UNAUTHORIZED),
                nj=answers(404, {200: HQ | OUTSIDERS}, anon=UNAUTHORIZED),
            ),
        ),
    ),
    "POST /orders/{order_id}/transitions": Route(
        side(order_id=("order_hz", "order_nj")),
        (
            POST(
                body={"action": "cancel"},
                hz=answers(403, {400: "hq_manager region_director agent", 404: OUTSIDERS | {"senior", "dealer"}}, anon=UNAUTHORIZED),
                nj=answers(
                    404,
                    {400: "hq_manager outsider_director", 403: "tech_lead quality settlement outsider_dispatcher outsider_technician"},
                    anon=UNAUTHORIZED,
                ),
            ),
        ),
    ),
    "POST /orders/{order_id}/callback": Route(
        side(order_id=("order_done", "order_nj")),
        (
            POST(
                body=version_of(("order_done", "order_nj"), satisfaction="satisfied"),
                hz=answers(403, {200: "hq_manager callback_agent", 404: OUTSIDERS | {"senior", "dealer"}}, anon=UNAUTHORIZED),
                nj=answers(404, {409: HQ | OUTSIDERS}, anon=UNAUTHORIZED),
            ),
        ),
    ),
    "POST /orders/{order_id}/completion": Route(
        side(order_id=("order_hz", "order_nj")),
        (
            POST(
                hz=answers(409, {404: OUTSIDERS | {"senior", "dealer"}}, anon=UNAUTHORIZED),
                nj=answers(404, {409: HQ | OUTSIDERS}, anon=UNAUTHORIZED),
            ),
        ),
    ),
    "POST /orders/{order_id}/completion-code": Route(
        side(order_id=("order_hz", "order_nj")),
        (
            POST(
                hz=answers(409, {404: OUTSIDERS | {"senior", "dealer"}}, anon=UNAUTHORIZED),
                nj=answers(404, {409: HQ | OUTSIDERS}, anon=UNAUTHORIZED),
            ),
        ),
    ),
    "POST /orders/{order_id}/attachments": Route(
        side(order_id=("order_hz", "order_nj")),
        (
            POST(
                body=TEXT_FILE,
                hz=answers(400, {404: OUTSIDERS | {"senior", "dealer"}}, anon=UNAUTHORIZED),
                nj=answers(404, {400: HQ | OUTSIDERS}, anon=UNAUTHORIZED),
            ),
        ),
    ),
    "POST /telephony/call-events": Route(
        NONE, (POST(answers(403, {200: "hq_manager agent callback_agent"}, anon=UNAUTHORIZED), body={"call_id": "MX-9", "event": "ended"}),)
    ),
    "GET /sales": Route(NONE, (GET(answers(200, anon=UNAUTHORIZED)),)),
    "POST /sales": Route(
        NONE,
        (
            POST(
                answers(403, {400: "hq_manager dealer"}, anon=UNAUTHORIZED),
                body={"customer_name": "", "phones": [], "address": "", "items": [], "purchase_date": "2026-01-01"},
            ),
        ),
    ),
    "POST /sales/{sale_id}/review": Route(
        side(sale_id=("sale_hz", "sale_nj")),
        (
            POST(
                body={"accept": True},
                hz=answers(403, {409: "hq_manager region_director agent", 404: "outsider_director"}, anon=UNAUTHORIZED),
                nj=answers(403, {409: "hq_manager outsider_director", 404: "region_director agent"}, anon=UNAUTHORIZED),
            ),
        ),
    ),
    "GET /notifications": Route(NONE, (GET(answers(200, anon=UNAUTHORIZED)),)),
    "POST /notifications/read": Route(NONE, (POST(answers(200, anon=UNAUTHORIZED), body={"ids": []}),)),
    "GET /complaints": Route(NONE, (GET(answers(200, anon=UNAUTHORIZED)),)),
    "POST /complaints": Route(
        NONE,
        (
            POST(
                answers(403, {400: REGION | {"hq_manager", "quality", "outsider_director"}}, anon=UNAUTHORIZED),
                body={"category": "attitude", "description": "态度差", "order_id": 999999},
            ),
        ),
    ),
    "GET /complaints/{complaint_id}": Route(
        side(complaint_id=("complaint_hz", "complaint_nj")),
        (
            GET(
                hz=answers(200, {404: TECHS | OUTSIDERS | {"parts_clerk", "dealer"}}, anon=UNAUTHORIZED),
                nj=answers(404, {200: HQ | {"outsider_director", "outsider_dispatcher"}}, anon=UNAUTHORIZED),
            ),
        ),
    ),
    "POST /complaints/{complaint_id}/actions/{action}": Route(
        side(complaint_id=("complaint_hz", "complaint_nj"), action="assign"),
        (
            POST(
                body={"assignee_id": 999999},
                hz=answers(
                    404,
                    {400: "hq_manager quality region_director", 403: "tech_lead settlement agent callback_agent dispatcher"},
                    anon=UNAUTHORIZED,
                ),
                nj=answers(
                    404, {400: "hq_manager quality outsider_director", 403: "tech_lead settlement outsider_dispatcher"}, anon=UNAUTHORIZED
                ),
            ),
        ),
    ),
}


# --- completeness -----------------------------------------------------------------------------------


def _url_names(resolver=None, namespace: str = "") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _url_names(entry, inner)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"an unnamed URL pattern: {entry.pattern}"
            names.add(f"{namespace}{entry.name}")
    return names


def _api_operations() -> dict[str, str]:
    """``"METHOD /path"`` (below /api/v1) → operation id, from the API's own OpenAPI schema."""
    from anxin.api import api

    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path.removeprefix('/api/v1')}": operation["operationId"]
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }


def test_every_url_pattern_has_a_row():
    names = _url_names()
    operations = set(_api_operations().values())
    # The API's own URL patterns are rows of ``API`` (by operation); the rest must be rows of ``HTML``.
    api_routes = {n for n in names if n.startswith("api:") and any(op.endswith("_" + n.removeprefix("api:")) for op in operations)}
    pages = names - api_routes
    assert pages - set(HTML) == set(), "URL patterns without a row in the matrix"
    assert set(HTML) - pages == set(), "matrix rows whose URL pattern is gone"


def test_every_api_route_has_a_row():
    routes = set(_api_operations())
    assert routes - set(API) == set(), "API routes without a row in the matrix"
    assert set(API) - routes == set(), "matrix rows whose API route is gone"


def test_every_row_answers_for_every_persona_and_target():
    for key, route in [*HTML.items(), *API.items()]:
        for a in route.asks:
            assert set(a.expect) == set(route.targets), key
            for answers_ in a.expect.values():
                assert set(answers_) == set(EVERYONE), key


def test_every_persona_is_in_the_matrix(matrix):
    assert set(matrix.world.users) == set(PERSONAS)


# --- the matrix, route by route -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HTML))
def test_page(matrix, name):
    route = HTML[name]
    for a in route.asks:
        check(matrix, route, a, lambda kwargs: reverse(name, kwargs=kwargs))


@pytest.mark.parametrize("key", list(API))
def test_api(matrix, key):
    route = API[key]
    path = key.split(" ", 1)[1]
    for a in route.asks:
        check(matrix, route, a, lambda kwargs: "/api/v1" + path.format(**kwargs), api_call=True)


def test_somebody_elses_notification_leads_to_the_list_and_stays_unread(matrix):
    other = matrix.objects["notification_other"]
    answer = matrix.clients["agent"].get(reverse("notification_open", kwargs={"pk": other.pk}))
    assert (answer.status_code, answer["Location"]) == (302, reverse("notification_list"))
    other.refresh_from_db()
    assert other.read_at is None
    mine = matrix.own["agent"]["notification"]
    with transaction.atomic():
        answer = matrix.clients["agent"].get(reverse("notification_open", kwargs={"pk": mine.pk}))
        mine.refresh_from_db()
        assert (answer.status_code, answer["Location"], mine.read_at is not None) == (302, reverse("home"), True)
        transaction.set_rollback(True)


# --- what the lists and exports contain --------------------------------------------------------------


def present(content: str, labels: dict[str, str]) -> set[str]:
    return {key for key, label in labels.items() if label in content}


ORDER_EXPORTERS = {"hq_manager", "quality", "region_director", "agent", "dispatcher", "outsider_director", "outsider_dispatcher"}
CUSTOMER_EXPORTERS = {"hq_manager", "region_director", "agent", "dispatcher", "dealer", "outsider_director", "outsider_dispatcher"}


def _json(answer: Answer) -> dict:
    assert answer.status == 200, answer
    return json.loads(answer.text)


@pytest.mark.parametrize("persona", PERSONAS)
def test_orders(matrix, persona):
    expected, _ = EXPECTED[persona]
    client = matrix.clients[persona]
    numbers = matrix.order_numbers()

    listed = _json(send(client, "GET", "/api/v1/orders"))
    assert {o["number"] for o in listed["results"]} == {numbers[k] for k in expected}
    assert listed["count"] == len(expected)
    for key, order in matrix.orders.items():
        assert send(client, "GET", f"/api/v1/orders/{order.pk}").status == (200 if key in expected else 404), key
        assert send(client, "GET", reverse("order_detail", args=[order.pk])).status == (200 if key in expected else 404), key

    page = send(client, "GET", reverse("order_list"))
    assert (page.status, present(page.text, numbers)) == (200, expected)
    export = send(client, "GET", reverse("order_export"), params={"format": "csv"})
    if persona in ORDER_EXPORTERS:
        assert (export.status, present(export.text, numbers)) == (200, expected)
    else:
        assert (export.status, present(export.text, numbers)) == (403, set())


@pytest.mark.parametrize("persona", PERSONAS)
def test_customers(matrix, persona):
    _, expected = EXPECTED[persona]
    client = matrix.clients[persona]
    names = matrix.customer_names()

    listed = _json(send(client, "GET", "/api/v1/customers"))
    assert {c["name"] for c in listed["results"]} == {names[k] for k in expected}
    assert listed["count"] == len(expected)
    for key, customer in matrix.customers.items():
        assert send(client, "GET", f"/api/v1/customers/{customer.pk}").status == (200 if key in expected else 404), key
        assert send(client, "GET", reverse("customer_detail", args=[customer.pk])).status == (200 if key in expected else 404), key

    page = send(client, "GET", reverse("customer_list"))
    assert (page.status, present(page.text, names)) == (200, expected)
    export = send(client, "GET", reverse("customer_export"), params={"format": "csv"})
    if persona in CUSTOMER_EXPORTERS:
        assert (export.status, present(export.text, names)) == (200, expected)
    else:
        assert (export.status, present(export.text, names)) == (403, set())


@pytest.mark.parametrize("persona", PERSONAS)
def test_contact_masking(matrix, persona):
    """The API detail of every visible customer: full number and address, or 138****5678 and a
    masked address. (That no answer of the matrix ever carries a hidden number or street is
    checked by ``check`` on every route.)"""
    _, visible = EXPECTED[persona]
    full = FULL_CONTACT.get(persona, set())
    client = matrix.clients[persona]
    for key in visible:
        phone = CUSTOMERS[key][1]
        body = _json(send(client, "GET", f"/api/v1/customers/{matrix.customers[key].pk}"))
        shown = body["phones"][0]["number"]
        if key in full:
            assert (shown, body["contact_masked"]) == (phone, False), key
        else:
            assert (shown, body["contact_masked"]) == (mask_phone(phone), True), key
            assert shown.startswith(phone[:3]) and shown.endswith(phone[-4:]) and "****" in shown
            assert CUSTOMERS[key][2].split("区", 1)[1] not in body["addresses"][0]["text"]
        page = send(client, "GET", reverse("customer_detail", args=[matrix.customers[key].pk]))
        assert (phone in page.text) == (key in full), key
