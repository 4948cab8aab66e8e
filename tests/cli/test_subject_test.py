"""`newsletter send --test-subjects` and what follows, from the command line: the sample and
when the rest may go, the refusal before then, `--now`, too few readers for a test, and a
newsletter.toml without a test."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from newsletter.errors import ConfigError, SubjectTestError
from tests.cli.test_send import prepare, run

TEST = """
[subject_test]
subjects = ["{title}", "This week: {week}"]
sample = 0.4
min_per_variant = 2
"""
B_SUBJECT = "This week: Fourth Week of November 2024"


def subjects(tmp_path: Path) -> list[str]:
    found = []
    for path in sorted((tmp_path / "box" / "issue-1").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        found.append(str(message["Subject"]))
    return found


@pytest.fixture
def config(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "newsletter.toml"
    path.write_text(TEST, encoding="utf-8")
    return {"NEWSLETTER_CONFIG": str(path)}


def test_the_sample_then_a_refusal_until_the_wait_is_over_then_now(
    tmp_path: Path, config: dict[str, str]
) -> None:
    prepare(tmp_path, people=10)
    code, output = run(tmp_path, "send", "--issue", "1", "--test-subjects", **config)
    assert code == 0, output
    assert "issue 1 via outbox: sent 4, failed 0" in output
    assert "a sample of 4 in 2 subjects (A «Important LLMs Papers #1»; B «" + B_SUBJECT in output
    assert "the rest gets the winner on clicks: newsletter send --issue 1 from " in output
    assert sorted(subjects(tmp_path)) == ["Important LLMs Papers #1"] * 2 + [B_SUBJECT] * 2
    again = run(tmp_path, "send", "--issue", "1", "--test-subjects", **config)[1]
    assert "sent" not in again.splitlines()[0] and "a sample of 4" in again  # nothing resent
    with pytest.raises(SubjectTestError, match=r"runs until .* UTC \(in (4 h|3 h 59 min)\)"):
        run(tmp_path, "send", "--issue", "1", **config)
    code, output = run(tmp_path, "send", "--issue", "1", "--now", **config)
    assert code == 0 and "sent 6, failed 0" in output
    assert (
        "subject test: no click in the sample yet: the first subject goes to the rest; "
        "the rest got «Important LLMs Papers #1»" in output
    )
    assert len(subjects(tmp_path)) == 10
    code, output = run(tmp_path, "report", "--issue", "1", "--json", **config)
    test = json.loads(output)["subject_test"]
    assert test["rule"] == "no signal yet: first subject" and test["sample"] == 4
    assert [v["sent"] for v in test["variants"]] == [2, 2]


def test_too_few_readers_for_a_test_send_everyone_the_first_subject(
    tmp_path: Path, config: dict[str, str]
) -> None:
    prepare(tmp_path, people=9)  # 40% of 9 is 3: one a subject, two wanted
    code, output = run(tmp_path, "send", "--issue", "1", "--test-subjects", **config)
    assert code == 0, output
    assert (
        "subject test: too few readers for a test: 1 a subject, 2 wanted ([subject_test] "
        "min_per_variant); everyone gets the first subject; everyone got «Important LLMs "
        "Papers #1»\n" in output
    )
    assert "sent 9, failed 0" in output and subjects(tmp_path) == ["Important LLMs Papers #1"] * 9
    report = json.loads(run(tmp_path, "report", "--json", **config)[1])["subject_test"]
    assert report["rule"] == "too few: first subject" and report["significant"] is None
    assert report["winner"] == "Important LLMs Papers #1" and report["sample"] == 0
    text = run(tmp_path, "report", **config)[1]
    assert "Decision (too few: first subject): too few readers for a test" in text


def test_a_test_needs_its_section_and_an_issue_not_sent_yet(tmp_path: Path) -> None:
    prepare(tmp_path)
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"newsletter.toml has no \[subject_test\]"):
        run(tmp_path, "send", "--issue", "1", "--test-subjects")
    assert run(tmp_path, "send", "--issue", "1", "--limit", "1")[0] == 0
    path = tmp_path / "newsletter.toml"
    path.write_text(TEST, encoding="utf-8")
    with pytest.raises(SubjectTestError, match="already being sent without a subject test"):
        run(tmp_path, "send", "--issue", "1", "--test-subjects", NEWSLETTER_CONFIG=str(path))
