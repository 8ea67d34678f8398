"""Uploads: refused when oversized or not what they claim, stored under a generated name,
previewed by a dry-run job (counts and located errors), then imported on confirmation."""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.synthetic import generate
from matchmaker.extensions import db
from matchmaker.jobs import backends
from matchmaker.models import AuditEvent, Declaration, Establishment, Job, Role, Upload
from matchmaker.models.embarkation import Embarkation
from tests.factories import make_establishment, make_organisation, make_user
from tests.helpers import CsrfClient, login
from tests.support.desk import Desk, build_desk
from tests.support.jobs import MakeApp


def post_file(
    client: CsrfClient,
    desk_campaign_id: int,
    kind: str,
    name: str,
    content: bytes,
    **kwargs: object,
):  # type: ignore[no-untyped-def]
    return client.post(
        f"/console/campagnes/{desk_campaign_id}/fichiers",
        data={"kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        **kwargs,
    )


def fake_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.sh", "#!/bin/sh\nrm -rf /\n")
    return buffer.getvalue()


def real_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["finess_et", "editeur"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


MALICIOUS = [
    ("declarations", "declarations.csv", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200),
    ("declarations", "declarations.xlsx", b"PK\x03\x04" + b"\x00" * 100),
    ("embarkation", "embarques.xlsx", None),
    ("declarations", "page.csv", b"<html>\x00\x01\x02<script>alert(1)</script>"),
    ("finess", "finess.csv", b"structureet;350000000;...\n"),
    ("finess", "finess.csv", b"%PDF-1.7\n\x00\x00"),
]


@pytest.mark.parametrize(
    ("kind", "name", "content"),
    MALICIOUS,
    ids=["exe", "broken-zip", "zip-not-xlsx", "binary-html", "not-finess", "pdf-as-finess"],
)
def test_a_file_that_is_not_what_it_claims_is_refused(
    client: CsrfClient,
    db_session: Session,
    desk: Desk,
    app: Flask,
    kind: str,
    name: str,
    content: bytes | None,
) -> None:
    # The FINESS extract is an administrator's upload (issue 11).
    login(client, make_user(db_session, Role.ADMIN) if kind == "finess" else desk.owner)
    response = post_file(
        client,
        desk.campaign.id,
        kind,
        name,
        content if content is not None else fake_xlsx(),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "flash-error" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Upload)) == 0
    folder = Path(app.config["UPLOAD_FOLDER"]) / f"campagne-{desk.campaign.id}"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_real_workbook_is_stored_under_a_generated_name(
    client: CsrfClient, db_session: Session, desk: Desk, app: Flask
) -> None:
    login(client, desk.owner)
    response = post_file(
        client, desk.campaign.id, "declarations", "../../etc/passwd.xlsx", real_xlsx()
    )
    assert response.status_code == 302
    upload = db_session.scalar(select(Upload))
    assert upload is not None
    assert upload.detected_format == "xlsx" and upload.original_name == "passwd.xlsx"
    stored = Path(app.config["UPLOAD_FOLDER"]) / upload.stored_name
    assert stored.is_file() and "passwd" not in stored.name
    job = db_session.get(Job, upload.preview_job_id)
    assert job is not None and job.kind == "campaign.preview_upload"


# --- with background jobs, on a committed database -----------------------------------------


@dataclass
class Committed:
    app: Flask
    client: CsrfClient
    desk: Desk
    new_finess: list[str]


@pytest.fixture
def committed(make_app: MakeApp) -> Iterator[Committed]:
    app = make_app()
    with app.app_context():
        desk = build_desk(db.session, app.config)
        og = make_organisation(db.session, name="OG NOUVEAU", department="35")
        new = [
            make_establishment(
                db.session,
                og,
                department="35",
                latitude=48.1 + i / 100,
                longitude=-1.6,
                region="53",
            ).finess_et
            for i in range(3)
        ]
        db.session.commit()
        db.session.expunge_all()
    with CsrfClient(app, app.response_class, use_cookies=True) as client:
        login(client, desk.owner)
        yield Committed(app, client, desk, new)


def upload_row(app: Flask) -> Upload:
    with app.app_context():
        upload = db.session.scalars(select(Upload).order_by(Upload.id.desc())).first()
        assert upload is not None
        db.session.expunge(upload)
        return upload


def test_a_declarations_file_is_previewed_then_imported(committed: Committed) -> None:
    app, client, desk = committed.app, committed.client, committed.desk
    lines = ["finess_et;editeur;statut_dui"]
    lines += [f"{finess};Alpha Santé;référencé Ségur" for finess in committed.new_finess]
    lines.append("999999999;Alpha Santé;référencé Ségur")
    content = ("\n".join(lines) + "\n").encode("utf-8")
    response = post_file(client, desk.campaign.id, "declarations", "déclarations.csv", content)
    assert response.status_code == 302
    assert upload_row(app).status == "previewing"

    backends.work(app, burst=True)
    upload = upload_row(app)
    assert upload.status == "previewed", upload.preview
    assert upload.preview is not None
    counts = dict(upload.preview["counts"])
    assert counts["Lignes à créer"] == 3
    assert counts["Lignes rejetées"] == 1
    [error] = [e for e in upload.preview["errors"] if e["gravite"] == "erreur"]
    assert error["ligne"] == "5" and error["fichier"] == "déclarations.csv"
    page_url = f"/console/campagnes/{desk.campaign.id}/fichiers/{upload.id}"
    page = html.unescape(client.get(page_url).get_data(as_text=True))
    assert "Aperçu (rien n'est encore écrit)" in page and "Confirmer l'import" in page
    report = client.get(f"{page_url}/erreurs.csv").get_data().decode("utf-8-sig")
    assert "déclarations.csv;5;" in report
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Declaration))

    assert client.post(f"{page_url}/confirmer").status_code == 302
    backends.work(app, burst=True)
    upload = upload_row(app)
    assert upload.status == "loaded", upload.outcome
    with app.app_context():
        after = db.session.scalar(select(func.count()).select_from(Declaration))
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(AuditEvent.campaign_id == desk.campaign.id)
            )
        )
    assert after == (before or 0) + 3
    assert {"upload.received", "upload.confirmed", "upload.loaded"} <= actions


def test_a_refused_file_shows_the_job_error(committed: Committed) -> None:
    app, client, desk = committed.app, committed.client, committed.desk
    content = b"nom;ville\nEHPAD;Rennes\n"
    post_file(client, desk.campaign.id, "declarations", "mauvais.csv", content)
    backends.work(app, burst=True)
    upload = upload_row(app)
    assert upload.status == "refused"
    with app.app_context():
        job = db.session.get(Job, upload.preview_job_id)
        assert job is not None
        assert job.status == "failed" and job.error
    status = client.get(
        f"/jobs/{upload.preview_job_id}", headers={"Accept": "application/json"}
    ).get_json()
    assert status["status"] == "failed" and status["error"] == job.error
    page = html.unescape(
        client.get(f"/console/campagnes/{desk.campaign.id}/fichiers/{upload.id}").get_data(
            as_text=True
        )
    )
    assert "Fichier refusé" in page and job.error in page
    assert "Confirmer l'import" not in page


def test_an_oversized_upload_is_refused(make_app: MakeApp) -> None:
    app = make_app(MAX_CONTENT_LENGTH=4096)
    with app.app_context():
        desk = build_desk(db.session, app.config)
        db.session.commit()
        campaign_id = desk.campaign.id
    with CsrfClient(app, app.response_class, use_cookies=True) as client:
        login(client, desk.owner)
        content = b"finess_et;editeur\n" + b"350000001;Alpha\n" * 1000
        response = post_file(client, campaign_id, "declarations", "gros.csv", content)
    assert response.status_code == 413
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Upload)) == 0


def test_a_finess_extract_is_previewed_then_loaded(committed: Committed, tmp_path: Path) -> None:
    app, client, desk = committed.app, committed.client, committed.desk
    with app.app_context():
        admin = make_user(db.session, Role.ADMIN)
        db.session.commit()
    client.post("/deconnexion")
    login(client, admin)  # the FINESS extract is an administrator's upload (issue 11)
    extract = generate(tmp_path / "finess", size=40, seed=3)
    content = extract.establishments_path.read_bytes()
    response = post_file(client, desk.campaign.id, "finess", "etalab-cs1100507.csv", content)
    assert response.status_code == 302
    backends.work(app, burst=True)
    upload = upload_row(app)
    assert upload.status == "previewed", upload.preview
    assert upload.detected_format == "finess_csv"
    assert upload.preview is not None
    counts = dict(upload.preview["counts"])
    assert counts["Établissements lus"] == len(extract.establishments)
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Establishment))
    client.post(f"/console/campagnes/{desk.campaign.id}/fichiers/{upload.id}/confirmer")
    backends.work(app, burst=True)
    upload = upload_row(app)
    assert upload.status == "loaded", upload.outcome
    assert upload.outcome is not None
    assert dict(upload.outcome["counts"])["Créés"] == len(extract.establishments)
    with app.app_context():
        after = db.session.scalar(select(func.count()).select_from(Establishment))
    assert after == (before or 0) + len(extract.establishments)


def test_a_file_not_imported_can_be_dropped(
    client: CsrfClient, db_session: Session, desk: Desk, app: Flask
) -> None:
    login(client, desk.owner)
    post_file(client, desk.campaign.id, "declarations", "brouillon.xlsx", real_xlsx())
    upload = db_session.scalar(select(Upload))
    assert upload is not None
    stored = Path(app.config["UPLOAD_FOLDER"]) / upload.stored_name
    assert stored.is_file()
    upload.status = "previewed"
    db_session.flush()
    url = f"/console/campagnes/{desk.campaign.id}/fichiers/{upload.id}/abandonner"
    assert client.post(url).status_code == 302
    assert upload.status == "discarded"
    assert not stored.exists()


def test_the_preview_warns_about_rows_outside_the_campaign_and_embarked_essms(
    committed: Committed,
) -> None:
    app, client, desk = committed.app, committed.client, committed.desk
    with app.app_context():
        outside = make_establishment(
            db.session, make_organisation(db.session, name="OG MORBIHAN"), department="56"
        ).finess_et
        embarked = committed.new_finess[0]
        db.session.add(Embarkation(finess_et=embarked, scheme="esms_numerique"))
        db.session.commit()
    lines = ["finess_et;editeur;statut_dui"]
    lines += [f"{finess};Alpha Santé;référencé Ségur" for finess in (outside, embarked)]
    content = ("\n".join(lines) + "\n").encode("utf-8")
    post_file(client, desk.campaign.id, "declarations", "déclarations.csv", content)
    backends.work(app, burst=True)
    upload = upload_row(app)
    assert upload.preview is not None
    counts = dict(upload.preview["counts"])
    assert counts["Hors des départements de la campagne"] == 1
    assert counts["ESSMS déjà embarqués"] == 1
    warnings = {e["ligne"]: e for e in upload.preview["errors"] if e["gravite"] == "avertissement"}
    assert "Ille-et-Vilaine (35)" in warnings["2"]["attendu"]
    assert "Morbihan (56)" in warnings["2"]["trouve"]
    assert "déjà embarqué" in warnings["3"]["indication"]


def test_the_default_file_type_is_declarations(committed: Committed) -> None:
    page = committed.client.get(f"/console/campagnes/{committed.desk.campaign.id}")
    text = page.get_data(as_text=True)
    assert '<option selected value="declarations">' in text
