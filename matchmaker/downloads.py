"""Files the site sends to be saved: one response shape for every CSV and XLSX export.

Exports hold personal data (contacts' names and e-mail addresses), so no browser or proxy
cache may keep a copy (``Cache-Control: no-store``), whichever blueprint sends them.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from flask import Response

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(data: bytes | Iterable[bytes], filename: str, mimetype: str) -> Response:
    """A file to save: ``data`` is the whole file, or its pieces for a streamed response."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def content_disposition(filename: str) -> str:
    """``attachment; filename="…"``, with the RFC 6266 UTF-8 form when the name is not ASCII
    (a campaign's name may carry accents)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    if ascii_name == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
