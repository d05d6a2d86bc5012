"""Chinese address parsing into administrative divisions (jionlp, offline) and market tier."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from functools import lru_cache

from anxin.customers.choices import MarketTier


@dataclass(frozen=True)
class ParsedAddress:
    text: str
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = ""
    division_code: str = ""
    market_tier: int = MarketTier.UNKNOWN

    @property
    def resolved(self) -> bool:
        return bool(self.division_code)


@lru_cache(maxsize=1)
def _jionlp():
    # jionlp prints a banner on import and unpacks its dictionaries the first time.
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp

        loader = jionlp.china_location_loader()
    return jionlp, loader


def warm_up() -> None:
    _jionlp()


def _division_code(loader, province: str, city: str, district: str) -> str:
    try:
        node = loader[province]
        if city:
            node = node[city]
        if district:
            node = node[district]
        return str(node["_admin_code"])
    except (KeyError, TypeError):
        return ""


def default_tier(district: str, detail: str) -> int:
    """Fallback when no configured rule matches: city districts are tier 1, counties tier 2,
    villages and townships (乡, 村) tier 3."""
    if any(mark in detail for mark in ("乡", "村")):
        return MarketTier.REMOTE
    if district.endswith("区"):
        return MarketTier.CITY
    if district:
        return MarketTier.COUNTY
    return MarketTier.UNKNOWN


def parse_address(text: str) -> ParsedAddress:
    text = (text or "").strip()
    if not text:
        return ParsedAddress(text="")
    jionlp, loader = _jionlp()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            parts = jionlp.parse_location(text)
    except Exception:  # noqa: BLE001 - an unparseable address is kept and flagged, never rejected
        return ParsedAddress(text=text, detail=text)
    province, city, district = parts.get("province") or "", parts.get("city") or "", parts.get("county") or ""
    detail = parts.get("detail") or ""
    code = _division_code(loader, province, city, district) if province and district else ""
    tier = tier_for(code, district, detail) if code else MarketTier.UNKNOWN
    return ParsedAddress(text=text, province=province, city=city, district=district, detail=detail, division_code=code, market_tier=tier)


def tier_for(division_code: str, district: str, detail: str) -> int:
    from anxin.customers.models import MarketTierRule

    rules = MarketTierRule.objects.filter(division_prefix__in=[division_code[:n] for n in range(2, len(division_code) + 1)])
    best = max(rules, key=lambda r: len(r.division_prefix), default=None)
    if best is not None:
        return best.tier
    return default_tier(district, detail)
