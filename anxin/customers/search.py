"""Customer lookup (一号通查): find a caller by any ONE of phone, last digits, name (1–2 Chinese
characters included), pinyin or initials, an address fragment, an appliance serial, an order number.

The index is the ``SearchToken`` table: every searchable piece of a customer is a row
(kind, token) with a B-tree index on (token, customer). A query is a handful of exact or prefix
range scans on that index, each capped, merged and ranked in Python — the same on SQLite and
PostgreSQL, and fast for the 1- and 2-character Chinese queries that trigram indexes cannot serve.
``reindex_customers`` rebuilds a customer's rows; every service that changes a customer's name,
phones, addresses or appliances calls it inside its transaction, so the index is never stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from anxin.core.scoping import scope_ids_q
from anxin.customers.models import Appliance, Customer, CustomerAddress, CustomerPhone, SearchToken


class Kind:
    """Token kinds; the number is also the rank (lower = stronger match)."""

    PHONE_TAIL = 1  # reversed phone digits: last-N digits and full number are prefix scans
    NAME = 2  # every substring of the name up to 3 characters, and the whole name
    SERIAL = 3
    PINYIN = 4  # full pinyin of the name
    INITIALS = 5  # pinyin initials
    ADDRESS = 6  # address tails starting at each component (district, street, number, building…)


MAX_TOKEN = 64
NAME_GRAM = 3
CANDIDATES_PER_KIND = 100

# Where a Chinese address splits into components: after these markers.
_ADDRESS_MARKERS = "省市区县镇乡村街道路巷弄号栋幢座楼层室园苑城庄组团里府湾"
_ADDRESS_SPLIT = re.compile(rf"(?<=[{_ADDRESS_MARKERS}])|(?<=单元)")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"^[a-z]+$")


def _name_tokens(name: str) -> set[str]:
    name = name.strip()
    grams = {name[i : i + n] for n in range(1, NAME_GRAM + 1) for i in range(len(name) - n + 1)}
    grams.add(name[:MAX_TOKEN])
    return {g for g in grams if g.strip()}


def _pinyin(name: str) -> tuple[str, str]:
    syllables = [s for s in lazy_pinyin(name, errors="ignore") if s.isalpha()]
    return "".join(syllables).lower(), "".join(s[0] for s in syllables).lower()


def address_components(text: str) -> list[str]:
    return [part for part in _ADDRESS_SPLIT.split(re.sub(r"\s+", "", text)) if part]


def _address_tokens(address: CustomerAddress) -> set[str]:
    """Tails of the address starting at each component from the district on: a query that starts
    at any component boundary (南山区…, 科苑路15号, 15号…, 东方华庭…) is a prefix of one of them.
    Tails starting at the province or city, and short end pieces (1904室), are left out."""
    parts = address_components(address.text)
    start = 0
    while start < len(parts) - 1 and parts[start][-1] in "省市" and start < 2:
        start += 1
    tails = ("".join(parts[i:])[:MAX_TOKEN] for i in range(start, len(parts)))
    return {t for t in tails if len(t) >= 3}


def customer_tokens(
    customer: Customer, phones: Iterable[str], addresses: Iterable[CustomerAddress], serials: Iterable[str]
) -> set[tuple[int, str]]:
    tokens: set[tuple[int, str]] = set()
    for number in phones:
        digits = re.sub(r"\D", "", number)
        if digits:
            tokens.add((Kind.PHONE_TAIL, digits[::-1][:MAX_TOKEN]))
    tokens |= {(Kind.NAME, t) for t in _name_tokens(customer.name)}
    full, initials = _pinyin(customer.name)
    if full:
        tokens.add((Kind.PINYIN, full[:MAX_TOKEN]))
        tokens.add((Kind.INITIALS, initials[:MAX_TOKEN]))
    for address in addresses:
        tokens |= {(Kind.ADDRESS, t) for t in _address_tokens(address)}
    for serial in serials:
        if serial:
            tokens.add((Kind.SERIAL, serial.upper()[:MAX_TOKEN]))
    return tokens


def reindex_customers(customer_ids: Iterable[int]) -> None:
    """Rebuild the search rows of these customers (call inside the writing transaction)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return
    customers = Customer.objects.in_bulk(ids)
    phones: dict[int, list[str]] = {i: [] for i in ids}
    for cid, number in CustomerPhone.objects.filter(customer_id__in=ids).values_list("customer_id", "number"):
        phones[cid].append(number)
    addresses: dict[int, list[CustomerAddress]] = {i: [] for i in ids}
    for address in CustomerAddress.objects.filter(customer_id__in=ids).only("customer_id", "text"):
        addresses[address.customer_id].append(address)
    serials: dict[int, list[str]] = {i: [] for i in ids}
    for cid, serial in Appliance.objects.filter(customer_id__in=ids).values_list("customer_id", "serial"):
        serials[cid].append(serial)
    SearchToken.objects.filter(customer_id__in=ids).delete()
    rows = [
        SearchToken(customer_id=cid, kind=kind, token=token)
        for cid, customer in customers.items()
        for kind, token in customer_tokens(customer, phones[cid], addresses[cid], serials[cid])
    ]
    SearchToken.objects.bulk_create(rows, batch_size=2000)


# --- other apps' sources -------------------------------------------------------------------


@dataclass(frozen=True)
class SearchSource:
    """A way another app finds customers that the archive's index does not hold — the order side's
    order numbers. ``customers`` never queries that app: the app registers its source at start-up
    (``register_search_source``) and the search asks every source whose ``pattern`` the whole query
    matches. ``find(user=…, q=…, limit=…)`` returns (customer id, matched text) pairs, already
    limited to what ``user`` may see of that app (an order number outside the scope finds nobody)."""

    name: str  # the field shown as matched, e.g. "order"
    pattern: re.Pattern
    score: int
    find: Callable[..., Iterable[tuple[int, str]]]


_SOURCES: dict[str, SearchSource] = {}


def register_search_source(source: SearchSource) -> SearchSource:
    """Add (or replace, by name) a source of customer matches; called from the app's ``ready()``."""
    _SOURCES[source.name] = source
    return source


def search_sources() -> list[SearchSource]:
    return list(_SOURCES.values())


# --- querying -----------------------------------------------------------------------------


@dataclass
class Hit:
    customer: Customer
    score: int
    matched: str  # which field matched: phone, name, pinyin, address, serial, order
    matched_text: str = ""


@dataclass
class SearchResult:
    query: str
    hits: list[Hit] = field(default_factory=list)
    hint: str = ""


FIELD_OF_KIND = {
    Kind.PHONE_TAIL: "phone",
    Kind.NAME: "name",
    Kind.SERIAL: "serial",
    Kind.PINYIN: "pinyin",
    Kind.INITIALS: "pinyin",
    Kind.ADDRESS: "address",
}


def _prefix(kind: int, prefix: str) -> Q:
    # A range on the B-tree: every token that starts with ``prefix``.
    return Q(kind=kind, token__gte=prefix, token__lt=prefix + "\U0010ffff")


def _plan(q: str, *, phone_tail: bool = True) -> list[tuple[int, Q, int]]:
    """(kind, condition, base score) for each index scan the query calls for. Without ``phone_tail``
    (a user who sees numbers masked) digits match a whole number only, never its last digits."""
    plans: list[tuple[int, Q, int]] = []
    digits = re.sub(r"[\s\-()+]", "", q)
    lowered = q.lower()
    if digits.isdigit() and len(digits) >= 4:
        # The caller's whole number or its last N digits: both are prefixes of the reversed number.
        if phone_tail:
            plans.append((Kind.PHONE_TAIL, _prefix(Kind.PHONE_TAIL, digits[::-1]), 100))
        else:
            plans.append((Kind.PHONE_TAIL, Q(kind=Kind.PHONE_TAIL, token=digits[::-1][:MAX_TOKEN]), 100))
    if _CJK.search(q):
        compact = re.sub(r"\s+", "", q)
        if len(compact) <= NAME_GRAM:
            plans.append((Kind.NAME, Q(kind=Kind.NAME, token=compact), 90))
        else:
            plans.append((Kind.NAME, Q(kind=Kind.NAME, token=compact[:MAX_TOKEN]), 90))
        plans.append((Kind.ADDRESS, _prefix(Kind.ADDRESS, compact[:MAX_TOKEN]), 60))
    if _LATIN.match(lowered) and len(lowered) >= 2:
        plans.append((Kind.INITIALS, Q(kind=Kind.INITIALS, token=lowered), 80))
        plans.append((Kind.PINYIN, _prefix(Kind.PINYIN, lowered), 75))
    if re.fullmatch(r"[A-Za-z0-9\-/]{4,}", q):
        plans.append((Kind.SERIAL, _prefix(Kind.SERIAL, q.upper()), 85))
    return plans


def token_q(q: str, kinds: set[int], *, user=None) -> Q | None:
    """The index conditions ``q`` calls for among ``kinds`` (OR-ed), or ``None`` when it calls for none:
    for another app's search on customers (the order list's box), with the same tokenisation. Given
    the searching ``user``, a phone query matches as their own customer search does (decision 0024)."""
    from anxin.customers.selectors import phone_tail_search_allowed

    phone_tail = user is None or phone_tail_search_allowed(user)
    conditions = [condition for kind, condition, _base in _plan(q, phone_tail=phone_tail) if kind in kinds]
    if not conditions:
        return None
    found = conditions[0]
    for condition in conditions[1:]:
        found |= condition
    return found


def _archive_wide(user) -> bool:
    from anxin.customers.models import ARCHIVE_WIDE_ROLES

    return user.sees_everything or user.role in ARCHIVE_WIDE_ROLES


def _dealer_search(*, user, unit, q: str, limit: int) -> SearchResult:
    """A dealer searches what its own people recorded, never the archive's index (decision 0023)."""
    from anxin.customers.selectors import dealer_customer_matches

    result = SearchResult(query=q)
    matches = dealer_customer_matches(user=user, unit=unit, q=q, limit=limit)
    by_id = Customer.objects.visible_among(user, [cid for cid, _m in matches]).prefetch_related("phones", "addresses").in_bulk()
    for cid, matched in matches:
        if cid in by_id:
            result.hits.append(Hit(customer=by_id[cid], score=100, matched=matched))
    return result


def customer_search(*, user, q: str, limit: int = 20) -> SearchResult:
    """Ranked customers visible to ``user`` matching ``q``; a hint instead of a scan for too-short input."""
    from anxin.customers.selectors import dealer_unit_of, phone_tail_search_allowed

    q = (q or "").strip()
    result = SearchResult(query=q)
    if not q:
        result.hint = _("Type a phone number, its last 4 digits, a name, pinyin, an address, a serial or an order number.")
        return result
    if len(q) < 2 and not _CJK.search(q):
        result.hint = _("Type at least 2 letters or digits, or 1 Chinese character.")
        return result

    unit = dealer_unit_of(user)
    if unit is not None:
        return _dealer_search(user=user, unit=unit, q=q, limit=limit)

    scores: dict[int, tuple[int, str, str]] = {}

    def consider(cid: int, score: int, matched: str, text: str) -> None:
        if cid not in scores or scores[cid][0] < score:
            scores[cid] = (score, matched, text)

    def scan(kind: int, condition: Q, restrict) -> list[tuple[int, str]]:
        rows = SearchToken.objects.filter(condition)
        if restrict is not None:
            rows = rows.filter(restrict)
        # Exact scans walk the index backwards (newest customers first); prefix scans in token order.
        order = ("-customer_id",) if "token" in dict(condition.children) else ("token", "customer_id")
        return list(rows.order_by(*order).values_list("customer_id", "token")[:CANDIDATES_PER_KIND])

    plans = _plan(q, phone_tail=phone_tail_search_allowed(user))
    sources = [source for source in search_sources() if source.pattern.fullmatch(q)]
    if not plans and not sources:
        result.hint = _("Type at least 4 digits of a phone number, or a name, pinyin, address, serial or order number.")
        return result
    found: dict[int, list[tuple[int, str]]] = {kind: scan(kind, condition, None) for kind, condition, _base in plans}
    # Candidates come from the bare index (fast); visibility is applied to them afterwards. Only a
    # narrow scope whose candidates were cut off by the cap is scanned again through the scope.
    candidates = {cid for rows in found.values() for cid, _t in rows}
    if _archive_wide(user):
        allowed = candidates  # the final fetch below drops merged customers
    else:
        allowed = set(Customer.objects.visible_among(user, candidates).values_list("pk", flat=True))
    for kind, condition, _base in plans:
        if len(found[kind]) == CANDIDATES_PER_KIND and len(allowed) < CANDIDATES_PER_KIND and not _archive_wide(user):
            found[kind] = scan(kind, condition, scope_ids_q("customer_id", Customer, user))
            allowed |= {cid for cid, _t in found[kind]}
    for kind, _condition, base in plans:
        for cid, token in found[kind]:
            if cid not in allowed:
                continue
            exact = token == (q[::-1] if kind == Kind.PHONE_TAIL else q.lower() if kind in (Kind.PINYIN, Kind.INITIALS) else q)
            consider(cid, base + (5 if exact else 0), FIELD_OF_KIND[kind], token[::-1] if kind == Kind.PHONE_TAIL else token)

    for source in sources:
        for cid, text in source.find(user=user, q=q, limit=20):
            consider(cid, source.score, source.name, text)

    ids = sorted(scores, key=lambda cid: (-scores[cid][0], -cid))
    customers = Customer.objects.visible_among(user, ids[: limit + 10]).prefetch_related("phones", "addresses")
    by_id = {c.pk: c for c in customers}
    for cid in ids:
        if cid in by_id and len(result.hits) < limit:
            score, matched, text = scores[cid]
            result.hits.append(Hit(customer=by_id[cid], score=score, matched=matched, matched_text=text))
    return result


def rebuild_index(*, batch: int = 5000, progress=None) -> int:
    """Rebuild the whole index (after a bulk load or a change of tokenisation); returns rows written.

    Streams customers in primary-key batches with plain value queries (no model instances), with the
    table's indexes dropped during the load and built again at the end: one sorted index build is
    many times faster than keeping a large B-tree up to date row by row."""
    from django.db import connection, transaction

    table = connection.ops.quote_name(SearchToken._meta.db_table)
    indexes = list(SearchToken._meta.indexes)
    written = 0
    last = 0
    qn = connection.ops.quote_name

    def index_sql(index) -> str:
        columns = ", ".join(qn(SearchToken._meta.get_field(f).column) for f in index.fields)
        return f"CREATE INDEX {qn(index.name)} ON {table} ({columns})"

    with transaction.atomic(), connection.cursor() as cursor:
        SearchToken.objects.all().delete()
        for index in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {qn(index.name)}")
    try:
        while True:
            ids = list(Customer.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                break
            last = ids[-1]
            lo, hi = ids[0], ids[-1]
            phones: dict[int, list[str]] = {}
            for cid, number in CustomerPhone.objects.filter(customer_id__gte=lo, customer_id__lte=hi).values_list("customer_id", "number"):
                phones.setdefault(cid, []).append(number)
            addresses: dict[int, list[CustomerAddress]] = {}
            for cid, text in CustomerAddress.objects.filter(customer_id__gte=lo, customer_id__lte=hi).values_list("customer_id", "text"):
                addresses.setdefault(cid, []).append(CustomerAddress(text=text))
            serials: dict[int, list[str]] = {}
            for cid, serial in (
                Appliance.objects.filter(customer_id__gte=lo, customer_id__lte=hi).exclude(serial="").values_list("customer_id", "serial")
            ):
                serials.setdefault(cid, []).append(serial)
            rows = []
            for cid, name in Customer.objects.filter(pk__range=(lo, hi), merged_into__isnull=True).values_list("pk", "name"):
                tokens = customer_tokens(Customer(name=name), phones.get(cid, ()), addresses.get(cid, ()), serials.get(cid, ()))
                rows.extend((cid, kind, token) for kind, token in tokens)
            # Plain executemany (COPY on PostgreSQL): the ORM's per-object work would triple the time.
            with transaction.atomic(), connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    with cursor.cursor.copy(f"COPY {table} (customer_id, kind, token) FROM STDIN") as copy:  # noqa: S608
                        for row in rows:
                            copy.write_row(row)
                else:
                    cursor.executemany(f"INSERT INTO {table} (customer_id, kind, token) VALUES (%s, %s, %s)", rows)  # noqa: S608 - table name from model meta
            written += len(rows)
            if progress:
                progress(last, written)
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # settle deferred FK checks first
            for index in indexes:
                cursor.execute(index_sql(index))
    if connection.vendor == "postgresql":
        # VACUUM sets the visibility map, so lookups are index-only scans from the start.
        with connection.cursor() as cursor:
            verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"  # VACUUM cannot run in a transaction
            cursor.execute(f"{verb} {table}")  # noqa: S608 - table name from model meta
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return written
