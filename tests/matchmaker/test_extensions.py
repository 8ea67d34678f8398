"""Issue 11 (also): on SQLite, the embedded default, a write waits for another one instead of
failing at once with « database is locked » (WAL journal and a busy timeout)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from matchmaker.extensions import make_engine


def test_a_write_waits_for_a_long_one_instead_of_failing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.sqlite3'}"
    holder = make_engine(url)
    writer = make_engine(url, sqlite_busy_timeout_s=20)
    with holder.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    started = threading.Event()

    def hold_the_write_lock() -> None:
        # Longer than sqlite3's own 5-second default, as an import job's transaction is.
        with holder.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            started.set()
            time.sleep(6)

    thread = threading.Thread(target=hold_the_write_lock)
    thread.start()
    started.wait(10)
    with writer.begin() as connection:
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 20000
        connection.execute(text("INSERT INTO t VALUES (2)"))
    thread.join()
    with writer.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2
    holder.dispose()
    writer.dispose()
