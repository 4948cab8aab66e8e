"""The reader's forms: one-click unsubscribe, subscribe with double opt-in, confirm.

GET never changes anything (mail scanners follow links); every change is a POST. Forms
carry a CSRF token and must come from our own origin, except the RFC 8058 one-click post
itself: mail providers send it without cookies, and the signed token in its URL is the
proof that the mailbox owner (or their provider) asked.
"""

from __future__ import annotations

import datetime as dt

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from newsletter.delivery.links import make_token, read_token
from newsletter.delivery.message import ONE_CLICK_FIELD, ONE_CLICK_VALUE
from newsletter.domain.subscriber import (
    GONE,
    Status,
    Subscriber,
    clean_name,
    normalise_email,
)
from newsletter.errors import SubscriberError, TokenError
from newsletter.subscribers import service
from newsletter.web.base import Deps, deps, error_page, masked, page
from newsletter.web.security import Csrf, client_key, read_form, same_origin

HONEYPOT = "website"  # hidden from people by the stylesheet; bots fill every field


# -- unsubscribe ------------------------------------------------------------------------


async def unsubscribe_page(request: Request) -> Response:
    """GET /u/{token}: who would be unsubscribed, and a button that posts."""
    d, token = deps(request), request.path_params["token"]
    sub = await run_in_threadpool(_by_token, d, token, "unsubscribe")
    if sub is None:
        return _bad_link(request)
    return page(
        request,
        "unsubscribe.html.j2",
        {"token": token, "address": masked(sub.email), "gone": sub.status in GONE},
        form=True,
    )


async def one_click(request: Request) -> Response:
    """POST /u/{token} with List-Unsubscribe=One-Click (RFC 8058): unsubscribe at once."""
    fields = await read_form(request)
    if fields.get(ONE_CLICK_FIELD) != ONE_CLICK_VALUE:
        return error_page(
            request,
            400,
            "Nothing was changed",
            "An unsubscribe request carries List-Unsubscribe=One-Click; this one did not.",
        )
    d, token = deps(request), request.path_params["token"]
    sub = await run_in_threadpool(_unsubscribe, d, token)
    if sub is None:
        return _bad_link(request)
    return page(
        request, "unsubscribed.html.j2", {"token": token, "address": masked(sub.email)}, form=True
    )


async def resubscribe(request: Request) -> Response:
    """POST /u/{token}/resubscribe: the unsubscribe page's offer to come back."""
    if await _own_form(request) is None:
        return _forbidden(request)
    d, token = deps(request), request.path_params["token"]
    sub = await run_in_threadpool(_activate, d, token, "unsubscribe")
    if sub is None:
        return _bad_link(request)
    return page(request, "confirmed.html.j2", {"address": masked(sub.email), "back": True})


# -- subscribe and confirm -------------------------------------------------------------


async def subscribe_form(request: Request) -> Response:
    """GET /subscribe."""
    return page(request, "subscribe.html.j2", form=True)


async def subscribe(request: Request) -> Response:
    """POST /subscribe: one answer whatever the address's state, so the list cannot be probed."""
    d = deps(request)
    now = d.clock()
    wait = d.limiter.hit(f"client:{client_key(request)}", now.timestamp())
    if wait is not None:
        return page(
            request,
            "subscribe.html.j2",
            {"error": "Too many attempts from your network; please try later."},
            status=429,
            form=True,
            headers={"Retry-After": str(int(wait))},
        )
    fields = await _own_form(request)
    if fields is None:
        return _forbidden(request)
    if fields.get(HONEYPOT):
        return _check_inbox(request)  # a bot: it learns nothing, nothing is stored or sent
    try:
        address = normalise_email(fields.get("email", ""))
    except SubscriberError:
        return page(
            request,
            "subscribe.html.j2",
            {
                "error": "That does not look like an email address.",
                "email": fields.get("email", "")[:200],
            },
            status=400,
            form=True,
        )
    if d.limiter.hit(f"address:{address.lower()}", now.timestamp()) is not None:
        return _check_inbox(request)  # that inbox has had enough mail from us for now
    task = await run_in_threadpool(
        _subscribe, d, address, clean_name(fields.get("name", "")[:200]), now
    )
    return _check_inbox(request, task)


async def confirm_page(request: Request) -> Response:
    """GET /confirm/{token}: a button that confirms (a mail scanner's GET confirms nothing)."""
    d, token = deps(request), request.path_params["token"]
    sub = await run_in_threadpool(_by_token, d, token, "confirm")
    if sub is None:
        return _bad_link(request, expired=True)
    if sub.status is Status.ACTIVE:
        return page(request, "confirmed.html.j2", {"address": masked(sub.email)})
    return page(
        request, "confirm.html.j2", {"token": token, "address": masked(sub.email)}, form=True
    )


async def confirm(request: Request) -> Response:
    """POST /confirm/{token}: the subscriber becomes active."""
    if await _own_form(request) is None:
        return _forbidden(request)
    d, token = deps(request), request.path_params["token"]
    sub = await run_in_threadpool(_activate, d, token, "confirm")
    if sub is None:
        return _bad_link(request, expired=True)
    return page(request, "confirmed.html.j2", {"address": masked(sub.email)})


# -- the work, in a worker thread (the store is synchronous) ------------------------------


def _by_token(d: Deps, token: str, purpose: str) -> Subscriber | None:
    """The subscriber a genuine, current token names; None for forged, altered, expired, unknown."""
    max_age = dt.timedelta(seconds=d.settings.confirm_max_age) if purpose == "confirm" else None
    try:
        subscriber_id = read_token(token, d.sender.secret, purpose, max_age=max_age, now=d.clock())
    except TokenError:
        return None
    return d.store.get_subscriber(subscriber_id)


def _unsubscribe(d: Deps, token: str) -> Subscriber | None:
    sub = _by_token(d, token, "unsubscribe")
    return None if sub is None else service.leave(d.store, sub.id, Status.UNSUBSCRIBED, d.clock())


def _activate(d: Deps, token: str, purpose: str) -> Subscriber | None:
    sub = _by_token(d, token, purpose)
    return None if sub is None else service.confirm(d.store, sub.id, d.clock())


def _subscribe(d: Deps, address: str, name: str | None, now: dt.datetime) -> BackgroundTask:
    """Store a new address as pending; the mail to send is returned, to go after the answer
    (so the answer's timing does not tell whether a mail was sent)."""
    sub = service.sign_up(d.store, address, name=name, now=now)
    if sub.status is Status.ACTIVE:
        return BackgroundTask(d.mailer.send_quietly, "already_subscribed", sub)
    # Pending, or gone: only the address's owner confirming makes them active (again).
    token = make_token(sub.id, d.sender.secret, "confirm", issued_at=now)
    return BackgroundTask(d.mailer.send_quietly, "confirmation", sub, d.url(f"/confirm/{token}"))


# -- answers -------------------------------------------------------------------------------


async def _own_form(request: Request) -> dict[str, str] | None:
    """The posted fields if the form is one of ours (same origin, valid CSRF token), else None."""
    d = deps(request)
    fields = await read_form(request)
    if not same_origin(request, d.origin):
        return None
    if not d.csrf.valid(request.cookies.get(Csrf.COOKIE), fields.get(Csrf.FIELD)):
        return None
    return fields


def _check_inbox(request: Request, task: BackgroundTask | None = None) -> HTMLResponse:
    response = page(request, "check_inbox.html.j2")
    response.background = task
    return response


def _bad_link(request: Request, *, expired: bool = False) -> HTMLResponse:
    why = "It may be incomplete (some mail programs cut long links), altered"
    why += ", or expired (subscribe again for a new one)." if expired else ", or not one of ours."
    return error_page(request, 400, "This link is not valid", f"{why} Nothing was changed.")


def _forbidden(request: Request) -> HTMLResponse:
    return error_page(
        request,
        403,
        "Please try again",
        "This form expired or was sent from another site. Reload the page and send it again.",
    )
