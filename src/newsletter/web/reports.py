"""The engagement report page, for whoever holds its link: GET /reports/{token}, and the
chart library it loads: GET /static/plotly-<version>.min.js.

The link is signed for one issue with its time (purpose "report"; services/report.link
makes it, for the issue-report flow and `newsletter report`) and works
NEWSLETTER_REPORT_LINK_DAYS; it shows counts only, never a subscriber. The page draws its
charts with plotly.js, served here once under a versioned name that a browser keeps for a
year (4.8 MB, not inlined in every page), and a small inline script per chart: the only
page of ours with any script, under its own policy, which allows that file and exactly those
inline scripts (by their hashes).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from newsletter.app import report_key
from newsletter.engagement.page import CHART_LIBRARY, chart_library
from newsletter.errors import IssueError, TokenError
from newsletter.services import report as reporting
from newsletter.tokens import Purpose, read_token
from newsletter.web.base import deps, error_page
from newsletter.web.security import NO_STORE

LIBRARY_PATH = f"/static/{CHART_LIBRARY}"
REPORT_CSP = (
    "default-src 'none'; script-src 'self'{hashes}; style-src 'unsafe-inline'; "
    "img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
# A year: the name changes with plotly's version, so a kept copy is never stale.
IMMUTABLE = "public, max-age=31536000, immutable"
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


async def report_page(request: Request) -> Response:
    """GET /reports/{token}: the issue's report as of now."""
    d, token = deps(request), request.path_params["token"]
    max_age = dt.timedelta(days=d.settings.report_link_days)
    try:  # a link made before links had a time, or with a key since replaced, is no link
        key = report_key(d.settings) or d.sender.secret
        number = read_token(token, key, Purpose.REPORT, max_age=max_age, now=d.clock())
    except TokenError:
        return _missing(request)
    try:
        found = await run_in_threadpool(reporting.report, d.app, number)
    except IssueError:
        return _missing(request)
    # relative: /reports/<token> → /static/…, under whatever prefix a proxy mounts us at
    body = reporting.page_html(d.app, found, library=f"..{LIBRARY_PATH}")
    headers = {"Content-Security-Policy": report_csp(body), "Cache-Control": NO_STORE}
    return HTMLResponse(body, headers={**headers, "X-Robots-Tag": "noindex"})


def report_csp(page: str) -> str:
    """The page's policy: scripts from our own origin, and the inline ones it holds, by hash."""
    digests = {hashlib.sha256(script.encode()).digest() for script in _INLINE_SCRIPT.findall(page)}
    hashes = "".join(sorted(f" 'sha256-{base64.b64encode(d).decode()}'" for d in digests))
    return REPORT_CSP.format(hashes=hashes)


def chart_library_route() -> Route:
    """plotly.js for the report page, kept by browsers and proxies for a year."""
    body = chart_library()

    async def library(request: Request) -> Response:
        headers = {"Cache-Control": IMMUTABLE}
        return Response(body, media_type="text/javascript", headers=headers)

    return Route(LIBRARY_PATH, library, methods=["GET"])


def _missing(request: Request) -> Response:
    return error_page(
        request,
        404,
        "No such report",
        "This report link is not valid, or has expired: `newsletter report` prints a fresh one.",
    )
