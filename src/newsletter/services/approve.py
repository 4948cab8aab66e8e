"""The editor's approval: their answer's edits (add, remove, move, order, a note) go on top of
the run's, the issue is rebuilt, and what they changed is kept for the models to learn from.

How the question is asked is the shell's (a paused Prefect run's form today, a review page
next); the answer comes in as `Edits`, the one model of a week's edits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from newsletter.app import App
from newsletter.domain.week import Week
from newsletter.errors import NewsletterError
from newsletter.issue.edits import Edits
from newsletter.services.build import Draft, prepare
from newsletter.services.learn import record_edits

__all__ = ["NotApprovedError", "Revision", "revise"]


class NotApprovedError(NewsletterError):
    hint = "start the weekly-issue run again to send it; nothing went to subscribers"
    retryable = False


@dataclass(frozen=True, slots=True)
class Revision:
    draft: Draft  # the issue rebuilt
    edits: Edits  # every edit so far: the run's, then the editor's rounds, the later word winning
    recorded: int  # the editor's edits kept to learn from (added, removed, moved papers)


def revise(app: App, week_start: dt.date, edits: Edits, answer: Edits) -> Revision:
    """The editor's `answer` on top of `edits`: the issue rebuilt, their changes recorded.

    A typo (an unknown section, an id that is not one) raises ConfigError naming it before
    anything is built or recorded, so the shell can ask again.
    """
    revised = edits.then(answer)
    draft = prepare(app, Week.containing(week_start), revised)
    return Revision(draft, revised, record_edits(app, week_start, edits, revised))
