"""The query planner's statistics, refreshed after the bulk writes that change a table's
size by thousands of rows at once (issue 14, « Queries that scale »).

PostgreSQL plans a query from each table's statistics (row count, value distribution),
which ``ANALYZE`` gathers; autovacuum runs it now and then, or never when it is off. A
national FINESS import, a 35,000-row declarations file or a stored national run leaves the
tables they filled with no or stale statistics until then, and the pages that read them
get plans made for a handful of rows (a declarations table seen as 6 rows: every review
page joined all 35,000 for 11 members). So each bulk write ends with an ``ANALYZE`` of the
tables it filled, in its own transaction (it sees the rows written), ``SKIP_LOCKED`` so
that it never waits for an autovacuum of the same table. SQLite: nothing to do.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from matchmaker.models.base import Base


def refresh(session: Session, *models: type[Base]) -> None:
    """``ANALYZE`` the tables of ``models`` on PostgreSQL, after flushing the session."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or not models:
        return
    session.flush()
    quote = bind.dialect.identifier_preparer.quote
    tables = ", ".join(quote(model.__tablename__) for model in models)
    session.execute(text(f"ANALYZE (SKIP_LOCKED) {tables}"))
