"""A subject test through the services over the real send path, for SendGrid (the official
client to the SendGrid-compatible server, every body checked against the OpenAPI schema)
and SMTP (aiosmtpd): 1,000 readers, a sample of 200 in two subjects, a signed event stream
in which B draws the clicks, the rest refused until the wait is over, then sent with B;
everyone exactly once. (The same with a SIGKILL in each phase: tests/delivery/test_kill.py.)"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest

from newsletter.app import App
from newsletter.config import Settings
from newsletter.errors import SubjectTestError
from newsletter.services import report as reporting
from newsletter.services import send, subject_test
from newsletter.services.subject_test import Phase
from tests.support.sendgrid_server import API_KEY, SendGridServer
from tests.support.smtp_server import SMTPServer
from tests.support.stores import migrated
from tests.support.subject_test import (
    B_SUBJECT,
    READERS,
    play_signed,
    prepare,
    sendgrid_subjects,
    smtp_subjects,
)
from tests.support.web_site import FROM, SECRET


@pytest.mark.parametrize("backend", ["sendgrid", "smtp"])
def test_the_sample_goes_out_in_two_subjects_and_the_rest_gets_the_winner_once(
    backend: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with ExitStack() as stack:
        store = stack.enter_context(migrated(url))
        record, config = prepare(store, tmp_path)
        if backend == "sendgrid":
            server = stack.enter_context(SendGridServer(validate="full"))
            wire = {"sendgrid_api_key": API_KEY, "sendgrid_api_host": server.url}
        else:
            smtp = stack.enter_context(SMTPServer())
            wire = {"smtp_url": f"smtp://{smtp.host}:{smtp.port}?tls=none"}
        app = App(
            Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=url,
                config=config,
                from_address=FROM,
                base_url="https://news.example",
                secret=SECRET,
                sendgrid_batch_size=64,  # 4 batches for the sample: both subjects in each
                send_concurrency=4,
                **wire,
            ),
            store=store,
        )
        assert subject_test.state(app, 1, planned=True).phase is Phase.SAMPLE
        sample = subject_test.send_sample(app, 1, backend)
        assert sample.report is not None and (sample.report.sent, sample.left) == (200, 0)
        assert subject_test.state(app, 1).phase is Phase.WAITING
        sent = subject_test.readers(app, 1)
        assert Counter(v for _, _, v in sent) == {0: 100, 1: 100}
        clickers = play_signed(store, tmp_path, record, sent)
        with pytest.raises(
            SubjectTestError, match=r"subject test runs until .* \(in (4 h|3 h 59 min)\)"
        ):
            send.send(app, 1, backend)
        rest = send.send(app, 1, backend, skip_wait=True)
        again = send.send(app, 1, backend)  # nothing left: nobody twice
        report = reporting.report(app, 1).to_json()
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        assert reporting.fold(app, keep_days=7, now=later).issues == [1]
        folded = reporting.report(app, 1).to_json()  # from the issue's totals
        received = sendgrid_subjects(server) if backend == "sendgrid" else _smtp(smtp)

    assert (rest.sent, again.sent) == (READERS - 200, 0)
    everyone = {f"reader{n}@example.org" for n in range(READERS)}
    assert set(received) == everyone and all(len(s) == 1 for s in received.values())
    variant = {email: v for _, email, v in sent}
    title = record.title
    for address, (subject,) in received.items():
        expected = {0: title, 1: B_SUBJECT, None: B_SUBJECT}[variant.get(address)]
        assert subject == expected, address
    test = report["subject_test"]
    assert test["metric"] == "clicks" and test["winner"] == B_SUBJECT
    assert test["rule"] == "best click rate" and test["sample"] == 200
    assert [v["subject"] for v in test["variants"]] == [title, B_SUBJECT]
    assert [v["sent"] for v in test["variants"]] == [100, 100]
    assert [v["unique_clicks"] for v in test["variants"]] == [len(c) for c in clickers]
    assert len(clickers[1]) > 2 * len(clickers[0]) > 0
    assert test["significant"] is True and test["p_value"] < 0.05
    assert report["sent"] == READERS
    assert folded["folded"] is True and folded["subject_test"] == test


def _smtp(server: SMTPServer) -> dict[str, list[str]]:
    return {a: [s for s, _ in found] for a, found in smtp_subjects(server).items()}
