"""The run and grappe pages load only what they show (issue 14): the run page builds the
views of its current page of grappes only, the grappe page that one grappe's view, and the
figures come from stored columns and aggregates. Counted on the SQL the pages send."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.orm import Session
from wtforms.widgets import Select

from matchmaker.campaigns import run_views
from matchmaker.campaigns.forms import AdjustForm, LongSelect, choices
from matchmaker.extensions import db
from matchmaker.models import Grappe
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk, make_grappe


@contextmanager
def statements(app: Flask) -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    engine = db.engine_of(app)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def loaded(model: type) -> Iterator[list[object]]:
    """The ``model`` instances the ORM builds from rows meanwhile."""
    seen: list[object] = []

    def record(target, _context) -> None:  # type: ignore[no-untyped-def]
        seen.append(target)

    event.listen(model, "load", record)
    try:
        yield seen
    finally:
        event.remove(model, "load", record)


def one_by_one(seen: list[tuple[str, object]]) -> int:
    """Statements loading one establishment at a time (a query per member: N+1)."""
    return sum(1 for statement, _ in seen if "WHERE establishments.finess_et = " in statement)


def members_viewed(seen: list[tuple[str, object]]) -> int:
    """How many members the read model built a view of: the parameters of its
    establishments query, the one sent just before it reads the referenced editors."""
    for index, (statement, _) in enumerate(seen):
        if "FROM editors LEFT OUTER JOIN solutions" in statement:
            previous, parameters = seen[index - 1]
            assert "establishments.finess_et IN" in previous
            values = parameters.values() if isinstance(parameters, dict) else parameters
            return sum(1 for v in values if isinstance(v, str) and len(v) == 9)
    return 0


def test_the_run_page_builds_only_the_views_of_its_page(
    app: Flask, client: CsrfClient, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_views, "GRAPPES_PAGE_SIZE", 1)
    login(client, desk.owner)
    base = f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}"
    with statements(app) as seen:
        page = client.get(base).get_data(as_text=True)
    assert "n° 1</a>" in page and "n° 2</a>" not in page
    # One grappe's members (16 ESSMS), not the run's 31.
    assert one_by_one(seen) == 0
    assert members_viewed(seen) == 16
    with statements(app) as seen:
        page = client.get(f"{base}?page=2").get_data(as_text=True)
    assert "n° 2</a>" in page and "n° 1</a>" not in page
    assert one_by_one(seen) == 0
    assert members_viewed(seen) == 15


def test_the_grappe_page_builds_one_view(app: Flask, client: CsrfClient, desk: Desk) -> None:
    login(client, desk.owner)
    second = desk.run.grappes[1]
    with statements(app) as seen:
        response = client.get(
            f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}/grappes/{second.id}"
        )
    assert response.status_code == 200
    assert one_by_one(seen) == 0
    assert members_viewed(seen) == len(second.members) == 15


def add_grappes(session: Session, desk: Desk, count: int) -> None:
    """``count`` more grappes of two of the desk's ESSMS each, numbered after its own."""
    pairs = [m.establishment for m in desk.alpha.members]
    for index in range(count):
        first, second = pairs[index % 8], pairs[8 + index % 8]
        make_grappe(session, desk.run, 3 + index, "Alpha Santé", [first, second])
    session.commit()
    session.expire_all()


def test_the_run_page_sends_as_many_queries_however_many_grappes_the_run_has(
    app: Flask, client: CsrfClient, desk: Desk, db_session: Session
) -> None:
    login(client, desk.owner)
    base = f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}"
    client.get(base)  # warms the login and the app's caches
    db_session.expire_all()
    with statements(app) as seen:
        small = client.get(base).get_data(as_text=True)
    assert "n° 2</a>" in small and "Calcul n°" in small
    add_grappes(db_session, desk, 60)
    with statements(app) as big, loaded(Grappe) as grappes:
        page = client.get(base).get_data(as_text=True)
    # Only the shown page's grappes become ORM objects (the rest are light rows).
    assert len(grappes) <= 25
    # The first page shows 25 grappes, the adjust form lists all 62.
    assert "n° 25</a>" in page and "n° 26</a>" not in page
    assert "n° 62 — Alpha Santé" in page
    assert "<dt>Grappes</dt><dd>62</dd>" in page
    assert one_by_one(big) == 0
    assert len(big) == len(seen), [statement for statement, _ in big]
    with statements(app) as last:
        page = client.get(f"{base}?page=3").get_data(as_text=True)
    assert "n° 62</a>" in page and "n° 50</a>" not in page
    assert len(last) <= len(seen)


def test_the_adjust_forms_grappe_list_is_wtforms_select_html(app: Flask) -> None:
    """The run page's long grappe list is written directly, as WTForms' own select would."""
    pairs = [("", "—"), ("7", "n° 7 — Alpha & « Santé »"), ("8", 'n° 8 — <b>"Beta"</b>')]
    with app.test_request_context("/", method="POST", data={"grappe_id": "8"}):
        form = AdjustForm(meta={"csrf": False})
        form.grappe_id.choices = choices(pairs)
        form.grappe_id.process(form.meta.wrap_formdata(form, request.form))
        fast = str(form.grappe_id())
        assert isinstance(form.grappe_id.widget, LongSelect)
        assert fast == str(Select()(form.grappe_id))
    assert '<option selected value="8">n° 8 — &lt;b&gt;&#34;Beta&#34;&lt;/b&gt;</option>' in fast
    assert "Alpha &amp; « Santé »" in fast
