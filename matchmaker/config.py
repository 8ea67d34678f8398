"""Configuration: documented settings with defaults, overridden by the environment.

Every setting is a (name, default, help) triple, as in Datasette's SETTINGS: the README's
configuration table is generated from this list and a test fails if one is undocumented.
Programme rules (grappe sizes, small-OG threshold) are settings too, with the values of
DOMAIN.md as defaults; the funding scale lives in ``matchmaker/funding/scales.toml``.

Sources, in increasing priority: the defaults below, ``GRAPPES_<NAME>`` environment
variables (values parsed as JSON when they parse, as Flask's ``from_prefixed_env`` does),
the conventional unprefixed ``DATABASE_URL``, ``SECRET_KEY`` and ``REDIS_URL``, and finally
the mapping given to ``create_app`` (tests).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matchmaker.funding.scales import Scale


@dataclass(frozen=True)
class Setting:
    """One documented setting."""

    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL of the database; default: a SQLite file `grappes.sqlite3` in the "
        "instance folder. Production: `postgresql+psycopg://user@host/db`.",
    ),
    Setting(
        "SECRET_KEY",
        None,
        "Signs sessions and CSRF tokens. Required outside debug and testing: the app "
        "refuses to start without it.",
    ),
    Setting(
        "REDIS_URL",
        None,
        "Redis URL for background jobs with RQ (production). Without it, jobs run in a "
        "worker thread of the app (embedded default).",
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        None,
        "Send the session cookie over HTTPS only. Default: on, except in debug and testing "
        "(the demo script sets it off to serve over plain http on localhost).",
    ),
    Setting(
        "SQLITE_BUSY_TIMEOUT_S",
        30,
        "SQLite only (the embedded default): how long a write waits for another one to "
        "finish (WAL journal, busy timeout) before failing with « database is locked ».",
    ),
    Setting("MAX_CONTENT_LENGTH", 64 * 1024 * 1024, "Largest accepted upload, in bytes."),
    Setting(
        "UPLOAD_FOLDER",
        None,
        "Where uploaded files are stored (outside the web root); default: `uploads/` in "
        "the instance folder.",
    ),
    Setting(
        "FIGURES_CACHE_FOLDER",
        None,
        "Where the site's processes share the figures they compute once per change of the "
        "data (ARS desk, home page), signed with `SECRET_KEY`; default: `figures-cache/` in "
        "the instance folder; `off` keeps them per process only.",
    ),
    Setting(
        "FUNDING_SCALE_FILE",
        None,
        "The programme's scale file (TOML, one section per yearly instruction); default: "
        "`matchmaker/funding/scales.toml`. The grappe and small-OG rules below default to "
        "its values.",
    ),
    Setting(
        "FUNDING_INSTRUCTION",
        None,
        "The instruction of the scale file to apply; default: the file's `default_instruction`.",
    ),
    Setting(
        "GRAPPE_MIN_SIZE",
        None,
        "Minimum number of ESSMS in a grappe (mainland France); default from the scale file: 15.",
    ),
    Setting(
        "GRAPPE_MIN_SIZE_REDUCED",
        None,
        "Minimum number of ESSMS in a grappe in Corsica and overseas; default from the scale "
        "file: 8.",
    ),
    Setting(
        "GRAPPE_MAX_SIZE",
        None,
        "Maximum grappe size proposed by the solver; default: one less than the scale's "
        "reduced-funding rank (49, the regional funding threshold).",
    ),
    Setting(
        "REDUCED_MINIMUM_DEPARTMENTS",
        None,
        "Departments (INSEE codes) where the reduced minimum applies; default from the scale "
        "file: Corsica and overseas.",
    ),
    Setting(
        "SMALL_OG_THRESHOLD",
        None,
        "An OG running fewer ESSMS than this is a small OG; default from the scale file: 15 "
        '(16 when the file says "at most 15").',
    ),
    Setting(
        "SMALL_OG_THRESHOLD_REDUCED",
        None,
        "Small-OG threshold in Corsica and overseas, same rule; default from the scale file: 8.",
    ),
    Setting(
        "EDITOR_MATCH_AUTO",
        0.80,
        "Editor-name matching: a raw name scoring at least this (cosine similarity of "
        "character n-grams) is matched automatically.",
    ),
    Setting(
        "EDITOR_MATCH_REVIEW",
        0.45,
        "Editor-name matching: between this and the automatic threshold, the match is "
        "proposed for review; below, the name stays unmatched.",
    ),
    Setting(
        "EDITOR_MATCH_MARGIN",
        0.12,
        "Editor-name matching: the best editor must lead the next one by this much to be "
        "matched automatically.",
    ),
    Setting(
        "SOLVER_TIME_LIMIT_S",
        0,
        "Overall wall-time limit of a solver run, in seconds; 0 = follows the size of the run "
        "(5 s + 8 s per thousand ESSMS, at most 280 s).",
    ),
    Setting(
        "SOLVER_WORKERS",
        0,
        "Solver sub-problems solved in parallel (processes); 0 uses the machine's cores. "
        "With 1 and a fixed seed, runs are reproducible.",
    ),
    Setting("SOLVER_SEED", 0, "Random seed of the solver (reproducible runs)."),
    Setting(
        "RATELIMIT_LOGIN",
        "10 per minute",
        "Rate limit on login attempts per client address.",
    ),
    Setting(
        "RATELIMIT_SIGNUP",
        "5 per hour",
        "Rate limit on sign-ups per client address (each one sends a mail).",
    ),
    Setting(
        "RATELIMIT_MAIL",
        "5 per hour",
        "Rate limit on password-reset and confirmation-resend requests per client address.",
    ),
    Setting(
        "MAIL_SERVER",
        None,
        "SMTP server for outgoing e-mail; without it, mails are written to the outbox "
        "table that administrators read.",
    ),
    Setting("MAIL_FROM", "grappes@localhost", "Sender address of outgoing e-mail."),
    Setting(
        "ACCESSIBILITY_CONTACT",
        None,
        "E-mail address published on the accessibility statement for users who cannot "
        "reach content or a service; default: the sender address of outgoing e-mail.",
    ),
    Setting("MAIL_PORT", 587, "Port of the SMTP server."),
    Setting("MAIL_USE_TLS", True, "Use STARTTLS with the SMTP server."),
    Setting("MAIL_USERNAME", None, "SMTP login, when the server requires one."),
    Setting("MAIL_PASSWORD", None, "SMTP password, when the server requires one."),
    Setting(
        "EMAIL_CONFIRM_MAX_AGE_S",
        3 * 24 * 3600,
        "How long an e-mail confirmation link stays valid, in seconds.",
    ),
    Setting(
        "PASSWORD_RESET_MAX_AGE_S",
        2 * 3600,
        "How long a password reset link stays valid, in seconds.",
    ),
    Setting(
        "PASSWORD_MIN_LENGTH",
        10,
        "Minimum length of a password chosen on the site.",
    ),
    Setting("SEARCH_PAGE_SIZE", 25, "Establishments per page of the public search."),
    Setting(
        "NEIGHBOUR_RADIUS_KM",
        50,
        "Default radius of the neighbour search around an ESSMS, in km.",
    ),
    Setting(
        "NEIGHBOUR_MAX_RADIUS_KM",
        300,
        "Largest radius a user may choose for the neighbour search, in km.",
    ),
    Setting(
        "MAP_CLUSTER_THRESHOLD",
        300,
        "Maps with more markers than this group them in clusters where they are dense "
        "(Leaflet.markercluster, in the browser).",
    ),
    Setting(
        "MAP_TILES_URL",
        None,
        "Tile server of an optional background layer, as a Leaflet URL template (e.g. "
        "`https://tile.openstreetmap.org/{z}/{x}/{y}.png`). Default: none, the maps draw "
        "only the department and region outlines the service ships (works offline).",
    ),
    Setting(
        "MAP_TILES_ATTRIBUTION",
        None,
        "Attribution shown on the maps for the tile layer of `MAP_TILES_URL` (HTML "
        "allowed, e.g. `&copy; OpenStreetMap`).",
    ),
    Setting(
        "MAP_SUMMARY_THRESHOLD",
        5000,
        "A console run map or an ARS non-embarked map with more located ESSMS than this "
        "(after its filters) opens on a summary per department and loads a department's "
        "ESSMS, or the viewport's once zoomed in, on demand.",
    ),
    Setting(
        "JOB_BACKEND",
        None,
        "Where background jobs run: `thread` (worker threads of the site), `worker` (jobs "
        "wait for `grappes worker`) or `rq` (Redis queue). Default: `rq` when `REDIS_URL` "
        "is set, `thread` otherwise.",
    ),
    Setting("JOB_THREADS", 2, "Worker threads of the site's embedded job runner."),
    Setting(
        "JOB_HEARTBEAT_S",
        15,
        "A running job records a sign of life this often, in seconds.",
    ),
    Setting(
        "JOB_STALE_AFTER_S",
        30,
        "A running job without sign of life for this long, in seconds (twice the heartbeat), "
        "was interrupted: the sweep of any worker or of the site's runner marks it failed.",
    ),
    Setting(
        "JOB_SWEEP_INTERVAL_S",
        10,
        "How often every worker and the site's embedded runner look for interrupted jobs "
        "and for cancellations not honoured, in seconds.",
    ),
    Setting(
        "JOB_CANCEL_GRACE_S",
        10,
        "A running job asked to stop that is still running this many seconds later is "
        "stopped by the sweep (RQ: its work horse is killed) and marked cancelled.",
    ),
    Setting(
        "JOB_POLL_INTERVAL_S",
        2,
        "How often `grappes worker` without Redis looks for queued jobs, in seconds.",
    ),
    Setting(
        "JOB_PROGRESS_INTERVAL_S",
        0.5,
        "Least time between two progress writes of a job with an unchanged message, in seconds.",
    ),
    Setting("JOB_RQ_QUEUE", "grappes", "Name of the RQ queue of background jobs."),
    Setting(
        "JOB_TIMEOUT_S",
        3 * 3600,
        "Longest run of one background job under RQ, in seconds.",
    ),
    Setting(
        "UPLOAD_MAX_UNZIPPED_BYTES",
        512 * 1024 * 1024,
        "Largest unzipped size of an uploaded XLSX workbook, in bytes (zip bombs are refused).",
    ),
    Setting(
        "ARS_OG_SIZE_BANDS",
        [1, 2, 5, 15],
        "The ARS desk's OG size bands, as the lower bound (ESSMS run by the OG) of each band, "
        "ascending: the default gives 1, 2–4, 5–14, 15 and more.",
    ),
    Setting(
        "ARS_ISOLATION_RADIUS_KM",
        30,
        "Radius of the ARS desk's isolation measure, in km: an ESSMS is isolated when fewer "
        "non-embarked ESSMS of its region than a grappe needs lie within it.",
    ),
    Setting(
        "ARS_SMALL_OG_FACTOR",
        2.0,
        "Multiplier of the ARS priority score for an ESSMS of a small OG (1 for the others).",
    ),
    Setting(
        "ARS_DEFAULT_CHAMP_WEIGHT",
        1,
        "Weight of a champ in the ARS priority score until the region's ARS sets it.",
    ),
    Setting(
        "ARS_CHAMP_WEIGHT_MAX",
        10,
        "Largest champ weight an ARS may set for its priority score.",
    ),
    Setting("ARS_PAGE_SIZE", 50, "Rows per page of the ARS desk's tables."),
    Setting(
        "UPLOAD_PREVIEW_MAX_ERRORS",
        5000,
        "Errors and warnings kept in the preview of an uploaded file (the counts stay exact).",
    ),
    Setting(
        "CONSOLE_MAP_CLUSTER_THRESHOLD",
        500,
        "Campaign maps of the console with more markers than this cluster them where they "
        "are dense (each grappe keeps its colour and its area).",
    ),
    Setting(
        "LOG_FORMAT",
        "text",
        "`text` (one readable line per record) or `json` (one JSON object per line: time, "
        "level, logger, message, request_id, job_id), on standard error.",
    ),
    Setting(
        "PROXY_FIX_HOPS",
        0,
        "Reverse proxies in front of the site (production: 1, e.g. nginx): the client's "
        "address, scheme and host are then read from their `X-Forwarded-*` headers "
        "(Werkzeug's ProxyFix). Leave 0 when the site is reached directly.",
    ),
    Setting("LOG_LEVEL", "INFO", "Least severe level of the records written to the log."),
    Setting(
        "JOB_LOG_MAX_CHARS",
        200_000,
        "A job's log kept on its row (shown in the console) keeps at most this many of the "
        "last characters.",
    ),
)

#: Setting names also read without the ``GRAPPES_`` prefix (conventional deployment names).
UNPREFIXED = ("DATABASE_URL", "SECRET_KEY", "REDIS_URL")


def defaults() -> dict[str, Any]:
    """The default value of every setting."""
    return {setting.name: setting.default for setting in SETTINGS}


def programme_defaults(scale_file: str | None, instruction: str | None) -> dict[str, Any]:
    """The grappe and small-OG settings as the scale file's instruction gives them."""
    from matchmaker.funding.scales import load_scale

    return programme_defaults_of(load_scale(scale_file, instruction))


def programme_defaults_of(scale: Scale) -> dict[str, Any]:
    """The grappe and small-OG settings as a scale file's instruction gives them."""
    from matchmaker.funding.scales import Comparison

    inclusive = 1 if scale.small_og.comparison is Comparison.AT_MOST else 0
    departments = sorted(scale.overseas_corsica_departments)
    return {
        "GRAPPE_MIN_SIZE": scale.grappe.min_essms,
        "GRAPPE_MIN_SIZE_REDUCED": scale.grappe.min_essms_overseas_corsica,
        "GRAPPE_MAX_SIZE": scale.threshold_rank - 1,
        "REDUCED_MINIMUM_DEPARTMENTS": departments,
        "SMALL_OG_THRESHOLD": scale.small_og.threshold + inclusive,
        "SMALL_OG_THRESHOLD_REDUCED": scale.small_og.threshold_overseas_corsica + inclusive,
    }


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The unprefixed conventional variables present in the environment."""
    environ = dict(os.environ if environ is None else environ)
    return {name: environ[name] for name in UNPREFIXED if environ.get(name)}


def markdown_table() -> str:
    """The README's configuration table."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        name = f"`GRAPPES_{setting.name}`"
        if setting.name in UNPREFIXED:
            name += f" or `{setting.name}`"
        default = "—" if setting.default is None else f"`{setting.default}`"
        lines.append(f"| {name} | {default} | {setting.help} |")
    return "\n".join(lines)
