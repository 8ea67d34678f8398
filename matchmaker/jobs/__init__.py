"""Background jobs: imports and solver runs never run inside a web request.

Define a job with ``@job("kind")`` (:mod:`.registry`), start it with
``services.enqueue(session, kind, params, user)``; it runs once the transaction commits, in
the app's threads, in ``grappes worker`` or in an RQ worker (:mod:`.backends`), always
through :func:`.runner.execute`, and reports through its :class:`JobContext`.
"""

from matchmaker.jobs.context import JobCancelled, JobContext, JobError
from matchmaker.jobs.registry import UnknownJobKind, job

__all__ = ["JobCancelled", "JobContext", "JobError", "UnknownJobKind", "job"]
