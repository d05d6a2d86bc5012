"""How long a text may be: the model field's own length, so forms and API schemas never retype it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# A TextField has no limit of its own; nobody types more than this into one box (decision 0027).
TEXT_MAX_LENGTH = 2000


def max_length_of(model, field_name: str) -> int:
    """``model.field_name``'s max_length, or ``TEXT_MAX_LENGTH`` for a TextField."""
    return model._meta.get_field(field_name).max_length or TEXT_MAX_LENGTH


# Dates and times the business can mean — a purchase, an appointment, a call (decision 0027). Past
# them date arithmetic (a warranty's end, a deadline, a day's end in UTC) would leave year 9999.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive
LAST_DAY = "2099-12-31"


def in_business_range(value: date | datetime) -> bool:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return EARLIEST.replace(tzinfo=None) <= value < LATEST.replace(tzinfo=None)
        return EARLIEST <= value < LATEST  # aware values compare without converting (no overflow at 9999)
    return EARLIEST.date() <= value < LATEST.date()


def date_range_message() -> str:
    return _("Give a date from %(first)s to %(last)s.") % {"first": EARLIEST.date().isoformat(), "last": LAST_DAY}


def validate_business_date(value) -> None:
    """Form field validator: a date or time outside ``EARLIEST``…``LATEST`` is a field error."""
    if value is not None and not in_business_range(value):
        raise ValidationError(date_range_message(), code="date_out_of_range")


ID_MAX = 2**63 - 1  # BigAutoField: a larger number is no row's id, and no database takes it


def parse_id(raw) -> int | None:
    """A GET/POST value as a row id, or None when it cannot be one (not digits, 0, past 2⁶³−1)."""
    raw = str(raw or "")
    if not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 1 <= value <= ID_MAX else None
