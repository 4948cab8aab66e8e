"""Serve weekly-issue, daily-ingest and issue-report on their schedules, from the installed
package: `python -m newsletter_flows.serve`, the `newsletter-flows` command, or the
checkout's `python flows/serve.py`. Start it in the settings folder (newsletter.toml, .env).

Schedules come from newsletter.toml's `[schedule]`: weekly-issue at `weekly` in
`timezone` (Mondays 08:00), daily-ingest at `daily_ingest` in UTC, issue-report at `report`
in `timezone` (Thursdays 08:00, three days after the send). Stopping this process
leaves the schedules on (pause_on_shutdown=False); runs due meanwhile start when it is back.
Each deployment names its flow by module path (`newsletter_flows.weekly_issue.weekly_issue`),
so the runs' processes import it from the same installed package, wherever they start.

At most one run of each deployment at a time: each deployment has its own runner with a
limit of one, which counts a run paused for the editor's approval. (Not a deployment
`concurrency_limit`: Prefect 3.8 frees that slot when a run pauses, then the paused run's
lease renewal fails and it is crashed about four minutes into the pause.)
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from prefect import Flow
from prefect.deployments.runner import RunnerDeployment
from prefect.runner import Runner
from prefect.schedules import Cron, Schedule
from prefect.types.entrypoint import EntrypointType

from .daily_ingest import daily_ingest
from .issue_report import issue_report
from .settings import editor_config
from .weekly_issue import weekly_issue


async def deployments() -> list[tuple[RunnerDeployment, Schedule]]:
    """Each deployment with its schedule, from newsletter.toml's [schedule]."""
    when = editor_config().schedule
    plan: list[tuple[Flow[..., Any], Schedule, str]] = [
        (
            weekly_issue,
            Cron(when.weekly, timezone=when.timezone),
            "The week's issue: catch up, build, preview, proof, approval, send.",
        ),
        (
            daily_ingest,
            Cron(when.daily_ingest, timezone="UTC"),
            "Every configured feed into the store, one task per feed.",
        ),
        (
            issue_report,
            Cron(when.report, timezone=when.timezone),
            "How the last sent issue did: tables, the page with charts; old events folded.",
        ),
    ]
    return [
        (
            await flow.ato_deployment(
                name=flow.name,
                schedule=schedule,
                tags=["newsletter"],
                description=description,
                entrypoint_type=EntrypointType.MODULE_PATH,
            ),
            schedule,
        )
        for flow, schedule, description in plan
    ]


async def serve(found: list[tuple[RunnerDeployment, Schedule]]) -> None:
    runners = []
    for deployment, _ in found:
        runner = Runner(name=f"newsletter-{deployment.name}", limit=1, pause_on_shutdown=False)
        await runner.aadd_deployment(deployment)
        runners.append(runner)
    for deployment, schedule in found:
        print(
            f"serving {deployment.flow_name}/{deployment.name}: "
            f"{schedule.cron} in {schedule.timezone or 'UTC'}",
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


async def _main() -> None:
    await serve(await deployments())


def main() -> None:
    """The `newsletter-flows` command."""
    asyncio.run(_main())


if __name__ == "__main__":
    main()
