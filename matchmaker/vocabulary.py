"""The one vocabulary of stored codes: every status and reason code, and its French label.

Each stored status or reason code is a member of a ``StrEnum`` below. The database keeps the
same strings as before (a member is equal to its value), so the enums need no migration;
columns typed with them (``matchmaker.models.base.vocabulary_type``) read back members.
Pages, exports and sentences name a code through ``member.label``: the French labels of
every enum live in ``LABELS`` at the end of this module, and nowhere else.

Pure: no Flask, no SQLAlchemy (the ``pure-core`` import contract). The declared values of
the files (``importers.vocabulary``) and the solver's own codes (``solver.types``) keep
their plain copies in their rooms; ``tests/matchmaker/test_vocabulary.py`` checks they
agree with the enums here.
"""

from __future__ import annotations

from enum import StrEnum


class Vocabulary(StrEnum):
    """A stored code with a French label."""

    @property
    def label(self) -> str:
        """The French label shown to users."""
        return LABELS[type(self)][self]

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The stored strings, in declaration order (for check constraints and forms)."""
        return tuple(member.value for member in cls)

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Stored string → French label, in declaration order (for templates and forms)."""
        return {member.value: member.label for member in cls}


# --- runs and jobs -------------------------------------------------------------------------


class RunStatus(Vocabulary):
    """Life cycle of a background job and of a solver run (the same five states)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """A job or run never leaves a final status."""
        return self in FINAL_STATUSES

    @property
    def feminine_label(self) -> str:
        """The French label agreeing with a feminine noun (« tâche », « simulation »); the
        label agrees with « calcul »."""
        return FEMININE_LABELS[self]


#: Jobs and runs share their statuses.
JobStatus = RunStatus
#: Statuses a job or a run never leaves.
FINAL_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})


class RunMode(Vocabulary):
    """Who a run places: the ESSMS that declared interest, or every non-embarked one."""

    INTEREST = "interest"
    PLANNING = "planning"


class ExclusionReason(Vocabulary):
    """Why a run left an ESSMS out: the solver's reason codes (``solver.types.ReasonCode``)
    and the app's own: the ESSMS it sets aside before solving, or the collectif removes."""

    TOO_FEW_PEERS = "too_few_peers"
    GRAPPE_FULL = "grappe_full"
    OG_OVERFLOW = "og_overflow"
    TOO_FAR = "too_far"
    APART_LOCK = "apart_lock"
    OTHER_EDITOR = "other_editor"
    NOT_SELECTED = "not_selected"
    NOT_SOLVED = "not_solved"
    EXCLUDED_BY_LOCK = "excluded_by_lock"
    LOCK_CONFLICT = "lock_conflict"
    OG_TOO_LARGE = "og_too_large"
    UNKNOWN_EDITOR = "unknown_editor"
    INVALID_INPUT = "invalid_input"
    #: Set aside by the app: no usable coordinates, or already funded.
    NO_COORDINATES = "sans_coordonnees"
    ALREADY_FUNDED = "deja_finance"
    #: Taken out of its grappe by the collectif's adjustment of a run.
    REMOVED_BY_COLLECTIF = "retire_par_le_collectif"


#: Reasons the app decides before solving (the ESSMS never reach the solver).
SET_ASIDE_REASONS = (ExclusionReason.ALREADY_FUNDED, ExclusionReason.NO_COORDINATES)


# --- grappes, answers, locks ---------------------------------------------------------------


class GrappeStatus(Vocabulary):
    """A grappe is proposed by a run, then constituted once every OG accepted."""

    PROPOSEE = "proposee"
    CONSTITUEE = "constituee"


class Answer(Vocabulary):
    """An OG's answer to a proposed grappe."""

    ACCEPTE = "accepte"
    REFUSE = "refuse"

    @property
    def verb(self) -> str:
        """The past participle of « X a … la grappe »."""
        return ANSWER_VERBS[self]


class LockKind(Vocabulary):
    """A human decision every later run of the campaign respects."""

    MUST_JOIN = "must_join"
    TOGETHER = "together"
    APART = "apart"
    EXCLUDE = "exclude"
    FREEZE = "freeze"
    CARRIER = "carrier"


# --- campaigns and uploads -----------------------------------------------------------------


class CampaignStatus(Vocabulary):
    """Life cycle of a campaign."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class UploadKind(Vocabulary):
    """What an uploaded file holds."""

    FINESS = "finess"
    DECLARATIONS = "declarations"
    EMBARKATION = "embarkation"


class UploadStatus(Vocabulary):
    """previewing → previewed (or refused) → loading → loaded (or failed); discarded when
    the user drops it."""

    PREVIEWING = "previewing"
    PREVIEWED = "previewed"
    REFUSED = "refused"
    LOADING = "loading"
    LOADED = "loaded"
    FAILED = "failed"
    DISCARDED = "discarded"


# --- declarations, embarkation, editors ----------------------------------------------------


class DuiStatus(Vocabulary):
    """The DUI an ESSMS uses today (``importers.vocabulary.DUI_STATUSES``)."""

    AUCUN = "aucun"
    NON_REFERENCE = "non_reference"
    REFERENCE_SEGUR = "reference_segur"


class SonsStatus(Vocabulary):
    """Where the ESSMS's SONS order stands (``importers.vocabulary.SONS_STATUSES``)."""

    AUCUN = "aucun"
    COMMANDE = "commande"
    REALISE = "realise"

    @property
    def is_ordered(self) -> bool:
        """An order exists, which binds the ESSMS to the SONS editor."""
        return self is not SonsStatus.AUCUN


class DeclarationSource(Vocabulary):
    """How a declaration reached the site."""

    FILE = "file"
    WEB = "web"


class EmbarkationScheme(Vocabulary):
    """The funding schemes an ESSMS can be embarked in."""

    ESMS_NUMERIQUE = "esms_numerique"
    SONS = "sons"


class EditorMatchStatus(Vocabulary):
    """Review status of a raw editor name the matcher could not place on its own."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


# --- the ARS desk and the accounts ---------------------------------------------------------


class ContactChannel(Vocabulary):
    """Channels of a contact action of the ARS desk."""

    PHONE = "phone"
    MAIL = "mail"
    MEETING = "meeting"
    WEBINAR = "webinar"


class ContactStage(Vocabulary):
    """Pipeline stages, in order: to contact → contacted → interested → in a grappe →
    embarked."""

    TO_CONTACT = "to_contact"
    CONTACTED = "contacted"
    INTERESTED = "interested"
    IN_GRAPPE = "in_grappe"
    EMBARKED = "embarked"


class Role(Vocabulary):
    """What a user may do: its own OG's pages, a region's campaigns, a region's desk, all."""

    OG = "og"
    COLLECTIF = "collectif"
    ARS = "ars"
    ADMIN = "admin"


class ApprovalStatus(Vocabulary):
    """Where an OG representative's request to be attached to its OG stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


# --- the French labels: the one place ------------------------------------------------------

#: Per enum (members of two enums may share a value: a member is equal to its string).
LABELS: dict[type[Vocabulary], dict[Vocabulary, str]] = {
    RunStatus: {
        RunStatus.QUEUED: "en attente",
        RunStatus.RUNNING: "en cours",
        RunStatus.SUCCEEDED: "terminé",
        RunStatus.FAILED: "échoué",
        RunStatus.CANCELLED: "annulé",
    },
    RunMode: {
        RunMode.INTEREST: "déclarations d'intérêt",
        RunMode.PLANNING: "planification",
    },
    ExclusionReason: {
        ExclusionReason.TOO_FEW_PEERS: "trop peu d'ESSMS compatibles à portée",
        ExclusionReason.GRAPPE_FULL: "grappe proche complète",
        ExclusionReason.OG_OVERFLOW: "son OG ne tient pas dans la grappe proche",
        ExclusionReason.TOO_FAR: "au-delà de la distance maximale acceptable",
        ExclusionReason.APART_LOCK: "verrou « séparés »",
        ExclusionReason.OTHER_EDITOR: "grappe proche d'un autre éditeur",
        ExclusionReason.NOT_SELECTED: (
            "ESSMS compatibles déjà en grappes complètes ou trop dispersés"
        ),
        ExclusionReason.NOT_SOLVED: "calcul non terminé à temps",
        ExclusionReason.EXCLUDED_BY_LOCK: "exclu par un verrou",
        ExclusionReason.LOCK_CONFLICT: "verrous incompatibles",
        ExclusionReason.OG_TOO_LARGE: "OG plus grand que la taille maximale",
        ExclusionReason.UNKNOWN_EDITOR: "éditeur non renseigné",
        ExclusionReason.INVALID_INPUT: "données invalides",
        ExclusionReason.NO_COORDINATES: "sans coordonnées géographiques",
        ExclusionReason.ALREADY_FUNDED: "déjà financé",
        ExclusionReason.REMOVED_BY_COLLECTIF: "retiré de la grappe par le collectif",
    },
    GrappeStatus: {
        GrappeStatus.PROPOSEE: "proposée",
        GrappeStatus.CONSTITUEE: "constituée",
    },
    Answer: {
        Answer.ACCEPTE: "acceptée",
        Answer.REFUSE: "refusée",
    },
    LockKind: {
        LockKind.MUST_JOIN: "placé dans la grappe",
        LockKind.TOGETHER: "gardé avec",
        LockKind.APART: "séparé de",
        LockKind.EXCLUDE: "retiré",
        LockKind.FREEZE: "grappe figée",
        LockKind.CARRIER: "porteur choisi",
    },
    CampaignStatus: {
        CampaignStatus.DRAFT: "en préparation",
        CampaignStatus.OPEN: "déclarations ouvertes",
        CampaignStatus.CLOSED: "déclarations closes",
        CampaignStatus.ARCHIVED: "clôturée",
    },
    UploadKind: {
        UploadKind.DECLARATIONS: "Fichier de déclarations",
        UploadKind.EMBARKATION: "Liste des ESSMS embarqués",
        UploadKind.FINESS: "Extraction FINESS (administrateurs)",
    },
    UploadStatus: {
        UploadStatus.PREVIEWING: "vérification en cours",
        UploadStatus.PREVIEWED: "vérifié, à confirmer",
        UploadStatus.REFUSED: "refusé",
        UploadStatus.LOADING: "import en cours",
        UploadStatus.LOADED: "importé",
        UploadStatus.FAILED: "échec de l'import",
        UploadStatus.DISCARDED: "abandonné",
    },
    DuiStatus: {
        DuiStatus.AUCUN: "sans DUI",
        DuiStatus.NON_REFERENCE: "DUI non référencé Ségur",
        DuiStatus.REFERENCE_SEGUR: "DUI référencé Ségur",
    },
    SonsStatus: {
        SonsStatus.AUCUN: "aucune commande",
        SonsStatus.COMMANDE: "commandé",
        SonsStatus.REALISE: "réalisé",
    },
    DeclarationSource: {
        DeclarationSource.FILE: "fichier",
        DeclarationSource.WEB: "site",
    },
    EmbarkationScheme: {
        EmbarkationScheme.ESMS_NUMERIQUE: "ESMS numérique",
        EmbarkationScheme.SONS: "SONS",
    },
    EditorMatchStatus: {
        EditorMatchStatus.PENDING: "à examiner",
        EditorMatchStatus.CONFIRMED: "confirmé",
        EditorMatchStatus.REJECTED: "rejeté",
    },
    ContactChannel: {
        ContactChannel.PHONE: "Téléphone",
        ContactChannel.MAIL: "Courriel",
        ContactChannel.MEETING: "Rendez-vous",
        ContactChannel.WEBINAR: "Webinaire",
    },
    ContactStage: {
        ContactStage.TO_CONTACT: "À contacter",
        ContactStage.CONTACTED: "Contacté",
        ContactStage.INTERESTED: "Intéressé",
        ContactStage.IN_GRAPPE: "Dans une grappe",
        ContactStage.EMBARKED: "Embarqué",
    },
    Role: {
        Role.OG: "Organisme gestionnaire",
        Role.COLLECTIF: "Collectif SI MS",
        Role.ARS: "ARS",
        Role.ADMIN: "Administrateur",
    },
    ApprovalStatus: {
        ApprovalStatus.PENDING: "en attente",
        ApprovalStatus.APPROVED: "approuvée",
        ApprovalStatus.REJECTED: "refusée",
    },
}

#: A job's or a simulation's status, agreeing with « tâche », « simulation ».
FEMININE_LABELS: dict[RunStatus, str] = {
    RunStatus.QUEUED: "en attente",
    RunStatus.RUNNING: "en cours",
    RunStatus.SUCCEEDED: "terminée",
    RunStatus.FAILED: "échouée",
    RunStatus.CANCELLED: "annulée",
}

#: « X a accepté / refusé la grappe ».
ANSWER_VERBS: dict[Answer, str] = {Answer.ACCEPTE: "accepté", Answer.REFUSE: "refusé"}

#: Every enum of the vocabulary (the tests check each member has a label).
ENUMS: tuple[type[Vocabulary], ...] = (
    RunStatus,
    RunMode,
    ExclusionReason,
    GrappeStatus,
    Answer,
    LockKind,
    CampaignStatus,
    UploadKind,
    UploadStatus,
    DuiStatus,
    SonsStatus,
    DeclarationSource,
    EmbarkationScheme,
    EditorMatchStatus,
    ContactChannel,
    ContactStage,
    Role,
    ApprovalStatus,
)

ENUMS_BY_NAME = {enum.__name__: enum for enum in ENUMS}


def template_label(value: str | None, enum: str, default: str = "") -> str:
    """The ``label`` filter of the templates: ``{{ code | label("DuiStatus", "—") }}``."""
    return label(value, ENUMS_BY_NAME[enum], default)


def label(value: str | None, enum: type[Vocabulary], default: str = "") -> str:
    """The French label of a stored string of ``enum`` (``default`` for None or unknown)."""
    if value is None:
        return default
    try:
        return enum(value).label
    except ValueError:
        return default or value
