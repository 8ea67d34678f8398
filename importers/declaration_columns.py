"""The columns of a declarations file and the spellings of their values.

Canonical names are the template's (``importers.declaration_template``); each column lists
the headers people write instead, and each enumeration the spellings read as each value
(compared folded: case, accents and punctuation do not matter).
"""

from __future__ import annotations

from importers.spreadsheets import Column
from importers.values import choice_parser
from importers.vocabulary import CHAMPS, DUI_STATUSES, SONS_STATUSES

#: Canonical columns of the template, in order, with the headers people write instead.
COLUMNS = (
    Column(
        "finess_et",
        (
            "finess",
            "n finess",
            "n° finess",
            "n° finess et",
            "numéro finess",
            "numero finess et",
            "finess géographique",
            "n° finess géographique",
            "finess établissement",
            "code finess",
            "finess de l'établissement",
        ),
        required=True,
    ),
    Column(
        "editeur",
        (
            "éditeur",
            "éditeur dui",
            "éditeur du dui",
            "editeur logiciel",
            "éditeur du logiciel",
            "logiciel",
            "logiciel dui",
            "nom du logiciel",
            "dui",
            "dui actuel",
            "éditeur / logiciel",
        ),
    ),
    Column("champ", ("champ d'activité", "champ activite", "secteur", "public")),
    Column("departement", ("département", "dept", "dép", "code département", "dpt")),
    Column(
        "statut_dui",
        (
            "statut du dui",
            "statut dui",
            "dui référencé",
            "référencement",
            "référencement ségur",
            "référencé ségur",
        ),
    ),
    Column("statut_sons", ("statut sons", "sons", "commande sons", "statut de la commande sons")),
    Column(
        "editeur_sons",
        ("éditeur sons", "logiciel sons", "éditeur commande sons", "éditeur de la commande sons"),
    ),
    Column(
        "porteur_volontaire",
        ("porteur", "volontaire porteur", "porteur de projet", "candidat porteur", "porteur ?"),
    ),
    Column(
        "deja_finance_esms_numerique",
        (
            "déjà financé",
            "deja finance",
            "déjà financé esms numérique",
            "financé esms numérique",
            "financement esms numérique",
            "déjà financé par esms numérique",
        ),
    ),
    Column(
        "email_contact",
        (
            "email",
            "e-mail",
            "courriel",
            "mail",
            "adresse mail",
            "adresse e-mail",
            "e-mail de contact",
        ),
    ),
    Column("commentaire", ("commentaires", "remarque", "remarques", "observations")),
)

#: Value spellings accepted besides the canonical ones (compared folded: case and accents
#: do not matter).
DUI_STATUS_ALIASES = {
    "aucun": ("pas de dui", "sans dui", "sans", "néant", "non", "aucun dui"),
    "non_reference": (
        "non référencé",
        "non référencé ségur",
        "pas référencé",
        "non segur",
        "dui non référencé",
    ),
    "reference_segur": (
        "référencé ségur",
        "référencé",
        "ségur",
        "oui",
        "dui référencé",
        "référencé segur vague 1",
        "référencé segur vague 2",
    ),
}
SONS_STATUS_ALIASES = {
    "aucun": ("non", "sans", "néant", "pas de commande", "aucune"),
    "commande": ("commandé", "commandée", "bon de commande", "en cours", "signé"),
    "realise": ("réalisé", "réalisée", "fait", "terminé", "installé", "livré"),
}
CHAMP_ALIASES = {
    "PA": ("personnes âgées", "personnes agees", "âgées"),
    "PH": ("personnes handicapées", "handicap", "personnes en situation de handicap"),
    "DOM": ("domicile", "aide à domicile", "services à domicile", "saad", "ssiad"),
    "PDS": ("personnes en difficultés spécifiques", "difficultés spécifiques", "addictologie"),
    "PDE": ("protection de l'enfance", "enfance", "ase"),
    "AHI": ("accueil hébergement insertion", "hébergement insertion", "insertion"),
    "PJM": ("protection juridique des majeurs", "mandataires", "mjpm"),
}

parse_dui_status = choice_parser(DUI_STATUSES, DUI_STATUS_ALIASES)
parse_sons_status = choice_parser(SONS_STATUSES, SONS_STATUS_ALIASES)
parse_champ = choice_parser(CHAMPS, CHAMP_ALIASES)
