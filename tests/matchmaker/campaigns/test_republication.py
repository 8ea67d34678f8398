"""A grappe keeps its identity across the published runs of a campaign: its number, the
answers that still hold, old links; an OG whose answer no longer holds is told what
changed (issue 12, point 1)."""

from __future__ import annotations

import html

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.campaigns import runs
from matchmaker.grappes import identity
from matchmaker.mail import MailSettings
from matchmaker.models import (
    Establishment,
    Grappe,
    GrappeAnswer,
    OutboxMail,
    Role,
    SolverRun,
    User,
)
from matchmaker.organisations import proposals
from tests.factories import make_user
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk, make_grappe

MAIL = MailSettings()


def _director(session: Session, finess_ej: str) -> User:
    return make_user(
        session, Role.OG, email=f"direction-{finess_ej}@exemple.fr", finess_ej=finess_ej
    )


def _new_run(
    session: Session, desk: Desk, grappes: list[tuple[str, list[Establishment]]]
) -> SolverRun:
    """A finished run of the campaign with these grappes, numbered as the solver does."""
    run = SolverRun(
        campaign_id=desk.campaign.id,
        mode="interest",
        scope=["35"],
        params=desk.run.params,
        status="succeeded",
        parent_run_id=desk.run.id,
    )
    session.add(run)
    session.flush()
    for number, (editor, members) in enumerate(grappes, start=1):
        make_grappe(session, run, number, editor, members)
    session.refresh(run)
    return run


def _essms(grappe: Grappe) -> list[Establishment]:
    return [m.establishment for m in grappe.members]


def test_a_grappe_that_carries_over_keeps_its_number_and_the_answers(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    runs.publish(db_session, desk.owner, desk.campaign, desk.run, mail=MAIL)
    og = desk.alpha.members[0].finess_ej
    director = _director(db_session, og)
    proposals.answer(db_session, director, desk.alpha.id, "accepte", "D'accord")
    # The re-solve lists Beta first, and Alpha loses one ESSMS of another OG.
    alpha = _essms(desk.alpha)
    second = _new_run(
        db_session, desk, [("Beta Soft", _essms(desk.beta)), ("Alpha Santé", alpha[:-1])]
    )
    runs.publish(db_session, desk.owner, desk.campaign, second, mail=MAIL)

    numbers = {g.editor_name: g.number for g in second.grappes}
    assert numbers == {"Alpha Santé": desk.alpha.number, "Beta Soft": desk.beta.number}
    new_alpha = next(g for g in second.grappes if g.editor_name == "Alpha Santé")
    assert new_alpha.previous_grappe_id == desk.alpha.id
    carried = db_session.scalars(
        select(GrappeAnswer).where(GrappeAnswer.grappe_id == new_alpha.id)
    ).one()
    assert (carried.finess_ej, carried.answer, carried.comment) == (og, "accepte", "D'accord")
    assert proposals.answer_notices(db_session, director) == []
    assert not db_session.scalars(
        select(OutboxMail).where(OutboxMail.subject.contains("à renouveler"))
    ).all()
    [*_, latest] = db_session.scalars(
        select(OutboxMail).where(OutboxMail.to == director.email).order_by(OutboxMail.id)
    )
    assert f"votre réponse à la grappe n° {desk.alpha.number} est reprise" in latest.body

    db_session.commit()
    login(client, director)
    listing = html.unescape(client.get("/mes-grappes").get_data(as_text=True))
    assert "Votre réponse : <strong>acceptée</strong> (reprise du calcul précédent" in listing
    old = client.get(f"/mes-grappes/{desk.alpha.id}")
    assert old.status_code == 302 and old.location.endswith(f"/mes-grappes/{new_alpha.id}")


def test_an_answer_that_no_longer_holds_stays_in_history_and_the_og_is_told(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    runs.publish(db_session, desk.owner, desk.campaign, desk.run, mail=MAIL)
    moved, left = desk.alpha.members[0].finess_ej, desk.alpha.members[1].finess_ej
    mover, dropped = _director(db_session, moved), _director(db_session, left)
    proposals.answer(db_session, mover, desk.alpha.id, "accepte", None)
    proposals.answer(db_session, dropped, desk.alpha.id, "refuse", None)
    alpha = _essms(desk.alpha)
    # The first Alpha ESSMS now sits with Beta; the second is in no grappe.
    second = _new_run(
        db_session,
        desk,
        [("Alpha Santé", alpha[2:]), ("Beta Soft", [*_essms(desk.beta), alpha[0]])],
    )
    runs.publish(db_session, desk.owner, desk.campaign, second, mail=MAIL)

    new_alpha = next(g for g in second.grappes if g.editor_name == "Alpha Santé")
    new_beta = next(g for g in second.grappes if g.editor_name == "Beta Soft")
    assert new_alpha.number == desk.alpha.number and new_alpha.answers == []
    history = db_session.scalars(
        select(GrappeAnswer).where(GrappeAnswer.grappe_id == desk.alpha.id)
    ).all()
    assert {a.finess_ej: a.answer for a in history} == {moved: "accepte", left: "refuse"}
    [notice] = proposals.answer_notices(db_session, mover)
    assert f"ESSMS {alpha[0].finess_et} : désormais dans la grappe n° {new_beta.number}" in (
        notice.text
    )
    mails = db_session.scalars(
        select(OutboxMail).where(OutboxMail.subject.contains("à renouveler"))
    ).all()
    assert sorted(m.to for m in mails) == sorted([mover.email, dropped.email])
    body = next(m.body for m in mails if m.to == dropped.email)
    assert "dans aucune grappe de ce calcul" in body and "répondre à nouveau" in body

    db_session.commit()
    login(client, mover)
    listing = html.unescape(client.get("/mes-grappes").get_data(as_text=True))
    assert f"Votre réponse à la grappe n° {desk.alpha.number} est à renouveler" in listing
    old = client.get(f"/mes-grappes/{desk.alpha.id}")
    assert old.location.endswith(f"/mes-grappes/{new_beta.id}")
    client.post(f"/mes-grappes/{new_beta.id}", data={"answer": "accepte"})
    assert proposals.answer_notices(db_session, mover) == []

    client.post("/deconnexion")
    login(client, dropped)
    gone = client.get(f"/mes-grappes/{desk.alpha.id}")
    page = html.unescape(gone.get_data(as_text=True))
    assert gone.status_code == 410
    assert "Proposition remplacée" in page and "a été remplacée par un nouveau calcul" in page


def test_same_grappe_needs_the_same_editor_and_a_majority_on_both_sides(
    db_session: Session, desk: Desk
) -> None:
    alpha, beta = _essms(desk.alpha), _essms(desk.beta)
    second = _new_run(
        db_session,
        desk,
        [
            ("Beta Soft", alpha[:9]),  # the majority of Alpha, but another editor
            ("Alpha Santé", [*alpha[9:], *beta[:8]]),  # 7 of Alpha out of 15
            ("Beta Soft", beta[8:]),  # 7 of Beta's 15: not a majority of the old one
        ],
    )
    assert not any(
        identity.same_grappe(old, new) for old in desk.run.grappes for new in second.grappes
    )
    identity.link(db_session, second, desk.run)
    assert sorted(g.number for g in second.grappes) == [3, 4, 5]
    assert all(g.previous_grappe_id is None for g in second.grappes)
