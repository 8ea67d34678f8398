"""Every export is sent the same way: as an attachment nobody caches, whatever its name."""

from __future__ import annotations

from flask import Flask
from werkzeug.http import parse_options_header

from matchmaker.downloads import CSV_MIMETYPE, attachment, content_disposition


def _filename(header: str) -> str:
    """The name a browser saves the file under (RFC 6266: ``filename*`` wins)."""
    disposition, options = parse_options_header(header)
    assert disposition == "attachment"
    return options["filename"]


def test_an_ascii_name_is_sent_as_is() -> None:
    assert content_disposition("grappes-12.csv") == 'attachment; filename="grappes-12.csv"'


def test_an_accented_name_keeps_its_accents_for_browsers_and_an_ascii_fallback() -> None:
    header = content_disposition("campagne-Réunion-été.csv")
    assert header.isascii()
    assert 'filename="campagne-R_union-_t_.csv"' in header
    assert _filename(header) == "campagne-Réunion-été.csv"


def test_a_quote_cannot_break_out_of_the_header() -> None:
    header = content_disposition('a"b.csv')
    assert _filename(header) == 'a"b.csv'
    assert header.count('"') == 2


def test_the_response_is_not_cached(app: Flask) -> None:
    with app.test_request_context():
        response = attachment([b"a;b\n"], "x.csv", CSV_MIMETYPE)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/csv"
    assert response.get_data() == b"a;b\n"
