"""French formatting of numbers, percentages, amounts, file sizes, dates and territories
(departments and regions by name), in one place.

Every template uses these through the Jinja filters registered by ``init_app``; exports
and messages call the functions directly. Babel holds the French conventions (decimal
comma, narrow no-break space between thousands, « 76,7 % »), so nothing here formats by
hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from flask import Flask

from importers.geography import DEPARTMENTS, REGIONS
from matchmaker import vocabulary

#: The site's only locale.
LOCALE = "fr_FR"

#: Shown instead of a missing value.
MISSING = "—"

Number = int | float | Decimal


def _pattern(decimals: int, *, fixed: bool) -> str:
    """A CLDR pattern with grouping and ``decimals`` digits (all shown when ``fixed``)."""
    if decimals <= 0:
        return "#,##0"
    return "#,##0." + ("0" if fixed else "#") * decimals


def number(value: Number | None, decimals: int = 0, *, fixed: bool = False) -> str:
    """« 12 345 », « 3,5 »: grouped thousands, a decimal comma, at most ``decimals`` digits
    after it (exactly ``decimals`` when ``fixed``)."""
    if value is None:
        return MISSING
    return format_decimal(value, format=_pattern(decimals, fixed=fixed), locale=LOCALE)


def percent(ratio: Number | None, decimals: int = 1) -> str:
    """« 76,7 % » for the ratio 0.767 (the value is a ratio, not already multiplied)."""
    if ratio is None:
        return MISSING
    return format_percent(ratio, format=_pattern(decimals, fixed=True) + "\u00a0%", locale=LOCALE)


def euros(amount: Number | None, decimals: int = 0) -> str:
    """« 556 000 € »: whole euros unless ``decimals`` is given."""
    if amount is None:
        return MISSING
    return number(amount, decimals, fixed=decimals > 0) + "\u00a0€"


def km(distance: Number | None, decimals: int = 1) -> str:
    """« 12,4 km »."""
    if distance is None:
        return MISSING
    return number(distance, decimals, fixed=True) + "\u00a0km"


def seconds(duration: Number | None, decimals: int = 1) -> str:
    """« 2,5 s »."""
    if duration is None:
        return MISSING
    return number(duration, decimals, fixed=True) + "\u00a0s"


#: French binary units, as the French administration writes them (« Ko », « Mo »).
_SIZE_UNITS = ("octets", "Ko", "Mo", "Go", "To")


def file_size(size_bytes: int | None) -> str:
    """« 33,5 Ko », « 2,1 Mo », « 512 octets » (1 Ko = 1 024 octets)."""
    if size_bytes is None:
        return MISSING
    value = float(size_bytes)
    unit = 0
    while value >= 1024 and unit < len(_SIZE_UNITS) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return number(size_bytes) + "\u00a0" + _SIZE_UNITS[0]
    return number(value, 1, fixed=True) + "\u00a0" + _SIZE_UNITS[unit]


def date(value: dt.date | dt.datetime | None) -> str:
    """« 02/12/2026 »."""
    if value is None:
        return MISSING
    return format_date(value, format="dd/MM/yyyy", locale=LOCALE)


def date_time(value: dt.datetime | None) -> str:
    """« 02/12/2026 à 14:05 »."""
    if value is None:
        return MISSING
    return format_datetime(value, format="dd/MM/yyyy 'à' HH:mm", locale=LOCALE)


def decimal_comma(value: Number | None, decimals: int = 2) -> str:
    """A number for a French spreadsheet cell of a CSV (« 12,5 »): a decimal comma and no
    thousands separator, so Excel FR reads it as a number."""
    if value is None:
        return ""
    return format_decimal(value, format="0." + "#" * decimals, locale=LOCALE)


def department(code: str | None) -> str:
    """« Loire-Atlantique (44) »: a department is never shown by its code alone."""
    if not code:
        return MISSING
    found = DEPARTMENTS.get(code)
    return f"{found.name} ({code})" if found else f"département {code}"


def departments(codes: Iterable[str] | None) -> str:
    """« Ille-et-Vilaine (35), Morbihan (56) »."""
    return ", ".join(department(code) for code in codes or ())


def region(code: str | None) -> str:
    """« Pays de la Loire »: a region is never shown by its code alone."""
    if not code:
        return MISSING
    found = REGIONS.get(code)
    return found.name if found else f"région {code}"


#: Jinja filter name → function. Templates never format numbers by hand.
FILTERS = {
    "nombre": number,
    "pourcent": percent,
    "euros": euros,
    "km": km,
    "secondes": seconds,
    "taille": file_size,
    "date_fr": date,
    "date_heure": date_time,
    "departement": department,
    "departements": departments,
    "region": region,
}


def init_app(app: Flask) -> None:
    """Register the French formatting filters once for every template."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.filters["label"] = vocabulary.template_label
