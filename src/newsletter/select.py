"""Selection: the week's candidates, the topic filter, and an importance score with its "why".

The score adds up explainable parts, each weighted from `[selection.weights]`:

- upvotes: Hugging Face upvotes relative to the busiest paper of the same day's list
  (log scale, so 3 votes on a quiet day can still count);
- comments: discussion beyond the automatic first comment;
- feeds: how many configured feeds listed the paper, by their weights;
- kind: surveys, benchmarks, scaling laws, replications and open releases matter more
  to readers than one more method;
- topic: how squarely the paper is about LLMs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from newsletter.models import Candidate, Paper, ScorePart
from newsletter.sections import DEFAULT_SECTIONS, Section, classify
from newsletter.topics import PaperKind, llm_relevance, paper_kind


@dataclass(frozen=True, slots=True)
class Weights:
    upvotes: float = 1.0
    comments: float = 0.15
    feeds: float = 0.2
    topic: float = 0.3
    kinds: Mapping[str, float] = field(
        default_factory=lambda: {
            PaperKind.SURVEY: 0.45,
            PaperKind.BENCHMARK: 0.3,
            PaperKind.SCALING_LAW: 0.55,
            PaperKind.REPLICATION: 0.45,
            PaperKind.OPEN_RELEASE: 0.45,
            PaperKind.METHOD: 0.0,
        }
    )


@dataclass(frozen=True, slots=True)
class Rules:
    size: int = 12
    per_section: int = 3
    weights: Weights = field(default_factory=Weights)
    feed_weights: Mapping[str, float] = field(default_factory=dict)
    sections: Sequence[Section] = DEFAULT_SECTIONS


def rank(papers: Sequence[Paper], rules: Rules) -> list[Candidate]:
    """Every on-topic paper as a scored candidate, best first; ties break by votes then id."""
    day_best = _busiest_by_day(papers)
    ranked = [
        candidate
        for paper in papers
        if (candidate := score(paper, rules, day_best)) is not None
    ]
    ranked.sort(key=ranking_key)
    return ranked


def score(paper: Paper, rules: Rules, day_best: Mapping[object, int]) -> Candidate | None:
    """One paper's candidate, or None when it is not about large language models."""
    verdict = llm_relevance(paper.title, paper.abstract or None)
    if not verdict.is_llm:
        return None
    return _candidate(paper, rules, day_best, verdict.score, forced=False)


def force(paper: Paper, rules: Rules, papers: Sequence[Paper]) -> Candidate:
    """The editor's --include: scored as usual, but in regardless of topic."""
    verdict = llm_relevance(paper.title, paper.abstract or None)
    return _candidate(paper, rules, _busiest_by_day(papers), verdict.score, forced=True)


def pick(
    ranked: Sequence[Candidate],
    rules: Rules,
    *,
    include: Sequence[Candidate] = (),
    exclude: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """The issue's papers: the editor's includes, then the best, at most `per_section` each."""
    chosen: list[Candidate] = [c for c in include if c.paper.arxiv_id not in exclude]
    taken = {c.paper.arxiv_id for c in chosen}
    per_section: dict[str, int] = defaultdict(int)
    for c in chosen:
        per_section[c.section] += 1
    for candidate in ranked:
        if len(chosen) >= rules.size:
            break
        arxiv_id = candidate.paper.arxiv_id
        if arxiv_id in taken or arxiv_id in exclude:
            continue
        if per_section[candidate.section] >= rules.per_section:
            continue
        chosen.append(candidate)
        taken.add(arxiv_id)
        per_section[candidate.section] += 1
    return chosen


def _candidate(
    paper: Paper, rules: Rules, day_best: Mapping[object, int], topic: float, *, forced: bool
) -> Candidate:
    w = rules.weights
    kind, kind_why = paper_kind(paper.title, paper.abstract or None)
    parts = [
        _upvote_part(paper, day_best, w.upvotes),
        _comment_part(paper, w.comments),
        _feed_part(paper, rules.feed_weights, w.feeds),
        ScorePart("kind", w.kinds.get(kind, 0.0), kind.value + _because(kind_why)),
        ScorePart("topic", round(w.topic * min(topic, 1.0), 4), f"LLM relevance {topic:.2f}"),
    ]
    placed = classify(paper.title, paper.abstract or None, rules.sections)
    return Candidate(
        paper=paper,
        score=round(sum(p.value for p in parts), 4),
        parts=tuple(p for p in parts if p.value),
        section=placed.section,
        section_scores=placed.scores,
        kind=kind.value,
        forced=forced,
    )


def _upvote_part(paper: Paper, day_best: Mapping[object, int], weight: float) -> ScorePart:
    votes = paper.upvotes or 0
    best = day_best.get(paper.listed_on, 0)
    if votes <= 0 or best <= 0:
        return ScorePart("upvotes", 0.0, "no upvotes")
    rel = math.log1p(votes) / math.log1p(best)
    return ScorePart("upvotes", round(weight * rel, 4), f"{votes} of the day's best {best}")


def _comment_part(paper: Paper, weight: float) -> ScorePart:
    extra = max((paper.comments or 0) - 1, 0)  # the submitter's own post is always there
    value = weight * min(extra, 4) / 4
    return ScorePart("comments", round(value, 4), f"{paper.comments or 0} comments")


def _feed_part(paper: Paper, feed_weights: Mapping[str, float], weight: float) -> ScorePart:
    listed = sum(feed_weights.get(name, 1.0) for name in paper.feeds)
    extra = max(listed - 1.0, 0.0)  # being listed at all is what makes a candidate
    names = ", ".join(paper.feeds) or "no feed"
    return ScorePart("feeds", round(weight * min(extra, 2.0) / 2.0, 4), f"listed by {names}")


def _because(reasons: Sequence[str]) -> str:
    return f" ({', '.join(reasons[:2])})" if reasons else ""


def _busiest_by_day(papers: Sequence[Paper]) -> dict[object, int]:
    best: dict[object, int] = defaultdict(int)
    for paper in papers:
        best[paper.listed_on] = max(best[paper.listed_on], paper.upvotes or 0)
    return dict(best)


def ranking_key(c: Candidate) -> tuple[float, int, str]:
    """Best first; ties break by upvotes, then by arXiv id, so the order is deterministic."""
    return (-c.score, -(c.paper.upvotes or 0), c.paper.arxiv_id)
