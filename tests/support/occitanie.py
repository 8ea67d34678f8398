"""The hand-counted world of the ARS desk tests: an Occitanie (region 76) with one
establishment in Bretagne (region 53). Built by the ``world`` fixture of the ARS tests.

The world, with what a reader can check by hand (``World`` docstring):

- OG ``P`` (public, 1 ESSMS): A1 in 31, PA, ESMS numérique;
- OG ``N`` (private non-profit, 3 ESSMS): N1 in 31, PH, SONS; N2 in 31, PH, both lists;
  N3 in 09, DOM, not embarked (far from the others);
- OG ``C`` (private commercial, 5 ESSMS): C1..C5 in 09, PA, at the same place near Foix;
  C1 ESMS numérique, C2..C5 not embarked;
- OG ``B`` (legal status unknown, 20 ESSMS nationally): B1 in 31, PH, not embarked;
- not eligible: a closed ESSMS of N (ESMS numérique) and a pharmacy of N, both in 31;
- Bretagne: OG ``R`` with R1 in 35, PA, not embarked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from matchmaker.models import Embarkation, Establishment, Organisation
from tests.factories import make_establishment, make_organisation

FOIX = (42.965, 1.607)
TOULOUSE = (43.604, 1.444)
PAMIERS_FAR = (43.45, 2.25)  # about 65 km from Foix, 70 km from Toulouse


@dataclass
class World:
    """The hand-counted region 76 (see the module docstring)."""

    og_p: Organisation
    og_n: Organisation
    og_c: Organisation
    og_b: Organisation
    og_r: Organisation
    a1: Establishment
    n1: Establishment
    n2: Establishment
    n3: Establishment
    c: list[Establishment]
    b1: Establishment
    r1: Establishment


def _embark(session: Session, establishment: Establishment, *schemes: str) -> None:
    for scheme in schemes:
        session.add(Embarkation(finess_et=establishment.finess_et, scheme=scheme))
    session.flush()


def build_world(db_session: Session) -> World:
    """The world's rows, flushed."""
    og_p = make_organisation(
        db_session, "310000001", name="CCAS DE TOULOUSE", legal_sector="public"
    )
    og_n = make_organisation(
        db_session, "310000002", name="ASSOCIATION NORD", legal_sector="prive_non_lucratif"
    )
    og_c = make_organisation(
        db_session, "090000003", name="SAS COMMERCE", legal_sector="prive_commercial"
    )
    og_b = make_organisation(db_session, "750000004", name="GRANDE FONDATION")
    og_r = make_organisation(
        db_session, "350000005", name="ASSOCIATION BRETONNE", legal_sector="prive_non_lucratif"
    )

    def essms(
        og: Organisation,
        finess_et: str,
        department: str,
        champ: str,
        where: tuple[float, float],
        **values: object,
    ) -> Establishment:
        return make_establishment(
            db_session,
            og,
            finess_et=finess_et,
            department=department,
            region=values.pop("region", "76"),
            champ=champ,
            latitude=where[0],
            longitude=where[1],
            short_name=values.pop("short_name", f"ESSMS {finess_et}"),
            commune=values.pop("commune", "TOULOUSE" if department == "31" else "FOIX"),
            address=f"{finess_et[-2:]} rue de la Paix",
            postcode=f"{department}000",
            phone=f"05610000{finess_et[-2:]}",
            **values,
        )

    a1 = essms(og_p, "310000101", "31", "PA", TOULOUSE)
    n1 = essms(og_n, "310000201", "31", "PH", TOULOUSE)
    n2 = essms(og_n, "310000202", "31", "PH", TOULOUSE)
    n3 = essms(og_n, "090000203", "09", "DOM", PAMIERS_FAR, commune="PAMIERS")
    c = [essms(og_c, f"09000030{i}", "09", "PA", FOIX) for i in range(1, 6)]
    b1 = essms(og_b, "310000401", "31", "PH", TOULOUSE)
    og_b.essms_count = 20
    closed = essms(og_n, "310000299", "31", "PA", TOULOUSE, is_open=False)
    essms(og_n, "310000298", "31", None, TOULOUSE, is_essms=False, short_name="PHARMACIE")
    r1 = essms(og_r, "350000501", "35", "PA", (48.11, -1.68), region="53", commune="RENNES")
    _embark(db_session, a1, "esms_numerique")
    _embark(db_session, n1, "sons")
    _embark(db_session, n2, "esms_numerique", "sons")
    _embark(db_session, c[0], "esms_numerique")
    _embark(db_session, closed, "esms_numerique")
    db_session.flush()
    return World(og_p, og_n, og_c, og_b, og_r, a1, n1, n2, n3, c, b1, r1)
