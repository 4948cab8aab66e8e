"""prefect.yaml (work-pool deployments) stays in step with newsletter.toml and the flows."""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import Any

import yaml

from newsletter.config import load_editor_config
from newsletter.ops.prefect_api import DEPLOYMENTS
from tests.support.paths import ROOT


def _spec() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))


def _deployments() -> dict[str, dict[str, Any]]:
    return {d["name"]: d for d in _spec()["deployments"]}


def test_the_prefect_version_is_the_pinned_one() -> None:
    pinned = importlib.metadata.version("prefect")
    assert _spec()["prefect-version"] == pinned
    assert f'"prefect=={pinned}"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_the_work_pool_schedules_repeat_newsletter_toml() -> None:
    when = load_editor_config(ROOT / "newsletter.toml").schedule
    found = _deployments()
    weekly, daily = found["weekly-issue"]["schedules"], found["daily-ingest"]["schedules"]
    assert [(s["cron"], s["timezone"]) for s in weekly] == [(when.weekly, when.timezone)]
    assert [(s["cron"], s["timezone"]) for s in daily] == [(when.daily_ingest, "UTC")]
    report = found["issue-report"]["schedules"]
    assert [(s["cron"], s["timezone"]) for s in report] == [(when.report, when.timezone)]


def test_every_entrypoint_names_a_flow_and_a_queue_of_its_own() -> None:
    found = _deployments()
    for name, deployment in found.items():
        path, _, attribute = deployment["entrypoint"].partition(":")
        assert path.startswith("newsletter_flows."), path  # the installed package, no checkout
        module = importlib.import_module(path)
        assert getattr(module, attribute).name == name
        assert deployment["work_pool"]["work_queue_name"] == name


def test_the_health_check_asks_for_the_deployments_prefect_yaml_makes() -> None:
    """/healthz asks Prefect for flow/deployment names; `newsletter-flows` serves the same
    names (each deployment named after its flow)."""
    found = _deployments()
    assert sorted(DEPLOYMENTS) == sorted(f"{name}/{name}" for name in found)
