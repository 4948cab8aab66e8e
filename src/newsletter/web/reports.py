"""The engagement report page, for whoever holds its link: GET /reports/{token}.

The link is signed for one issue with its time (purpose "report"; services/report.link
makes it, for the issue-report flow and `newsletter report`) and works
NEWSLETTER_REPORT_LINK_DAYS; it shows counts only, never a subscriber. The page draws its
charts with inline script: the only page of ours with any, under its own policy.
"""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from newsletter.app import report_key
from newsletter.errors import IssueError, TokenError
from newsletter.services import report as reporting
from newsletter.tokens import Purpose, read_token
from newsletter.web.base import deps, error_page
from newsletter.web.security import NO_STORE

REPORT_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


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
    body = reporting.page_html(d.app, found)
    headers = {"Content-Security-Policy": REPORT_CSP, "Cache-Control": NO_STORE}
    return HTMLResponse(body, headers={**headers, "X-Robots-Tag": "noindex"})


def _missing(request: Request) -> Response:
    return error_page(
        request,
        404,
        "No such report",
        "This report link is not valid, or has expired: `newsletter report` prints a fresh one.",
    )
