"""The demo-logins table, as plain text (``manage.py demo_logins``) and as Markdown (docs/demo-logins.md)."""

from __future__ import annotations

import unicodedata

from anxin.demo.data import CITIES, DEMO_LOGINS, DEMO_PASSWORD, OUTLETS

HEADERS = ("角色", "Role", "Username", "Password", "Try first")

NOTES = (
    "Every seeded account uses the same password, not only these: other regions have "
    "`nj_director`, `nj_agent`, `nj_callback`, `nj_parts` (also `sz_`, `cd_`, `qd_`, `wh_`), each outlet "
    "has a manager `mgr_<outlet>` (e.g. `mgr_nj01`) and technicians `tech_<outlet>_<n>` (e.g. `tech_hz01_2`), "
    "and each dealer a `dealer_<code>` (e.g. `dealer_nj01`).",
    "The demo technician `tech` (grade A) works at 杭州西湖特约服务网点 with the dispatcher; the director, "
    "agent (extension 8012), callback agent and parts clerk belong to 杭州地区顾客服务中心.",
    "`make run` seeds an empty database once (`manage.py seed_demo --scale small --seed 1 --if-empty`); to start "
    "over, delete `var/anxin.sqlite3` and run it again. Larger worlds: `--scale medium` or `--scale large`.",
    "Demo data only: never seed a production database (the password is public).",
)


def rows() -> list[tuple[str, str, str, str, str]]:
    return [(login.role_zh, login.role_en, login.username, DEMO_PASSWORD, login.try_first) for login in DEMO_LOGINS]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def as_text() -> str:
    table = [HEADERS, *rows()]
    widths = [max(_width(row[i]) for row in table) for i in range(len(HEADERS))]
    rule = "  ".join("-" * w for w in widths)
    lines = [f"Anxin demo logins (password for every account: {DEMO_PASSWORD})", ""]
    lines.append("  ".join(_pad(h, w) for h, w in zip(HEADERS, widths, strict=True)).rstrip())
    lines.append(rule)
    lines += ["  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows()]
    return "\n".join(lines)


def as_markdown() -> str:
    def cells(row):
        return "| " + " | ".join(c if i != 2 else f"`{c}`" for i, c in enumerate(row)) + " |"

    lines = [
        "# Demo logins",
        "",
        f"`make run` seeds a small demo world ({len(CITIES)} regions, {sum(len(o) for o in OUTLETS.values())} outlets, "
        "about 200 customers and 300 work orders",
        "in every status) and prints this table; `manage.py demo_logins` prints it again.",
        "Generated from `anxin/demo/data.py` (`DEMO_LOGINS`); a test keeps this file in step with it.",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join("---" for _ in HEADERS) + "|",
    ]
    lines += [cells((zh, en, user, f"`{pw}`", try_first)) for zh, en, user, pw, try_first in rows()]
    lines += ["", *[f"- {note}" for note in NOTES], ""]
    return "\n".join(lines)
