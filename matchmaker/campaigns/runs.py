"""Solver runs of a campaign: starting one as a background job, publishing one to the
organisations, following the answers and marking grappes « constituée »."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.audit.services import record
from matchmaker.campaigns.services import CampaignError, check_manage
from matchmaker.grappes import identity
from matchmaker.grappes.errors import RunError
from matchmaker.grappes.params import solve_params
from matchmaker.grappes.scope import campaign_scope
from matchmaker.grappes.storage import create_run
from matchmaker.jobs import services as jobs
from matchmaker.mail import MailSettings, send_mail
from matchmaker.models import (
    ApprovalStatus,
    Campaign,
    Grappe,
    GrappeAnswer,
    Job,
    Role,
    SolverRun,
    User,
)
from matchmaker.models.base import utcnow
from matchmaker.vocabulary import Answer, CampaignStatus, GrappeStatus, RunMode, RunStatus

SOLVE_KIND = "campaign.solve"

#: French labels of the run statuses.
RUN_STATUS_LABELS = RunStatus.labels()
#: Statuses of a run not ended yet.
ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
#: Statuses of a run that may be relaunched.
RELAUNCHABLE_STATUSES = (RunStatus.FAILED, RunStatus.CANCELLED)


def start_run(
    session: Session,
    user: User,
    campaign: Campaign,
    config: Mapping[str, Any],
    *,
    mode: str = RunMode.INTEREST,
    parent: SolverRun | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[SolverRun, Job]:
    """A queued run of the campaign (its scope, its solver parameters, the campaign's
    locks) and the job that will execute it. ``parent`` re-solves from an earlier run."""
    check_manage(session, user, campaign)
    if campaign.status == CampaignStatus.ARCHIVED:
        raise CampaignError("La campagne est clôturée : plus de calcul possible.")
    if parent is not None and parent.campaign_id != campaign.id:
        raise CampaignError("Ce calcul n'appartient pas à cette campagne.")
    try:
        params = solve_params(config, campaign.solver_params, overrides)
    except RunError as error:
        raise CampaignError(str(error)) from error
    departments = campaign_scope(campaign)
    run = create_run(
        session,
        campaign=campaign,
        mode=mode,
        departments=departments,
        params=params,
        user_id=user.id,
        parent=parent,
    )
    job = jobs.enqueue(session, SOLVE_KIND, {"run_id": run.id}, user, campaign_id=campaign.id)
    run.job_id = job.id
    record(
        session,
        user,
        "run.started",
        object_type="run",
        object_id=run.id,
        campaign_id=campaign.id,
        mode=mode,
        parent=parent.id if parent else None,
        job=job.id,
    )
    return run, job


def end_run(run: SolverRun, status: str, reason: str) -> bool:
    """A run not ended yet ends ``status`` (``failed`` or ``cancelled``) with the French
    ``reason``; False when it had ended already."""
    if run.status not in ACTIVE_STATUSES:
        return False
    run.status = RunStatus(status)
    run.error = reason if status == RunStatus.FAILED else None
    run.progress_message = reason[:200]
    run.finished_at = utcnow()
    return True


def settle_run(session: Session, run: SolverRun) -> SolverRun:
    """A run shown « en cours » whose job has ended follows its job (flushed)."""
    job = run.job
    if run.status not in ACTIVE_STATUSES or job is None:
        return run
    if job.status == RunStatus.CANCELLED:
        end_run(run, RunStatus.CANCELLED, job.message or "Annulé.")
    elif job.status == RunStatus.FAILED:
        end_run(run, RunStatus.FAILED, job.error or job.message or "Échec de la tâche du calcul.")
    else:  # still running, or succeeded: the run's own writes say how it ended
        return run
    session.flush()
    return run


def relaunch_run(
    session: Session, user: User, campaign: Campaign, run: SolverRun, config: Mapping[str, Any]
) -> tuple[SolverRun, Job]:
    """A new run with the mode and the parent of a failed or cancelled ``run``."""
    check_manage(session, user, campaign)
    settle_run(session, run)
    if run.campaign_id != campaign.id or run.status not in RELAUNCHABLE_STATUSES:
        raise CampaignError("Seul un calcul échoué ou annulé peut être relancé.")
    parent = session.get(SolverRun, run.parent_run_id) if run.parent_run_id else None
    return start_run(session, user, campaign, config, mode=run.mode, parent=parent)


def abandon_run(session: Session, user: User, campaign: Campaign, run: SolverRun) -> SolverRun:
    """Stop a run not ended yet: its job is cancelled (a running job stops at its next
    check, or is stopped by the sweep); a run whose job is gone ends « annulé » at once."""
    check_manage(session, user, campaign)
    settle_run(session, run)
    if run.campaign_id != campaign.id or run.status not in ACTIVE_STATUSES:
        raise CampaignError("Ce calcul est déjà terminé.")
    stop_run(session, user, run)
    record(
        session,
        user,
        "run.abandoned",
        object_type="run",
        object_id=run.id,
        campaign_id=campaign.id,
    )
    return run


def stop_run(session: Session, user: User, run: SolverRun) -> None:
    """Cancel the run's job, or end the run when it has no live job."""
    job = run.job
    if job is not None and not job.is_finished:
        jobs.cancel(session, job, user)
        session.flush()
        return
    end_run(run, RunStatus.CANCELLED, "Abandonné à la demande.")
    session.flush()


def campaign_runs(session: Session, campaign: Campaign) -> list[SolverRun]:
    return list(
        session.scalars(
            select(SolverRun)
            .where(SolverRun.campaign_id == campaign.id)
            .order_by(SolverRun.id.desc())
        )
    )


def publish(
    session: Session,
    user: User,
    campaign: Campaign,
    run: SolverRun,
    *,
    mail: MailSettings | None = None,
    proposals_url: str | None = None,
) -> int:
    """Show ``run``'s grappes to the organisations (and stop showing the previous run), and
    tell the approved representatives of every OG in a grappe by e-mail (``mail``: the
    outbox, and SMTP when configured). Returns the number of notices.

    When another run was published, ``run``'s grappes take the numbers of the grappes they
    continue and the answers that still hold carry over; the OG whose answer does not are
    told what changed (:mod:`matchmaker.grappes.identity`)."""
    check_manage(session, user, campaign)
    if run.campaign_id != campaign.id or run.status != RunStatus.SUCCEEDED:
        raise CampaignError("Seul un calcul terminé de cette campagne peut être publié.")
    if not run.grappes:
        raise CampaignError("Ce calcul ne propose aucune grappe : rien à publier.")
    now = utcnow()
    changes: list[identity.AnswerChange] = []
    reference = identity.published_run(session, campaign.id)
    if reference is not None and reference.id != run.id:
        identity.link(session, run, reference)
        changes = identity.carry_answers(session, run, reference)
        run.replaced_run_id = reference.id
    for other in campaign_runs(session, campaign):
        if other.id != run.id and other.published_at is not None:
            other.published_at = None
    run.published_at = now
    campaign.published_run_id = run.id
    campaign.published_at = now
    session.flush()
    record(
        session,
        user,
        "run.published",
        object_type="run",
        object_id=run.id,
        campaign_id=campaign.id,
        grappes=len(run.grappes),
        replaced=run.replaced_run_id,
        answers_to_renew=len(changes),
    )
    if mail is None:
        return 0
    notify_answer_changes(session, mail, campaign, changes, proposals_url)
    return notify_publication(session, mail, campaign, run, proposals_url)


def _representatives(session: Session, finess_ejs: list[str]) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(
                User.role == Role.OG,
                User.approval_status == ApprovalStatus.APPROVED,
                User.finess_ej.in_(finess_ejs),
            )
            .order_by(User.id)
        )
    )


def notify_answer_changes(
    session: Session,
    mail: MailSettings,
    campaign: Campaign,
    changes: list[identity.AnswerChange],
    proposals_url: str | None,
) -> int:
    """One e-mail per approved representative of an OG whose answer does not carry over:
    what changed, and that it must answer again."""
    by_og: dict[str, list[identity.AnswerChange]] = {}
    for change in changes:
        by_og.setdefault(change.finess_ej, []).append(change)
    recipients = _representatives(session, list(by_og))
    where = f"\n\nRépondez de nouveau sur {proposals_url}" if proposals_url else ""
    for recipient in recipients:
        text = "\n".join(
            "- " + "\n  ".join(change.lines) for change in by_og[recipient.finess_ej or ""]
        )
        send_mail(
            session,
            mail,
            to=recipient.email,
            subject=f"Votre réponse est à renouveler : {campaign.name}",
            body=(
                f"Bonjour,\n\nLa campagne « {campaign.name} » a publié un nouveau calcul des "
                f"grappes. Votre réponse précédente ne vaut plus :\n{text}{where}"
                "\n\nL'équipe Grappes"
            ),
            user_id=recipient.id,
        )
    return len(recipients)


def notify_publication(
    session: Session,
    mail: MailSettings,
    campaign: Campaign,
    run: SolverRun,
    proposals_url: str | None,
) -> int:
    """One e-mail per approved OG representative whose OG has ESSMS in a grappe."""
    numbers: dict[str, list[int]] = {}
    carried: dict[str, list[int]] = {}
    for grappe in run.grappes:
        for finess_ej in {member.finess_ej for member in grappe.members}:
            numbers.setdefault(finess_ej, []).append(grappe.number)
        for answer in grappe.answers:
            if answer.carried_from_id is not None:
                carried.setdefault(answer.finess_ej, []).append(grappe.number)
    recipients = _representatives(session, list(numbers))
    where = f"\n\nConsultez-les et répondez sur {proposals_url}" if proposals_url else ""
    for recipient in recipients:
        grappes = ", ".join(f"n° {n}" for n in sorted(numbers[recipient.finess_ej or ""]))
        kept = sorted(carried.get(recipient.finess_ej or "", []))
        if kept:
            where_kept = ", ".join(f"n° {n}" for n in kept)
            grappes += (
                f" ; votre réponse à la grappe {where_kept} est reprise : elle réunit toujours "
                "vos établissements avec le même éditeur"
            )
        send_mail(
            session,
            mail,
            to=recipient.email,
            subject=f"Grappes proposées : {campaign.name}",
            body=(
                f"Bonjour,\n\nLa campagne « {campaign.name} » propose à votre organisme de "
                f"rejoindre une grappe ESMS numérique (grappe {grappes}). Vous pouvez voir la "
                "carte, les autres membres, l'estimation du financement, puis accepter ou "
                f"décliner jusqu'à la clôture de la campagne.{where}\n\nL'équipe Grappes"
            ),
            user_id=recipient.id,
        )
    return len(recipients)


def mark_constituted(session: Session, user: User, campaign: Campaign, grappe: Grappe) -> None:
    """A grappe of the published run whose every OG accepted becomes « constituée »."""
    check_manage(session, user, campaign)
    run = grappe.run
    if run.campaign_id != campaign.id or run.published_at is None:
        raise CampaignError("Seule une grappe d'un calcul publié peut être constituée.")
    ogs = {member.finess_ej for member in grappe.members}
    accepted = set(
        session.scalars(
            select(GrappeAnswer.finess_ej).where(
                GrappeAnswer.grappe_id == grappe.id, GrappeAnswer.answer == Answer.ACCEPTE
            )
        )
    )
    missing = ogs - accepted
    if missing:
        raise CampaignError(
            f"{len(ogs) - len(missing)} OG sur {len(ogs)} ont accepté : la grappe ne peut "
            f"pas encore être constituée (en attente : {', '.join(sorted(missing))})."
        )
    grappe.status = GrappeStatus.CONSTITUEE
    session.flush()
    record(
        session,
        user,
        "grappe.constituted",
        object_type="grappe",
        object_id=grappe.id,
        campaign_id=campaign.id,
        run=run.id,
        number=grappe.number,
    )
