"""`newsletter web`: serve the web endpoints (see docs/web.md)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import click

from newsletter.cli.base import Context, err
from newsletter.errors import ConfigError


def listen_options(command: Callable[..., None]) -> Callable[..., None]:
    """--host and --port of the web app (`web`, `serve`)."""
    port = click.option("--port", default=8000, show_default=True, metavar="N",
                        type=click.IntRange(1, 65535), help="The web app's port.")  # fmt: skip
    host = click.option("--host", metavar="HOST", default="127.0.0.1", show_default=True,
                        help="The web app's address to listen on.")  # fmt: skip
    return host(port(command))


@click.command()
@listen_options
@click.pass_obj
def web(obj: Context, host: str, port: int) -> None:
    """Serve the web endpoints: one-click unsubscribe, subscribe with confirmation, the
    SendGrid Event Webhook, the archive of sent issues and its Atom feed.

    Links in emails point to NEWSLETTER_BASE_URL: put this server (or the proxy in front
    of it) there. Behind a proxy, set FORWARDED_ALLOW_IPS to its address so rate limits
    see the real client.

    Example: newsletter web --host 0.0.0.0 --port 8080
    """
    from newsletter.web.app import create_app  # only this command needs the server
    from newsletter.web.server import serve

    refuse_unsigned(obj, host)
    settings = obj.settings
    if settings.base_url is None:  # local use: links in confirmation mails lead back here
        settings = settings.model_copy(update={"base_url": _local_url(host, port)})
    app = create_app(settings)
    err.print(
        f"serving on {_local_url(host, port)}; links point to {settings.base_url}", markup=False
    )
    serve(
        app,
        host=host,
        port=port,
        header_timeout=settings.web_header_timeout,
        body_timeout=settings.web_body_timeout,
        max_connections=settings.web_max_connections,
        log_level="info",
    )


def refuse_unsigned(obj: Context, host: str) -> None:
    """ConfigError when serving beyond this machine without NEWSLETTER_SECRET."""
    if obj.settings.secret is None and not _loopback(host):
        raise ConfigError(
            "serving beyond this machine needs NEWSLETTER_SECRET",
            hint="without it, links are signed with a public default and could be forged",
        )


def _local_url(host: str, port: int) -> str:
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
