"""The establishment search ignores case, accents and hyphens (issue 15: « sainte-champ »
must find « Sainte Champ »), through the ``search_text`` column that every write fills:
the ORM, the FINESS import and the migration that adds it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from matchmaker import migrations
from matchmaker.extensions import make_engine
from matchmaker.imports.finess import import_finess
from matchmaker.models import Establishment
from matchmaker.models.establishments import search_key
from matchmaker.public.services import search_establishments
from tests.factories import make_establishment, make_organisation
from tests.helpers import CsrfClient, scratch_database
from tests.support.finess import SAMPLE_NAME


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("Sainte-Champ",), "sainte champ"),
        (("SAINTE CHAMP",), "sainte champ"),
        (("EHPAD L'Œillet", None, "Évry-Courcouronnes"), "ehpad l oeillet evry courcouronnes"),
        (("  Foyer   « Les Tilleuls »  ",), "foyer les tilleuls"),
        ((None, None), ""),
    ],
)
def test_search_key(texts: tuple[str | None, ...], expected: str) -> None:
    assert search_key(*texts) == expected


@pytest.fixture
def sainte_champ(db_session: Session) -> Establishment:
    organisation = make_organisation(db_session, name="ASSOCIATION DU BUGEY")
    other = make_establishment(db_session, organisation, short_name="EHPAD SAINTE MARIE")
    other.commune = "CHAMPAGNE"
    return make_establishment(
        db_session, organisation, short_name="EHPAD LES ÉTANGS", commune="Sainte Champ"
    )


@pytest.mark.parametrize(
    "query", ["sainte-champ", "SAINTE-CHAMP", "Sainte-Champ", "sàinte-chämp", "étangs sainte-champ"]
)
def test_search_ignores_case_accents_and_hyphens(
    db_session: Session, sainte_champ: Establishment, query: str
) -> None:
    page = search_establishments(db_session, query)
    assert [hit.finess_et for hit in page.items] == [sainte_champ.finess_et]


def test_search_words_must_all_appear(db_session: Session, sainte_champ: Establishment) -> None:
    """Words apart may appear anywhere (« Sainte Marie » at « Champagne » too)."""
    assert len(search_establishments(db_session, "sainte champ").items) == 2
    assert search_establishments(db_session, "saintechamp").items == []
    assert search_establishments(db_session, "sainte-champ lyon").items == []


def test_search_text_follows_a_rename(db_session: Session, sainte_champ: Establishment) -> None:
    sainte_champ.commune = "Saint-Rambert-en-Bugey"
    db_session.flush()
    assert search_establishments(db_session, "sainte-champ").items == []
    hits = search_establishments(db_session, "saint rambert").items
    assert [hit.finess_et for hit in hits] == [sainte_champ.finess_et]


def test_search_page(client: CsrfClient, sainte_champ: Establishment) -> None:
    page = client.get("/etablissements?q=sainte-champ").get_data(as_text=True)
    assert sainte_champ.finess_et in page


def test_finess_import_fills_the_search_text(db_session: Session, finess_dir: Path) -> None:
    import_finess(db_session, finess_dir / "exemples-reels" / SAMPLE_NAME)
    rows = db_session.execute(
        select(
            Establishment.search_text,
            Establishment.short_name,
            Establishment.long_name,
            Establishment.commune,
        )
    ).all()
    assert len(rows) == 14
    for stored, *names in rows:
        assert stored == search_key(*names) and stored


@pytest.mark.db
def test_migration_fills_existing_rows(tmp_path: Path) -> None:
    """Rows already there when the column arrives are folded like the application does
    (``unaccent`` on PostgreSQL, ``search_key`` on SQLite)."""
    names = [
        ("EHPAD L'ŒILLET", "Résidence « Les Étangs »", "Sainte-Champ"),
        ("FOYER DE VIE", None, "ÉVRY-COURCOUROUNNES"),
        ("MAS Saint-Éloi", "", None),
    ]
    with scratch_database(tmp_path, "search", with_schema=False) as url:
        engine = make_engine(url)
        try:
            migrations.upgrade("f7d01cb07e54", engine=engine)
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO organisations (finess_ej, name, essms_count, "
                        "establishment_count, updated_at) "
                        "VALUES ('010000001', 'OG', 0, 0, CURRENT_TIMESTAMP)"
                    )
                )
                table = Establishment.__table__
                columns = ("short_name", "long_name", "commune")
                connection.execute(
                    insert(table).values(
                        [
                            {
                                "finess_et": f"01000010{i}",
                                "finess_ej": "010000001",
                                "department": "01",
                                "is_essms": True,
                                "is_open": True,
                                "coord_approximate": False,
                                "updated_at": text("CURRENT_TIMESTAMP"),
                                **dict(zip(columns, row, strict=True)),
                            }
                            for i, row in enumerate(names)
                        ]
                    )
                )
            migrations.upgrade("head", engine=engine)
            with engine.connect() as connection:
                stored = connection.execute(
                    text("SELECT search_text FROM establishments ORDER BY finess_et")
                ).scalars()
                assert list(stored) == [search_key(*row) for row in names]
        finally:
            engine.dispose()
