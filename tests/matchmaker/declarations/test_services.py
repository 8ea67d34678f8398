"""The declarations services: one declaration from the site, history, current ones."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.campaigns.services import create_operator_campaign
from matchmaker.declarations import services
from matchmaker.editors.services import pending_matches
from matchmaker.models import Campaign, Editor

pytestmark = pytest.mark.usefixtures("finess", "referential")


def editor_id(session: Session, name: str) -> int:
    editor = session.scalar(select(Editor).where(Editor.name == name))
    assert editor is not None
    return editor.id


def test_declare_from_the_site(db_session: Session, campaign: Campaign) -> None:
    first = services.declare(
        db_session,
        campaign,
        "690001003",
        {"editor_raw": "Symphonie", "dui_status": "reference_segur", "sons_status": "commande"},
        user_id=7,
    )
    assert (first.source_kind, first.declared_by_user_id, first.is_current) == ("web", 7, True)
    assert first.editor_id == first.sons_editor_id == editor_id(db_session, "Berlioz Logiciels")
    assert (first.sons_editor_raw, first.champ, first.department) == ("Symphonie", "PH", "69")

    same = services.declare(
        db_session,
        campaign,
        "690001003",
        {"editor_raw": "Symphonie", "dui_status": "reference_segur", "sons_status": "commande"},
    )
    assert same.id == first.id

    second = services.declare(
        db_session, campaign, "690001003", {"editor_raw": "Mon logiciel", "interested": True}
    )
    history = services.declaration_history(db_session, campaign.id, "690001003")
    assert [d.id for d in history] == [first.id, second.id]
    assert (first.is_current, first.superseded_by_id) == (False, second.id)
    assert second.editor_id is None
    assert [m.raw_text for m in pending_matches(db_session)] == ["Mon logiciel"]
    assert services.current_declarations(db_session, campaign.id)["690001003"].id == second.id


def test_declare_refuses_unknown_establishments_and_fields(
    db_session: Session, campaign: Campaign
) -> None:
    with pytest.raises(services.DeclarationError, match="inconnu"):
        services.declare(db_session, campaign, "999999999", {})
    with pytest.raises(ValueError, match="unknown declaration fields"):
        services.declare(db_session, campaign, "690001003", {"editor_id": 3})


def test_campaigns(db_session: Session) -> None:
    assert services.find_campaign(db_session, "Bretagne 2027") is None
    created = create_operator_campaign(db_session, "Bretagne 2027", departments=["29", "35"])
    assert created.id is not None and created.status == "open"
    assert services.find_campaign(db_session, "Bretagne 2027") is created
