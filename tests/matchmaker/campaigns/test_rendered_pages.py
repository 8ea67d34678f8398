"""Every GET page of the site, for each role: no English Werkzeug or Flask-WTF message, no
number written with a decimal point, and the footer links the accessibility statement.

The routes come from the app's URL map, so a new page is walked without editing this test;
routes that return files or JSON, or need a token, are left out by name."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.exceptions import default_exceptions

from matchmaker import vocabulary
from matchmaker.models import Lock, Role, User
from matchmaker.models.base import utcnow
from tests.factories import make_user
from tests.helpers import NOT_PAGES, CsrfClient, login
from tests.support.desk import Desk

#: A number written the English way: « 12.5 » (a dotted version such as « 4.1.2 » is not).
DECIMAL_POINT = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")

#: Stored codes that read as codes (« must_join », « reference_segur »): a page shows labels.
CODES = sorted({code for enum in vocabulary.ENUMS for code in enum.values() if "_" in code})

ENGLISH = sorted(
    {text for code, e in default_exceptions.items() for text in (e.description, e().name) if text}
    | {"The CSRF token", "CSRF session token", "The referrer", "Redirecting..."}
)


def visible_text(page: str) -> str:
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]+>", " ", page)))


def og_of(session: Session, desk: Desk) -> User:
    """An OG representative of the alpha grappe's carrier."""
    return make_user(session, Role.OG, email="og-alpha@exemple.fr", finess_ej=desk.alpha.carrier_ej)


def urls(app: Flask, desk: Desk) -> Iterator[tuple[str, str]]:
    values = {
        "campaign_id": desk.campaign.id,
        "run_id": desk.run.id,
        "grappe_id": desk.alpha.id,
        "finess_et": desk.alpha.members[0].finess_et,
        "finess_ej": desk.alpha.carrier_ej,
    }
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES:
            continue
        if not set(rule.arguments) <= set(values):
            continue
        path = rule.build({name: values[name] for name in rule.arguments})
        assert path is not None
        yield rule.endpoint, path[1]


@pytest.mark.parametrize("role", ["anonyme", *(role.value for role in Role)])
def test_no_page_speaks_english_or_writes_a_decimal_point(
    app: Flask, client: CsrfClient, db_session: Session, desk: Desk, role: str
) -> None:
    desk.run.published_at = utcnow()
    member = desk.alpha.members[0].finess_et
    # one lock of each kind, listed on the campaign's page
    db_session.add_all(
        Lock(campaign_id=desk.campaign.id, kind=kind, finess_et=member, grappe_id=desk.alpha.id)
        for kind in vocabulary.LockKind
    )
    db_session.flush()
    if role == "og":
        login(client, og_of(db_session, desk))
    elif role == "collectif":
        login(client, desk.owner)
    elif role != "anonyme":
        login(client, make_user(db_session, Role(role)))
    walked = []
    for endpoint, path in urls(app, desk):
        response = client.get(path, follow_redirects=True)
        if response.mimetype != "text/html":
            continue
        walked.append(endpoint)
        page = response.get_data(as_text=True)
        text = visible_text(page)
        for english in ENGLISH:
            assert english not in text, (path, english)
        assert not DECIMAL_POINT.findall(text), (path, DECIMAL_POINT.findall(text))
        assert not [code for code in CODES if code in text], (path, "code shown as is")
        assert 'href="/accessibilite"' in page, path
    assert len(walked) >= 30, walked


def test_the_accessibility_statement(client: CsrfClient, app: Flask) -> None:
    page = visible_text(client.get("/accessibilite").get_data(as_text=True))
    assert "Déclaration d'accessibilité" in page
    assert "RGAA), version 4.1.2" in page and "partiellement conforme" in page
    assert app.config["MAIL_FROM"] in page  # the contact, by default


def test_the_favicon_is_served(client: CsrfClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
