"""The run and grappe pages load only what they show (issue 14): the run page builds the
views of its current page of grappes only, the grappe page that one grappe's view, and the
figures come from stored columns and aggregates. Counted on the SQL the pages send."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import event

from matchmaker.campaigns import run_views
from matchmaker.extensions import db
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk


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
