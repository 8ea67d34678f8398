"""My organisation: ESSMS with their declaration, declaring (one, several), interest in one
click, history, editor autocomplete, and what an OG user may not see or do."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from matchmaker.models import Role
from matchmaker.organisations import services
from tests.factories import MakeUser
from tests.helpers import Auth, CsrfClient
from tests.support.bretagne import World, add_editor, current, declaration_form


def test_overview_lists_the_og_essms(client: CsrfClient, auth: Auth, world: World) -> None:
    auth.login(Role.OG)
    response = client.get("/mon-organisme")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for establishment in world.essms_a:
        assert establishment.finess_et in page
    assert world.essms_b[0].finess_et not in page
    assert "Non déclaré" in page and "Bretagne 2026" in page


def test_declare_one_essms_then_change_keeps_history(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    editor = add_editor(db_session, "Acme Santé", "Acme DUI")
    user = auth.login(Role.OG)
    finess = world.essms_a[0].finess_et
    page = client.get(f"/essms/{finess}/declaration").get_data(as_text=True)
    assert 'selected value="PA"' in page  # champ pre-filled from FINESS
    assert 'list="editeurs"' in page and 'aria-describedby="editor-aide"' in page

    response = client.post(f"/essms/{finess}/declaration", data=declaration_form())
    assert response.status_code == 302
    first = current(db_session, finess)
    assert len(first) == 1
    assert first[0].editor_id == editor.id and first[0].editor_raw == "Acme Santé"
    assert first[0].department == "35" and first[0].source_kind == "web"
    assert first[0].declared_by_user_id == user.id and first[0].interested is True

    # Same answers again: nothing new is written.
    client.post(f"/essms/{finess}/declaration", data=declaration_form())
    assert len(current(db_session, finess)) == 1

    client.post(f"/essms/{finess}/declaration", data=declaration_form(willing_carrier="y"))
    rows = current(db_session, finess)
    assert [r.is_current for r in rows] == [False, True]
    assert rows[0].superseded_by_id == rows[1].id and rows[1].willing_carrier is True

    history = client.get(f"/essms/{finess}/historique").get_data(as_text=True)
    assert history.count("<tr") == 3  # header + two declarations
    assert "remplacée" in history and "en cours" in history


def test_unknown_editor_is_kept_as_typed_and_queued(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    add_editor(db_session, "Acme Santé", "Acme DUI")
    auth.login(Role.OG)
    finess = world.essms_a[0].finess_et
    client.post(f"/essms/{finess}/declaration", data=declaration_form(editor="Logiciel Maison"))
    declaration = current(db_session, finess)[-1]
    assert declaration.editor_raw == "Logiciel Maison" and declaration.editor_id is None


def test_declaration_needs_an_editor_with_a_dui(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    auth.login(Role.OG)
    finess = world.essms_a[0].finess_et
    response = client.post(f"/essms/{finess}/declaration", data=declaration_form(editor=""))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Indiquez l&#39;éditeur de votre DUI" in page and 'aria-invalid="true"' in page
    assert current(db_session, finess) == []


def test_group_declaration(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    auth.login(Role.OG)
    chosen = [world.essms_a[0].finess_et, world.essms_a[2].finess_et]
    data = declaration_form(dui_status="aucun", editor="")
    data.pop("champ")
    response = client.post(
        f"/organismes/{world.og_a.finess_ej}/declaration-groupee",
        data={**data, "establishments": chosen},
    )
    assert response.status_code == 302
    assert current(db_session, world.essms_a[1].finess_et) == []
    champs = {f: current(db_session, f)[0].champ for f in chosen}
    assert champs == {chosen[0]: "PA", chosen[1]: "PH"}  # each keeps its FINESS champ


def test_express_interest_in_one_click(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    auth.login(Role.OG)
    client.post(
        f"/essms/{world.essms_a[0].finess_et}/declaration", data=declaration_form(interested=None)
    )
    assert current(db_session, world.essms_a[0].finess_et)[-1].interested is False
    response = client.post(f"/organismes/{world.og_a.finess_ej}/interet")
    assert response.status_code == 303
    for establishment in world.essms_a:
        declarations = current(db_session, establishment.finess_et)
        assert declarations[-1].interested is True and declarations[-1].is_current
    # The declared one kept its answers; its previous version stays in history.
    first = current(db_session, world.essms_a[0].finess_et)
    assert len(first) == 2 and first[-1].editor_raw == "Acme Santé"
    page = client.get(f"/organismes/{world.og_a.finess_ej}").get_data(as_text=True)
    assert page.count("Intéressé") >= 3

    client.post(
        f"/organismes/{world.og_a.finess_ej}/interet",
        data={"essms": world.essms_a[1].finess_et, "retirer": "1"},
    )
    assert current(db_session, world.essms_a[1].finess_et)[-1].interested is False


def test_og_user_cannot_act_for_another_og(
    client: CsrfClient, auth: Auth, world: World, db_session: Session, make_user: MakeUser
) -> None:
    # OG B declared something (its data is not for OG A to read).
    other = make_user(Role.OG, organisation=world.og_b.finess_ej)
    services.declare(
        db_session,
        other,
        [world.essms_b[0].finess_et],
        services.DeclarationInput(
            "Acme",
            "non_reference",
            "aucun",
            None,
            "PA",
            False,
            False,
            True,
            None,
            "brouillon confidentiel",
        ),
    )
    auth.login(Role.OG)
    b_et, b_ej = world.essms_b[0].finess_et, world.og_b.finess_ej
    assert client.get(f"/organismes/{b_ej}").status_code == 403
    assert client.get(f"/essms/{b_et}/historique").status_code == 403
    assert client.get(f"/essms/{b_et}/declaration").status_code == 403
    assert client.post(f"/essms/{b_et}/declaration", data=declaration_form()).status_code == 403
    assert client.post(f"/organismes/{b_ej}/interet").status_code == 403
    # Smuggling another OG's ESSMS into one's own interest form is refused too.
    response = client.post(f"/organismes/{world.og_a.finess_ej}/interet", data={"essms": b_et})
    assert response.status_code == 403
    assert len(current(db_session, b_et)) == 1
    assert "confidentiel" not in client.get(f"/organismes/{b_ej}").get_data(as_text=True)


def test_pending_og_user_sees_the_waiting_page(
    client: CsrfClient, auth: Auth, world: World, db_session: Session, make_user: MakeUser
) -> None:
    user = make_user(Role.OG)
    user.finess_ej = None
    user.approval_status = "pending"  # type: ignore[assignment]
    db_session.commit()
    auth.login(user)
    page = client.get("/mon-organisme").get_data(as_text=True)
    assert "attend la validation" in page
    assert client.get(f"/organismes/{world.og_a.finess_ej}").status_code == 403
    assert client.get(f"/essms/{world.essms_a[0].finess_et}/declaration").status_code == 403


def test_collectif_of_the_region_reads_but_cannot_declare(
    client: CsrfClient, auth: Auth, world: World
) -> None:
    auth.login(Role.COLLECTIF, region="53")
    assert client.get(f"/organismes/{world.og_a.finess_ej}").status_code == 200
    assert client.get(f"/essms/{world.essms_a[0].finess_et}/historique").status_code == 200
    assert client.get(f"/essms/{world.essms_a[0].finess_et}/declaration").status_code == 403
    assert client.get(f"/organismes/{world.og_far.finess_ej}").status_code == 403


def test_no_open_campaign_means_no_declaration(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    auth.login(Role.OG, organisation=world.og_far.finess_ej)
    finess = world.essms_far[0].finess_et
    page = client.get(f"/essms/{finess}/declaration").get_data(as_text=True)
    assert "Aucune campagne ouverte" in page
    response = client.post(f"/essms/{finess}/declaration", data=declaration_form())
    assert "Aucune campagne ouverte ne couvre le département 14" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"), [("acm", ["Acme Santé", "Acme Santé — Acme DUI"]), ("zz", [])]
)
def test_editor_autocomplete(
    client: CsrfClient,
    auth: Auth,
    world: World,
    db_session: Session,
    query: str,
    expected: list[str],
) -> None:
    add_editor(db_session, "Acme Santé", "Acme DUI")
    add_editor(db_session, "Berger Logiciels", "Berger DUI")
    auth.login(Role.OG)
    assert client.get(f"/api/editeurs?q={query}").get_json() == {"editeurs": expected}
