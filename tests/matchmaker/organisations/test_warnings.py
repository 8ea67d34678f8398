"""At declaration time the OG is warned about what will block its grappe later: a SONS
order with another editor than its DUI's, an unknown editor, an editor without any
solution référencée Ségur. The declaration is still recorded."""

from __future__ import annotations

import html

from sqlalchemy.orm import Session

from matchmaker.models import Role
from tests.helpers import Auth, CsrfClient
from tests.support.bretagne import World, add_editor, current, declaration_form


def declare(client: CsrfClient, finess: str, **overrides: str) -> str:
    response = client.post(
        f"/essms/{finess}/declaration", data=declaration_form(**overrides), follow_redirects=True
    )
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_a_sons_order_with_another_editor_is_warned(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    add_editor(db_session, "Acme Santé", "Acme DUI")
    add_editor(db_session, "Dauphin Systèmes", "Dauphin")
    auth.login(Role.OG)
    finess = world.essms_a[0].finess_et
    page = declare(client, finess, sons_status="commande", sons_editor="Dauphin Systèmes")
    assert "Déclaration enregistrée" in page
    assert (
        "La commande SONS est passée auprès de « Dauphin Systèmes », mais votre DUI est de "
        "« Acme Santé »" in page
    )
    assert current(db_session, finess)


def test_a_sons_order_with_the_same_editor_is_quiet(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    add_editor(db_session, "Acme Santé", "Acme DUI")
    auth.login(Role.OG)
    page = declare(
        client, world.essms_a[0].finess_et, sons_status="commande", sons_editor="Acme Santé"
    )
    assert "Déclaration enregistrée" in page and "Attention" not in page


def test_an_unknown_editor_is_warned(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    add_editor(db_session, "Acme Santé", "Acme DUI")
    auth.login(Role.OG)
    page = declare(client, world.essms_a[0].finess_et, editor="Logiciel Maison")
    assert "L'éditeur « Logiciel Maison » n'est pas reconnu" in page


def test_an_editor_without_referencing_is_warned(
    client: CsrfClient, auth: Auth, world: World, db_session: Session
) -> None:
    add_editor(db_session, "Acme Santé", "Acme DUI", referenced=False)
    auth.login(Role.OG)
    page = declare(client, world.essms_a[0].finess_et, dui_status="non_reference")
    assert "Aucune solution de l'éditeur « Acme Santé » n'est référencée Ségur" in page
