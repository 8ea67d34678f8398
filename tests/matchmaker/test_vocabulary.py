"""matchmaker.vocabulary: one enum per stored status or reason code, one French label per value,
and the columns typed with them."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from importers import vocabulary as declared
from matchmaker import vocabulary as v
from matchmaker.models import Job, SolverRun
from solver import types as st


def _all_enums(base: type[v.Vocabulary]) -> set[type[v.Vocabulary]]:
    found: set[type[v.Vocabulary]] = set()
    for sub in base.__subclasses__():
        found |= {sub, *_all_enums(sub)}
    return found


def test_every_enum_is_listed():
    assert set(v.ENUMS) == _all_enums(v.Vocabulary)


@pytest.mark.parametrize("enum", v.ENUMS, ids=lambda e: e.__name__)
def test_every_value_has_a_french_label(enum: type[v.Vocabulary]):
    for member in enum:
        assert member.label.strip(), member
        assert "_" not in member.label, member  # a label, not a code


def test_the_label_table_holds_only_members():
    assert set(v.LABELS) == set(v.ENUMS)
    for enum, labels in v.LABELS.items():
        assert [type(m) for m in labels] == [enum] * len(enum), enum
        assert {m.value for m in labels} == set(enum.values()), enum
    assert set(v.FEMININE_LABELS) == set(v.RunStatus)
    assert set(v.ANSWER_VERBS) == set(v.Answer)


def test_equal_values_of_two_enums_keep_their_own_labels():
    # a member equals its string, so DuiStatus.AUCUN == SonsStatus.AUCUN == "aucun"
    assert v.DuiStatus.AUCUN == v.SonsStatus.AUCUN
    assert v.DuiStatus.AUCUN.label == "sans DUI"
    assert v.SonsStatus.AUCUN.label == "aucune commande"
    assert v.UploadStatus.FAILED.label != v.RunStatus.FAILED.label


def test_members_are_their_stored_strings():
    assert v.RunStatus.SUCCEEDED == "succeeded"
    assert f"{v.LockKind.MUST_JOIN}" == "must_join"
    assert v.RunStatus("failed") is v.RunStatus.FAILED
    assert v.RunStatus.values() == ("queued", "running", "succeeded", "failed", "cancelled")


def test_jobs_and_runs_share_one_status_enum():
    assert v.JobStatus is v.RunStatus
    assert {s for s in v.RunStatus if s.is_final} == {"succeeded", "failed", "cancelled"}
    assert v.RunStatus.SUCCEEDED.label == "terminé"  # « calcul terminé »
    assert v.RunStatus.SUCCEEDED.feminine_label == "terminée"  # « tâche terminée »


def test_label_helper():
    assert v.label("accepte", v.Answer) == "acceptée"
    assert v.label(None, v.Answer, "en attente") == "en attente"
    assert v.label("inconnu", v.Answer) == "inconnu"


def test_the_rooms_copies_agree_with_the_enums():
    assert v.DuiStatus.values() == declared.DUI_STATUSES == st.DUI_STATUSES
    assert v.SonsStatus.values() == declared.SONS_STATUSES
    assert tuple(s for s in v.SonsStatus if s.is_ordered) == declared.SONS_ORDERED
    # every reason the solver gives is one the app can store and label
    assert {code.value for code in st.ReasonCode} <= set(v.ExclusionReason.values())
    app_only = set(v.ExclusionReason.values()) - {code.value for code in st.ReasonCode}
    assert app_only == {*v.SET_ASIDE_REASONS, v.ExclusionReason.REMOVED_BY_COLLECTIF}


@pytest.mark.db
def test_typed_columns_read_back_members(db_session: Session):
    run = SolverRun(status="queued", mode="planning")
    job = Job(kind="test.vocabulary")
    db_session.add_all([run, job])
    db_session.flush()
    db_session.expire_all()
    assert db_session.get(SolverRun, run.id).status is v.RunStatus.QUEUED  # type: ignore[union-attr]
    assert db_session.get(SolverRun, run.id).mode is v.RunMode.PLANNING  # type: ignore[union-attr]
    assert db_session.get(Job, job.id).status is v.JobStatus.QUEUED  # type: ignore[union-attr]
    # the database holds the plain strings (no migration of the data)
    stored = db_session.execute(
        text("SELECT status FROM solver_runs WHERE id = :id"), {"id": run.id}
    )
    assert stored.scalar_one() == "queued"
    found = db_session.scalars(select(SolverRun.id).where(SolverRun.status == "queued")).all()
    assert run.id in found


@pytest.mark.db
def test_an_unknown_code_is_refused(db_session: Session):
    db_session.add(SolverRun(status="done"))
    with pytest.raises(StatementError):
        db_session.flush()
    db_session.rollback()


@pytest.mark.db
def test_the_database_still_checks_the_codes(db_session: Session):
    """Written without the models, an unknown code meets the table's check constraint."""
    savepoint = db_session.begin_nested()
    with pytest.raises(IntegrityError):
        db_session.execute(
            text(
                "INSERT INTO campaigns (name, status, departments, solver_params, created_at) "
                "VALUES ('C', 'ongoing', '[]', '{}', CURRENT_TIMESTAMP)"
            )
        )
    savepoint.rollback()


def test_the_template_filter_names_the_enum():
    assert v.template_label("commande", "SonsStatus") == "commandé"
    assert v.template_label("aucun", "DuiStatus") == "sans DUI"
    assert v.template_label(None, "Answer", "en attente") == "en attente"
    assert set(v.ENUMS_BY_NAME) == {enum.__name__ for enum in v.ENUMS}
