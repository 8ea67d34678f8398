"""gunicorn settings for Grappes (docs/deploy.md). Every value can be overridden on the
command line or by ``GUNICORN_*`` variables read below.

Start: ``gunicorn -c deploy/gunicorn.conf.py 'matchmaker:create_app()'``
"""

import multiprocessing
import os

#: Behind the reverse proxy, on the loopback (the proxy terminates HTTPS).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: Pages are database-bound: two per core, plus one. Solver runs and imports never run in
#: a web worker (they are RQ jobs), so no request needs more than a few seconds.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))
#: One request at a time per worker, as with sync workers, but served from a thread of the
#: worker's pool: with sync workers, a worker was killed by a segmentation fault about once
#: per round of all pages on national data (a use-after-free reference count in native code,
#: triggered only while the job sweep's thread shares the interpreter; cause not found, see
#: bench/results/site-2026-12-03-wave4.md); with gthread, none in 25 rounds, nor in the bench.
worker_class = "gthread"
threads = 1
#: A request still running after this is killed (large exports stream well within it).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
#: Recycle workers now and then (memory of large exports); jitter avoids restarting all.
max_requests = 2000
max_requests_jitter = 200
#: The proxy's address: only it may set X-Forwarded-* (ProxyFix trusts GRAPPES_PROXY_FIX_HOPS).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
#: Logs on stderr, collected by journald; the access log carries the request id.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s "%(a)s"'


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Each worker, once the app is loaded and before its first request, imports the
    pages' heavy libraries and compiles the templates (``matchmaker.ops.warmup``): no
    visitor waits for them."""
    from matchmaker.ops.warmup import warm

    warm(worker.wsgi)
