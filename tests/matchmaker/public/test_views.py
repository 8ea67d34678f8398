"""Public pages: the programme, open campaigns by region, the establishment search."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from matchmaker.public.services import search_establishments
from tests.factories import make_campaign
from tests.helpers import CsrfClient
from tests.support.bretagne import World, add_establishment


def test_programme_page_uses_the_settings(client: CsrfClient) -> None:
    page = client.get("/programme").get_data(as_text=True)
    assert "au moins <strong>15 ESSMS</strong>" in page
    assert "<strong>8</strong>" in page


def test_open_campaigns_by_region(client: CsrfClient, db_session: Session, world: World) -> None:
    make_campaign(db_session, "Normandie 2026", region="28", status="open")
    make_campaign(db_session, "Côtes-d'Armor brouillon", departments=["22"], status="draft")
    make_campaign(db_session, "Ille-et-Vilaine", departments=["35"], status="open")
    db_session.commit()
    page = client.get("/campagnes?region=53").get_data(as_text=True)
    assert "Bretagne 2026" in page and "Ille-et-Vilaine" in page
    assert "Normandie 2026" not in page and "brouillon" not in page
    every = client.get("/campagnes").get_data(as_text=True)
    assert "Normandie 2026" in every
    assert "Aucune campagne" in client.get("/campagnes?region=94").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("350000101", ["350000101"]),  # a FINESS ET
        ("350000002", ["350000201", "350000202"]),  # a FINESS EJ: its ESSMS
        ("3500001", ["350000101", "350000102", "350000103"]),  # a prefix
        ("tilleuls", ["350000101"]),  # a name, any case
        ("ehpad béta", ["350000201"]),  # words anywhere, accents ignored
        ("saint-malo", ["350000202"]),  # a commune
        ("50%", []),  # LIKE wildcards are escaped
        ("e", []),  # too short
    ],
)
def test_search(db_session: Session, world: World, query: str, expected: list[str]) -> None:
    page = search_establishments(db_session, query)
    assert sorted(hit.finess_et for hit in page.items) == expected


def test_search_paginates(client: CsrfClient, db_session: Session, world: World) -> None:
    for n in range(30):
        add_establishment(db_session, f"35900{n:04d}", world.og_b, name=f"FOYER NUMERO {n:02d}")
    db_session.commit()
    first = search_establishments(db_session, "foyer numero", page=1, per_page=25)
    second = search_establishments(db_session, "foyer numero", page=2, per_page=25)
    assert first.total == 30 and first.pages == 2 and first.has_next
    assert len(first.items) == 25 and len(second.items) == 5 and not second.has_next
    assert not {h.finess_et for h in first.items} & {h.finess_et for h in second.items}
    page = client.get("/etablissements?q=foyer+numero").get_data(as_text=True)
    assert "30 résultats" in page and "Page suivante" in page
    assert "FOYER NUMERO 29" in client.get("/etablissements?q=foyer+numero&page=2").get_data(
        as_text=True
    )


def test_establishment_page(client: CsrfClient, world: World) -> None:
    page = client.get("/etablissements/350000101").get_data(as_text=True)
    assert "EHPAD LES TILLEULS" in page and "ASSOCIATION ALPHA" in page
    assert client.get("/etablissements/000000000").status_code == 404


def test_an_essms_of_a_category_to_confirm_says_so(
    client: CsrfClient, db_session: Session, world: World
) -> None:
    """Issue 12: categories no decision could be made for are shown « à confirmer »."""
    shelter = world.essms_b[0]
    shelter.category_code = "219"
    db_session.commit()
    page = client.get(f"/etablissements/{shelter.finess_et}").get_data(as_text=True)
    assert "<dt>ESSMS</dt><dd>à confirmer — la catégorie 219" in page
    other = client.get(f"/etablissements/{world.essms_b[1].finess_et}").get_data(as_text=True)
    assert "<dt>ESSMS</dt><dd>oui</dd>" in other
