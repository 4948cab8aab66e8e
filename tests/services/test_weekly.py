"""The services a weekly run calls, one per task (build, review, send, learn, notify),
without Prefect: the flows only wrap these."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from newsletter.app import App
from newsletter.config import EditorConfig, load_settings
from newsletter.config.editor import ScheduleConfig
from newsletter.domain.week import Week
from newsletter.issue.edits import Edits
from newsletter.services import review
from newsletter.services.build import prepare, week_of
from newsletter.services.ingest import ingest_feed
from newsletter.services.learn import learn_from_issue
from newsletter.services.notify import notify_editors, redact
from newsletter.services.send import proof_recipients, send
from tests.support.paths import ROOT
from tests.support.stores import migrated
from tests.support.workspace import CONFIG, Workspace, make_workspace


def test_the_library_never_imports_prefect() -> None:
    code = (
        "import sys, newsletter.cli, newsletter.web.app, newsletter.services.review, "
        "newsletter.services.notify, newsletter.services.report, newsletter.services.subscribe; "
        "sys.exit(any(m == 'prefect' or m.startswith('prefect.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_the_default_week_is_the_one_that_just_ended() -> None:
    assert week_of(None, dt.date(2024, 12, 2)) == Week(dt.date(2024, 11, 25), dt.date(2024, 12, 1))
    assert week_of(dt.date(2024, 11, 27), dt.date(2025, 1, 1)).start == dt.date(2024, 11, 25)


def test_proofs_go_to_the_test_addresses_and_the_editors_once_each() -> None:
    editor = EditorConfig.model_validate(
        {"approval": {"editors": ["Ed@Example.org", "ed@example.org"]}}
    )
    assert proof_recipients(editor, ["ed@example.org", "x@example.org"]) == (
        "ed@example.org",
        "x@example.org",
    )


def test_schedule_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="time zone"):
        ScheduleConfig(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="cron"):
        ScheduleConfig(weekly="every monday")
    assert (
        EditorConfig().schedule.weekly == "0 8 * * 1"
        and EditorConfig().approval.timeout_hours == 24
    )


def ingested_week(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Workspace, App, Week]:
    """A workspace (three readers, the outbox) working from tmp_path, the demo week ingested."""
    space = make_workspace(tmp_path)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        database_url=space.database_url,
        outbox=space.outbox,
        config=CONFIG,
        sendgrid_api_key=None,
        smtp_url=None,
    )
    app, week = App(settings), Week.containing(dt.date(2024, 11, 25))
    for name in ("hf-daily", "arxiv-cs-cl"):
        ingest_feed(app, name, week.start, week.end)
    return space, app, week


def test_a_sent_week_is_never_rebuilt_and_sending_again_reaches_nobody(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a retried send task or a second run relies on: the ledger and the locked draft."""
    space, app, week = ingested_week(tmp_path, monkeypatch)
    draft = prepare(app, week, Edits(size=4))
    assert len(draft.picks) == 4 and draft.audience == 3 and not draft.locked
    assert send(app, draft.number).sent == 3
    assert send(app, draft.number).sent == 0
    again = prepare(app, week, Edits(size=6))
    assert again.locked == "sent" and again.ids == draft.ids
    with migrated(space.database_url) as store:
        assert store.delivery_counts(draft.number) == {"sent": 3}


def test_notices_reach_the_editors_with_secrets_blanked(tmp_path: Path) -> None:
    space = make_workspace(tmp_path)
    settings = load_settings(
        database_url=space.database_url,
        outbox=space.outbox,
        config=CONFIG,
        sendgrid_api_key=None,
        smtp_url=SecretStr("smtp://u:hunter22@mail.example:587"),
        report_secret=SecretStr("report-links-key"),
    )
    assert (
        redact(settings, "login failed for smtp://u:hunter22@mail.example:587 (hunter22)")
        == "login failed for *** (***)"
    )
    assert redact(settings, "signed with report-links-key") == "signed with ***"
    sent = notify_editors(
        App(settings), "weekly-issue failed", "the password hunter22 was refused", backend="outbox"
    )
    assert sent == ("editor@example.org",)
    text = space.notice().read_text()
    assert "hunter22" not in text and "[newsletter] weekly-issue failed" in text


def test_review_edits_change_only_what_they_name_and_a_sent_issue_teaches_the_next_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor's edits on the stored draft: a removal leaves it one shorter (nothing fills
    the gap), a move changes only that paper's section, a typo refuses only itself; what
    they changed is recorded; after the send the models retrain on the issue as it went out
    (picks with their sections, the rest left out)."""
    from newsletter.domain.learning import Action

    space, app, week = ingested_week(tmp_path, monkeypatch)
    first = prepare(app, week, Edits(size=6))
    gone, moved = first.ids[-1], first.ids[0]
    target = next(s for s in ("LLM Agents", "LLM Reasoning") if s != first.picks[0].section)
    edits, refused = Edits.typed_leniently(
        remove=[gone], move=[f"{moved} to {target}", f"{first.ids[1]} to Poetry"]
    )
    done = review.edit(app, first.number, edits, refused, seen=first.version)
    draft = done.draft
    assert draft.paper_count == 5 and gone not in draft.picks.ids  # no backfill
    assert draft.picks.sections[moved] == target
    assert {i: s for i, s in draft.picks.sections.items() if i != moved} == {
        p.arxiv_id: p.section for p in first.picks if p.arxiv_id not in (gone, moved)
    }  # nothing else moved, added or dropped
    assert [str(r) for r in done.refused] == [
        f"{first.ids[1]} to Poetry: no section named 'Poetry' "
        "(LLM Progress & Benchmarking, Transformers, LLM Training, LLM Quantization & "
        "Optimization, LLM Reasoning, Retrieval Augmented Generation (RAG), LLM Evaluation, "
        "LLM Agents, Other LLM Research)"
    ]
    assert draft.version == first.version + 1 and draft.suggestions  # the next-ranked, offered
    assert draft.suggestions[0].arxiv_id not in draft.picks.ids
    review.approve(app, first.number, version=draft.version, editor=None)
    assert send(app, first.number).sent == 3
    label = learn_from_issue(app, first.number)
    assert label.startswith("v")
    with migrated(space.database_url) as store:
        actions = {(d.arxiv_id, d.action) for d in store.decisions()}
        assert (gone, Action.REMOVED) in actions and (moved, Action.MOVED) in actions
        assert {(i, Action.PICKED) for i in draft.picks.ids} <= actions
        assert sum(1 for _, a in actions if a is Action.LEFT_OUT) == len(draft.candidates) - 5
