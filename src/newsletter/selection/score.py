"""Selection: the week's candidates, the topic filter, and an importance score with its "why".

The score adds up explainable parts, each weighted from `[selection.weights]` (the rules,
`selection/rules.py`):

- upvotes: Hugging Face upvotes relative to the busiest paper of the same day's list
  (log scale, so 3 votes on a quiet day can still count);
- comments: discussion beyond the automatic first comment;
- feeds: how many configured feeds listed the paper, by their weights;
- kind: surveys, benchmarks, scaling laws, replications and open releases matter more
  to readers than one more method;
- topic: how squarely the paper is about LLMs (the topic filter's score, capped).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

from newsletter.config.editor import WeightsConfig
from newsletter.domain.issue import Candidate, ScorePart
from newsletter.domain.papers import Paper
from newsletter.domain.taxonomy import PaperKind
from newsletter.selection.reading import Analyser, Analysis, PaperReader
from newsletter.selection.rules import Rules

# A topic score at which a paper is squarely about LLMs (the top third of real listings).
TOPIC_FULL = 15.0


def rank(papers: Sequence[Paper], rules: Rules, *, workers: int | None = None) -> list[Candidate]:
    """Every on-topic paper as a scored candidate, best first; ties break by votes then id."""
    with Analyser(PaperReader(rules.sections), workers) as analyser:
        analyser.submit(papers)
        return rank_analysed(analyser.results(), rules)


def rank_analysed(found: Sequence[tuple[Paper, Analysis | None]], rules: Rules) -> list[Candidate]:
    day_best = _busiest_by_day([paper for paper, _ in found])
    ranked = [
        _candidate(paper, analysis, rules, day_best, forced=False)
        for paper, analysis in found
        if analysis is not None and analysis.topic.is_llm
    ]
    ranked.sort(key=ranking_key)
    return ranked


def force(
    paper: Paper, rules: Rules, papers: Sequence[Paper], reader: PaperReader | None = None
) -> Candidate:
    """The editor's --include: scored as usual, but in regardless of topic."""
    found = (reader or PaperReader(rules.sections)).analyse(
        paper.title, paper.abstract, keep_off_topic=True
    )
    assert found is not None
    return _candidate(paper, found, rules, _busiest_by_day(papers), forced=True)


def _candidate(
    paper: Paper, found: Analysis, rules: Rules, day_best: Mapping[object, int], *, forced: bool
) -> Candidate:
    w = rules.weights
    topic = found.topic.score
    parts = [
        _upvote_part(paper, day_best, w.upvotes),
        _comment_part(paper, w.comments),
        _feed_part(paper, rules.feed_weights, w.feeds),
        ScorePart("kind", w.kinds.of(found.kind), found.kind.value + _because(found.kind_why)),
        ScorePart(
            "topic",
            round(w.topic * max(min(topic, TOPIC_FULL), 0.0) / TOPIC_FULL, 4),
            f"LLM relevance {topic:g}",
        ),
    ]
    return Candidate(
        paper=paper,
        score=round(sum(p.value for p in parts), 4),
        parts=tuple(p for p in parts if p.value),
        section=found.placed.section,
        section_scores=found.placed.scores,
        kind=found.kind,
        forced=forced,
        signals=signal_values(
            upvotes=paper.upvotes,
            day_best=day_best.get(paper.listed_on, 0),
            comments=paper.comments,
            listed=sum(rules.feed_weights.get(name, 1.0) for name in paper.feeds),
            topic=topic,
            kind=found.kind.value,
        ),
    )


def signal_values(
    *,
    upvotes: int | None,
    day_best: int,
    comments: int | None,
    listed: float,
    topic: float,
    kind: str,
) -> dict[str, float]:
    """The rule score's inputs on one scale, [0, 1], for a model to weigh itself."""
    votes = upvotes or 0
    return {
        "upvotes": math.log1p(votes) / math.log1p(day_best) if votes > 0 and day_best > 0 else 0.0,
        "comments": min(max((comments or 0) - 1, 0), 4) / 4,
        "feeds": min(max(listed - 1.0, 0.0), 2.0) / 2.0,
        "topic": max(min(topic, TOPIC_FULL), 0.0) / TOPIC_FULL,
        f"kind {kind}": 1.0,
    }


def rule_score(signals: Mapping[str, float], weights: WeightsConfig) -> float:
    """The rule score from its inputs as `signal_values` gives them: their weighted sum."""
    return round(sum(w * signals.get(name, 0.0) for name, w in rule_weights(weights)), 4)


def rule_weights(weights: WeightsConfig) -> tuple[tuple[str, float], ...]:
    """Each of `signal_values`' inputs with its weight in the rule score."""
    return (
        ("upvotes", weights.upvotes),
        ("comments", weights.comments),
        ("feeds", weights.feeds),
        ("topic", weights.topic),
        *((f"kind {k.value}", weights.kinds.of(k)) for k in PaperKind),
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
    return f": {', '.join(reasons[:2])}" if reasons else ""


def _busiest_by_day(papers: Sequence[Paper]) -> dict[object, int]:
    best: dict[object, int] = defaultdict(int)
    for paper in papers:
        best[paper.listed_on] = max(best[paper.listed_on], paper.upvotes or 0)
    return dict(best)


def ranking_key(c: Candidate) -> tuple[float, int, str]:
    """Best first; ties break by upvotes, then by arXiv id, so the order is deterministic."""
    return (-c.score, -(c.paper.upvotes or 0), c.paper.arxiv_id)
