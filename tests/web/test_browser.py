"""In a real browser (headless Chromium): the archive, an issue, and unsubscribing with the button.

Screenshots go to out/screenshots/ at the project root, to look at after a run.
"""

from __future__ import annotations

from pathlib import Path

from newsletter.tokens import make_token
from tests.support.browser import Browser
from tests.support.deliveries import add_people
from tests.support.paths import GOLDEN, SHOTS
from tests.support.stores import migrated
from tests.support.web_site import SECRET, running_site


def test_archive_issue_and_unsubscribe_in_chromium(browser: Browser, tmp_path: Path) -> None:
    """Chromium lists the issue, shows it, and unsubscribes (then resubscribes) with the page's buttons."""
    with (
        migrated(f"sqlite:///{tmp_path / 'web.db'}") as store,
        running_site(store, tmp_path) as site,
        browser,
    ):
        add_people(store, 2)
        site.send(1, html=(GOLDEN / "issue.html").read_text(encoding="utf-8"))
        browser.goto(f"{site.url}/")
        assert "All issues" in browser.text() and "Important LLMs Papers #1" in browser.text()
        browser.screenshot(SHOTS / "web-archive.png")

        browser.click("ul.issues a")
        assert browser.evaluate("location.pathname") == "/issues/1"
        assert "Important LLMs Papers for the Week from 25/11 to 30/11" in browser.text()
        assert "%%" not in browser.text()
        assert browser.evaluate("document.querySelector('a[href$=\"/issues/1\"]') !== null")
        browser.screenshot(SHOTS / "web-issue.png")

        browser.goto(f"{site.url}/u/{make_token(2, SECRET)}")
        assert "Stop sending the newsletter to r•••@example.org?" in browser.text()
        browser.screenshot(SHOTS / "web-unsubscribe.png")
        assert site.status(2) == "active"  # opening the page changed nothing

        browser.click("#unsubscribe")
        assert "You are unsubscribed" in browser.text() and "Subscribe again" in browser.text()
        browser.screenshot(SHOTS / "web-unsubscribed.png")
        assert (site.status(1), site.status(2)) == ("active", "unsubscribed")

        browser.click(
            "#resubscribe"
        )  # the form with the CSRF cookie and token, from a real browser
        assert "Welcome back" in browser.text()
        browser.screenshot(SHOTS / "web-resubscribed.png")
        assert site.status(2) == "active"
