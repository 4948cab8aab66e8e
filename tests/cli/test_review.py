"""The editor's Monday without a scheduler: `newsletter build`, `newsletter review`, edits
and approval through the review page's JSON API, `newsletter send`: the approved version goes
out, to every reader once, and nothing else."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.domain.review import Picks
from tests.support.review import EDITOR, WEEK, Review
from tests.support.stores import migrated
from tests.support.web_site import FROM, SECRET, running_site
from tests.support.workspace import CONFIG, READERS, make_workspace

PAPER = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{4,5})")


def test_build_review_edit_approve_and_send_sends_the_approved_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    space = make_workspace(tmp_path)
    monkeypatch.chdir(tmp_path)
    with (
        migrated(space.database_url) as store,
        running_site(store, tmp_path, config=CONFIG) as site,
    ):
        env = {
            "NEWSLETTER_DATABASE_URL": space.database_url,
            "NEWSLETTER_OUTBOX": str(space.outbox),
            "NEWSLETTER_CONFIG": str(CONFIG),
            "NEWSLETTER_BASE_URL": site.url,
            "NEWSLETTER_SECRET": SECRET,
            "NEWSLETTER_FROM": FROM,
            "SENDGRID_API_KEY": "",
            "SMTP_URL": "",
        }

        def run(*args: str) -> str:
            done = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
            assert done.exit_code == 0, done.output
            return done.output

        run("ingest", "--since", "2024-11-25", "--until", "2024-12-01")
        run("build", "--week", "2024-11-25")
        shown = run("review", "--week", "2024-11-25")
        assert "(draft, version 1): 12 papers in" in shown
        link = re.search(rf"review link for {EDITOR}: {re.escape(site.url)}(/review/\S+)", shown)
        assert link, shown
        review = Review(site, store, link.group(1))

        draft = review.draft()
        papers = [(s["name"], p["arxiv_id"]) for s in draft["sections"] for p in s["papers"]]
        gone = [papers[0][1], papers[-1][1]]
        moved = papers[3][1]
        to = next(s for s in draft["section_names"] if s != papers[3][0])
        added = next(c for c in draft["candidates"] if not c["picked"])
        into = next(s for s in draft["section_names"] if s != added["section"])
        for edits in (
            {"remove": gone},
            {"move": [{"arxiv_id": added["arxiv_id"], "section": into}]},
            {"move": [{"arxiv_id": moved, "section": to}]},
        ):
            answer = review.post("edits", {**edits, "version": review.draft()["version"]})
            assert answer.status_code == 200 and not answer.json()["refused"], answer.text
        assert review.post("approve", {"version": 4}).status_code == 200

        assert "sent 3, failed 0" in run("send", "--week", "2024-11-25")
        issue = store.issue_for_week(WEEK)
        assert issue is not None and issue.status == "sent"
        approved = store.revision_picks(issue.number, 4)
        assert approved == Picks.of(issue.record) and len(approved.ids) == 11
        assert approved.sections[added["arxiv_id"]] == into and approved.sections[moved] == to
        mails = space.mails(issue.number)
        assert len(mails) == len(READERS)
        for mail in mails:
            seen = list(dict.fromkeys(PAPER.findall(html_of(mail))))
            assert seen == list(approved.ids)  # exactly the approved papers, in its order
        mine = {
            (d.arxiv_id, d.action.value, d.section)
            for d in store.decisions()
            if d.source == "approval"
        }
        assert mine == {
            (gone[0], "removed", None),
            (gone[1], "removed", None),
            (added["arxiv_id"], "added", into),
            (moved, "moved", to),
        }
        assert "sent 0" in run("send", "--week", "2024-11-25")  # again: nobody twice


def html_of(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return str(message.get_body(("html",)).get_content())  # type: ignore[union-attr]
