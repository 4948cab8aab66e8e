"""Headless Chromium (Debian's /usr/bin/chromium) driven over the DevTools protocol.

No browser download and no driver: Chromium is started with a DevTools port, and this
module speaks CDP over a websocket (the `websockets` package Prefect and uvicorn already
bring). Clicks are real mouse events at the element's position, so forms submit as they
would for a person. The flags keep it offline: without them it calls Google at start.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from websockets.sync.client import ClientConnection, connect

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    "--window-size=1000,900",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


class BrowserError(Exception):
    pass


class Browser:
    """One Chromium with a fresh profile and one page."""

    def __init__(self, timeout: float = 15.0) -> None:
        self.timeout = timeout
        self._profile = Path(tempfile.mkdtemp(prefix="chromium-"))
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._ws: ClientConnection | None = None
        self._session = ""

    def __enter__(self) -> Self:
        self._proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port, path = self._devtools_address()
        self._ws = connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=self.timeout)
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self._call("Page.enable", session=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            self._ws.close()
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        shutil.rmtree(self._profile, ignore_errors=True)

    # -- what a test does ---------------------------------------------------------------

    def goto(self, url: str) -> None:
        """Open `url` and wait until it has loaded."""
        self._events.clear()
        answer = self._call("Page.navigate", session=True, url=url)
        if answer.get("errorText"):
            raise BrowserError(f"{url}: {answer['errorText']}")
        self._wait_for("Page.loadEventFired")

    def text(self) -> str:
        """What the page shows, as text."""
        return str(self.evaluate("document.body.innerText"))

    def title(self) -> str:
        return str(self.evaluate("document.title"))

    def evaluate(self, expression: str) -> Any:
        answer = self._call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in answer:
            raise BrowserError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def click(self, selector: str) -> None:
        """Click the element's centre with the mouse, and wait for the page it leads to."""
        self._mouse_click(selector, before=self._events.clear)
        self._wait_for("Page.loadEventFired")

    def viewport(self, width: int, height: int, *, mobile: bool = False) -> None:
        """Lay pages out at this size (a phone's with `mobile`: 360 wide, touch, its scale)."""
        self._call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )

    def wait_until(self, expression: str, timeout: float | None = None) -> Any:
        """Wait until `expression` is truthy in the page (after a script's fetch, say)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            found = self.evaluate(expression)
            if found:
                return found
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {expression}")
            time.sleep(0.05)

    def press(self, key: str, code: str | None = None, key_code: int = 0) -> None:
        """A key pressed and released on the focused element, as a keyboard sends it."""
        text = key if len(key) == 1 else ""
        down = {"type": "keyDown", "text": text} if text else {"type": "rawKeyDown"}
        for event in (down, {"type": "keyUp"}):
            self._call(
                "Input.dispatchKeyEvent",
                session=True,
                key=key,
                code=code or key,
                windowsVirtualKeyCode=key_code,
                **event,
            )

    def tap(self, selector: str) -> None:
        """Click an element that changes the page in place (no page load to wait for)."""
        self._mouse_click(selector)

    def _mouse_click(self, selector: str, before: Callable[[], None] | None = None) -> None:
        """Scroll the element into view and press and release the mouse on its centre;
        `before` runs once it is found, just before the mouse moves."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        if box is None:
            raise BrowserError(f"no element matches {selector}")
        if before:
            before()
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self._call(
                "Input.dispatchMouseEvent",
                session=True,
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left",
                clickCount=1,
            )

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        """The viewport, or with `full_page` the whole page at the window's width."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.evaluate(
                "({w: document.documentElement.clientWidth, h: document.documentElement.scrollHeight})"
            )
            clip = {"x": 0, "y": 0, "width": size["w"], "height": size["h"], "scale": 1}
            params.update(captureBeyondViewport=True, clip=clip)
        data = self._call("Page.captureScreenshot", session=True, **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def record(self, *domains: str) -> None:
        """Turn on DevTools domains ("Runtime", "Network") so their events reach `seen`."""
        for domain in domains:
            self._call(f"{domain}.enable", session=True)

    def seen(self, method: str) -> list[dict[str, Any]]:
        """The params of each `method` event since the last `goto` or `click`,
        e.g. "Runtime.exceptionThrown" or "Network.requestWillBeSent"."""
        return [e.get("params", {}) for e in self._events if e.get("method") == method]

    # -- the protocol ---------------------------------------------------------------------

    def _devtools_address(self) -> tuple[str, str]:
        """Chromium writes its DevTools port and browser path to the profile once it listens."""
        marker = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if marker.exists():
                lines = marker.read_text().split()
                if len(lines) >= 2:
                    return lines[0], lines[1]
            if self._proc is not None and self._proc.poll() is not None:
                raise BrowserError(f"chromium exited with {self._proc.returncode}")
            time.sleep(0.05)
        raise BrowserError("chromium did not open its DevTools port")

    def _call(self, method: str, *, session: bool = False, **params: Any) -> dict[str, Any]:
        assert self._ws is not None
        call_id = next(self._ids)
        message: dict[str, Any] = {"id": call_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        self._ws.send(json.dumps(message))
        while True:
            reply = self._receive()
            if reply.get("id") == call_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self._events.append(reply)

    def _wait_for(self, event: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            for index, seen in enumerate(self._events):
                if seen.get("method") == event:
                    return self._events.pop(index)
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {event}")
            self._events.append(self._receive(max(0.01, deadline - time.monotonic())))

    def _receive(self, timeout: float | None = None) -> dict[str, Any]:
        assert self._ws is not None
        try:
            raw = self._ws.recv(timeout=timeout or self.timeout)
        except TimeoutError:
            raise BrowserError("chromium stopped answering") from None
        found: dict[str, Any] = json.loads(raw)
        return found
