"""Votes on papers: links signed for one reader, one issue and one paper; one vote per reader
per paper, the later replacing the earlier; the report counts the issue's audience only,
folded or not; erasure keeps the counts; clicks on vote links are not clicks on the paper."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsletter.domain.events import LinkKind
from newsletter.domain.votes import Choice, Tally
from newsletter.engagement.ingest import apply_events
from newsletter.engagement.links import LinkMap, stored_url
from newsletter.engagement.report import make_report
from newsletter.engagement.retention import fold_old_events
from newsletter.engagement.votes import ballot, cast, vote_history
from newsletter.errors import TokenError
from newsletter.store import Store
from newsletter.subscribers import membership
from newsletter.tokens import Purpose, VoteRef, VoteSigner, make_token, read_token, read_vote
from tests.engagement.test_report import NOW, SITE, T0, ev, sent_issue

SECRET = "vote-secret"
PAPER = "2411.15124"  # 3.1 TÜLU 3, LLM Training


def test_a_vote_token_names_one_reader_one_issue_and_one_paper() -> None:
    tokens = VoteSigner(SECRET).tokens(42, 7, 12)
    assert len(tokens) == len(set(tokens)) == 12
    assert [read_vote(t, SECRET) for t in tokens[:2]] == [VoteRef(42, 7, 1), VoteRef(42, 7, 2)]
    assert all(
        len(t) < 60 and t.replace(".", "").replace("-", "").replace("_", "").isalnum()
        for t in tokens
    )
    head, place, tag = tokens[2].split(".")
    other_reader = VoteSigner(SECRET).tokens(43, 7, 3)[2]
    forged = [
        f"{head}.4.{tag}",  # another paper with this paper's tag
        f"{other_reader.split('.')[0]}.{place}.{tag}",  # another reader with this tag
        VoteSigner("another-secret").tokens(42, 7, 3)[2],
        tokens[2][:-1] + ("A" if tokens[2][-1] != "A" else "B"),
        tokens[2][:-3],
        f"{head}.0.{tag}",
        "",
    ]
    for token in forged:
        with pytest.raises(TokenError):
            read_vote(token, SECRET)
    with pytest.raises(TokenError):  # no reuse across purposes, either way
        read_vote(make_token(42, SECRET, Purpose.UNSUBSCRIBE), SECRET)
    with pytest.raises(TokenError):
        read_token(tokens[0], SECRET, Purpose.UNSUBSCRIBE)


def test_one_vote_per_reader_per_paper_and_the_report_counts_the_audience(
    any_store: Store, tmp_path: Path
) -> None:
    """A later vote replaces the earlier; a reader who saw the issue only in a welcome mail
    is kept apart from the issue's counts, folded or not; erasing a reader keeps their vote."""
    record = sent_issue(any_store, tmp_path, readers=3)  # r1, r2, r3 got the issue
    place = next(n for n, (_, p) in enumerate(record.picks, 1) if p.arxiv_id == PAPER)
    welcomed = membership.add(any_store, "late@example.org").subscriber.id  # r4: a welcome's copy
    assert ballot(any_store, VoteRef(1, 1, place)).vote is None  # type: ignore[union-attr]
    first = cast(any_store, VoteRef(1, 1, place), Choice.UP)
    again = cast(any_store, VoteRef(1, 1, place), Choice.DOWN)
    assert first is not None and again is not None and again.changed
    assert (again.replaced.choice, again.vote.choice) == (Choice.UP, Choice.DOWN)  # type: ignore[union-attr]
    cast(any_store, VoteRef(2, 1, place), Choice.UP)
    cast(any_store, VoteRef(3, 1, 1), Choice.UP)
    cast(any_store, VoteRef(welcomed, 1, place), Choice.UP)
    for missing in (VoteRef(1, 1, 13), VoteRef(1, 2, 1), VoteRef(99, 1, 1), VoteRef(0, 1, 1)):
        assert cast(any_store, missing, Choice.UP) is None  # no such paper, issue, reader; a proof
    assert any_store.vote_tallies(1) == {
        PAPER: Tally(1, 1),
        record.picks[0][1].arxiv_id: Tally(1, 0),
    }
    assert any_store.vote_tallies(1, audience=False)[PAPER] == Tally(2, 1)

    found = make_report(any_store, now=NOW).to_json()
    assert found["votes_by_paper"][PAPER] == {"up": 1, "down": 1}
    assert list(found["votes_by_paper"]) == [p.arxiv_id for _, p in record.picks]  # issue order
    assert found["votes_by_section"]["LLM Training"] == {"up": 1, "down": 1}
    assert next(p for p in found["papers"] if p["arxiv_id"] == PAPER)["up"] == 1

    apply_events(any_store, [ev("processed", 1, 0)], NOW, base_url=SITE)
    fold_old_events(any_store, dt.timedelta(days=7), NOW + dt.timedelta(days=8))
    membership.remove(any_store, "r2@example.org")  # erasure: the vote stays, nameless
    cast(any_store, VoteRef(3, 1, place), Choice.DOWN)  # a vote after the fold still counts
    folded = make_report(any_store, now=NOW).engagement
    assert folded.folded and folded.votes_by_paper[PAPER] == {"up": 1, "down": 2}
    history = {(v.arxiv_id, v.section, v.kind): v.tally for v in vote_history(any_store)}
    assert history[(PAPER, "LLM Training", "open_release")] == Tally(2, 2)  # welcome's included


def test_a_click_on_a_vote_link_is_not_a_click_on_the_paper() -> None:
    """SendGrid's click tracking reports vote links too: they are neither the paper's clicks
    nor kept with their token."""
    target = LinkMap(SITE).attribute(f"{SITE}/v/MS4x.3.abcdefghijklmnopqrstuvwx/down")
    assert target.kind is LinkKind.VOTE
    assert stored_url(f"{SITE}/v/token/down", target) is None
    assert T0 < NOW  # the report's helpers keep the send in the past
