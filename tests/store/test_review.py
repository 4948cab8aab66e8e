"""A draft's versions in the store: each change saved only on the version the editor saw,
approval of one version, the move to sending that only that version passes; and a store
made by the last release upgraded with every row intact."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from newsletter.domain.learning import Action, Decision
from newsletter.domain.review import Picks
from newsletter.errors import LockedDraftError, NotApprovedError, StaleDraftError
from newsletter.store import Store
from tests.support.deliveries import HTML, TEXT, issue_record
from tests.support.paths import FIXTURES
from tests.support.stores import HEAD

WEEK = dt.date(2024, 11, 25)
PICKS = (("2411.00001", "One"), ("2411.00002", "Two"))


def draft(store: Store) -> None:
    store.save_draft(
        number=1,
        week_start=WEEK,
        title="Issue",
        record=issue_record(1, WEEK, "Issue", *PICKS),
        html=HTML,
        text=TEXT,
        markdown="# Issue",
    )


def revise(store: Store, seen: int, *picks: tuple[str, str]) -> int:
    return store.revise_draft(
        1,
        seen=seen,
        record=issue_record(1, WEEK, "Issue", *picks),
        html=f"<p>{len(picks)} papers</p>",
        text="",
        markdown="",
        edits={"remove": ["2411.00002"]},
        source="review",
        editor="ed@example.org",
    )


def test_a_change_lands_only_on_the_version_seen_and_approval_is_of_one_version(
    any_store: Store,
) -> None:
    draft(any_store)
    assert any_store.get_issue(1).version == 1  # type: ignore[union-attr]
    assert revise(any_store, 1, PICKS[0]) == 2
    with pytest.raises(StaleDraftError, match="changed since version 1: it is at version 2"):
        revise(any_store, 1, PICKS[1])  # a second writer, on what it saw: told, nothing lost
    assert any_store.approve_draft(1, version=2, editor="ed@example.org")
    assert not any_store.approve_draft(1, version=2, editor="ed@example.org")  # twice: fine
    with pytest.raises(StaleDraftError):
        any_store.approve_draft(1, version=1, editor=None)
    issue = any_store.get_issue(1)
    assert issue is not None and (issue.status, issue.approved_version) == ("approved", 2)
    assert issue.edited and issue.html == "<p>1 papers</p>"
    assert any_store.revision_picks(1, 1) == Picks(
        (("LLM Training", "2411.00001"), ("LLM Training", "2411.00002"))
    )
    assert any_store.revision_picks(1, 2) == Picks((("LLM Training", "2411.00001"),))
    assert any_store.built_picks(1) == any_store.revision_picks(1, 1)

    assert revise(any_store, 2, *PICKS) == 3  # a change after approval: a draft again
    again = any_store.get_issue(1)
    assert again is not None and (again.status, again.approved_version) == ("draft", None)
    with pytest.raises(NotApprovedError, match="version 2 was approved to send"):
        any_store.start_sending(1, approved=2)
    any_store.approve_draft(1, version=3, editor=None)
    assert any_store.start_sending(1, approved=3)
    with pytest.raises(LockedDraftError, match="is sending"):
        revise(any_store, 3, PICKS[0])
    with pytest.raises(LockedDraftError):
        any_store.approve_draft(1, version=3, editor=None)
    assert not any_store.start_sending(1, approved=3)  # a second run only finishes the send


def test_a_rebuild_is_a_new_version_and_the_baseline_of_changes(any_store: Store) -> None:
    draft(any_store)
    revise(any_store, 1, PICKS[0])
    any_store.approve_draft(1, version=2, editor=None)
    draft(any_store)  # `newsletter build` again: version 3, a draft, nothing approved
    issue = any_store.get_issue(1)
    assert issue is not None
    assert (issue.version, issue.status, issue.edited, issue.proofed_version) == (
        3,
        "draft",
        False,
        3,
    )
    assert any_store.built_picks(1) == Picks.of(issue.record)


def test_the_waiting_run_is_kept_until_it_times_out_or_is_cleared(any_store: Store) -> None:
    draft(any_store)
    now = dt.datetime(2024, 12, 2, 8, tzinfo=dt.UTC)
    any_store.set_waiting(1, "run-1", now + dt.timedelta(hours=1))
    issue = any_store.get_issue(1)
    assert issue is not None and issue.waiting(now) == "run-1"
    assert issue.waiting(now + dt.timedelta(hours=2)) is None  # its pause timed out
    any_store.clear_waiting(1, "run-0")  # another run's answer: this mark stays
    assert any_store.get_issue(1).waiting(now) == "run-1"  # type: ignore[union-attr]
    any_store.clear_waiting(1, "run-1")
    assert any_store.get_issue(1).waiting(now) is None  # type: ignore[union-attr]


def test_review_decisions_replace_the_editors_earlier_word(any_store: Store) -> None:
    def d(
        arxiv_id: str, action: Action, section: str | None = None, n: int | None = None
    ) -> Decision:
        return Decision(WEEK, arxiv_id, action, section, "approval", n)

    any_store.record_decisions([d("9", Action.PICKED)], replace_source=False)  # another source
    any_store.record_review([d("1", Action.REMOVED), d("2", Action.ADDED, "A")])
    any_store.record_review([d("1", Action.ADDED, "B")])  # put back, elsewhere: added replaces
    any_store.record_review(
        [d("3", Action.ORDERED, "A", 1), d("4", Action.ORDERED, "A", 2)],
        forget=[(WEEK, "2", (Action.ADDED,))],
    )
    any_store.record_review([d("4", Action.ORDERED, "A", 1), d("3", Action.ORDERED, "A", 2)])
    found = {(x.arxiv_id, x.action.value, x.section, x.position) for x in any_store.decisions()}
    assert found == {
        ("9", "picked", None, None),
        ("1", "added", "B", None),
        ("4", "ordered", "A", 1),
        ("3", "ordered", "A", 2),
    }
    assert any_store.removed_by_editor(WEEK) == []


def test_a_store_of_the_last_release_upgrades_with_every_row_intact(tmp_path: Path) -> None:
    """release-0.1: issue 1 sent, issue 2 half sent with a batch pending; both get version 1
    with their picks, and the half-done send can finish."""
    db = tmp_path / "release.sqlite"
    with gzip.open(FIXTURES / "stores" / "release-0.1.sqlite.gz") as packed, open(db, "wb") as out:
        shutil.copyfileobj(packed, out)
    with Store(f"sqlite:///{db}") as store:
        before = _rows(store)
        assert store.migrate() == HEAD
        assert _rows(store, like=before) == before
        for number, status in ((1, "sent"), (2, "sending")):
            issue = store.get_issue(number)
            assert issue is not None and (issue.status, issue.version, issue.edited) == (
                status,
                1,
                False,
            )
            assert store.revision_picks(number, 1) == Picks.of(issue.record) != Picks()
        assert not store.start_sending(2, approved=None)  # sending: only finishing it is left
        assert [d.position for d in store.decisions()] == [None] * len(store.decisions())


def _rows(
    store: Store, like: dict[str, list[tuple[object, ...]]] | None = None
) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the release's tables; with `like`, only the columns those rows have
    (later migrations add columns)."""
    tables = ("issues", "deliveries", "send_batches", "subscribers", "editor_decisions", "papers")
    with store.engine.connect() as conn:
        found = {}
        for table in tables:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")).all()
            width = len(like[table][0]) if like and like[table] else None
            found[table] = [tuple(r)[:width] for r in rows]
    return found
