"""Which subject won and how sure: the rules in order (no signal, tie, best rate), the
two-proportion z-test for two subjects, the probability to be best for more; and the send
loop sending a sample in its subjects, then the rest with the winner, nobody twice."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from newsletter.delivery.backends import Outcome, Settle
from newsletter.delivery.message import Envelope, Signer
from newsletter.delivery.send import send_issue
from newsletter.delivery.subject_test import decide, probability_best, two_proportion_p
from newsletter.domain.delivery import Batch
from newsletter.domain.issue import IssueStatus
from newsletter.domain.subject_test import NO_SIGNAL, TIE, Metric, VariantCounts
from tests.support.deliveries import HTML, SENDER, TEXT
from tests.support.ledger import Answer, MemoryLedger, ScriptedBackend, accept


def counts(*clicks: int, sent: int = 100, opens: tuple[int, ...] = ()) -> list[VariantCounts]:
    opened = opens or tuple(3 * c for c in clicks)
    return [VariantCounts(sent, o, c) for c, o in zip(clicks, opened, strict=True)]


def test_no_reader_of_the_sample_clicked_then_the_first_subject() -> None:
    found = decide(counts(0, 0, opens=(30, 60)), Metric.CLICKS)
    assert (found.winner, found.rule, found.significant) == (0, NO_SIGNAL, False)
    assert found.summary == "no click in the sample yet: the first subject goes to the rest"
    assert decide(counts(0, 0, opens=(30, 60)), Metric.OPENS).winner == 1  # opens differ


def test_a_tie_goes_to_the_first_listed_of_the_tied() -> None:
    two = decide(counts(5, 5), Metric.CLICKS)
    assert (two.winner, two.rule, two.significant) == (0, TIE, False)
    three = decide(counts(2, 9, 9), Metric.CLICKS)
    assert (three.winner, three.rule) == (1, TIE) and three.summary.startswith("B, C tie at 9.0%")
    rates = decide([VariantCounts(100, 0, 5), VariantCounts(200, 0, 10)], Metric.CLICKS)
    assert rates.rule == TIE  # the same rate on different sample sizes


def test_two_subjects_the_best_rate_wins_and_the_z_test_says_how_sure() -> None:
    close = decide(counts(6, 14), Metric.CLICKS)
    # pooled 0.1, standard error sqrt(0.1 * 0.9 * 2 / 100) = 0.04243, z = 1.886
    assert close.winner == 1 and close.rule == "best click rate"
    assert close.p_value == pytest.approx(0.0593, abs=1e-4) and close.significant is False
    assert close.summary == (
        "B won on clicks: B 14.0% (14 of 100) vs A 6.0% (6 of 100); "
        "two-proportion z-test p = 0.059, not significant at 0.05"
    )
    clear = decide(counts(5, 20), Metric.CLICKS)
    assert clear.significant is True and clear.p_value is not None and clear.p_value < 0.01
    assert clear.counts == tuple(counts(5, 20))  # kept with the decision
    opens = decide(counts(9, 8, opens=(20, 45)), Metric.OPENS)
    assert (opens.winner, opens.rule) == (1, "best open rate")  # B opened more, fewer clicks
    assert two_proportion_p([0, 0], [100, 100]) == 1.0 and two_proportion_p([1, 1], [0, 5]) == 1.0


def test_three_subjects_each_gets_its_probability_to_be_best() -> None:
    found = decide(counts(5, 6, 25), Metric.CLICKS)
    assert found.winner == 2 and found.method == "probability to be best"
    assert found.p_value is None and found.significant is True
    assert sum(found.probability_best) == pytest.approx(1, abs=1e-3)
    assert found.probability_best[2] > 0.99 and found.summary.endswith(", significant")
    even = probability_best([10, 10, 10], [100, 100, 100])
    assert even == pytest.approx((1 / 3, 1 / 3, 1 / 3), abs=1e-3)
    close = decide(counts(10, 12, 11), Metric.CLICKS)
    assert close.winner == 1 and close.significant is False
    assert "not significant (below 0.95)" in close.summary


def test_the_probability_to_be_best_agrees_with_sampling() -> None:
    """The grid integral against 400,000 draws from the same Beta posteriors."""
    hits, sent = [7, 15, 11, 9], [100, 100, 120, 90]
    exact = probability_best(hits, sent)
    rng = np.random.default_rng(5)
    draws = np.stack([rng.beta(1 + x, 1 + n - x, 400_000) for x, n in zip(hits, sent, strict=True)])
    sampled = np.bincount(draws.argmax(axis=0), minlength=4) / 400_000
    assert exact == pytest.approx(tuple(sampled), abs=0.005)


def test_the_sample_then_the_rest_each_reader_once_in_their_subject() -> None:
    """The loop sends only the queued sample (each their variant's subject), leaves the issue
    sending; the ordinary send then queues everyone else and gives them the winner."""
    ledger = MemoryLedger()
    ledger.add_issue()
    ids = ledger.add_people(10)
    ledger.add_sample(1, {ids[1]: 0, ids[4]: 1, ids[6]: 0, ids[8]: 1})
    got: dict[int, list[str]] = {}
    backend = ScriptedBackend(batch_size=3, concurrency=2, otherwise=noting(got))
    issue = Envelope.for_issue(1, "Title", HTML, TEXT, SENDER)
    tested = dataclasses.replace(issue, subject="A", variants=("A", "B"))
    sample = send_issue(ledger, tested, backend, str, queued_only=True)
    assert sample.sent == 4 and ledger.issue_status() is IssueStatus.SENDING
    assert got == {ids[1]: ["A"], ids[4]: ["B"], ids[6]: ["A"], ids[8]: ["B"]}
    rest = send_issue(ledger, dataclasses.replace(tested, subject="B"), backend, str)
    assert rest.sent == 6 and ledger.issue_status() is IssueStatus.SENT
    assert all(len(s) == 1 for s in got.values()) and len(got) == 10
    assert {got[i][0] for i in ids if i not in (ids[1], ids[4], ids[6], ids[8])} == {"B"}


def noting(got: dict[int, list[str]]) -> Answer:
    """Accept every batch, noting the subject each reader got."""

    def answer(
        backend: ScriptedBackend, envelope: Envelope, batch: Batch, token: Signer, settle: Settle
    ) -> Outcome:
        for r in batch.recipients:
            got.setdefault(r.subscriber_id, []).append(envelope.subject_for(r))
        return accept(backend, envelope, batch)

    return answer
