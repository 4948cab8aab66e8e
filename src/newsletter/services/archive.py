"""What the public archive shows: the issues that went out, and an issue's page as mailed."""

from __future__ import annotations

from newsletter.app import App
from newsletter.store.archive import ArchiveEntry

__all__ = ["ArchiveEntry", "issue_html", "sent_issues"]


def sent_issues(app: App) -> list[ArchiveEntry]:
    """Issues whose send finished, newest first."""
    with app.store() as store:
        return store.sent_issues()


def issue_html(app: App, number: int) -> str | None:
    """The issue's email as stored, once its send has started; None for a draft or no issue."""
    with app.store() as store:
        return store.published_issue_html(number)
