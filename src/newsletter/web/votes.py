"""A vote on a paper: GET /v/{token}/{up|down} shows the paper and one button; the button's
POST records the vote. The link in the email is signed for one reader, one issue and one
paper (tokens.read_vote); a forged, altered or other-purpose one is a 404 and changes nothing.

Opening the link records nothing, so mail scanners and link previews, which only GET, vote
for no one. The button's form carries our CSRF token and must come from our own origin.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from newsletter.domain.votes import Choice
from newsletter.errors import TokenError
from newsletter.services import votes
from newsletter.services.votes import Ballot
from newsletter.tokens import VoteRef, read_vote
from newsletter.web.base import deps, error_page, own_form, page

NOINDEX = {"X-Robots-Tag": "noindex"}


async def vote_page(request: Request) -> Response:
    """GET /v/{token}/{choice}: the paper, the reader's vote so far, and the button."""
    found = _link(request)
    if found is None:
        return _missing(request)
    ref, choice = found
    shown = await run_in_threadpool(votes.paper_for, deps(request).app, ref)
    if shown is None:
        return _missing(request)
    return _ballot(request, shown, choice)


async def vote(request: Request) -> Response:
    """POST /v/{token}/{choice}: record the vote (a later one replaces it); thanks, and the
    other choice one press away."""
    found = _link(request)
    if found is None:
        return _missing(request)
    if await own_form(request) is None:
        return error_page(
            request,
            403,
            "Please try again",
            "This form expired or was sent from another site. Reload the page and press the "
            "button again.",
        )
    ref, choice = found
    cast = await run_in_threadpool(votes.cast_vote, deps(request).app, ref, choice)
    if cast is None:
        return _missing(request)
    context = {
        "token": request.path_params["token"],
        "ballot": cast.ballot,
        "vote": cast.vote,
        "other": choice.other,
        "replaced": cast.replaced.choice if cast.changed and cast.replaced else None,
    }
    return page(request, "voted.html.j2", context, form=True, headers=NOINDEX)


def _link(request: Request) -> tuple[VoteRef, Choice] | None:
    """The reader, issue and paper the link is signed for, and the choice it asks."""
    try:
        choice = Choice(request.path_params["choice"])
        return read_vote(request.path_params["token"], deps(request).sender.secret), choice
    except (ValueError, TokenError):  # TokenError for the token, ValueError for the choice
        return None


def _ballot(request: Request, shown: Ballot, choice: Choice) -> HTMLResponse:
    context = {"token": request.path_params["token"], "ballot": shown, "choice": choice}
    return page(request, "vote.html.j2", context, form=not shown.proof, headers=NOINDEX)


def _missing(request: Request) -> HTMLResponse:
    return error_page(
        request,
        404,
        "This link is not valid",
        "It may be incomplete (some mail programs cut long links), altered, or not one of ours. "
        "Nothing was recorded.",
    )
