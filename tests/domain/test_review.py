"""What changed between two versions of a draft, and what it teaches: the editor's net word
against the week's build, never an edit and its undoing both."""

from __future__ import annotations

import datetime as dt

from newsletter.domain.learning import Action
from newsletter.domain.review import Changes, Picks, changes, decisions

WEEK = dt.date(2024, 11, 25)
A, B, R = "Agents", "Benchmarks", "Reasoning"
BUILT = Picks(((A, "1"), (A, "2"), (B, "3"), (R, "4")))


def test_changes_name_what_was_added_removed_moved_and_reordered() -> None:
    after = Picks(((A, "2"), (A, "1"), (B, "5"), (R, "3")))
    found = changes(BUILT, after)
    assert found == Changes(added=(("5", B),), removed=("4",), moved=(("3", B, R),), reordered=(A,))
    assert found.summary() == "+1 −1 ↔1 ⇅1" and found.count == 4
    assert found.lines({"5": "Five"}) == [
        "added 5 «Five» to Benchmarks",
        "removed 4",
        "moved 3 from Benchmarks to Reasoning",
        "new order in Agents",
    ]
    assert not changes(BUILT, BUILT) and changes(BUILT, BUILT).summary() == "no changes"


def test_a_paper_moved_in_or_added_does_not_reorder_the_ones_that_stayed() -> None:
    after = Picks(((A, "1"), (A, "2"), (A, "3"), (R, "4")))
    assert changes(BUILT, after).reordered == ()


def test_decisions_are_the_editors_net_word_against_the_build() -> None:
    removed = Picks(BUILT.placed[1:])
    made, forget = decisions(WEEK, BUILT, removed, BUILT)
    assert [(d.arxiv_id, d.action) for d in made] == [("1", Action.REMOVED)] and not forget

    back = decisions(WEEK, removed, BUILT, BUILT)  # put back where the build had it
    assert back == ([], [(WEEK, "1", (Action.ADDED, Action.REMOVED, Action.MOVED))])

    added = Picks((*BUILT.placed, (B, "9")))
    made, _ = decisions(WEEK, BUILT, added, BUILT)
    assert [(d.arxiv_id, d.action, d.section) for d in made] == [("9", Action.ADDED, B)]
    moved_own = Picks((*BUILT.placed, (R, "9")))  # the editor's own addition, moved: still added
    made, _ = decisions(WEEK, added, moved_own, BUILT)
    assert [(d.arxiv_id, d.action, d.section) for d in made] == [("9", Action.ADDED, R)]
    made, forget = decisions(WEEK, added, BUILT, BUILT)  # and taken out again: forgotten
    assert not made and forget == [(WEEK, "9", (Action.ADDED, Action.MOVED, Action.ORDERED))]


def test_an_order_is_kept_with_each_papers_place() -> None:
    after = Picks(((A, "2"), (A, "1"), (B, "3"), (R, "4")))
    made, _ = decisions(WEEK, BUILT, after, BUILT)
    assert [(d.arxiv_id, d.action, d.section, d.position) for d in made] == [
        ("2", Action.ORDERED, A, 1),
        ("1", Action.ORDERED, A, 2),
    ]
