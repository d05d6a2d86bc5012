"""Registration points of the customer pages (decision 0044).

Customers sit below orders, feedback, telephony and sales (decision 0043), yet the customer's page
shows their work orders, callbacks, calls and a dealer's sales, and offers a "new work order"
button. Rather than import those apps, the page asks the parts they register, from their
``AppConfig.ready()``:

    register_customer_page_part("detail", orders_part)

A part is ``fn(*, user, customer, context) -> dict``: the keys it adds to the page's template context
(what the viewer may see, already scoped). ``context`` holds the keys of the parts before it, run in
registration order (that of ``INSTALLED_APPS``), so a part may build on one below it (the callbacks
of the orders shown). Pages: ``detail`` (the profile), ``dealer`` (a dealer's card), ``merge_side``
(one side of the merge confirmation).

After ``customer_create`` the entry form publishes ``customer.created`` (with the ``call_id`` of the
screen pop the agent came from, or None) inside the creation's transaction: telephony links the call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

PAGES = ("detail", "dealer", "merge_side")

PagePart = Callable[..., dict]
_parts: dict[str, list[PagePart]] = defaultdict(list)


def register_customer_page_part(page: str, fn: PagePart) -> PagePart:
    """Add ``fn``'s keys to ``page``'s context (once, however often it is registered)."""
    if page not in PAGES:
        raise ValueError(f"unknown customer page {page!r}; one of {', '.join(PAGES)}")
    if fn not in _parts[page]:
        _parts[page].append(fn)
    return fn


def unregister_customer_page_part(page: str, fn: PagePart) -> None:
    if fn in _parts[page]:
        _parts[page].remove(fn)


def page_parts(page: str) -> list[PagePart]:
    return list(_parts[page])


def with_parts(page: str, *, user, customer, context: dict) -> dict:
    """``context`` with the keys of every part registered for ``page`` (later parts see earlier keys)."""
    for fn in page_parts(page):
        context.update(fn(user=user, customer=customer, context=context))
    return context
