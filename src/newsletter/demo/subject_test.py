"""The demo's subject-line test: the sample gets the demo's two subjects, its synthetic
readers open the second more often, and the winner goes to the rest at once (the demo does
not wait `wait_hours`). With too few readers (the demo without --events) no test is run and
everyone gets the first subject, as on a small list."""

from __future__ import annotations

import dataclasses
import datetime as dt

from newsletter.app import App
from newsletter.demo.engagement import play, readers_of, sent_at
from newsletter.services import send, subject_test
from newsletter.services.build import Built
from newsletter.services.send import SendReport

APPEAL = {0: 0.7, 1: 1.5}  # how much more readers open each subject than usual


def send_tested(
    app: App, built: Built, now: dt.datetime, events: bool
) -> tuple[SendReport, frozenset[int]]:
    """The issue through its subject test: (what went out in all, the sample's readers,
    whose events were played already when `events`)."""
    number = built.issue.number
    sample = subject_test.send_sample(app, number, "outbox")
    if sample.report is None:  # too few readers: no test, the first subject for everyone
        return send.send(app, number, "outbox"), frozenset()
    readers = readers_of(app, number)
    if events:
        base = app.sender("outbox")[0].base_url
        play(app, built.rendered.record, readers, base, sent_at(now), now, appeal=APPEAL)
    rest = send.send(app, number, "outbox", skip_wait=True)
    return _both(sample.report, rest), frozenset(r.subscriber_id for r in readers)


def _both(sample: SendReport, rest: SendReport) -> SendReport:
    """The two phases as one send's summary."""
    return dataclasses.replace(
        rest,
        sent=sample.sent + rest.sent,
        failed=sample.failed + rest.failed,
        skipped=sample.skipped + rest.skipped,
        requests=sample.requests + rest.requests,
        seconds=sample.seconds + rest.seconds,
    )
