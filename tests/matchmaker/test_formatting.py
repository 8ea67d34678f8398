"""French formatting in one place (matchmaker.formatting): the functions, the Jinja filters
that every template uses, and the CSV exports read by French Excel."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from matchmaker import formatting

NNBSP = "\u202f"  # narrow no-break space, between thousands (CLDR fr)
NBSP = "\u00a0"  # no-break space, before units


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (formatting.number(12345), f"12{NNBSP}345"),
        (formatting.number(3.456, 1), "3,5"),
        (formatting.number(3.0, 2), "3"),
        (formatting.number(3.0, 2, fixed=True), "3,00"),
        (formatting.percent(0.767), f"76,7{NBSP}%"),
        (formatting.percent(1, 0), f"100{NBSP}%"),
        (formatting.euros(556000), f"556{NNBSP}000{NBSP}€"),
        (formatting.file_size(34304), f"33,5{NBSP}Ko"),
        (formatting.file_size(3 * 1024 * 1024), f"3,0{NBSP}Mo"),
        (formatting.file_size(512), f"512{NBSP}octets"),
        (formatting.km(12.44), f"12,4{NBSP}km"),
        (formatting.seconds(1.25), f"1,2{NBSP}s"),
        (formatting.date(dt.date(2026, 12, 2)), "02/12/2026"),
        (formatting.date_time(dt.datetime(2026, 12, 2, 14, 5)), "02/12/2026 à 14:05"),
        (formatting.decimal_comma(12.5), "12,5"),
        (formatting.decimal_comma(1234.0), "1234"),
        (formatting.number(None), "—"),
        (formatting.percent(None), "—"),
    ],
)
def test_french_conventions(value: str, expected: str) -> None:
    assert value == expected


def test_every_template_gets_the_filters(app: Flask) -> None:
    template = app.jinja_env.from_string(
        "{{ 0.767 | pourcent }} · {{ 556000 | euros }} · {{ 34304 | taille }} · "
        "{{ d | date_fr }} · {{ 12345 | nombre }} · {{ 3.25 | km }}"
    )
    rendered = template.render(d=dt.date(2026, 12, 2))
    assert rendered == (
        f"76,7{NBSP}% · 556{NNBSP}000{NBSP}€ · 33,5{NBSP}Ko · 02/12/2026 · "
        f"12{NNBSP}345 · 3,2{NBSP}km"
    )
