"""Two imports into one campaign at once (issue 17, « Concurrency by design »): they are
serialised. On PostgreSQL the second is refused at once with a French message (an advisory
lock keyed by the campaign); on SQLite it waits for the first (the single writer's lock,
taken before anything is read). Never a raw ``UniqueViolation`` after a minute, and nothing
is lost: the refused file imports cleanly afterwards.

Real threads, each with its own connection, on a committed database of the suite's kind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from importers.reports import ImportSummary
from matchmaker.declarations.services import (
    current_declarations,
    declare,
    lock_campaign_imports,
)
from matchmaker.domain_errors import Conflict
from matchmaker.extensions import make_engine
from matchmaker.imports.declarations import import_declarations
from matchmaker.models import Campaign, Declaration
from tests.factories import make_campaign, make_establishment, make_organisation
from tests.helpers import scratch_database

ESSMS_COUNT = 6


@dataclass
class World:
    engine: Engine
    campaign_id: int
    essms: list[str]
    folder: Path


@dataclass
class Outcome:
    summary: ImportSummary | None = None
    error: BaseException | None = None
    finished: list[str] = field(default_factory=list)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with scratch_database(tmp_path, "imports") as url:
        engine = make_engine(url, sqlite_busy_timeout_s=60)
        with Session(engine) as session:
            og = make_organisation(session, name="OG CONCURRENT", department="35")
            essms = [
                make_establishment(session, og, department="35").finess_et
                for _ in range(ESSMS_COUNT)
            ]
            campaign = make_campaign(session, "Concurrence", departments=["35"])
            session.commit()
            world = World(engine, campaign.id, essms, tmp_path)
        try:
            yield world
        finally:
            engine.dispose()


def _file(world: World, name: str, editor: str) -> Path:
    """Every ESSMS declared with ``editor``: the two files touch the same rows."""
    path = world.folder / name
    lines = ["finess_et;editeur;statut_dui"]
    lines += [f"{finess};{editor};référencé Ségur" for finess in world.essms]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(world: World, path: Path, outcome: Outcome, **hold: threading.Event) -> None:
    """Import ``path`` in a transaction of its own; with ``locked``/``release``, keep the
    transaction open (the lock held) until told to commit."""
    with Session(world.engine, expire_on_commit=False) as session:
        campaign = session.get(Campaign, world.campaign_id)
        assert campaign is not None
        session.commit()  # the import's transaction starts with the import
        try:
            outcome.summary = import_declarations(session, path, campaign)
            if "locked" in hold:
                hold["locked"].set()
                hold["release"].wait(timeout=120)
            session.commit()
            outcome.finished.append("committed")
        except BaseException as error:
            session.rollback()
            outcome.error = error
            hold.get("locked", threading.Event()).set()


def _current_editors(world: World) -> set[str | None]:
    with Session(world.engine) as session:
        current = current_declarations(session, world.campaign_id)
        assert len(current) == ESSMS_COUNT
        return {declaration.editor_raw for declaration in current.values()}


def _count(world: World) -> int:
    with Session(world.engine) as session:
        return session.scalar(select(func.count()).select_from(Declaration)) or 0


def _holding_import(world: World, outcome: Outcome) -> tuple[threading.Thread, threading.Event]:
    """Start importing « Alpha Santé » for every ESSMS and return once its transaction holds
    the campaign's lock (left open until the returned event is set)."""
    locked, release = threading.Event(), threading.Event()
    one = threading.Thread(
        target=_import,
        args=(world, _file(world, "alpha.csv", "Alpha Santé"), outcome),
        kwargs={"locked": locked, "release": release},
    )
    one.start()
    assert locked.wait(timeout=120) and outcome.error is None, outcome.error
    return one, release


def test_two_imports_into_one_campaign_are_serialised(world: World) -> None:
    first, second = Outcome(), Outcome()
    one, release = _holding_import(world, first)
    # The first import holds its transaction open: the second starts now.
    two = threading.Thread(
        target=_import, args=(world, _file(world, "beta.csv", "Beta Soft"), second)
    )
    two.start()
    if world.engine.dialect.name == "postgresql":
        two.join(timeout=120)  # refused at once, while the first still holds the lock
        assert not two.is_alive()
    else:
        time.sleep(0.5)  # let the second reach the writer's lock (not an assertion on time)
    release.set()
    one.join(timeout=120)
    two.join(timeout=120)

    assert first.finished == ["committed"] and first.summary is not None
    assert first.summary.created == ESSMS_COUNT
    if world.engine.dialect.name == "postgresql":
        assert isinstance(second.error, Conflict), repr(second.error)
        assert str(second.error) == "Un import est déjà en cours pour cette campagne."
        assert _current_editors(world) == {"Alpha Santé"}
        # Nothing lost: the refused file imports once the first is done.
        retry = Outcome()
        _import(world, _file(world, "beta.csv", "Beta Soft"), retry)
        assert retry.error is None and retry.summary is not None
        assert retry.summary.changed == ESSMS_COUNT
    else:
        # SQLite's single writer: the second waited, then saw the first's rows.
        assert second.error is None, repr(second.error)
        assert second.summary is not None and second.summary.changed == ESSMS_COUNT
    assert _current_editors(world) == {"Beta Soft"}
    assert _count(world) == 2 * ESSMS_COUNT  # both versions kept in the history


def test_a_dry_run_takes_no_lock(world: World) -> None:
    """A preview writes nothing: it runs while an import holds the campaign."""
    first, preview = Outcome(), Outcome()
    one, release = _holding_import(world, first)
    try:
        with Session(world.engine) as session:
            campaign = session.get(Campaign, world.campaign_id)
            assert campaign is not None
            summary = import_declarations(
                session, _file(world, "beta.csv", "Beta Soft"), campaign, dry_run=True
            )
            preview.summary = summary
            session.rollback()
    finally:
        release.set()
        one.join(timeout=120)
    assert preview.summary is not None and preview.summary.created == ESSMS_COUNT


def test_a_form_saved_during_an_import_waits_for_it_on_postgresql(world: World) -> None:
    """The site's form declares an ESSMS the running import also writes: it waits for the
    import's commit, then supersedes its row (never a unique violation, nothing lost)."""
    if world.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's single writer serialises them already")
    first = Outcome()
    one, release = _holding_import(world, first)
    form = Outcome()

    def save() -> None:
        with Session(world.engine) as session:
            campaign = session.get(Campaign, world.campaign_id)
            assert campaign is not None
            try:
                declare(session, campaign, world.essms[0], {"editor_raw": "Gamma Web"})
                session.commit()
                form.finished.append("committed")
            except BaseException as error:
                session.rollback()
                form.error = error

    two = threading.Thread(target=save)
    two.start()
    two.join(timeout=1)
    assert two.is_alive(), "the form must wait while the import holds the campaign"
    release.set()
    one.join(timeout=120)
    two.join(timeout=120)
    assert first.finished == ["committed"]
    assert form.error is None and form.finished == ["committed"], repr(form.error)
    with Session(world.engine) as session:
        current = current_declarations(session, world.campaign_id)
    assert current[world.essms[0]].editor_raw == "Gamma Web"
    assert {current[finess].editor_raw for finess in world.essms[1:]} == {"Alpha Santé"}
    assert _count(world) == ESSMS_COUNT + 1


def test_the_lock_is_the_campaign_of_this_database_schema_only(world: World) -> None:
    """Two Grappes on one PostgreSQL database, each in its schema (as the suite's workers
    run): each schema's campaign n° 1 is its own. An import in one never refuses an import
    in the other (it did: the lock was keyed by the campaign's id alone)."""
    if world.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's advisory locks are database-wide")
    with scratch_database(world.folder, "other") as url:
        other = make_engine(url)
        try:
            with Session(other) as session:
                twin = make_campaign(session, "Jumelle", departments=["35"])
                session.commit()
                # the other schema's campaign has the id of this one (a sequence of its own)
                session.execute(
                    text("UPDATE campaigns SET id = :id WHERE id = :twin"),
                    {"id": world.campaign_id, "twin": twin.id},
                )
                session.commit()
            with Session(world.engine) as here, Session(other) as there:
                lock_campaign_imports(here, world.campaign_id)
                lock_campaign_imports(there, world.campaign_id)  # no Conflict
                with Session(world.engine) as again, pytest.raises(Conflict):
                    lock_campaign_imports(again, world.campaign_id)
        finally:
            other.dispose()
