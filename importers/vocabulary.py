"""The declared values of a self-declaration, shared by the file formats and the schema.

Pure: the declaration template and its parser read them here, and so do the database
check constraints (``matchmaker.models.declarations``), so the two cannot drift apart.
"""

from __future__ import annotations

#: Accepted values, in the order the template lists them.
CHAMPS = ("PA", "PH", "DOM", "PDS", "PDE", "AHI", "PJM")
#: The French name of each champ (DOMAIN.md), as pages and exports print it.
CHAMP_LABELS: dict[str, str] = {
    "PA": "Personnes âgées",
    "PH": "Personnes handicapées",
    "DOM": "Domicile",
    "PDS": "Personnes en difficultés spécifiques",
    "PDE": "Protection de l'enfance",
    "AHI": "Accueil, hébergement, insertion",
    "PJM": "Protection juridique des majeurs",
}
DUI_STATUSES = ("aucun", "non_reference", "reference_segur")
SONS_STATUSES = ("aucun", "commande", "realise")
#: SONS statuses that mean an order exists, which binds the ESSMS to the SONS editor.
SONS_ORDERED = ("commande", "realise")
#: The funding schemes an ESSMS can be embarked in (ARS embarkation lists).
SCHEMES = ("esms_numerique", "sons")
