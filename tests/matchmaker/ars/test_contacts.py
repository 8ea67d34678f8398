"""The contact log: supersede, never delete, count each stage, one region's log only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.ars import contacts
from matchmaker.ars.contacts import ContactInput
from matchmaker.ars.dashboard import build_dashboard
from matchmaker.ars.services import Forbidden, NotFound
from matchmaker.models import AuditEvent, ContactAction, Role
from tests.factories import MakeUser
from tests.support.occitanie import World


def _input(stage: str, channel: str = "phone", day: int = 1) -> ContactInput:
    return ContactInput(
        acted_on=date(2026, 11, day),
        channel=channel,
        stage=stage,
        outcome="Directrice jointe",
        next_step="Rappeler lundi",
    )


def test_a_new_action_supersedes_the_current_one(
    db_session: Session, world: World, make_user: MakeUser
) -> None:
    ars = make_user(Role.ARS)
    target = world.c[1].finess_et
    first = contacts.record_action(db_session, ars, "76", _input("contacted"), finess_et=target)
    second = contacts.record_action(
        db_session, ars, "76", _input("interested", "mail", 3), finess_et=target
    )
    db_session.refresh(first)
    assert not first.is_current and first.superseded_by_id == second.id
    assert second.is_current and second.superseded_by_id is None
    assert second.finess_ej == world.og_c.finess_ej and second.user_email == ars.email
    history = contacts.history(db_session, "76", finess_et=target)
    assert [a.id for a in history] == [second.id, first.id]  # nothing deleted
    assert contacts.count_actions(db_session, "76") == 2
    events = db_session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "ars.contact")
    )
    assert events == 2


def test_the_database_holds_one_current_action_per_target(
    db_session: Session, world: World, make_user: MakeUser
) -> None:
    ars = make_user(Role.ARS)
    contacts.record_action(db_session, ars, "76", _input("contacted"), finess_et=world.n3.finess_et)
    db_session.add(
        ContactAction(
            region="76",
            finess_et=world.n3.finess_et,
            finess_ej=world.og_n.finess_ej,
            acted_on=date(2026, 11, 2),
            channel="phone",
            stage="contacted",
        )
    )
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_og_and_essms_actions_are_separate_targets(
    db_session: Session, world: World, make_user: MakeUser
) -> None:
    ars = make_user(Role.ARS)
    contacts.record_action(db_session, ars, "76", _input("contacted"), finess_et=world.n3.finess_et)
    og_action = contacts.record_action(
        db_session, ars, "76", _input("interested", "meeting"), finess_ej=world.og_n.finess_ej
    )
    assert og_action.finess_et is None and og_action.target_kind == "og"
    assert [a.id for a in contacts.history(db_session, "76", finess_ej=world.og_n.finess_ej)] == [
        og_action.id
    ]
    assert len(contacts.current_log(db_session, "76")) == 2


def test_the_dashboard_counts_each_stage(
    app: Flask, db_session: Session, world: World, make_user: MakeUser
) -> None:
    ars = make_user(Role.ARS)
    record = contacts.record_action
    record(db_session, ars, "76", _input("contacted"), finess_et=world.c[1].finess_et)
    record(db_session, ars, "76", _input("interested"), finess_et=world.c[1].finess_et)
    record(db_session, ars, "76", _input("contacted"), finess_et=world.c[2].finess_et)
    record(db_session, ars, "76", _input("in_grappe"), finess_et=world.n3.finess_et)
    record(db_session, ars, "76", _input("embarked"), finess_et=world.a1.finess_et)
    record(db_session, ars, "76", _input("to_contact"), finess_ej=world.og_b.finess_ej)
    figures = build_dashboard(db_session, "76", None, app.config)
    assert figures.essms_stages == {
        "to_contact": 0,
        "contacted": 1,
        "interested": 1,
        "in_grappe": 1,
        "embarked": 1,
    }
    assert figures.og_stages["to_contact"] == 1 and sum(figures.og_stages.values()) == 1
    # 6 non-embarked, 3 of them in the log (A1 is embarked already).
    assert figures.never_contacted == 3
    in_ariege = build_dashboard(db_session, "76", "09", app.config)
    assert in_ariege.essms_stages["contacted"] == 1 and in_ariege.essms_stages["embarked"] == 0
    assert in_ariege.never_contacted == 2  # C4, C5
    assert [r.action.stage for r in contacts.current_log(db_session, "76", "contacted")] == [
        "contacted"
    ]


def test_an_ars_works_only_on_its_region(
    db_session: Session, world: World, make_user: MakeUser
) -> None:
    breton = make_user(Role.ARS, region="53")
    with pytest.raises(Forbidden):
        contacts.record_action(
            db_session, breton, "53", _input("contacted"), finess_et=world.c[1].finess_et
        )
    with pytest.raises(Forbidden):
        contacts.record_action(
            db_session, breton, "53", _input("contacted"), finess_ej=world.og_c.finess_ej
        )
    with pytest.raises(NotFound):
        contacts.essms_target(db_session, "53", "999999999")
    occitan = make_user(Role.ARS)
    contacts.record_action(
        db_session, occitan, "76", _input("contacted"), finess_et=world.c[1].finess_et
    )
    assert contacts.current_log(db_session, "53") == []
    assert contacts.history(db_session, "53", finess_et=world.c[1].finess_et) == []


def test_unknown_channel_or_stage_is_refused(
    db_session: Session, world: World, make_user: MakeUser
) -> None:
    ars = make_user(Role.ARS)
    with pytest.raises(ValueError, match="Canal"):
        contacts.record_action(
            db_session, ars, "76", _input("contacted", "pigeon"), finess_et=world.n3.finess_et
        )
    with pytest.raises(ValueError, match="Étape"):
        contacts.record_action(
            db_session, ars, "76", _input("forgotten"), finess_et=world.n3.finess_et
        )


def test_an_action_dated_in_the_future_is_refused(
    db_session: Session, world: World, make_user: MakeUser
) -> None:
    """Issue 12: an action dated 01/01/2030 was accepted and hid the real latest one."""
    ars = make_user(Role.ARS)
    target = world.c[1].finess_et
    real = contacts.record_action(db_session, ars, "76", _input("contacted"), finess_et=target)
    tomorrow = date.today() + timedelta(days=1)
    future = ContactInput(acted_on=tomorrow, channel="phone", stage="interested")
    with pytest.raises(contacts.ContactError, match=r"est dans le futur.*au plus tard aujourd'hui"):
        contacts.record_action(db_session, ars, "76", future, finess_et=target)
    assert [a.id for a in contacts.history(db_session, "76", finess_et=target)] == [real.id]
    today = ContactInput(acted_on=date.today(), channel="phone", stage="interested")
    assert contacts.record_action(db_session, ars, "76", today, finess_et=target).is_current
