"""GET /healthz: is the newsletter working, for a monitor (services/health.py checks it).

200 with `"status": "ok"` when every check passes, 503 otherwise (`degraded`, or `down` when
the store does not answer). The answer names no address, URL or secret. It is kept for a
few seconds, so that a flood of requests costs the store and Prefect's API one check.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from newsletter.ops.health import Status
from newsletter.services import health as checking
from newsletter.web.base import deps
from newsletter.web.security import NO_STORE

KEEP_SECONDS = 5.0


def health_route(keep: float | None = None, clock: Callable[[], float] = time.monotonic) -> Route:
    """The route, with its own short memory of the last answer (`keep` seconds, by default
    KEEP_SECONDS)."""
    keep = KEEP_SECONDS if keep is None else keep
    lock = asyncio.Lock()
    last: list[tuple[float, int, dict[str, Any]]] = []

    async def healthz(request: Request) -> Response:
        async with lock:  # one check at a time; the others wait and take its answer
            if not last or clock() - last[0][0] > keep:
                found = await run_in_threadpool(checking.health, deps(request).app)
                status = 200 if found.status is Status.OK else 503
                last[:] = [(clock(), status, found.to_json())]
            _, status, body = last[0]
        return JSONResponse(body, status, headers={"Cache-Control": NO_STORE})

    return Route("/healthz", healthz, methods=["GET"])
