"""The schema holds the rules: enumerations, one current declaration per ESSMS and
campaign, one embarkation row per ESSMS and scheme."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from matchmaker.models import Campaign, Declaration, Editor, EditorMatch, Embarkation

pytestmark = pytest.mark.usefixtures("finess")


def rejected(session: Session, row: Any) -> bool:
    """True when ``row`` is refused (checked inside a savepoint): by the database, or before
    it by a column typed with the vocabulary (``tests/matchmaker/test_vocabulary.py`` checks
    that the database still refuses an unknown code written without the models)."""
    savepoint = session.begin_nested()
    session.add(row)
    try:
        session.flush()
    except StatementError:  # IntegrityError included
        savepoint.rollback()
        return True
    savepoint.rollback()
    return False


@pytest.mark.parametrize(
    "field",
    [
        {"dui_status": "reference"},
        {"sons_status": "oui"},
        {"champ": "PX"},
        {"source_kind": "mail"},
    ],
)
def test_declaration_enumerations_are_checked(
    db_session: Session, campaign: Campaign, field: dict[str, str]
) -> None:
    assert rejected(
        db_session, Declaration(campaign_id=campaign.id, finess_et="010001001", **field)
    )


def test_valid_declaration_is_accepted(db_session: Session, campaign: Campaign) -> None:
    row = Declaration(
        campaign_id=campaign.id, finess_et="010001001", dui_status="aucun", champ="PA"
    )
    assert not rejected(db_session, row)


def test_one_current_declaration_per_essms_and_campaign(
    db_session: Session, campaign: Campaign
) -> None:
    db_session.add(Declaration(campaign_id=campaign.id, finess_et="010001001"))
    db_session.flush()
    assert rejected(db_session, Declaration(campaign_id=campaign.id, finess_et="010001001"))
    old = Declaration(campaign_id=campaign.id, finess_et="010001001", is_current=False)
    assert not rejected(db_session, old)


def test_declaration_needs_a_known_establishment(db_session: Session, campaign: Campaign) -> None:
    assert rejected(db_session, Declaration(campaign_id=campaign.id, finess_et="999999999"))


def test_embarkation_and_editor_constraints(db_session: Session) -> None:
    db_session.add(Embarkation(finess_et="010001001", scheme="sons"))
    db_session.flush()
    assert rejected(db_session, Embarkation(finess_et="010001001", scheme="sons"))
    assert rejected(db_session, Embarkation(finess_et="010001002", scheme="europe"))
    db_session.add(Editor(name="Alpha", key="alpha"))
    db_session.flush()
    assert rejected(db_session, Editor(name="ALPHA", key="alpha"))
    assert rejected(db_session, EditorMatch(raw_text="x", key="x", status="maybe"))
    assert rejected(db_session, Campaign(name="C", status="ongoing"))
