"""Legal status (FINESS ``statutjuridique``, NOS table TRE_R72) → legal sector. APPROXIMATE.

The exact mapping is the ANS association table ASS_X11, which we do not have. This one is
written from the general layout of TRE_R72 and is approximate:

- codes 01–39: public bodies (State, local authorities, public hospitals, public ESSMS,
  CCAS/CIAS, other public establishments);
- codes 40–69: private non-profit (social security bodies, mutual societies, associations,
  foundations, congregations, other non-profit bodies);
- codes 70–99: private for-profit (sole traders and companies: SA, SARL, SAS, SEL…).

A few codes are named below with their usual label, for display when the EJ file gives no
label. Replace this module by ASS_X11 when it is available.
"""

from __future__ import annotations

from typing import Literal

LegalSector = Literal["public", "prive_non_lucratif", "prive_commercial"]

#: French labels of the sectors, for exports and pages.
SECTOR_LABELS: dict[str, str] = {
    "public": "public",
    "prive_non_lucratif": "privé non lucratif",
    "prive_commercial": "privé commercial",
}

#: Usual labels of frequent codes (approximate wording).
KNOWN_LABELS: dict[str, str] = {
    "01": "État",
    "02": "Département",
    "03": "Commune",
    "04": "Région",
    "08": "Centre Intercommunal d'Action Sociale (C.I.A.S.)",
    "11": "Établissement Public Départemental d'Hospitalisation",
    "13": "Établissement Public Communal d'Hospitalisation",
    "14": "Établissement Public Intercommunal d'Hospitalisation",
    "17": "Centre Communal d'Action Sociale (C.C.A.S.)",
    "19": "Établissement Social et Médico-Social Départemental",
    "21": "Établissement Social et Médico-Social Communal",
    "22": "Établissement Social et Médico-Social Intercommunal",
    "47": "Société Mutualiste",
    "60": "Association Loi 1901 non Reconnue d'Utilité Publique",
    "61": "Association Loi 1901 Reconnue d'Utilité Publique",
    "63": "Fondation",
    "72": "Société à Responsabilité Limitée (S.A.R.L.)",
    "73": "Société Anonyme (S.A.)",
    "95": "Société par Actions Simplifiée (S.A.S.)",
}

PUBLIC_BELOW = 40
NON_PROFIT_BELOW = 70


def legal_sector(code: str | None) -> LegalSector | None:
    """The approximate legal sector of a TRE_R72 code, or None when unknown/unreadable."""
    if not code or not code.strip().isdigit():
        return None
    value = int(code)
    if value <= 0:
        return None
    if value < PUBLIC_BELOW:
        return "public"
    if value < NON_PROFIT_BELOW:
        return "prive_non_lucratif"
    return "prive_commercial"
