"""The editor's Monday, end to end: a served weekly run pauses for approval, the proof's first
button opens the review page in Chromium, the editor takes two papers out, puts a candidate
into a section of their choosing, moves one paper with the keyboard, and approves; the page
resumes the run through Prefect's API, and the run sends exactly the approved issue to every
reader once. Screenshots of the page at 1280 and 360 px go to out/screenshots/ (and, with
--update-golden, to docs/)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.flows.conftest import Served
from tests.support.browser import Browser
from tests.support.paths import ROOT, SHOTS
from tests.support.stores import migrated
from tests.support.webserver import WebServer
from tests.support.workspace import READERS

pytestmark = pytest.mark.flow

WEEK = dt.date(2024, 12, 2)
PAPER = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{4,5})")


def html_of(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return str(message.get_body(("html",)).get_content())  # type: ignore[union-attr]


def saved(browser: Browser, before: Any) -> Any:
    """Wait for the page to show the draft's next version; that version."""
    return browser.wait_until(
        f"document.body.dataset.version !== {json.dumps(str(before))} && document.body.dataset.version"
    )


def test_the_editor_reviews_in_the_browser_and_the_run_sends_what_they_approved(
    served: Served, review_site: WebServer, browser: Browser, update_golden: bool
) -> None:
    run = served.run("weekly-issue/weekly-issue", week=WEEK.isoformat())
    served.wait(run, until=lambda state: state.is_paused())
    with migrated(served.space.database_url) as store:
        issue = store.issue_for_week(WEEK)
        assert issue is not None and issue.waiting_run == str(run)
    number = issue.number
    proof = served.space.outbox / "proofs" / f"issue-{number}" / "editor@example.org.eml"
    link = re.findall(r'href="([^"]+)"', html_of(proof))[0]  # the proof's first button
    assert link.startswith(f"{review_site.base_url}/review/")

    with browser:
        browser.record("Runtime")
        browser.viewport(1280, 900)
        browser.goto(link)
        assert f"Issue {number}" in browser.text() and "12 papers in" in browser.text()
        picks = browser.evaluate(
            "[...document.querySelectorAll('#issue li.paper')].map(li => li.dataset.id)"
        )
        version = browser.evaluate("document.body.dataset.version")
        for gone in (picks[0], picks[-1]):  # two papers out, with one click each
            browser.tap(f'#issue li[data-id="{gone}"] button[data-act="remove"]')
            version = saved(browser, version)
        assert "10 papers in" in browser.text() and "Next in the ranking" in browser.text()

        candidate = browser.evaluate(  # the best-ranked one that was not in the proof
            f"(() => {{ const gone = {json.dumps(picks)}; const li = [...document.querySelectorAll("
            "'#candidates li.candidate:not(.picked)')].find(li => !gone.includes(li.dataset.id));"
            " const menu = li.querySelector('select'); return {id: li.dataset.id, guess: menu.value,"
            " other: [...menu.options].map(o => o.value).find(v => v !== menu.value)}; })()"
        )
        browser.evaluate(  # the section chosen in its menu (a mouse's choice)
            f"document.querySelector('#candidates li[data-id=\"{candidate['id']}\"] select').value = {json.dumps(candidate['other'])}"
        )
        browser.tap(f'#candidates li[data-id="{candidate["id"]}"] button[data-act="add"]')
        version = saved(browser, version)

        moved = picks[3]
        browser.evaluate(f"document.querySelector('#issue select[data-id=\"{moved}\"]').focus()")
        section = browser.evaluate(
            f"document.querySelector('#issue select[data-id=\"{moved}\"]').value"
        )
        browser.press("ArrowDown", key_code=40)  # the keyboard chooses: nothing moves yet
        assert browser.evaluate("document.body.dataset.version") == version
        browser.press("Enter", key_code=13)  # and Enter moves it
        version = saved(browser, version)
        to = browser.evaluate(
            f"document.querySelector('#issue li[data-id=\"{moved}\"]').closest('ol').dataset.section"
        )
        assert to != section
        assert "11 papers in" in browser.text() and "+1 −2 ↔1" in browser.text()
        assert browser.seen("Runtime.exceptionThrown") == []
        browser.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        shots = [SHOTS, ROOT / "docs"] if update_golden else [SHOTS]
        for folder in shots:
            browser.screenshot(folder / "review-1280.png")
        browser.viewport(360, 760, mobile=True)
        browser.goto(link)
        for folder in shots:
            browser.screenshot(folder / "review-360.png")
        assert browser.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll
        browser.viewport(1280, 900)
        browser.goto(link)

        browser.tap("#approve")
        browser.wait_until("document.body.dataset.status === 'approved'")
        said = browser.evaluate("document.getElementById('message').textContent")
        assert "the weekly run resumes and sends version" in said, said

    ended = served.wait(run, timeout=180)
    assert ended.state.is_completed(), served.tail()
    with migrated(served.space.database_url) as store:
        sent = store.get_issue(number)
        assert sent is not None and sent.status == "sent" and sent.version == int(version)
        approved = store.revision_picks(number, int(version))
        mine = {
            (d.arxiv_id, d.action.value, d.section)
            for d in store.decisions()
            if d.source == "approval"
        }
    assert approved is not None and len(approved.ids) == 11
    assert (
        approved.sections[candidate["id"]] == candidate["other"] and approved.sections[moved] == to
    )
    assert not {picks[0], picks[-1]} & set(approved.ids)
    mails = served.space.mails(number)
    recipients = Counter(email.message_from_bytes(m.read_bytes())["To"] for m in mails)
    assert recipients == Counter(READERS)  # every reader, once
    for mail in mails:  # exactly the approved issue: no paper the editor did not see
        assert list(dict.fromkeys(PAPER.findall(html_of(mail)))) == list(approved.ids)
    assert {
        (picks[0], "removed", None),
        (picks[-1], "removed", None),
        (candidate["id"], "added", candidate["other"]),
        (moved, "moved", to),
    } <= mine
