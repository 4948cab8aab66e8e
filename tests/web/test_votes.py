"""Voting on a paper, end to end: the demo week built and mailed, a reader's "useful" link
opened in Chromium (a bare GET records nothing), the button pressed, the other choice taken;
the report counts the vote; with enough votes the next week's build hears the readers and
its why says so. Screenshots go to out/screenshots/."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path

from newsletter.demo import DEMO_CONFIG, DEMO_WEEK
from newsletter.domain.votes import Choice
from newsletter.domain.week import Week
from newsletter.services import build, report, send, votes
from newsletter.tokens import VoteRef, read_vote
from tests.support.browser import Browser
from tests.support.deliveries import add_people
from tests.support.paths import SHOTS
from tests.support.stores import app_with, demo_copy, migrated
from tests.support.web_site import CSRF_FIELD, FROM, SECRET, running_site

READERS = 40


def test_a_reader_votes_through_the_page_and_the_next_build_hears_the_readers(
    browser: Browser, demo_db: Path, tmp_path: Path
) -> None:
    with (
        migrated(demo_copy(demo_db, tmp_path)) as store,
        running_site(store, tmp_path, config=DEMO_CONFIG) as site,
        browser,
    ):
        settings = {"config": DEMO_CONFIG, "base_url": site.url, "secret": SECRET}
        app = app_with(store, from_address=FROM, outbox=site.outbox, **settings)
        add_people(store, READERS)
        built = build.build(app, Week.containing(DEMO_WEEK), out=tmp_path / "out")
        number = built.issue.number
        assert send.send(app, number, "outbox").sent == READERS
        section, paper = built.rendered.record.picks[0]
        link = _vote_link(site.outbox / f"issue-{number}" / "1.eml", "up", paper_place=1)
        assert read_vote(link.split("/")[-2], SECRET) == VoteRef(1, number, 1)

        scanned = site.http.get(link)  # a link scanner, or a preview: it only GETs
        assert scanned.status_code == 200 and paper.title in scanned.text
        assert store.vote_of(number, 1, paper.arxiv_id) is None

        browser.goto(link)
        assert paper.title in browser.text() and "Vote “Useful”" in browser.text()
        assert store.vote_of(number, 1, paper.arxiv_id) is None  # opening it recorded nothing
        browser.screenshot(SHOTS / "web-vote.png")
        browser.click("#vote")
        assert "Thank you" in browser.text() and "Vote “Not for me” instead" in browser.text()
        assert store.vote_of(number, 1, paper.arxiv_id).choice is Choice.UP  # type: ignore[union-attr]
        browser.screenshot(SHOTS / "web-voted.png")
        browser.click("#other")  # changed their mind: the later vote replaces the earlier
        assert "instead of “Useful”" in browser.text()
        assert store.vote_of(number, 1, paper.arxiv_id).choice is Choice.DOWN  # type: ignore[union-attr]

        head, place, tag = link.split("/")[-2].split(".")
        for forged in (f"{head}.2.{tag}", f"{head}.{place}.{tag[::-1]}"):
            assert site.http.get(f"{site.url}/v/{forged}/up").status_code == 404
        assert site.http.get(link.replace("/up", "/sideways")).status_code == 404
        page = site.http.get(link)
        csrf = CSRF_FIELD.search(page.text).group(1)  # type: ignore[union-attr]
        elsewhere = site.http.post(link, data={"csrf": csrf}, headers={"Origin": "https://evil"})
        assert elsewhere.status_code == 403  # another site's form votes for no one
        assert store.vote_of(number, 1, paper.arxiv_id).choice is Choice.DOWN  # type: ignore[union-attr]

        counted = report.report(app, number).to_json()
        assert counted["votes_by_paper"][paper.arxiv_id] == {"up": 0, "down": 1}
        assert counted["votes_by_section"][section.name] == {"up": 0, "down": 1}

        # 24 more readers find this section's papers not for them: enough to count (20)
        places = [n for n, (s, _) in enumerate(built.rendered.record.picks, 1) if s == section]
        for reader in range(2, 26):
            for place_ in places:
                votes.cast_vote(app, VoteRef(reader, number, place_), Choice.DOWN)
        later = build.build(app, Week.containing(dt.date(2024, 12, 9)), out=tmp_path / "next")
    heard = [
        next(p for p in c.parts if p.name == "readers")
        for c in later.issue.candidates
        if c.section.name == section.name
    ]
    assert heard and all(p.value < 0 for p in heard)
    assert all(f"votes: {section.name} 0 up, " in p.detail for p in heard)
    assert any("readers moved it down" in c.why for c in later.issue.candidates)


def _vote_link(message: Path, choice: str, paper_place: int) -> str:
    """The reader's vote link for the issue's `paper_place`-th paper, from the mail's HTML."""
    msg = email.message_from_bytes(message.read_bytes(), policy=email.policy.default)
    body = msg.get_body(("html",))
    assert body is not None
    links = re.findall(r'href="([^"]+/v/[^"]+/' + choice + ')"', body.get_content())
    assert links and "%%" not in body.get_content()
    return str(links[paper_place - 1])
