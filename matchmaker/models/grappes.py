"""Solver runs and the grappes they propose, the candidates left out, the answers and the
human locks that later runs respect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.models.base import Base, FinessNumber, utcnow, vocabulary_type
from matchmaker.models.establishments import Establishment
from matchmaker.models.jobs import Job
from matchmaker.vocabulary import (
    Answer,
    DuiStatus,
    ExclusionReason,
    GrappeStatus,
    LockKind,
    RunMode,
    RunStatus,
    SonsStatus,
)

RUN_STATUSES = RunStatus.values()
LOCK_KINDS = LockKind.values()
ANSWERS = Answer.values()


class SolverRun(Base):
    """One run of the solver: its parameters, progress, figures and results.

    ``mode`` is ``interest`` (the ESSMS that declared interest in the campaign) or
    ``planning`` (every non-embarked ESSMS of the scope, for the ARS). Progress is stored
    here so that the CLI and the site read the same thing.
    """

    __tablename__ = "solver_runs"
    __table_args__ = (
        CheckConstraint(f"status IN {RUN_STATUSES!r}", name="status"),
        CheckConstraint("mode IN ('interest', 'planning')", name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    parent_run_id: Mapped[int | None] = mapped_column(ForeignKey("solver_runs.id"))
    mode: Mapped[RunMode] = mapped_column(vocabulary_type(RunMode, 12), default=RunMode.INTEREST)
    scope: Mapped[list[str]] = mapped_column(JSON, default=list)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[RunStatus] = mapped_column(
        vocabulary_type(RunStatus, 12), default=RunStatus.QUEUED
    )
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    progress_message: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    wall_time_s: Mapped[float | None] = mapped_column(Float)
    solver_status: Mapped[str | None] = mapped_column(String(24))
    objective: Mapped[float | None] = mapped_column(Float)
    best_bound: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    candidate_count: Mapped[int] = mapped_column(Integer, default=0)
    covered_count: Mapped[int] = mapped_column(Integer, default=0)
    total_km: Mapped[float | None] = mapped_column(Float)
    #: Per sub-problem figures and other totals, as the solver reports them.
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The run that was published before this one replaced it (answers carried from it).
    replaced_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("solver_runs.id", ondelete="SET NULL")
    )
    #: The background job executing (or that executed) the run: the latest one when the run
    #: was relaunched. The job's row holds the live state (running, heartbeat, cancel).
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), index=True
    )

    grappes: Mapped[list[Grappe]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="Grappe.number"
    )
    exclusions: Mapped[list[Exclusion]] = relationship(
        back_populates="run", cascade="all, delete-orphan"
    )
    candidates: Mapped[list[RunCandidate]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="RunCandidate.finess_et"
    )
    job: Mapped[Job | None] = relationship(foreign_keys=[job_id])

    @property
    def coverage(self) -> float | None:
        """Share of candidates placed in a grappe."""
        if not self.candidate_count:
            return None
        return self.covered_count / self.candidate_count


class Grappe(Base):
    """A grappe proposed by a run: one editor, its members, its suggested carrier."""

    __tablename__ = "grappes"
    __table_args__ = (
        UniqueConstraint("run_id", "number"),
        CheckConstraint(f"status IN {GrappeStatus.values()!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("solver_runs.id", ondelete="CASCADE"))
    #: Shown to users as « Grappe n° 3 »; unique within the run and stable across the runs
    #: of a campaign: a grappe that continues one of the published run keeps its number
    #: (``matchmaker.grappes.identity``).
    number: Mapped[int] = mapped_column(Integer)
    #: The grappe of the previously published run that this one continues, if any.
    previous_grappe_id: Mapped[int | None] = mapped_column(
        ForeignKey("grappes.id", ondelete="SET NULL")
    )
    editor_name: Mapped[str] = mapped_column(String(200))
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("editors.id"))
    carrier_ej: Mapped[str | None] = mapped_column(ForeignKey("organisations.finess_ej"))
    carrier_reason: Mapped[str | None] = mapped_column(String(200))
    centre_finess_et: Mapped[str | None] = mapped_column(String(9))
    centre_latitude: Mapped[float | None] = mapped_column(Float)
    centre_longitude: Mapped[float | None] = mapped_column(Float)
    total_km: Mapped[float] = mapped_column(Float, default=0.0)
    mean_km: Mapped[float] = mapped_column(Float, default=0.0)
    max_km: Mapped[float] = mapped_column(Float, default=0.0)
    small_og_count: Mapped[int] = mapped_column(Integer, default=0)
    og_count: Mapped[int] = mapped_column(Integer, default=0)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[GrappeStatus] = mapped_column(
        vocabulary_type(GrappeStatus, 12), default=GrappeStatus.PROPOSEE
    )

    run: Mapped[SolverRun] = relationship(back_populates="grappes")
    members: Mapped[list[GrappeMember]] = relationship(
        back_populates="grappe", cascade="all, delete-orphan", order_by="GrappeMember.distance_km"
    )
    answers: Mapped[list[GrappeAnswer]] = relationship(
        back_populates="grappe", cascade="all, delete-orphan"
    )

    @property
    def size(self) -> int:
        return len(self.members)


class GrappeMember(Base):
    """An ESSMS in a grappe, with its distance to the grappe's centre."""

    __tablename__ = "grappe_members"
    __table_args__ = (UniqueConstraint("grappe_id", "finess_et"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grappe_id: Mapped[int] = mapped_column(ForeignKey("grappes.id", ondelete="CASCADE"))
    finess_et: Mapped[FinessNumber] = mapped_column(
        ForeignKey("establishments.finess_et"), index=True
    )
    finess_ej: Mapped[FinessNumber] = mapped_column(ForeignKey("organisations.finess_ej"))
    distance_km: Mapped[float] = mapped_column(Float, default=0.0)
    #: The member belongs to the carrier OG.
    is_carrier: Mapped[bool] = mapped_column(Boolean, default=False)

    grappe: Mapped[Grappe] = relationship(back_populates="members")
    establishment: Mapped[Establishment] = relationship(lazy="joined", innerjoin=True)


class GrappeAnswer(Base):
    """An OG's answer to a proposed grappe (one current answer per OG and grappe; the
    audit log keeps the history of changes)."""

    __tablename__ = "grappe_answers"
    __table_args__ = (
        UniqueConstraint("grappe_id", "finess_ej"),
        CheckConstraint(f"answer IN {ANSWERS!r}", name="answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grappe_id: Mapped[int] = mapped_column(ForeignKey("grappes.id", ondelete="CASCADE"))
    finess_ej: Mapped[FinessNumber] = mapped_column(ForeignKey("organisations.finess_ej"))
    answer: Mapped[Answer] = mapped_column(vocabulary_type(Answer, 8))
    comment: Mapped[str | None] = mapped_column(Text)
    answered_by_user_id: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    #: The answer to the previous run's grappe this one carries over (same ESSMS, same
    #: editor); null for an answer given on this grappe.
    carried_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("grappe_answers.id", ondelete="SET NULL")
    )

    grappe: Mapped[Grappe] = relationship(back_populates="answers")


class RunCandidate(Base):
    """What the solver saw of one ESSMS of a run's scope, frozen with the run.

    Written when the run's results are stored, for every ESSMS the run considered: the
    candidates and those set aside before solving (``set_aside``). A run's review, exports
    and funding read these facts, not today's declarations, so that a stored run keeps
    showing what it was computed from.
    """

    __tablename__ = "run_candidates"
    __table_args__ = (UniqueConstraint("run_id", "finess_et"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("solver_runs.id", ondelete="CASCADE"))
    finess_et: Mapped[FinessNumber] = mapped_column(ForeignKey("establishments.finess_et"))
    finess_ej: Mapped[FinessNumber] = mapped_column(ForeignKey("organisations.finess_ej"))
    department: Mapped[str] = mapped_column(String(3))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    is_essms: Mapped[bool] = mapped_column(Boolean, default=True)
    champ: Mapped[str | None] = mapped_column(String(3))
    #: The current declaration the facts come from (null: the ESSMS had not declared).
    declaration_id: Mapped[int | None] = mapped_column(
        ForeignKey("declarations.id", ondelete="SET NULL")
    )
    #: The declared DUI editor: the referential's name when matched, else as typed.
    editor: Mapped[str | None] = mapped_column(String(200))
    dui_status: Mapped[DuiStatus] = mapped_column(
        vocabulary_type(DuiStatus, 16), default=DuiStatus.AUCUN
    )
    sons_status: Mapped[SonsStatus | None] = mapped_column(vocabulary_type(SonsStatus, 10))
    sons_editor: Mapped[str | None] = mapped_column(String(200))
    already_funded: Mapped[bool] = mapped_column(Boolean, default=False)
    willing_carrier: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Open ESSMS of the OG in FINESS at the time of the run.
    og_size: Mapped[int] = mapped_column(Integer, default=1)
    #: Small OG and isolated (too few compatible ESSMS nearby), as the solver decided them
    #: for its priorities.
    small_og: Mapped[bool] = mapped_column(Boolean, default=False)
    isolated: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Not given to the solver (already funded, no coordinates): see the run's exclusions.
    set_aside: Mapped[bool] = mapped_column(Boolean, default=False)

    run: Mapped[SolverRun] = relationship(back_populates="candidates")


class Exclusion(Base):
    """A candidate left out of every grappe of a run, with why and its best near-miss."""

    __tablename__ = "exclusions"
    __table_args__ = (UniqueConstraint("run_id", "finess_et"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("solver_runs.id", ondelete="CASCADE"))
    finess_et: Mapped[FinessNumber] = mapped_column(ForeignKey("establishments.finess_et"))
    reason_code: Mapped[ExclusionReason] = mapped_column(vocabulary_type(ExclusionReason, 40))
    reason: Mapped[str] = mapped_column(Text)
    near_miss: Mapped[str | None] = mapped_column(Text)

    run: Mapped[SolverRun] = relationship(back_populates="exclusions")


class Lock(Base):
    """A human decision that every later run of the campaign respects.

    ``must_join``: ``finess_et`` stays in grappe ``grappe_id``'s group; ``together`` /
    ``apart``: ``finess_et`` and ``other_finess_et``; ``exclude``: ``finess_et`` is left
    out; ``freeze``: grappe ``grappe_id`` is kept as is; ``carrier``: OG ``carrier_ej``,
    chosen by the collectif, carries whichever grappe holds its ESSMS.
    """

    __tablename__ = "locks"
    __table_args__ = (CheckConstraint(f"kind IN {LOCK_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[LockKind] = mapped_column(vocabulary_type(LockKind, 12))
    finess_et: Mapped[str | None] = mapped_column(ForeignKey("establishments.finess_et"))
    other_finess_et: Mapped[str | None] = mapped_column(ForeignKey("establishments.finess_et"))
    grappe_id: Mapped[int | None] = mapped_column(ForeignKey("grappes.id"))
    carrier_ej: Mapped[str | None] = mapped_column(ForeignKey("organisations.finess_ej"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
