"""The click history readers' interest is learned from: for each recent sent issue, each
section's papers and their unique clicks (from folded totals, or a light query)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol

from newsletter.domain.issue import IssueRecord
from newsletter.engagement.report import IssueEngagement
from newsletter.selection.interest import SectionClicks
from newsletter.store import StoredIssue

RECENT_ISSUES = 6


class ClickHistory(Protocol):
    """The recent sent issues and their clicks per paper (folded or counted)."""

    def sent_issue_numbers(self) -> list[int]: ...

    def get_issue(self, number: int) -> StoredIssue | None: ...

    def issue_totals(self, issue_number: int) -> dict[str, Any] | None: ...

    def paper_clicks(self, issue_number: int) -> tuple[int, dict[str, int]]: ...


def section_history(store: ClickHistory, *, issues: int = RECENT_ISSUES) -> list[SectionClicks]:
    """The last `issues` sent issues, section by section."""
    found: list[SectionClicks] = []
    for number in store.sent_issue_numbers()[:issues]:
        stored = store.get_issue(number)
        if stored is None:
            continue
        totals = store.issue_totals(number)
        if totals is not None:
            folded = IssueEngagement.from_json(totals)
            delivered, clicks = folded.delivered, folded.clicks_by_paper
        else:
            delivered, clicks = store.paper_clicks(number)
        found += _by_section(stored.record, delivered, clicks)
    return found


def _by_section(record: IssueRecord, delivered: int, clicks: dict[str, int]) -> list[SectionClicks]:
    papers: dict[str, int] = defaultdict(int)
    clicked: dict[str, int] = defaultdict(int)
    for section, paper in record.picks:
        papers[section.name] += 1
        clicked[section.name] += clicks.get(paper.arxiv_id, 0)
    return [
        SectionClicks(record.number, name, n, clicked[name], delivered)
        for name, n in papers.items()
    ]
