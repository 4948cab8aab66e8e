"""Synthetic votes for the demo: some readers say which papers were useful, through the same
service the vote page's button calls, so the report shows votes offline. Seeded, so the same
every time."""

from __future__ import annotations

import random
from collections.abc import Sequence

from newsletter.app import App
from newsletter.domain.issue import IssueRecord
from newsletter.domain.votes import Choice, Tally
from newsletter.services import votes
from newsletter.tokens import VoteRef

SHARE = 0.08  # of the readers vote, on one to three papers each
MOST_VOTERS = 400  # a demo of 100,000 readers need not wait for 8,000 of them


def cast_votes(
    app: App, record: IssueRecord, readers: Sequence[int], *, seed: int = 23
) -> dict[str, Tally]:
    """Votes by a share of `readers` (subscriber ids) on the issue's papers, each paper found
    useful by its own share of them; what was cast, by arXiv id."""
    rng = random.Random(seed)
    picks = [paper.arxiv_id for _, paper in record.picks]
    if not picks or not readers:
        return {}
    liked = [rng.uniform(0.25, 0.95) for _ in picks]  # how useful readers find each paper
    voters = rng.sample(list(readers), k=min(MOST_VOTERS, max(1, round(len(readers) * SHARE))))
    cast: dict[str, Tally] = {}
    for reader in voters:
        for place in rng.sample(range(len(picks)), k=min(len(picks), rng.randint(1, 3))):
            up = rng.random() < liked[place]
            done = votes.cast_vote(
                app, VoteRef(reader, record.number, place + 1), Choice.UP if up else Choice.DOWN
            )
            if done is not None:
                key = picks[place]
                cast[key] = cast.get(key, Tally()) + Tally(int(up), int(not up))
    return cast
