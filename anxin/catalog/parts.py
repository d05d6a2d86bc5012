"""Reads of the priced catalog (备件 / 工时) for completion reports and quotes.

A part or labour item without a category is generic (fits every product); one with a category fits
only that category's appliances. Only active rows are offered or accepted.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from anxin.catalog.models import FaultCode, LabourItem, SparePart


def _fits(category_ids: Iterable[int]) -> Q:
    return Q(category__isnull=True) | Q(category_id__in=list(category_ids))


def parts_for_categories(*, category_ids: Iterable[int]) -> QuerySet[SparePart]:
    """Active spare parts that fit any of ``category_ids`` (generic parts included)."""
    return SparePart.objects.filter(_fits(category_ids), active=True).order_by("code")


def labour_for_categories(*, category_ids: Iterable[int]) -> QuerySet[LabourItem]:
    """Active labour items that fit any of ``category_ids`` (generic items included)."""
    return LabourItem.objects.filter(_fits(category_ids), active=True).order_by("code")


def fault_codes_for_categories(*, category_ids: Iterable[int]) -> QuerySet[FaultCode]:
    return FaultCode.objects.filter(category_id__in=list(category_ids)).order_by("category_id", "difficulty", "code")


def group_by_category(rows: Iterable, category_ids: Iterable[int]) -> dict[int, list]:
    """``{category_id: [row, …]}`` for each of ``category_ids``; a generic row (no category) goes to all."""
    ids = list(dict.fromkeys(category_ids))
    grouped: dict[int, list] = {cid: [] for cid in ids}
    for row in rows:
        for cid in ids if row.category_id is None else [row.category_id]:
            if cid in grouped:
                grouped[cid].append(row)
    return grouped
