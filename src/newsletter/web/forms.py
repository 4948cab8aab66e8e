"""The reader's forms: one-click unsubscribe, subscribe with double opt-in, confirm.

GET never changes anything (mail scanners follow links); every change is a POST. Forms
carry a CSRF token and must come from our own origin, except the RFC 8058 one-click post
itself: mail providers send it without cookies, and the signed token in its URL is the
proof that the mailbox owner (or their provider) asked. Who may come back and how is
decided in subscribers/membership.py, reached through services/subscribe.py; this module
only asks and answers.
"""

from __future__ import annotations

import datetime as dt

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from newsletter.delivery.message import ONE_CLICK_FIELD, ONE_CLICK_VALUE
from newsletter.domain.events import Via
from newsletter.domain.subscriber import (
    GONE,
    Status,
    Subscriber,
    clean_name,
    link_is_spent,
    mailbox_key,
    normalise_email,
)
from newsletter.errors import SubscriberError, TokenError
from newsletter.services import subscribe as members
from newsletter.services import welcome as welcoming
from newsletter.tokens import Purpose, make_token, read_token_issued
from newsletter.web.base import Deps, deps, error_page, masked, own_form, page
from newsletter.web.security import read_form

HONEYPOT = "website"  # hidden from people by the stylesheet; bots fill every field


# -- unsubscribe ------------------------------------------------------------------------


async def unsubscribe_page(request: Request) -> Response:
    """GET /u/{token}: who would be unsubscribed, and a button that posts."""
    d, token = deps(request), request.path_params["token"]
    sub = await run_in_threadpool(_by_token, d, token, Purpose.UNSUBSCRIBE)
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
    # The page's own button says so; a mail client's one-click post carries only the field.
    via = Via.PAGE if fields.get("via") == "page" else Via.ONE_CLICK
    sub = await run_in_threadpool(_unsubscribe, d, token, via)
    if sub is None:
        return _bad_link(request)
    return page(
        request, "unsubscribed.html.j2", {"token": token, "address": masked(sub.email)}, form=True
    )


async def resubscribe(request: Request) -> Response:
    """POST /u/{token}/resubscribe: the unsubscribe page's offer to come back."""
    if await own_form(request) is None:
        return _forbidden(request)
    d, token = deps(request), request.path_params["token"]
    came = await run_in_threadpool(_come_back, d, token)
    if came is None:
        return _bad_link(request)
    sub, needs_confirmation = came
    if not needs_confirmation:
        return page(request, "confirmed.html.j2", {"address": masked(sub.email), "back": True})
    now = d.clock()  # a fresh double opt-in, mailed to the address itself
    refused = d.limits.mail(mailbox_key(sub.email), now.timestamp())
    if refused is not None:
        wait = _when(now, refused.seconds)
        return error_page(request, 429, "Please try again later", f"{_REFUSED[refused.why]} {wait}")
    return _check_inbox(request, BackgroundTask(_send_confirmation, d, sub, now))


# -- subscribe and confirm -------------------------------------------------------------


async def subscribe_form(request: Request) -> Response:
    """GET /subscribe."""
    return page(request, "subscribe.html.j2", form=True)


async def subscribe(request: Request) -> Response:
    """POST /subscribe: one answer whatever the address's state, so the list cannot be probed.

    Only a form of ours counts against the client's limit; the address's own limit is on its
    mailbox (victim+1@…, v.ictim@gmail.com are one). The store is not touched before the
    answer: new, known and gone addresses take the same time.
    """
    d = deps(request)
    now = d.clock()
    fields = await own_form(request)
    if fields is None:
        return _forbidden(request)
    wait = d.limits.clients.hit(d.limits.client(request, now.timestamp()), now.timestamp())
    if wait is not None:
        error = "Too many attempts from your network."
        return _try_later(request, error, now, wait, fields.get("email", ""))
    if fields.get(HONEYPOT):
        return _check_inbox(request)  # a bot: it learns nothing, nothing is stored or sent
    try:
        address = normalise_email(fields.get("email", "")[:320])
    except SubscriberError as exc:
        error = "That does not look like an email address we can send to."
        if "ASCII" in str(exc):
            error = "Please use an address with only ASCII letters, digits and .-_+ before the @."
        return page(
            request,
            "subscribe.html.j2",
            {"error": error, "email": fields.get("email", "")[:200]},
            status=400,
            form=True,
        )
    refused = d.limits.mail(mailbox_key(address), now.timestamp())
    if refused is not None:  # never dropped in silence: the page says when to try again
        return _try_later(request, _REFUSED[refused.why], now, refused.seconds, address)
    name = clean_name(fields.get("name", "")[:200])
    return _check_inbox(request, BackgroundTask(_subscribe, d, address, name, now))


async def confirm_page(request: Request) -> Response:
    """GET /confirm/{token}: a button that confirms (a mail scanner's GET confirms nothing)."""
    d, token = deps(request), request.path_params["token"]
    found = await run_in_threadpool(_confirmable, d, token)
    if found is None:
        return _bad_link(request, expired=True)
    sub, spent = found
    if spent:
        return _spent(request, sub)
    return page(
        request, "confirm.html.j2", {"token": token, "address": masked(sub.email)}, form=True
    )


async def confirm(request: Request) -> Response:
    """POST /confirm/{token}: the subscriber becomes active; the link is spent."""
    if await own_form(request) is None:
        return _forbidden(request)
    d, token = deps(request), request.path_params["token"]
    found = await run_in_threadpool(_confirm, d, token)
    if found is None:
        return _bad_link(request, expired=True)
    sub, spent = found
    if spent:  # a second press of the link: confirms nothing, welcomes nobody again
        return _spent(request, sub)
    welcome = await run_in_threadpool(welcoming.will_welcome, d.app, sub.id)
    response = page(
        request, "confirmed.html.j2", {"address": masked(sub.email), "welcome": welcome}
    )
    if welcome:  # after the answer; once, whatever happens (subscribers/welcome.py)
        response.background = BackgroundTask(d.mailer.send_quietly, "welcome", sub, d.app)
    return response


# -- the work, in a worker thread (the store is synchronous) ------------------------------


def _by_token(d: Deps, token: str, purpose: Purpose) -> Subscriber | None:
    """The subscriber a genuine, current token names; None for forged, altered, expired, unknown."""
    found = _token(d, token, purpose)
    return None if found is None else found[0]


def _token(d: Deps, token: str, purpose: Purpose) -> tuple[Subscriber, dt.datetime | None] | None:
    max_age = (
        dt.timedelta(seconds=d.settings.confirm_max_age) if purpose is Purpose.CONFIRM else None
    )
    try:
        subscriber_id, issued = read_token_issued(
            token, d.sender.secret, purpose, max_age=max_age, now=d.clock()
        )
    except TokenError:
        return None
    sub = members.get(d.app, subscriber_id)
    return None if sub is None else (sub, issued)


def _unsubscribe(d: Deps, token: str, via: Via) -> Subscriber | None:
    sub = _by_token(d, token, Purpose.UNSUBSCRIBE)
    if sub is None:
        return None
    return members.leave(d.app, sub.id, d.clock(), via=via)


def _come_back(d: Deps, token: str) -> tuple[Subscriber, bool] | None:
    sub = _by_token(d, token, Purpose.UNSUBSCRIBE)
    return None if sub is None else members.come_back(d.app, sub.id, d.clock())


def _confirmable(d: Deps, token: str) -> tuple[Subscriber, bool] | None:
    """The subscriber, and whether the link is spent already."""
    found = _token(d, token, Purpose.CONFIRM)
    if found is None:
        return None
    sub, issued = found
    return sub, link_is_spent(sub, issued)


def _confirm(d: Deps, token: str) -> tuple[Subscriber, bool] | None:
    found = _token(d, token, Purpose.CONFIRM)
    if found is None:
        return None
    sub, issued = found
    if link_is_spent(sub, issued):
        return sub, True
    # the name typed with the sign-up this link was mailed for wins, not a stranger's
    return members.confirm(d.app, sub.id, d.clock(), issued=issued), False


def _subscribe(d: Deps, address: str, name: str | None, now: dt.datetime) -> None:
    """After the answer: store a new address as pending and mail it the link to confirm (an
    address already active gets a short note instead)."""
    try:
        sub = members.sign_up(d.app, address, name=name, now=now)
    except SubscriberError:
        return
    if sub.status is Status.ACTIVE:
        d.mailer.send_quietly("already_subscribed", sub)
        return
    # Pending, or gone: only the address's owner confirming makes them active (again).
    _send_confirmation(d, sub, now)


def _send_confirmation(d: Deps, sub: Subscriber, now: dt.datetime) -> None:
    token = make_token(sub.id, d.sender.secret, Purpose.CONFIRM, issued_at=now)
    d.mailer.send_quietly("confirmation", sub, d.url(f"/confirm/{token}"))


# -- answers -------------------------------------------------------------------------------


_REFUSED = {
    "mailbox": "We have sent this address several confirmation mails in the last hour: look for"
    " them in its inbox (and spam folder).",
    "busy": "We are sending a great many confirmation mails right now, so this one was not sent.",
}


def _try_later(
    request: Request, error: str, now: dt.datetime, seconds: float, email: str
) -> HTMLResponse:
    """The form again, saying why nothing was sent and when it can be (429, Retry-After)."""
    return page(
        request,
        "subscribe.html.j2",
        {"error": f"{error} {_when(now, seconds)}", "email": email[:200]},
        status=429,
        form=True,
        headers={"Retry-After": str(int(seconds))},
    )


def _when(now: dt.datetime, seconds: float) -> str:
    at = (now + dt.timedelta(seconds=seconds)).astimezone(dt.UTC)
    minutes = max(1, round(seconds / 60))
    return (
        f"Please try again after {at:%H:%M} UTC (in about {minutes} minute{'s' * (minutes > 1)})."
    )


def _check_inbox(request: Request, task: BackgroundTask | None = None) -> HTMLResponse:
    response = page(request, "check_inbox.html.j2")
    response.background = task
    return response


def _spent(request: Request, sub: Subscriber) -> HTMLResponse:
    if sub.status is Status.ACTIVE:
        return page(request, "confirmed.html.j2", {"address": masked(sub.email)})
    return error_page(
        request,
        400,
        "This link was used already",
        "A confirmation link works once. To subscribe again, use the subscribe form.",
    )


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
