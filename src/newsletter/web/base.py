"""What every web route shares: the injected dependencies and page rendering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from newsletter.app import App
from newsletter.config import Settings
from newsletter.delivery.message import Sender
from newsletter.web.limits import Limits
from newsletter.web.mail import Mailer
from newsletter.web.security import Csrf, WebhookVerifier, origin_of, read_form, same_origin

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, slots=True)
class Deps:
    """Everything the routes use, made once by create_app (tests pass their own)."""

    settings: Settings
    app: App  # what the routes hand the services (newsletter.services), its store held open
    sender: Sender  # the public base URL and the secret that signs links
    mailer: Mailer
    clock: Clock
    limits: Limits
    csrf: Csrf
    templates: jinja2.Environment
    webhook: WebhookVerifier | None

    @property
    def origin(self) -> str:
        """The public origin (scheme://host[:port]) of NEWSLETTER_BASE_URL."""
        return origin_of(self.sender.base_url)

    def url(self, path: str) -> str:
        """An absolute public URL, for mail and feeds (pages use relative links)."""
        return f"{self.sender.base_url}{path}"


def deps(request: Request) -> Deps:
    found: Deps = request.app.state.deps
    return found


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    form: bool = False,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render templates/web/`template`; `form=True` for pages with a form (adds the CSRF field)."""
    d = deps(request)
    values: dict[str, Any] = {
        "root": request.scope.get("root_path", ""),
        "site": d.sender.from_name or "Newsletter",
        **(context or {}),
    }
    cookie = request.cookies.get(Csrf.COOKIE) if form else None
    fresh = form and not cookie
    if form:
        cookie = cookie or Csrf.new_cookie()
        values["csrf"] = d.csrf.token_for(cookie)
    html = d.templates.get_template(f"web/{template}").render(values)
    response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
    if fresh and cookie:
        response.set_cookie(
            Csrf.COOKIE, cookie, httponly=True, samesite="strict", secure=d.csrf.secure, path="/"
        )
    return response


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return page(request, "error.html.j2", {"title": title, "message": message}, status=status)


def masked(address: str) -> str:
    """r•••@example.org: enough for the reader to recognise, little for anyone else."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


async def own_form(request: Request) -> dict[str, str] | None:
    """The posted fields if the form is one of ours (same origin, valid CSRF token), else None."""
    d = deps(request)
    fields = await read_form(request)
    if not same_origin(request, d.origin):
        return None
    if not d.csrf.valid(request.cookies.get(Csrf.COOKIE), fields.get(Csrf.FIELD)):
        return None
    return fields
