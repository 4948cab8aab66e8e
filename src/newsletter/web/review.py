"""The editor's review page and the small JSON API it uses, under its signed link
`/review/{token}` (one issue, one editor: services/links.py); the draft's preview
`/preview/{token}`; and `/proof`, where a proof's unsubscribe link goes.

    GET  /review/{token}              the page: the issue as it will go out, the candidates
    GET  /review/{token}/draft.json   the draft: sections, candidates, status, version, csrf
    POST /review/{token}/edits        {"add", "remove", "move", "order", "note", "version"}
    POST /review/{token}/approve      {"version"}: approve what the editor saw
    POST /review/{token}/proof        a proof of the draft to this editor

Every change is a POST with JSON, an `X-CSRF-Token` header (the page's cookie, signed) and
our own `Origin`; a forged, expired or foreign link is a plain 404 whatever the path. The
work is services/review.py's, the same for the page, `newsletter review` and the dashboard.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from newsletter.domain.issue import IssueStatus
from newsletter.errors import (
    ConfigError,
    DraftError,
    IssueError,
    LockedDraftError,
    NewsletterError,
    StaleDraftError,
)
from newsletter.issue.edits import Edits
from newsletter.services import links
from newsletter.services import review as reviewing
from newsletter.services import send as sending
from newsletter.services.draft_view import DraftView
from newsletter.web.archive import web_view
from newsletter.web.base import Deps, deps, error_page, masked, page
from newsletter.web.security import ISSUE_CSP, NO_STORE, Csrf, read_body

REVIEW_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
# The draft as mailed, framed by the review page only; sandboxed even when opened alone.
PREVIEW_CSP = (
    ISSUE_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    + "; sandbox allow-popups allow-popups-to-escape-sandbox"
)
CSRF_HEADER = "x-csrf-token"
JSON_LIMIT = 64 * 1024  # a round of edits: a few hundred ids at most
_HEAD = "<head>"


async def review_page(request: Request) -> Response:
    """GET /review/{token}: the page, true to the store on every load."""
    found = await _opened(request)
    if found is None:
        return _missing(request)
    d, (number, editor) = deps(request), found
    draft = await run_in_threadpool(_view, d, number)
    if draft is None:
        return _missing(request)
    token = request.path_params["token"]
    context = {
        "d": draft,
        "editor": masked(editor),
        "link": f"{request.scope.get('root_path', '')}/review/{token}",
        "preview": _relative(links.preview_link(d.app, number), d),
        "state_line": state_line(draft, d.clock()),
    }
    return page(
        request,
        "review.html.j2",
        context,
        form=True,
        headers={"Content-Security-Policy": REVIEW_CSP, "X-Robots-Tag": "noindex"},
    )


async def draft_json(request: Request) -> Response:
    """GET /review/{token}/draft.json."""
    found = await _opened(request)
    if found is None:
        return _not_found()
    d = deps(request)
    draft = await run_in_threadpool(_view, d, found[0])
    if draft is None:
        return _not_found()
    cookie = request.cookies.get(Csrf.COOKIE) or Csrf.new_cookie()
    response = JSONResponse(draft.to_json(d.csrf.token_for(cookie)))
    if Csrf.COOKIE not in request.cookies:
        response.set_cookie(
            Csrf.COOKIE, cookie, httponly=True, samesite="strict", secure=d.csrf.secure, path="/"
        )
    return response


async def edits(request: Request) -> Response:
    """POST /review/{token}/edits: a round of edits; the draft as it is after them."""
    checked = await _change(request)
    if isinstance(checked, Response):
        return checked
    d, number, editor, body = checked
    seen = body.pop("version", None)
    if seen is not None and (not isinstance(seen, int) or isinstance(seen, bool)):
        return _error(400, "'version' must be the draft's version number")
    try:
        wanted, refused = Edits.from_json_leniently(body)
    except ConfigError as exc:
        return _error(400, str(exc))
    try:
        done = await run_in_threadpool(
            reviewing.edit, d.app, number, wanted, refused, seen=seen, editor=editor
        )
    except DraftError as exc:
        return await _conflict(d, number, exc, seen)
    answer = done.draft.to_json()
    answer |= {"applied": done.applied.to_json(), "refused": [r.to_json() for r in done.refused]}
    return JSONResponse(answer)


async def approve(request: Request) -> Response:
    """POST /review/{token}/approve {"version"}: that version, approved; a waiting run resumes."""
    checked = await _change(request)
    if isinstance(checked, Response):
        return checked
    d, number, editor, body = checked
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or set(body) - {"version"}:
        return _error(400, 'send {"version": N}: the version you looked at')
    try:
        done = await run_in_threadpool(
            reviewing.approve, d.app, number, version=version, editor=editor
        )
    except DraftError as exc:
        return await _conflict(d, number, exc, version)
    return JSONResponse(
        {
            "status": done.draft.status.value,
            "version": done.draft.version,
            "resumed": done.resumed,
            "message": done.message,
        }
    )


async def proof(request: Request) -> Response:
    """POST /review/{token}/proof: the draft as a proof, to this editor."""
    checked = await _change(request)
    if isinstance(checked, Response):
        return checked
    d, number, editor, _ = checked
    try:
        await run_in_threadpool(sending.send_proof, d.app, number, [editor], d.mailer.backend.name)
    except NewsletterError as exc:
        return _error(502, f"the proof could not be sent: {exc}")
    draft = await run_in_threadpool(_view, d, number)
    version = draft.version if draft else None
    message = f"Proof of version {version} sent to {masked(editor)}."
    return JSONResponse({"sent_to": masked(editor), "version": version, "message": message})


async def preview(request: Request) -> Response:
    """GET /preview/{token}: the draft as it would be mailed (the proof's "View in browser")."""
    d, token = deps(request), request.path_params["token"]
    number = links.previewed(d.app, token, d.clock())
    found = None if number is None else await run_in_threadpool(reviewing.draft_html, d.app, number)
    if found is None:
        return error_page(
            request, 404, "No such preview", "This link is not valid, or has expired."
        )
    html, _ = found
    body = web_view(html, view_url=d.url(f"/preview/{token}"), neutral_url=d.url(links.PROOF_PATH))
    body = body.replace(_HEAD, f'{_HEAD}<base target="_blank">', 1)  # its links leave the frame
    headers = {
        "Content-Security-Policy": PREVIEW_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": NO_STORE,
        "X-Robots-Tag": "noindex",
    }
    return HTMLResponse(body, headers=headers)


async def proof_unsubscribe(request: Request) -> Response:
    """GET or POST /proof: a proof's unsubscribe link (mail clients may post to it)."""
    return page(request, "proof.html.j2")


def state_line(d: DraftView, now: dt.datetime) -> str:
    """What the draft's state means and what happens next, in a sentence."""
    readers = f"{d.audience:,} subscriber{'s' if d.audience != 1 else ''}"
    if d.status is IssueStatus.DRAFT:
        line = f"Not approved: “Approve and send” sends this version to {readers}"
        if d.waiting_until:
            return (
                f"{line}; the weekly run waits for your answer until {_time(d.waiting_until, now)}."
            )
        return f"{line}."
    if d.status is IssueStatus.APPROVED:
        who = f" by {masked(d.approved_by)}" if d.approved_by else ""
        when = f" at {_time(d.approved_at, now)}" if d.approved_at else ""
        return (
            f"Approved{who}{when}: it goes to {readers} as it is. A change makes it a draft again."
        )
    if d.status is IssueStatus.SENDING:
        return f"Going out now to {readers}: it can no longer change."
    sent = f" on {d.sent_at:%-d %b %Y, %H:%M} UTC" if d.sent_at else ""
    return f"Sent{sent}: it can no longer change."


def _time(at: dt.datetime, now: dt.datetime) -> str:
    at = at.astimezone(dt.UTC)
    return (
        f"{at:%H:%M} UTC"
        if at.date() == now.astimezone(dt.UTC).date()
        else f"{at:%-d %b, %H:%M} UTC"
    )


# -- the checks every change passes ---------------------------------------------------------


async def _opened(request: Request) -> tuple[int, str] | None:
    """The issue and editor of a genuine, current link to an issue that is there."""
    d = deps(request)
    found = links.opened(d.app, request.path_params["token"], d.clock())
    if found is None or not await run_in_threadpool(reviewing.exists, d.app, found[0]):
        return None
    return found


async def _change(request: Request) -> Response | tuple[Deps, int, str, dict[str, Any]]:
    """The link, then our own origin, the CSRF token and a JSON object; or the answer that
    refuses (404, 403, 415, 400, 413)."""
    found = await _opened(request)
    if found is None:
        return _not_found()
    d = deps(request)
    if (request.headers.get("origin") or "").lower() != d.origin:
        return _error(403, "not from the review page (Origin)")
    if not d.csrf.valid(request.cookies.get(Csrf.COOKIE), request.headers.get(CSRF_HEADER)):
        return _error(403, "the page expired: reload it and try again (CSRF)")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _error(415, "send JSON (Content-Type: application/json)")
    raw = await read_body(request, JSON_LIMIT)
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        return _error(400, "the body is not JSON")
    if not isinstance(body, dict):
        return _error(400, "send a JSON object")
    return d, found[0], found[1], body


async def _conflict(d: Deps, number: int, exc: DraftError, seen: Any) -> Response:
    """409: the draft changed since `seen` (what changed, and the draft now), or it is
    being sent (nothing changes any more)."""
    draft = await run_in_threadpool(_view, d, number)
    answer: dict[str, Any] = {
        "error": str(exc),
        "status": exc.status,
        "version": exc.version,
        "draft": draft.to_json() if draft else None,
    }
    if isinstance(exc, StaleDraftError) and isinstance(seen, int):
        diff = await run_in_threadpool(reviewing.difference, d.app, number, seen)
        answer["difference"] = diff.to_json() | {"lines": diff.lines()}
    elif isinstance(exc, LockedDraftError):
        answer["error"] = f"{exc}: nothing was changed"
    return JSONResponse(answer, 409)


def _view(d: Deps, number: int) -> DraftView | None:
    try:
        return reviewing.view(d.app, number)
    except IssueError:
        return None


def _relative(url: str, d: Deps) -> str:
    """A link of ours as a path: the page works whatever host name reached it."""
    return url.removeprefix(d.sender.base_url)


def _missing(request: Request) -> Response:
    return error_page(
        request,
        404,
        "No such review",
        "This review link is not valid, or has expired: newsletter review --week prints a new one.",
    )


def _not_found() -> Response:
    return _error(404, "not found")


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status)


__all__ = [
    "approve",
    "draft_json",
    "edits",
    "preview",
    "proof",
    "proof_unsubscribe",
    "review_page",
]
