"""The real web app under uvicorn on 127.0.0.1, in a thread, on a port the OS picks.

The socket is bound before the app is made, so the app's NEWSLETTER_BASE_URL can be the
server's own address (links in mail, Origin checks) as in production.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from newsletter.web.server import server_config


def bound() -> socket.socket:
    """A socket on 127.0.0.1 and a port the OS picks: its address can be handed out (to a
    process that makes links to it, say) before the server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


class WebServer:
    def __init__(
        self,
        make_app: Callable[[str], ASGIApp],
        *,
        sock: socket.socket | None = None,
        header_timeout: float = 10.0,
        body_timeout: float = 30.0,
        max_connections: int = 1000,
    ) -> None:
        self._sock = sock or bound()
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.app = make_app(self.base_url)
        # the server `newsletter web` runs: uvicorn with web/server.py's bounds
        config = server_config(
            self.app,
            header_timeout=header_timeout,
            body_timeout=body_timeout,
            max_connections=max_connections,
            log_level="warning",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="webserver", daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the web server did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
