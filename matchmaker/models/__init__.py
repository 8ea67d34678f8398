"""All models, re-exported so that ``Base.metadata`` knows every table."""

from matchmaker.models.audit import AuditEvent
from matchmaker.models.base import Base
from matchmaker.models.campaigns import Campaign, CampaignOwner
from matchmaker.models.contacts import ContactAction
from matchmaker.models.declarations import Declaration
from matchmaker.models.editors import Editor, EditorAlias, EditorMatch, Solution
from matchmaker.models.embarkation import Embarkation
from matchmaker.models.establishments import Establishment
from matchmaker.models.grappes import (
    Exclusion,
    Grappe,
    GrappeAnswer,
    GrappeMember,
    Lock,
    RunCandidate,
    SolverRun,
)
from matchmaker.models.imports import FinessImport
from matchmaker.models.jobs import Job
from matchmaker.models.organisations import Organisation
from matchmaker.models.priorities import ChampWeight
from matchmaker.models.uploads import Upload
from matchmaker.models.users import ApprovalStatus, OutboxMail, Role, User

__all__ = [
    "ApprovalStatus",
    "AuditEvent",
    "Base",
    "Campaign",
    "CampaignOwner",
    "ChampWeight",
    "ContactAction",
    "Declaration",
    "Editor",
    "EditorAlias",
    "EditorMatch",
    "Embarkation",
    "Establishment",
    "Exclusion",
    "FinessImport",
    "Grappe",
    "GrappeAnswer",
    "GrappeMember",
    "Job",
    "Lock",
    "Organisation",
    "OutboxMail",
    "Role",
    "RunCandidate",
    "Solution",
    "SolverRun",
    "Upload",
    "User",
]
