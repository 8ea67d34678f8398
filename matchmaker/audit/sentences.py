"""The audit log as French sentences: « Calcul n° 3 publié par marie@collectif.fr :
12 grappes proposées aux OG. »

Events store codes (``run.published``) and database ids; a reader needs the numbers the
pages show. Grappes are named by their number in their run (« grappe n° 5 »), never by their
database id; runs by their number (« calcul n° 3 »), as the console shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker import formatting
from matchmaker.models import Grappe, Organisation
from matchmaker.models.audit import AuditEvent
from matchmaker.models.uploads import UPLOAD_KIND_LABELS
from matchmaker.vocabulary import Answer, CampaignStatus, RunMode

CAMPAIGN_STATUS_LABELS = CampaignStatus.labels()
ADJUSTMENT_LABELS = {
    "move": "déplacement d'un ESSMS",
    "remove": "retrait d'un ESSMS",
    "together": "deux ESSMS gardés ensemble",
    "apart": "deux ESSMS séparés",
    "freeze": "grappe figée",
    "carrier": "changement de porteur",
}
JOB_KIND_LABELS = {
    "campaign.solve": "calcul des grappes",
    "campaign.preview_upload": "aperçu d'un fichier",
    "campaign.load_upload": "import d'un fichier",
    "import_declarations": "import de déclarations",
}
MODE_LABELS = RunMode.labels()
ANSWER_LABELS = {answer.value: answer.verb for answer in Answer}


@dataclass(frozen=True)
class AuditLine:
    """One event as the log shows it."""

    event: AuditEvent
    sentence: str


@dataclass(frozen=True)
class Context:
    """What the sentences look up: grappe numbers and OG names."""

    grappes: Mapping[int, tuple[int, int]]  # grappe id → (number, run id)
    organisations: Mapping[str, str | None]  # FINESS EJ → name (unknown for some)

    def grappe(self, grappe_id: object) -> str:
        found = self.grappes.get(_int(grappe_id) or -1)
        if found is None:
            return "une grappe supprimée"
        number, run_id = found
        return f"la grappe n° {number} du calcul n° {run_id}"

    def organisation(self, finess_ej: object) -> str:
        code = str(finess_ej or "")
        name = self.organisations.get(code)
        return f"{name} ({code})" if name else f"l'organisme {code}"


def who(event: AuditEvent) -> str:
    """The actor: an e-mail, or the command line of a system user."""
    if event.actor.startswith("cli:"):
        return f"la ligne de commande ({event.actor[4:]})"
    return event.actor


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _file(details: Mapping[str, Any]) -> str:
    return f"« {details.get('file') or 'sans nom'} »"


def _counts(details: Mapping[str, Any]) -> str:
    counts = details.get("counts") or {}
    parts = [f"{label} : {formatting.number(value)}" for label, value in dict(counts).items()]
    return " (" + ", ".join(parts) + ")" if parts else ""


def _campaign_status(e: AuditEvent, d: Mapping[str, Any], c: Context) -> str:
    before = CAMPAIGN_STATUS_LABELS.get(str(d.get("before")), str(d.get("before")))
    after = CAMPAIGN_STATUS_LABELS.get(str(d.get("after")), str(d.get("after")))
    return f"Campagne passée de « {before} » à « {after} » par {who(e)}."


def _run_started(e: AuditEvent, d: Mapping[str, Any], c: Context) -> str:
    mode = MODE_LABELS.get(str(d.get("mode")), str(d.get("mode") or ""))
    parent = f", reprise du calcul n° {d['parent']}" if d.get("parent") else ""
    return f"Calcul n° {e.object_id} lancé par {who(e)} ({mode}{parent})."


def _run_finished(e: AuditEvent, d: Mapping[str, Any], c: Context) -> str:
    grappes = formatting.number(d.get("grappes") or 0)
    covered = formatting.number(d.get("covered") or 0)
    candidates = formatting.number(d.get("candidates") or 0)
    return (
        f"Calcul n° {e.object_id} terminé : {grappes} grappe(s), "
        f"{covered} ESSMS regroupés sur {candidates}."
    )


def _run_published(e: AuditEvent, d: Mapping[str, Any], c: Context) -> str:
    grappes = formatting.number(d.get("grappes") or 0)
    return f"Calcul n° {e.object_id} publié par {who(e)} : {grappes} grappe(s) proposée(s) aux OG."


def _grappe_constituted(e: AuditEvent, d: Mapping[str, Any], c: Context) -> str:
    return f"{c.grappe(e.object_id).capitalize()} déclarée constituée par {who(e)}."


def _grappe_answer(e: AuditEvent, d: Mapping[str, Any], c: Context) -> str:
    answer = ANSWER_LABELS.get(str(d.get("answer")), str(d.get("answer")))
    comment = f" Commentaire : « {d['comment']} »." if d.get("comment") else ""
    previous = ANSWER_LABELS.get(str(d.get("previous") or ""))
    change = f" (réponse précédente : {previous})" if previous else ""
    return (
        f"{c.organisation(d.get('finess_ej'))} a {answer} {c.grappe(e.object_id)}"
        f"{change}, réponse enregistrée par {who(e)}.{comment}"
    )


def _adjustment(e: AuditEvent, d: Mapping[str, Any], c: Context) -> str:
    action = e.action.split(".", 1)[1]
    label = ADJUSTMENT_LABELS.get(action, action)
    parts = []
    if d.get("finess_et"):
        parts.append(f"ESSMS {d['finess_et']}")
    if d.get("other_finess_et"):
        parts.append(f"avec l'ESSMS {d['other_finess_et']}")
    if d.get("grappe_id"):
        parts.append(c.grappe(d["grappe_id"]))
    if d.get("carrier_ej"):
        parts.append(f"porteur {c.organisation(d['carrier_ej'])}")
    moved = d.get("moved") or []
    if moved:
        parts.append(f"{formatting.number(len(moved))} ESSMS déplacé(s)")
    where = " : " + ", ".join(parts) if parts else ""
    return f"Ajustement du calcul n° {e.object_id} par {who(e)} — {label}{where}."


def _job(e: AuditEvent, d: Mapping[str, Any], c: Context) -> str:
    kind = JOB_KIND_LABELS.get(str(d.get("kind")), "tâche")
    if e.action == "job_cancel_requested":
        return f"Annulation de la tâche n° {e.object_id} ({kind}) demandée par {who(e)}."
    return f"Tâche n° {e.object_id} ({kind}) lancée par {who(e)}."


def _upload_received(e: AuditEvent, d: Mapping[str, Any], c: Context) -> str:
    kind = UPLOAD_KIND_LABELS.get(str(d.get("kind")), "fichier").lower()
    size = f", {formatting.file_size(d['size'])}" if d.get("size") else ""
    return f"Fichier {_file(d)} ({kind}{size}) déposé par {who(e)}."


Describe = Callable[[AuditEvent, Mapping[str, Any], Context], str]

#: Action code → sentence. Each takes the event, its details and the lookups.
SENTENCES: dict[str, Describe] = {
    "campaign.created": lambda e, d, c: f"Campagne « {d.get('name')} » créée par {who(e)}.",
    "campaign.updated": lambda e, d, c: f"Campagne « {d.get('name')} » modifiée par {who(e)}.",
    "campaign.owner_added": lambda e, d, c: (
        f"{d.get('owner')} devient porteur de la campagne « {d.get('name')} » ({who(e)})."
    ),
    "campaign.open": _campaign_status,
    "campaign.close_declarations": _campaign_status,
    "campaign.archive": _campaign_status,
    "campaign.reopen": _campaign_status,
    "upload.received": _upload_received,
    "upload.confirmed": lambda e, d, c: f"Import du fichier {_file(d)} confirmé par {who(e)}.",
    "upload.loaded": lambda e, d, c: f"Fichier {_file(d)} importé{_counts(d)}.",
    "upload.discarded": lambda e, d, c: f"Fichier {_file(d)} abandonné par {who(e)}.",
    "run.started": _run_started,
    "run.finished": _run_finished,
    "run.published": _run_published,
    "grappe.constituted": _grappe_constituted,
    "grappe.answer": _grappe_answer,
    "job_enqueued": _job,
    "job_cancel_requested": _job,
    "declaration.web": lambda e, d, c: (
        f"Déclaration de l'ESSMS {e.object_id} enregistrée sur le site par {who(e)}."
    ),
}


def sentence(event: AuditEvent, context: Context) -> str:
    """One event as a French sentence."""
    details = event.details or {}
    describe = SENTENCES.get(event.action)
    if describe is None and event.action.startswith("adjust."):
        describe = _adjustment
    if describe is None:
        return f"Action enregistrée par {who(event)}."
    return describe(event, details, context)


def _context(session: Session, events: list[AuditEvent]) -> Context:
    grappe_ids: set[int] = set()
    ejs: set[str] = set()
    for event in events:
        details = event.details or {}
        if event.object_type == "grappe" and _int(event.object_id) is not None:
            grappe_ids.add(_int(event.object_id) or 0)
        if _int(details.get("grappe_id")) is not None:
            grappe_ids.add(_int(details.get("grappe_id")) or 0)
        for key in ("finess_ej", "carrier_ej"):
            if details.get(key):
                ejs.add(str(details[key]))
    grappes = {
        gid: (number, run_id)
        for gid, number, run_id in session.execute(
            select(Grappe.id, Grappe.number, Grappe.run_id).where(Grappe.id.in_(grappe_ids))
        )
    }
    organisations = {
        finess_ej: name
        for finess_ej, name in session.execute(
            select(Organisation.finess_ej, Organisation.name).where(Organisation.finess_ej.in_(ejs))
        )
    }
    return Context(grappes, organisations)


def describe(session: Session, events: Iterable[AuditEvent]) -> list[AuditLine]:
    """The events as lines of the log, looking up grappe numbers and OG names at once."""
    events = list(events)
    context = _context(session, events)
    return [AuditLine(event, sentence(event, context)) for event in events]
