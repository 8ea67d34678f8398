"""Running Grappes in production: readiness (``/sante``), structured logs and request ids.

``health`` answers the load balancer; ``logs`` carries a request id from the request that
starts a job into the job's own log lines, and keeps each job's log on its row.
"""
