"""`python flows/serve.py`: serve weekly-issue, daily-ingest and issue-report on their schedules.

Schedules come from newsletter.toml's `[schedule]`: weekly-issue at `weekly` in
`timezone` (Mondays 08:00), daily-ingest at `daily_ingest` in UTC, issue-report at `report`
in `timezone` (Thursdays 08:00, three days after the send). Stopping this process
leaves the schedules on (pause_on_shutdown=False); runs due meanwhile start when it is back.

At most one run of each deployment at a time: each deployment has its own runner with a
limit of one, which counts a run paused for the editor's approval. (Not a deployment
`concurrency_limit`: Prefect 3.8 frees that slot when a run pauses, then the paused run's
lease renewal fails and it is crashed about four minutes into the pause.)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

# Run as a script, from any folder: `flows` must be importable here and in the flow-run
# processes the runners start (they load flows/*.py by path, with their own sys.path).
ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)

from prefect.deployments.runner import RunnerDeployment  # noqa: E402
from prefect.runner import Runner  # noqa: E402
from prefect.schedules import Cron  # noqa: E402

from flows.daily_ingest import daily_ingest  # noqa: E402
from flows.issue_report import issue_report  # noqa: E402
from flows.settings import editor_config  # noqa: E402
from flows.weekly_issue import weekly_issue  # noqa: E402


def deployments() -> list[RunnerDeployment]:
    when = editor_config().schedule
    return [
        weekly_issue.to_deployment(
            name="weekly-issue",
            schedule=Cron(when.weekly, timezone=when.timezone),
            tags=["newsletter"],
            description="The week's issue: catch up, build, preview, proof, approval, send.",
        ),
        daily_ingest.to_deployment(
            name="daily-ingest",
            schedule=Cron(when.daily_ingest, timezone="UTC"),
            tags=["newsletter"],
            description="Every configured feed into the store, one task per feed.",
        ),
        issue_report.to_deployment(
            name="issue-report",
            schedule=Cron(when.report, timezone=when.timezone),
            tags=["newsletter"],
            description="How the last sent issue did: tables, the page with charts; old events folded.",
        ),
    ]


async def serve(found: list[RunnerDeployment]) -> None:
    runners = []
    for deployment in found:
        runner = Runner(name=f"newsletter-{deployment.name}", limit=1, pause_on_shutdown=False)
        await runner.aadd_deployment(deployment)
        runners.append(runner)
    for deployment in found:
        print(
            f"serving {deployment.flow_name}/{deployment.name}: {deployment.schedules[0].schedule}",
            flush=True,
        )
    started = [asyncio.ensure_future(runner.start()) for runner in runners]
    await asyncio.sleep(0)  # each runner has now set its own SIGTERM handler, for itself alone
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):  # so stop them all, each run cancelled properly
        loop.add_signal_handler(signum, lambda: asyncio.ensure_future(_stop(runners)))
    await asyncio.gather(*started)


async def _stop(runners: list[Runner]) -> None:
    print("stopping: runs in progress are cancelled, schedules stay on", flush=True)
    await asyncio.gather(
        *(runner.astop() for runner in runners if runner.started), return_exceptions=True
    )


if __name__ == "__main__":
    asyncio.run(serve(deployments()))
