"""The click history readers' interest learns from, read from raw events and from totals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from newsletter.engagement.interest import section_history
from newsletter.engagement.retention import fold_old_events
from newsletter.selection.interest import SectionClicks
from newsletter.store import Store
from tests.engagement.test_report import NOW, play, sent_issue


def test_each_sent_issue_gives_its_sections_papers_and_clicks(
    any_store: Store, tmp_path: Path
) -> None:
    issue = sent_issue(any_store, tmp_path)
    play(any_store)
    raw = section_history(any_store)
    sections = {s.name: len(s.papers) for s in issue.sections}
    assert {h.section: h.papers for h in raw} == sections
    assert [h for h in raw if h.clicks] == [SectionClicks(1, "LLM Training", 1, 1, 8)]
    fold_old_events(any_store, dt.timedelta(days=7), NOW + dt.timedelta(days=8))
    assert section_history(any_store) == raw  # the same from the folded totals
    assert section_history(any_store, issues=0) == []
