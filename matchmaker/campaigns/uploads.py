"""Files uploaded to a campaign: size-checked, recognised by their content, stored under
``UPLOAD_FOLDER`` with a generated name, previewed by a dry-run job, then imported.

A file is never trusted by its name or extension: declarations and embarkation lists must
be CSV text or an XLSX workbook (a zip holding ``xl/workbook.xml``), a FINESS extract must
start with ``finess;etalab;`` (or be the FINESS+ JSON flow, gzipped or not). Anything else
is refused before it reaches an importer, and the stored file is removed.
"""

from __future__ import annotations

import gzip
import hashlib
import uuid
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.audit.services import record
from matchmaker.campaigns.services import CampaignError, Forbidden, check_manage
from matchmaker.jobs import services as jobs
from matchmaker.models import Campaign, Job, Role, Upload, User
from matchmaker.models.uploads import ADMIN_UPLOAD_KINDS, UPLOAD_KINDS
from matchmaker.vocabulary import CampaignStatus, JobStatus, UploadKind, UploadStatus

#: Bytes read to recognise a file.
SNIFF_BYTES = 4096
CHUNK = 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


#: Statuses of an upload whose job has not ended.
ACTIVE_STATUSES = (UploadStatus.PREVIEWING, UploadStatus.LOADING)
#: Statuses of an upload that may be relaunched (checked again, or imported again).
RELAUNCHABLE_STATUSES = (UploadStatus.REFUSED, UploadStatus.FAILED)


class UploadRefused(CampaignError):
    """The file is refused before any import (size, type, content)."""


def may_upload_kind(user: User, kind: str) -> bool:
    """FINESS is the national register: only an administrator imports it (console or CLI);
    a collectif's files (declarations, embarked ESSMS) feed its own campaign."""
    return kind not in ADMIN_UPLOAD_KINDS or user.role == Role.ADMIN


def check_upload_kind(user: User, kind: str) -> None:
    if not may_upload_kind(user, kind):
        raise Forbidden(
            "L'extraction FINESS est le répertoire national : seul un administrateur l'importe."
        )


def campaign_uploads(session: Session, campaign: Campaign) -> list[Upload]:
    """The campaign's uploaded files, newest first."""
    return list(
        session.scalars(
            select(Upload).where(Upload.campaign_id == campaign.id).order_by(Upload.id.desc())
        )
    )


def upload_path(config: Mapping[str, Any], upload: Upload) -> Path:
    """Where an upload's file is stored."""
    return Path(config["UPLOAD_FOLDER"]) / upload.stored_name


def store_upload(
    session: Session,
    user: User,
    campaign: Campaign,
    kind: str,
    stream: IO[bytes],
    original_name: str,
    config: Mapping[str, Any],
) -> Upload:
    """Store an uploaded file and queue its dry-run preview (job ``campaign.preview_upload``).

    Raises :class:`UploadRefused` (nothing kept) for an unknown kind, an empty or oversized
    file, or content that is not what ``kind`` expects.
    """
    check_manage(session, user, campaign)
    if kind not in UPLOAD_KINDS:
        raise UploadRefused(f"Type de fichier inconnu : « {kind} ».")
    check_upload_kind(user, kind)
    if campaign.status == CampaignStatus.ARCHIVED:
        raise UploadRefused("La campagne est clôturée : plus d'import possible.")
    folder = Path(config["UPLOAD_FOLDER"]) / f"campagne-{campaign.id}"
    folder.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    partial = folder / f"{token}.part"
    try:
        size, digest, head = _copy(stream, partial, int(config["MAX_CONTENT_LENGTH"]))
        detected = sniff(kind, head, partial, config)
    except UploadRefused:
        partial.unlink(missing_ok=True)
        raise
    final = partial.with_suffix(f".{_EXTENSIONS[detected]}")
    partial.rename(final)
    upload = Upload(
        campaign_id=campaign.id,
        kind=kind,
        original_name=_display_name(original_name),
        stored_name=f"{folder.name}/{final.name}",
        size_bytes=size,
        sha256=digest,
        detected_format=detected,
        status=UploadStatus.PREVIEWING,
        created_by_user_id=user.id,
    )
    session.add(upload)
    session.flush()
    job = jobs.enqueue(
        session,
        "campaign.preview_upload",
        {"upload_id": upload.id},
        user,
        campaign_id=campaign.id,
    )
    upload.preview_job_id = job.id
    record(
        session,
        user,
        "upload.received",
        object_type="upload",
        object_id=upload.id,
        campaign_id=campaign.id,
        kind=kind,
        file=upload.original_name,
        size=size,
        format=detected,
    )
    return upload


def confirm_upload(session: Session, user: User, upload: Upload, campaign: Campaign) -> Upload:
    """Import a previewed file for real (job ``campaign.load_upload``)."""
    check_manage(session, user, campaign)
    check_upload_kind(user, upload.kind)
    if upload.status != UploadStatus.PREVIEWED:
        raise CampaignError(f"Ce fichier ne peut pas être importé (état : {upload.status_label}).")
    job = jobs.enqueue(
        session, "campaign.load_upload", {"upload_id": upload.id}, user, campaign_id=campaign.id
    )
    upload.status = UploadStatus.LOADING
    upload.load_job_id = job.id
    session.flush()
    record(
        session,
        user,
        "upload.confirmed",
        object_type="upload",
        object_id=upload.id,
        campaign_id=campaign.id,
        kind=upload.kind,
        file=upload.original_name,
    )
    return upload


def end_upload(upload: Upload, status: str, reason: str) -> bool:
    """An upload whose job ended without finishing (``status``: ``failed`` or
    ``cancelled``, with the French ``reason``) reaches a final state: a cancelled check is
    dropped, a failed one refused, an interrupted import failed. False when it had
    ended already."""
    if upload.status not in ACTIVE_STATUSES:
        return False
    report = {"refused": reason, "counts": []}
    if upload.status == UploadStatus.LOADING:
        upload.status, upload.outcome = UploadStatus.FAILED, report
    else:
        upload.status = (
            UploadStatus.DISCARDED if status == JobStatus.CANCELLED else UploadStatus.REFUSED
        )
        upload.preview = report
    return True


def upload_job(session: Session, upload: Upload) -> Job | None:
    """The upload's latest job: its import once confirmed, else its check."""
    job_id = (
        upload.load_job_id
        if upload.status in (UploadStatus.LOADING, UploadStatus.LOADED, UploadStatus.FAILED)
        else None
    )
    job_id = job_id or upload.preview_job_id
    return session.get(Job, job_id) if job_id else None


def settle_upload(session: Session, upload: Upload) -> Upload:
    """An upload shown « en cours » whose job has ended follows its job (flushed)."""
    job = upload_job(session, upload)
    if upload.status not in ACTIVE_STATUSES or job is None or not job.is_finished:
        return upload
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        end_upload(upload, job.status, job.error or job.message or "Échec de la tâche.")
    else:
        end_upload(
            upload, JobStatus.FAILED, "La tâche s'est arrêtée sans enregistrer son résultat."
        )
    session.flush()
    return upload


def relaunch_upload(
    session: Session, user: User, upload: Upload, campaign: Campaign, config: Mapping[str, Any]
) -> Upload:
    """Run again the job of a refused file (its check) or of a failed import (the import,
    checked first by the job itself)."""
    check_manage(session, user, campaign)
    check_upload_kind(user, upload.kind)
    settle_upload(session, upload)
    if upload.status not in RELAUNCHABLE_STATUSES:
        raise CampaignError(f"Ce fichier ne peut pas être relancé (état : {upload.status_label}).")
    if campaign.status == CampaignStatus.ARCHIVED:
        raise CampaignError("La campagne est clôturée : plus d'import possible.")
    if not upload_path(config, upload).is_file():
        raise CampaignError("Le fichier déposé n'est plus disponible : déposez-le à nouveau.")
    importing = upload.status == UploadStatus.FAILED
    kind = "campaign.load_upload" if importing else "campaign.preview_upload"
    job = jobs.enqueue(session, kind, {"upload_id": upload.id}, user, campaign_id=campaign.id)
    if importing:
        upload.status, upload.load_job_id, upload.outcome = UploadStatus.LOADING, job.id, None
    else:
        upload.status, upload.preview_job_id, upload.preview = UploadStatus.PREVIEWING, job.id, None
    session.flush()
    record(
        session,
        user,
        "upload.relaunched",
        object_type="upload",
        object_id=upload.id,
        campaign_id=campaign.id,
        kind=upload.kind,
        file=upload.original_name,
        job=job.id,
    )
    return upload


def discard_upload(
    session: Session, user: User, upload: Upload, campaign: Campaign, config: Mapping[str, Any]
) -> None:
    """Drop a file that was not imported (its stored copy is removed)."""
    check_manage(session, user, campaign)
    settle_upload(session, upload)
    if upload.status in (UploadStatus.LOADING, UploadStatus.LOADED):
        raise CampaignError("Ce fichier est importé ou en cours d'import.")
    upload.status = UploadStatus.DISCARDED
    upload_path(config, upload).unlink(missing_ok=True)
    session.flush()
    record(
        session,
        user,
        "upload.discarded",
        object_type="upload",
        object_id=upload.id,
        campaign_id=campaign.id,
        file=upload.original_name,
    )


# --- recognising the content ---------------------------------------------------------------

_EXTENSIONS = {
    "csv": "csv",
    "xlsx": "xlsx",
    "finess_csv": "csv",
    "finess_json": "json",
    "finess_gzip": "gz",
}


def sniff(kind: str, head: bytes, path: Path, config: Mapping[str, Any]) -> str:
    """The format of the stored file at ``path`` for an upload of ``kind``; raises
    :class:`UploadRefused` when the content is not acceptable."""
    if kind == UploadKind.FINESS:
        return _sniff_finess(head, path)
    if head.startswith(_ZIP_MAGIC):
        _check_workbook(path, int(config["UPLOAD_MAX_UNZIPPED_BYTES"]))
        return "xlsx"
    if _is_text(head):
        return "csv"
    raise UploadRefused(
        "Fichier refusé : ce n'est ni un CSV (texte) ni un classeur Excel .xlsx. "
        "Enregistrez-le au format CSV ou .xlsx puis recommencez."
    )


def _sniff_finess(head: bytes, path: Path) -> str:
    if head.startswith(_GZIP_MAGIC):
        try:
            with gzip.open(path, "rb") as handle:
                inner = handle.read(SNIFF_BYTES)
        except (OSError, EOFError) as error:
            raise UploadRefused(f"Archive gzip illisible : {error}") from error
        _finess_text_format(inner)
        return "finess_gzip"
    return _finess_text_format(head)


def _finess_text_format(head: bytes) -> str:
    text = head.removeprefix(_UTF8_BOM).lstrip()
    if text.lower().startswith(b"finess;etalab;"):
        return "finess_csv"
    if text.startswith(b"{"):
        return "finess_json"
    raise UploadRefused(
        "Ce fichier n'est pas une extraction FINESS : sa première ligne devrait commencer "
        "par « finess;etalab; » (fichier publié sur data.gouv.fr)."
    )


def _is_text(head: bytes) -> bool:
    if head.startswith(_UTF16_BOMS):
        return True
    if b"\x00" in head:
        return False
    sample = head.removeprefix(_UTF8_BOM)
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 4:  # not just a character cut by the sniff window
            try:
                sample.decode("cp1252")
            except UnicodeDecodeError:
                return False
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 13))
    return controls == 0


def _check_workbook(path: Path, max_unzipped: int) -> None:
    """A real XLSX (a zip with ``xl/workbook.xml``) of reasonable unzipped size."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise UploadRefused(f"Classeur Excel illisible : {error}") from error
    if "xl/workbook.xml" not in names:
        raise UploadRefused("Fichier refusé : cette archive zip n'est pas un classeur Excel .xlsx.")
    if unzipped > max_unzipped:
        raise UploadRefused(
            f"Fichier refusé : le classeur décompressé dépasse {max_unzipped // (1024 * 1024)} Mo."
        )


def _copy(stream: IO[bytes], target: Path, limit: int) -> tuple[int, str, bytes]:
    digest = hashlib.sha256()
    size = 0
    head = b""
    with target.open("wb") as handle:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise UploadRefused(
                    f"Fichier trop volumineux : au plus {limit // (1024 * 1024)} Mo."
                )
            if len(head) < SNIFF_BYTES:
                head += chunk[: SNIFF_BYTES - len(head)]
            digest.update(chunk)
            handle.write(chunk)
    if size == 0:
        raise UploadRefused("Le fichier est vide.")
    return size, digest.hexdigest(), head


def _display_name(name: str) -> str:
    """The client's file name, only ever shown: path parts and control characters dropped."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(char for char in base if char.isprintable()).strip()
    return (cleaned or "fichier")[:255]
