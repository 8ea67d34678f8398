"""Logs: one JSON object per line (``LOG_FORMAT=json``) or plain text, with request ids.

Every request gets an id: the ``X-Request-ID`` header set by the reverse proxy when it is
a sane token, otherwise a new one; it is echoed in the response's ``X-Request-ID``. A job
started by the request stores the id on its row, and the job's log lines carry it with the
job's number, so one ``grep`` follows a click through the web worker and the RQ worker.

While a job runs, its log lines are also kept (:class:`JobLog`) and written on its row,
where the console shows them (``/jobs/<id>/journal``): the lines only, never a traceback
(whose SQL and parameters may hold personal data).

An unexpected error is logged once with its traceback under a reference (``E-7K3F2``,
:func:`report_unexpected`); pages, e-mails and stored messages show only the reference
(:func:`public_error`), so that an operator greps the log for what the user quotes.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar, Token
from typing import IO

from flask import Flask, Response, g, request

from importers.errors import ImportRefused
from matchmaker.domain_errors import DomainError, new_reference, unexpected_message

#: The request id of the request or job this code runs for.
request_id_var: ContextVar[str | None] = ContextVar("grappes_request_id", default=None)
#: The job this code runs for.
job_id_var: ContextVar[int | None] = ContextVar("grappes_job_id", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
#: Ids accepted from the proxy: a token short enough for a log line, no spaces or quotes.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,64}$")
#: Marks the root handler this module installed (replaced, never stacked, by a new app).
_HANDLER_FLAG = "grappes_handler"
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s job=%(job_id)s] %(message)s"
JSON_FIELDS = "{asctime}{levelname}{name}{message}{request_id}{job_id}"
#: The attribute that keeps an exception's reference once it is logged (reported once).
REFERENCE_ATTRIBUTE = "grappes_reference"

logger = logging.getLogger(__name__)


def current_request_id() -> str | None:
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str:
    """The proxy's id when it is a sane token, else a new one."""
    if value and _SAFE_ID.match(value):
        return value
    return new_request_id()


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``job_id`` to every record (``-`` when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        if not hasattr(record, "job_id"):
            job_id = job_id_var.get()
            record.job_id = job_id if job_id is not None else "-"
        return True


def json_formatter() -> logging.Formatter:
    """python-json-logger's formatter: time, level, logger, message, request id, job."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        JSON_FIELDS,
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


def configure(log_format: str, level: str | int = "INFO", stream: IO[str] | None = None) -> None:
    """Install one stderr handler on the root logger, in ``log_format``."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT inconnu : « {log_format} » (valeurs possibles : text, json).")
    handler = logging.StreamHandler(stream or sys.stderr)
    setattr(handler, _HANDLER_FLAG, True)
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_FLAG, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else str(level).upper())


def report_unexpected(error: BaseException, where: str) -> str:
    """Log ``error`` with its traceback under a new reference, once (the same exception
    reported again keeps its first reference), and return the reference."""
    reference: str | None = getattr(error, REFERENCE_ATTRIBUTE, None)
    if reference is not None:
        return reference
    reference = new_reference()
    with suppress(AttributeError):  # an exception type with __slots__: reported each time
        setattr(error, REFERENCE_ATTRIBUTE, reference)
    logger.error(
        "Unexpected error %s (%s) in %s",
        reference,
        type(error).__name__,
        where,
        exc_info=(type(error), error, error.__traceback__),
        extra={"error_reference": reference},
    )
    return reference


def public_error(error: BaseException, where: str) -> str:
    """What a page, an e-mail or a stored job, upload or run may say about ``error``: the
    French message of a domain error (or of a refused file); for anything else, only
    « Une erreur est survenue. Référence : E-… », the traceback going to the log."""
    if isinstance(error, DomainError):
        return str(error)
    if isinstance(error, ImportRefused):
        return error.message
    return unexpected_message(report_unexpected(error, where))


def init_app(app: Flask) -> None:
    """Request ids on every request; the log handler outside tests."""
    if not app.testing:
        configure(str(app.config["LOG_FORMAT"]), app.config["LOG_LEVEL"])

    @app.before_request
    def assign_request_id() -> None:
        request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
        g.request_id = request_id
        g.request_id_token = request_id_var.set(request_id)

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response

    @app.teardown_request
    def forget_request_id(exc: BaseException | None) -> None:
        token: Token[str | None] | None = g.pop("request_id_token", None)
        if token is not None:
            try:
                request_id_var.reset(token)
            except ValueError:  # set in another context (test clients reuse threads)
                request_id_var.set(None)


class _LineFormatter(logging.Formatter):
    """The record's line, with the class of its exception but never the traceback (and
    without caching one on the record for the other handlers)."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        if record.exc_info and record.exc_info[0] is not None:
            line += f" [{record.exc_info[0].__name__}]"
        return line


class JobLog(logging.Handler):
    """Keeps the log lines of one job (records emitted while ``job_id_var`` is its id),
    the last ``max_chars`` of them, for its row."""

    def __init__(self, job_id: int, max_chars: int) -> None:
        super().__init__(level=logging.INFO)
        self.job_id = job_id
        self.max_chars = max_chars
        self._lines: list[str] = []
        self._size = 0
        self._dirty = False
        self._lock_lines = threading.Lock()
        self.setFormatter(_LineFormatter("%(asctime)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if job_id_var.get() != self.job_id:
            return
        try:
            line = self.format(record)
        except Exception:  # a broken record must not break the job
            self.handleError(record)
            return
        with self._lock_lines:
            self._lines.append(line)
            self._size += len(line) + 1
            while self._size > self.max_chars and len(self._lines) > 1:
                self._size -= len(self._lines.pop(0)) + 1
            self._dirty = True

    def text(self) -> str:
        with self._lock_lines:
            self._dirty = False
            return "\n".join(self._lines)[-self.max_chars :]

    def changed(self) -> bool:
        return self._dirty


@contextmanager
def job_logging(job_id: int, request_id: str | None, max_chars: int) -> Iterator[JobLog]:
    """Inside: log records carry the job's number and its request's id, and are kept in a
    :class:`JobLog` attached to the root logger."""
    log = JobLog(job_id, max_chars)
    request_token = request_id_var.set(request_id)
    job_token = job_id_var.set(job_id)
    logging.getLogger().addHandler(log)
    ours = logging.getLogger("matchmaker")
    if ours.level == logging.NOTSET and ours.getEffectiveLevel() > logging.INFO:
        # The job's log keeps our INFO lines even when the root logger is quieter.
        ours.setLevel(logging.INFO)
    try:
        yield log
    finally:
        logging.getLogger().removeHandler(log)
        job_id_var.reset(job_token)
        request_id_var.reset(request_token)
