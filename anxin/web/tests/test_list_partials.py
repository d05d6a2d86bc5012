"""The one pager and the one end of the filter bar that every list includes (issue 10, item 6)."""

from __future__ import annotations

from pathlib import Path

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def pager(page: int = 2, **extra) -> str:
    request = RequestFactory().get("/list/", {"status": "open", "page": page})
    page_obj = Paginator(list(range(45)), 20).page(page)
    return render_to_string("web/partials/pagination.html", {"page_obj": page_obj, "request": request, **extra})


def test_the_pager_keeps_the_filters_in_its_links():
    html = pager()
    assert 'href="?status=open&amp;page=1"' in html and 'href="?status=open&amp;page=3"' in html
    assert "45" in html and "data-list-count" not in html  # only lists that stop counting mark it


def test_a_list_that_stops_counting_says_more_than():
    html = pager(count_more=True, count_limit=10000)
    assert 'data-list-count="10000+"' in html
    counted = pager(count_more=False, count_limit=10000)
    assert 'data-list-count="45"' in counted


def test_the_filter_actions_offer_a_way_back_once_filtered():
    plain = render_to_string("web/partials/filter_actions.html", {"clear_url": "/orders/", "filtered": False})
    assert 'type="submit"' in plain and "/orders/" not in plain
    filtered = render_to_string("web/partials/filter_actions.html", {"clear_url": "/orders/", "filtered": True, "submit_label": "Go"})
    assert 'class="reset" href="/orders/"' in filtered and ">Go</button>" in filtered


def test_every_list_uses_the_shared_partials():
    root = Path(__file__).resolve().parents[2]  # the anxin package
    for template in root.glob("*/templates/**/*.html"):
        text = template.read_text()
        if "partials/" in template.as_posix():
            continue
        assert "page_obj.previous_page_number" not in text, f"{template}: include web/partials/pagination.html"
        assert 'Clear filters" %}</a>{% endif %}' not in text, f"{template}: include web/partials/filter_actions.html"
