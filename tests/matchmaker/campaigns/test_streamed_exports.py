"""The run CSV is streamed (issue 14): sent in pieces while the views are built a few
grappes at a time, with the same content and every cell neutralised."""

from __future__ import annotations

from matchmaker.campaigns import exports
from matchmaker.extensions import db
from matchmaker.grappes import read_model
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk


def test_the_run_csv_is_streamed_with_the_same_content(client: CsrfClient, desk: Desk) -> None:
    login(client, desk.owner)
    response = client.get(f"/console/campagnes/{desk.campaign.id}/calculs/{desk.run.id}/export.csv")
    assert response.status_code == 200 and response.is_streamed
    body = response.get_data()
    whole = exports.run_csv(
        read_model.grappe_views(db.session, desk.run), read_model.left_out(db.session, desk.run)
    )
    assert body == whole
    assert body.startswith("\ufeff".encode()) and body.count(b"\r\n") == 1 + 31 + 2


def test_pieces_join_to_the_whole_file() -> None:
    rows = [[f"=cmd{i}", i] for i in range(exports.CSV_CHUNK_ROWS * 2 + 3)]
    pieces = list(exports.csv_chunks(["a", "b"], rows))
    assert len(pieces) == 3
    text = b"".join(pieces).decode("utf-8")
    assert "'=cmd0" in text and "\n=cmd" not in text
