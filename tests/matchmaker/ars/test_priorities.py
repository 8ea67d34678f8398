"""The non-embarked list: who is on it, filters, score ordering, champ weights."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from matchmaker.ars import priorities
from matchmaker.ars.priorities import Filters
from matchmaker.extensions import RULES_KEY, rules_of
from matchmaker.models import Grappe, GrappeMember, Role, SolverRun
from tests.factories import MakeUser, make_campaign, make_declaration, make_editor
from tests.support.occitanie import World


def _targets(app: Flask, db_session: Session) -> list[priorities.Target]:
    weights = priorities.champ_weights(db_session, "76", app.config)
    return priorities.non_embarked(db_session, "76", app.config, weights, rules_of(app))


def test_the_list_holds_the_eligible_non_embarked_of_the_region(
    app: Flask, db_session: Session, world: World
) -> None:
    finess = {t.finess_et for t in _targets(app, db_session)}
    expected = {world.n3.finess_et, world.b1.finess_et} | {e.finess_et for e in world.c[1:]}
    assert finess == expected


def test_scores_follow_isolation_small_og_and_champ(
    app: Flask, db_session: Session, world: World
) -> None:
    targets = _targets(app, db_session)
    by_finess = {t.finess_et: t for t in targets}
    # N3: alone (isolation 2) in a small OG (× 2), DOM weight 1 → 4.
    assert by_finess[world.n3.finess_et].score == 4.0
    assert by_finess[world.n3.finess_et].peers == 0
    # C2..C5: 3 peers at the same place → isolation 1 + 11/14, small OG → 3.571.
    assert by_finess[world.c[1].finess_et].peers == 3
    assert by_finess[world.c[1].finess_et].score == pytest.approx(2 * (1 + 11 / 14), abs=1e-3)
    # B1: alone, but its OG runs 20 ESSMS → 2.
    assert by_finess[world.b1.finess_et].score == 2.0
    assert not by_finess[world.b1.finess_et].small_og
    assert [t.finess_et for t in targets] == [
        world.n3.finess_et,
        *[e.finess_et for e in world.c[1:]],
        world.b1.finess_et,
    ]


def test_champ_weights_reorder_the_list(
    app: Flask, db_session: Session, world: World, make_user: MakeUser
) -> None:
    ars = make_user(Role.ARS)
    weights = priorities.set_champ_weights(db_session, ars, "76", {"PA": 3, "DOM": 0}, app.config)
    assert weights["PA"] == 3 and weights["DOM"] == 0 and weights["PH"] == 1
    targets = priorities.non_embarked(db_session, "76", app.config, weights, rules_of(app))
    assert [t.finess_et for t in targets][:4] == [e.finess_et for e in world.c[1:]]
    assert targets[-1].finess_et == world.n3.finess_et and targets[-1].score == 0
    # Another region keeps its defaults.
    assert priorities.champ_weights(db_session, "53", app.config)["PA"] == 1
    # Editing again updates in place.
    again = priorities.set_champ_weights(db_session, ars, "76", {"PA": 2}, app.config)
    assert again["PA"] == 2


def test_weights_out_of_range_are_refused(
    app: Flask, db_session: Session, world: World, make_user: MakeUser
) -> None:
    ars = make_user(Role.ARS)
    with pytest.raises(ValueError, match="entre 0 et 10"):
        priorities.set_champ_weights(db_session, ars, "76", {"PA": 11}, app.config)


def test_filters(app: Flask, db_session: Session, world: World, monkeypatch) -> None:
    editor = make_editor(db_session, "Éditeur Sud")
    campaign = make_campaign(db_session, region="76")
    make_declaration(db_session, campaign, world.c[1], editor=editor)
    # A grappe of 4 here: the C group (3 peers each) is no longer isolated.
    monkeypatch.setitem(app.extensions, RULES_KEY, replace(rules_of(app), min_size=4))
    targets = _targets(app, db_session)

    def keep(**values: object) -> list[str]:
        return [t.finess_et for t in priorities.filtered(targets, Filters(**values))]

    assert keep(department="31") == [world.b1.finess_et]
    assert keep(champ="DOM") == [world.n3.finess_et]
    assert keep(editor=priorities.EDITOR_KNOWN) == [world.c[1].finess_et]
    assert len(keep(editor=priorities.EDITOR_UNKNOWN)) == 5
    assert world.b1.finess_et not in keep(small_og=True) and len(keep(small_og=True)) == 5
    assert set(keep(isolated=True)) == {world.n3.finess_et, world.b1.finess_et}
    assert keep(department="09", champ="PA", isolated=True) == []


def test_pages() -> None:
    items = list(range(7))
    page = priorities.page_of(items, 2, 3)  # type: ignore[arg-type]
    assert list(page.items) == [3, 4, 5] and page.pages == 3 and page.has_next
    assert priorities.page_of(items, 99, 3).number == 3  # type: ignore[arg-type]


def test_an_essms_in_a_published_grappe_is_no_longer_a_top_target(
    app: Flask, db_session: Session, world: World
) -> None:
    """Issue 12: an ESSMS already in a published grappe was listed « Jamais contacté » at
    the top of the priorities."""
    campaign = make_campaign(db_session, "Occitanie 2026", region="76")
    run = SolverRun(campaign_id=campaign.id, status="succeeded")
    db_session.add(run)
    db_session.flush()
    grappe = Grappe(run_id=run.id, number=1, editor_name="Acme")
    db_session.add(grappe)
    db_session.flush()
    member = world.n3  # the top target: alone, in a small OG
    db_session.add(
        GrappeMember(grappe_id=grappe.id, finess_et=member.finess_et, finess_ej=member.finess_ej)
    )
    db_session.flush()
    assert _targets(app, db_session)[0].finess_et == member.finess_et  # run not published yet
    campaign.published_run_id = run.id
    db_session.flush()
    targets = _targets(app, db_session)
    assert targets[0].finess_et != member.finess_et
    assert targets[-1].finess_et == member.finess_et
    assert targets[-1].follow_up == "en grappe (publiée)"
    assert all(t.follow_up == "Jamais contacté" for t in targets[:-1])
