"""Adjustments of a run: each is checked against the hard rules with the solver's
validator, refused with the broken rule, or applied, recorded as a lock and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.campaigns import adjust, solution_edits
from matchmaker.campaigns.services import Forbidden
from matchmaker.models import AuditEvent, Exclusion, Lock, Role
from tests.factories import make_user
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk


def locks(session: Session, desk: Desk) -> list[Lock]:
    return list(session.scalars(select(Lock).where(Lock.campaign_id == desk.campaign.id)))


def members(grappe: object) -> set[str]:
    return {m.finess_et for m in grappe.members}  # type: ignore[attr-defined]


def test_removing_from_a_grappe_of_the_minimum_size_is_refused(
    db_session: Session, desk: Desk
) -> None:
    before = members(desk.beta)
    victim = desk.beta.members[3].finess_et
    with pytest.raises(adjust.AdjustmentRefused, match="taille minimale"):
        adjust.adjust(
            db_session,
            desk.owner,
            desk.campaign,
            desk.run,
            adjust.Adjustment("remove", finess_et=victim),
        )
    assert members(desk.beta) == before
    assert locks(db_session, desk) == []


def test_removing_from_a_larger_grappe_is_recorded_and_locked(
    db_session: Session, desk: Desk
) -> None:
    victim = desk.alpha.members[5].finess_et
    message = adjust.adjust(
        db_session,
        desk.owner,
        desk.campaign,
        desk.run,
        adjust.Adjustment("remove", finess_et=victim),
    )
    assert "retiré" in message
    assert victim not in members(desk.alpha)
    assert len(desk.alpha.members) == 15
    exclusion = db_session.scalar(
        select(Exclusion).where(Exclusion.run_id == desk.run.id, Exclusion.finess_et == victim)
    )
    assert exclusion is not None and exclusion.reason_code == solution_edits.REMOVED
    [lock] = locks(db_session, desk)
    assert (lock.kind, lock.finess_et, lock.created_by_user_id) == (
        "exclude",
        victim,
        desk.owner.id,
    )
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "adjust.remove"))
    assert event is not None and event.user_id == desk.owner.id
    assert event.campaign_id == desk.campaign.id


def test_moving_to_a_grappe_of_another_editor_is_refused(db_session: Session, desk: Desk) -> None:
    mover = desk.alpha.members[4].finess_et
    with pytest.raises(adjust.AdjustmentRefused, match="éditeur"):
        adjust.adjust(
            db_session,
            desk.owner,
            desk.campaign,
            desk.run,
            adjust.Adjustment("move", finess_et=mover, grappe_id=desk.beta.id),
        )
    assert mover in members(desk.alpha)


def test_an_essms_without_dui_joins_any_grappe(db_session: Session, desk: Desk) -> None:
    free = desk.free_essms.finess_et
    adjust.adjust(
        db_session,
        desk.owner,
        desk.campaign,
        desk.run,
        adjust.Adjustment("move", finess_et=free, grappe_id=desk.beta.id),
    )
    assert free in members(desk.beta)
    assert len(desk.beta.members) == 16
    moved = next(m for m in desk.beta.members if m.finess_et == free)
    assert moved.distance_km > 0
    assert free not in {e.finess_et for e in desk.run.exclusions}
    [lock] = locks(db_session, desk)
    assert (lock.kind, lock.finess_et, lock.grappe_id) == ("must_join", free, desk.beta.id)


def test_a_frozen_grappe_keeps_its_members(db_session: Session, desk: Desk) -> None:
    adjust.adjust(
        db_session,
        desk.owner,
        desk.campaign,
        desk.run,
        adjust.Adjustment("freeze", grappe_id=desk.alpha.id),
    )
    assert desk.alpha.frozen
    with pytest.raises(adjust.AdjustmentRefused, match="figée"):
        adjust.adjust(
            db_session,
            desk.owner,
            desk.campaign,
            desk.run,
            adjust.Adjustment("remove", finess_et=desk.alpha.members[2].finess_et),
        )


def test_the_carrier_must_be_an_og_of_the_grappe(db_session: Session, desk: Desk) -> None:
    outsider = desk.beta.members[0].finess_ej
    with pytest.raises(adjust.AdjustmentRefused, match="porteur"):
        adjust.adjust(
            db_session,
            desk.owner,
            desk.campaign,
            desk.run,
            adjust.Adjustment("carrier", grappe_id=desk.alpha.id, carrier_ej=outsider),
        )
    insider = desk.alpha.members[7].finess_ej
    adjust.adjust(
        db_session,
        desk.owner,
        desk.campaign,
        desk.run,
        adjust.Adjustment("carrier", grappe_id=desk.alpha.id, carrier_ej=insider),
    )
    assert desk.alpha.carrier_ej == insider
    assert [m.finess_ej for m in desk.alpha.members if m.is_carrier] == [insider]


def test_pins_are_checked_against_the_current_grappes(db_session: Session, desk: Desk) -> None:
    a, b = desk.alpha.members[1].finess_et, desk.beta.members[1].finess_et
    with pytest.raises(adjust.AdjustmentRefused, match="séparés"):
        adjust.adjust(
            db_session,
            desk.owner,
            desk.campaign,
            desk.run,
            adjust.Adjustment("together", finess_et=a, other_finess_et=b),
        )
    adjust.adjust(
        db_session,
        desk.owner,
        desk.campaign,
        desk.run,
        adjust.Adjustment("apart", finess_et=a, other_finess_et=b),
    )
    [lock] = locks(db_session, desk)
    assert (lock.kind, lock.finess_et, lock.other_finess_et) == ("apart", a, b)


def test_the_ars_reads_but_does_not_adjust(db_session: Session, desk: Desk) -> None:
    ars = make_user(db_session, Role.ARS, region="53")
    with pytest.raises(Forbidden):
        adjust.adjust(
            db_session,
            ars,
            desk.campaign,
            desk.run,
            adjust.Adjustment("freeze", grappe_id=desk.alpha.id),
        )


def test_a_refused_adjustment_is_shown_on_the_page(client: CsrfClient, desk: Desk) -> None:
    login(client, desk.owner)
    url = f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}"
    response = client.post(
        f"{url}/ajuster",
        data={
            "action": "remove",
            "finess_et": desk.beta.members[2].finess_et,
            "with_og": "y",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ajustement refusé" in page
    assert "taille minimale" in page


def test_the_adjustment_result_shows_where_the_user_acted(client: CsrfClient, desk: Desk) -> None:
    login(client, desk.owner)
    url = f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}"
    response = client.post(f"{url}/ajuster", data={"action": "freeze", "grappe_id": desk.alpha.id})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("?ajustement=1#ajuster-resultat")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    section = page[page.index('id="ajuster"') :]
    assert 'id="ajuster-resultat"' in section and "flash-success" in section
    assert "flash-success" not in page[: page.index('id="ajuster"')]
