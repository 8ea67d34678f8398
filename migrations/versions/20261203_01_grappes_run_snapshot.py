"""run snapshot of candidate facts, stable grappe identity, carried-over answers

Revision ID: 3c5a9e1d7b20
Revises: f7d01cb07e54
Create Date: 2026-12-03 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c5a9e1d7b20"
down_revision: str | None = "f7d01cb07e54"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("finess_et", sa.String(length=9), nullable=False),
        sa.Column("finess_ej", sa.String(length=9), nullable=False),
        sa.Column("department", sa.String(length=3), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("is_essms", sa.Boolean(), nullable=False),
        sa.Column("champ", sa.String(length=3), nullable=True),
        sa.Column("declaration_id", sa.Integer(), nullable=True),
        sa.Column("editor", sa.String(length=200), nullable=True),
        sa.Column("dui_status", sa.String(length=16), nullable=False),
        sa.Column("sons_status", sa.String(length=10), nullable=True),
        sa.Column("sons_editor", sa.String(length=200), nullable=True),
        sa.Column("already_funded", sa.Boolean(), nullable=False),
        sa.Column("willing_carrier", sa.Boolean(), nullable=False),
        sa.Column("og_size", sa.Integer(), nullable=False),
        sa.Column("small_og", sa.Boolean(), nullable=False),
        sa.Column("isolated", sa.Boolean(), nullable=False),
        sa.Column("set_aside", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_run_candidates_declaration_id_declarations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["finess_ej"],
            ["organisations.finess_ej"],
            name=op.f("fk_run_candidates_finess_ej_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["finess_et"],
            ["establishments.finess_et"],
            name=op.f("fk_run_candidates_finess_et_establishments"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["solver_runs.id"],
            name=op.f("fk_run_candidates_run_id_solver_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_candidates")),
        sa.UniqueConstraint("run_id", "finess_et", name=op.f("uq_run_candidates_run_id")),
    )
    with op.batch_alter_table("solver_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_run_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_solver_runs_replaced_run_id_solver_runs"),
            "solver_runs",
            ["replaced_run_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("grappes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_grappe_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_grappes_previous_grappe_id_grappes"),
            "grappes",
            ["previous_grappe_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("grappe_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carried_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_grappe_answers_carried_from_id_grappe_answers"),
            "grappe_answers",
            ["carried_from_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("grappe_answers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_grappe_answers_carried_from_id_grappe_answers"), type_="foreignkey"
        )
        batch_op.drop_column("carried_from_id")
    with op.batch_alter_table("grappes", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_grappes_previous_grappe_id_grappes"), type_="foreignkey"
        )
        batch_op.drop_column("previous_grappe_id")
    with op.batch_alter_table("solver_runs", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_solver_runs_replaced_run_id_solver_runs"), type_="foreignkey"
        )
        batch_op.drop_column("replaced_run_id")
    op.drop_table("run_candidates")
