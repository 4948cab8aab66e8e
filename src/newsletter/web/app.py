"""The web endpoints (`newsletter web`): unsubscribe, subscribe and confirm, SendGrid's Event
Webhook, the issue archive, and the editor's review page, as one Starlette app.

`create_app` takes its dependencies (the services' App with its store, delivery backend,
clock, rate limiter) so tests run the real app against their own; by default everything
comes from the Settings. The routes reach the store only through newsletter.services. The
routes live in forms.py (the reader's forms), votes.py (a vote on a paper), archive.py,
webhook.py, reports.py (with the report's chart library), health.py (`/healthz`) and
review.py (the editor's review page, its JSON API, the draft's preview);
headers, CSRF, rate limits and the webhook's signature check in security.py. Nothing here
imports Prefect.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from newsletter.app import App, open_store
from newsletter.config import Settings
from newsletter.delivery.backends import Backend
from newsletter.render.email import environment
from newsletter.web.archive import archive, feed, issue_page
from newsletter.web.base import Clock, Deps, deps, error_page
from newsletter.web.forms import (
    confirm,
    confirm_page,
    one_click,
    resubscribe,
    subscribe,
    subscribe_form,
    unsubscribe_page,
)
from newsletter.web.health import health_route
from newsletter.web.limits import Limits
from newsletter.web.mail import Mailer
from newsletter.web.reports import chart_library_route, report_page
from newsletter.web.review import (
    approve,
    draft_json,
    edits,
    preview,
    proof,
    proof_unsubscribe,
    review_page,
)
from newsletter.web.security import (
    Csrf,
    RequestFraming,
    SecurityHeaders,
    WebhookVerifier,
    secure_headers,
)
from newsletter.web.votes import vote, vote_page
from newsletter.web.webhook import sendgrid_events

__all__ = ["create_app"]

log = logging.getLogger("newsletter.web")

STATIC = Path("web") / "static"
# Our pages' only stylesheets and script (the CSP allows nothing inline, nothing from elsewhere)
ASSETS = {
    "web.css": "text/css",
    "review.css": "text/css",
    "review.js": "text/javascript",
}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_app(
    settings: Settings,
    *,
    app: App | None = None,
    backend: Backend | None = None,
    clock: Clock = _utcnow,
    limits: Limits | None = None,
) -> Starlette:
    """The web app. An App (with its store) or a backend passed in is the caller's to close;
    those made here close when the server stops."""
    owned: list[Callable[[], None]] = []
    if app is None:
        store = open_store(settings)  # one for the server's life, shared by every request
        owned.append(store.close)
        app = App(settings, store=store)
        app.migrate()  # the explicit step: the app starts on an up-to-date schema
    if backend is None:
        backend = app.open_backend(app.backend())
        owned.append(backend.close)
    sender, _ = app.sender(backend.name)  # real backends insist on real settings
    templates = environment(settings.templates)
    key = settings.sendgrid_webhook_public_key
    deps = Deps(
        settings=settings,
        app=app,
        sender=sender,
        mailer=Mailer(backend, sender, templates),
        clock=clock,
        limits=limits
        or Limits.of(
            settings.subscribe_limit,
            settings.subscribe_window,
            settings.confirmation_mails_per_hour,
        ),
        csrf=Csrf(sender.secret, secure=sender.base_url.startswith("https://")),
        templates=templates,
        webhook=WebhookVerifier(key, settings.webhook_max_age) if key else None,
    )
    files = {name: (settings.templates / STATIC / name).read_bytes() for name in ASSETS}

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in files:
            raise HTTPException(404, "no such file")
        return Response(
            files[name], media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=3600"}
        )

    @asynccontextmanager
    async def lifespan(_site: Starlette) -> AsyncIterator[None]:
        yield
        for close in owned:
            close()

    site = Starlette(
        routes=[
            *ROUTES,
            health_route(),
            chart_library_route(),  # before /static/{name}: its own path and cache headers
            Route("/static/{name}", asset, methods=["GET"]),
        ],
        middleware=[
            Middleware(SecurityHeaders, hsts=sender.base_url.startswith("https://")),
            Middleware(RequestFraming),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    # A trailing-slash redirect would build its Location from the Host header: no redirects.
    site.router.redirect_slashes = False
    site.state.deps = deps
    return site


ROUTES = [
    Route("/", archive, methods=["GET"]),
    Route("/issues/{number:int}", issue_page, methods=["GET"]),
    Route("/feed.xml", feed, methods=["GET"]),
    Route("/subscribe", subscribe_form, methods=["GET"]),
    Route("/subscribe", subscribe, methods=["POST"]),
    Route("/confirm/{token}", confirm_page, methods=["GET"]),
    Route("/confirm/{token}", confirm, methods=["POST"]),
    Route("/u/{token}", unsubscribe_page, methods=["GET"]),
    Route("/u/{token}", one_click, methods=["POST"]),
    Route("/u/{token}/resubscribe", resubscribe, methods=["POST"]),
    Route("/webhooks/sendgrid", sendgrid_events, methods=["POST"]),
    Route("/reports/{token}", report_page, methods=["GET"]),
    Route("/v/{token}/{choice}", vote_page, methods=["GET"]),
    Route("/v/{token}/{choice}", vote, methods=["POST"]),
    Route("/review/{token}", review_page, methods=["GET"]),
    Route("/review/{token}/draft.json", draft_json, methods=["GET"]),
    Route("/review/{token}/edits", edits, methods=["POST"]),
    Route("/review/{token}/approve", approve, methods=["POST"]),
    Route("/review/{token}/proof", proof, methods=["POST"]),
    Route("/preview/{token}", preview, methods=["GET"]),
    Route("/proof", proof_unsubscribe, methods=["GET", "POST"]),
]

_TITLES = {404: "Not found", 405: "Method not allowed", 413: "Too large"}


_CRASHED = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Something went wrong</title></head>"
    "<body><h1>Something went wrong</h1><p>Nothing was changed. Please try again later.</p></body></html>"
)


async def server_error(request: Request, exc: Exception) -> Response:
    """A crash: logged with its traceback, answered with a plain page and every security header
    (Starlette answers a 500 outside the middleware, so the headers are set here too)."""
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    response = HTMLResponse(_CRASHED, status_code=500)
    secure_headers(response.headers, hsts=deps(request).sender.base_url.startswith("https://"))
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method, body too large) as our pages."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if request.url.path.startswith("/webhooks/"):
        return JSONResponse({"error": exc.detail}, exc.status_code, headers=headers)
    response = error_page(
        request, exc.status_code, _TITLES.get(exc.status_code, "Error"), str(exc.detail)
    )
    response.headers.update(headers)
    return response
