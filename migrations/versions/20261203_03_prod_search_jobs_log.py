"""prod: establishment search column (pg_trgm, unaccent), spatial index (cube), job log

Revision ID: 3c1e9a7d5b20
Revises: 5ec0a11d2026
Create Date: 2026-12-03 08:00:00

- ``establishments.search_text``: names and town folded for the search (case, accents,
  hyphens ignored), indexed by trigrams on PostgreSQL (``pg_trgm``, in ``public``) and by a
  plain index on SQLite; existing rows are filled here (``unaccent`` on PostgreSQL, the
  application's own ``search_key`` on SQLite), new and changed rows by the application.
- ``ix_establishments_earth`` on PostgreSQL: a GiST index of each establishment as a point
  on the unit sphere (``cube``), for the neighbour search (SQLite keeps the indexed
  latitude/longitude box).
- ``jobs.request_id`` and ``jobs.log``: the request that started a job and its log lines.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c1e9a7d5b20"
down_revision: str | None = "5ec0a11d2026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXTENSIONS = ("pg_trgm", "unaccent", "cube")
#: matchmaker.models.establishments.EARTH_POINT_SQL, frozen here.
EARTH_POINT_SQL = (
    "public.cube(public.cube(public.cube(cos(radians(latitude)) * cos(radians(longitude))), "
    "cos(radians(latitude)) * sin(radians(longitude))), sin(radians(latitude)))"
)
#: The application's ``search_key`` in SQL: unaccent, ligatures, lower case, every run of
#: other characters one space.
POSTGRESQL_BACKFILL = r"""
UPDATE establishments SET search_text = left(btrim(regexp_replace(
    lower(public.unaccent('public.unaccent'::regdictionary, concat_ws(' ', short_name, long_name, commune))),
    '[^0-9a-z]+', ' ', 'g')), 500)
"""


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        op.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('grappes.extensions'))"))
        for name in EXTENSIONS:
            op.execute(sa.text(f'CREATE EXTENSION IF NOT EXISTS "{name}" WITH SCHEMA public'))
    with op.batch_alter_table("establishments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.String(length=500), nullable=True))
    if postgresql:
        op.execute(sa.text(POSTGRESQL_BACKFILL))
    else:
        _backfill_in_python(bind)
    with op.batch_alter_table("establishments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_establishments_search_text",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "public.gin_trgm_ops"},
        )
    if postgresql:
        op.create_index(
            "ix_establishments_earth",
            "establishments",
            [sa.text(EARTH_POINT_SQL)],
            unique=False,
            postgresql_using="gist",
        )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("log", sa.Text(), nullable=True))


def _backfill_in_python(bind: sa.Connection) -> None:
    from matchmaker.models.establishments import search_key

    table = sa.table(
        "establishments",
        sa.column("finess_et"),
        sa.column("short_name"),
        sa.column("long_name"),
        sa.column("commune"),
        sa.column("search_text"),
    )
    rows = bind.execute(
        sa.select(table.c.finess_et, table.c.short_name, table.c.long_name, table.c.commune)
    ).all()
    values = [{"key": row[0], "text": search_key(*row[1:])} for row in rows]
    statement = (
        table.update()
        .where(table.c.finess_et == sa.bindparam("key"))
        .values(search_text=sa.bindparam("text"))
    )
    for start in range(0, len(values), 5000):
        bind.execute(statement, values[start : start + 5000])


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("log")
        batch_op.drop_column("request_id")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_establishments_earth", table_name="establishments")
    with op.batch_alter_table("establishments", schema=None) as batch_op:
        batch_op.drop_index("ix_establishments_search_text")
        batch_op.drop_column("search_text")
