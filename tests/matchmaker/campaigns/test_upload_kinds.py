"""Issue 11, hole 1: the FINESS extract is the national register; a collectif's console
cannot import it (only an administrator can), and declarations are the default upload."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.models import Role, Upload
from tests.factories import make_user
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk

#: One ``structureet`` line is enough to move an establishment to another OG.
FINESS_LINE = b"finess;etalab;100;2026-11-01\nstructureet;350000101;350000999;...\n"


def post_finess(client: CsrfClient, desk: Desk):  # type: ignore[no-untyped-def]
    return client.post(
        f"/console/campagnes/{desk.campaign.id}/fichiers",
        data={"kind": "finess", "file": (io.BytesIO(FINESS_LINE), "finess.csv")},
        content_type="multipart/form-data",
    )


def test_a_collectif_cannot_upload_a_finess_extract(
    client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, desk.owner)
    page = client.get(f"/console/campagnes/{desk.campaign.id}").get_data(as_text=True)
    assert "Extraction FINESS" not in page
    assert '<option selected value="declarations">' in page
    assert post_finess(client, desk).status_code == 403
    assert db_session.scalar(select(func.count()).select_from(Upload)) == 0


def test_an_administrator_may_upload_a_finess_extract(
    app: Flask, client: CsrfClient, db_session: Session, desk: Desk
) -> None:
    login(client, make_user(db_session, Role.ADMIN))
    page = client.get(f"/console/campagnes/{desk.campaign.id}").get_data(as_text=True)
    assert "Extraction FINESS" in page
    assert post_finess(client, desk).status_code == 302
    upload = db_session.scalar(select(Upload))
    assert upload is not None and upload.kind == "finess"
    # The test's rows are rolled back; its stored file must go too (other tests reuse ids).
    (Path(app.config["UPLOAD_FOLDER"]) / upload.stored_name).unlink()
