"""The review service behind the page, `newsletter review` and the dashboard's form: one set
of rules for an answer (an empty one asks again, a stale one takes nothing, a typo keeps
approval back), approval that resumes a waiting run, and a send that takes only what was
approved."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletter.app import App
from newsletter.config import load_settings
from newsletter.errors import NotApprovedError
from newsletter.issue.edits import Edits
from newsletter.scheduler import Resumed
from newsletter.services import review, send
from tests.support.review import build_week
from tests.support.workspace import CONFIG


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_week(tmp_path_factory.mktemp("built"))


class Recording:
    """A scheduler that answers as told and keeps what it was asked."""

    def __init__(self, answer: Resumed) -> None:
        self.answer, self.asked = answer, list[tuple[str, dict[str, Any]]]()

    def resume(self, run_id: str, answer: dict[str, Any]) -> Resumed:
        self.asked.append((run_id, answer))
        return self.answer


@pytest.fixture
def app(built: Path, tmp_path: Path) -> Iterator[App]:
    shutil.copy(built, tmp_path / "store.db")
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        outbox=tmp_path / "outbox",
        config=CONFIG,
        sendgrid_api_key=None,
        smtp_url=None,
        prefect_api_url=None,
    )
    yield App(settings)


def test_an_answer_without_a_choice_asks_again_and_a_stale_one_takes_nothing(app: App) -> None:
    first = review.view(app, 1)
    empty = review.answer(app, 1, Edits(), (), approve_it=False, seen=first.version)
    assert not empty.approved and not empty.changed
    assert empty.note == "Nothing was chosen: tick approve to send it, or decline to stop it."
    assert review.view(app, 1).status.value == "draft"  # not cancelled, not changed

    gone = first.picks.ids[0]
    review.edit(app, 1, Edits(remove=(gone,)), seen=first.version)  # on the page, meanwhile
    late = review.answer(
        app, 1, Edits(remove=(first.picks.ids[1],)), (), approve_it=True, seen=first.version
    )
    assert not late.approved and f"removed {gone}" in late.note and "nothing was" in late.note
    assert review.view(app, 1).paper_count == 11  # the form's edit did not land


def test_a_typo_beside_approval_applies_the_rest_and_asks_again(app: App) -> None:
    first = review.view(app, 1)
    edits, refused = Edits.typed_leniently(remove=[first.picks.ids[0], "oops"])
    done = review.answer(app, 1, edits, refused, approve_it=True, seen=first.version)
    assert not done.approved and done.changed
    assert "Not applied: oops: not an arXiv id" in done.note and "Not sent" in done.note
    again = review.answer(app, 1, Edits(), (), approve_it=True, seen=done.draft.version)
    assert again.approved and again.draft.status.value == "approved"


def test_approving_resumes_the_run_waiting_for_it(app: App) -> None:
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    review.waiting(app, 1, "8a8d6a0e-0000-4000-8000-000000000001", until)
    scheduler = Recording(Resumed(True, False))
    app._scheduler = scheduler  # what NEWSLETTER_PREFECT_API_URL would make
    assert review.view(app, 1).waiting_until == until
    done = review.approve(app, 1, version=1, editor="editor@example.org")
    assert done.resumed and "resumes and sends version 1" in done.message
    assert scheduler.asked == [
        ("8a8d6a0e-0000-4000-8000-000000000001", {"approve": True, "version": 1})
    ]
    assert review.view(app, 1).waiting_until is None  # answered: waits no more


def test_a_run_that_is_gone_leaves_the_approval_for_newsletter_send(app: App) -> None:
    review.waiting(
        app,
        1,
        "8a8d6a0e-0000-4000-8000-000000000002",
        dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    with pytest.raises(NotApprovedError, match="a weekly run is waiting"):
        send.send(app, 1, "outbox")  # not approved, and a run waits for the answer
    app._scheduler = Recording(Resumed(False, True, "the run is cancelled"))
    done = review.approve(app, 1, version=1, editor=None)
    assert not done.resumed and "no longer waiting (the run is cancelled)" in done.message
    assert "newsletter send --week 2024-11-25" in done.message
    assert send.send(app, 1, "outbox").sent == 3


def test_without_a_scheduler_the_editor_is_told_how_to_resume(app: App) -> None:
    review.waiting(
        app,
        1,
        "8a8d6a0e-0000-4000-8000-000000000003",
        dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    done = review.approve(app, 1, version=1, editor=None)
    assert not done.resumed and "NEWSLETTER_PREFECT_API_URL" in done.message


def test_approval_required_refuses_a_draft_and_sends_the_approved_version(
    app: App, tmp_path: Path
) -> None:
    required = CONFIG.read_text() + "required = true\n"  # [approval] is the last table
    (tmp_path / "required.toml").write_text(required)  # its feeds are not read here
    strict = App(app.settings.model_copy(update={"config": tmp_path / "required.toml"}))
    with pytest.raises(NotApprovedError, match=r"not approved \(\[approval\] required\)"):
        send.send(strict, 1, "outbox")
    first = review.view(strict, 1)
    review.approve(strict, 1, version=first.version, editor=None)
    review.edit(strict, 1, Edits(remove=(first.picks.ids[0],)))  # a change: a draft again
    with pytest.raises(NotApprovedError):
        send.send(strict, 1, "outbox", approved=first.version)
    review.approve(strict, 1, version=first.version + 1, editor=None)
    assert send.send(strict, 1, "outbox").sent == 3


def test_a_subject_tests_sample_waits_for_approval_as_the_send_does(app: App) -> None:
    """`send.fix` (what the weekly run and `send --test-subjects` call before a sample goes
    out) refuses while a run waits for the editor, then fixes exactly the approved version."""
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    review.waiting(app, 1, "run-1", until)
    with pytest.raises(NotApprovedError, match="waiting for the editor's approval"):
        send.fix(app, 1)
    first = review.view(app, 1)
    assert first.status.value == "draft"
    review.approve(app, 1, version=first.version, editor=None)
    send.fix(app, 1, approved=first.version, require_approval=True)
    assert review.view(app, 1).status.value == "sending"
