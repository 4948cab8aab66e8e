"""Running the newsletter for real: `newsletter serve`'s supervisor (supervisor.py: its
children, one log stream, restarts with backoff, an ordered stop) and the parts it starts
(parts.py: the web app, the flows' runner, a local Prefect server); what `/healthz` checks
and how it rates them (health.py); Prefect's REST API as those checks ask it (prefect_api.py,
over httpx: the library never imports Prefect)."""
