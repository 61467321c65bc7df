"""Deployments: the weekly flow on a cron schedule, the backfill flow on demand.

`seascout serve` serves both from this process (`prefect.serve`), for users without a work
pool; `prefect deploy --all` reads `prefect.yaml` for a work-pool setup.

Entrypoints are module paths (`flows.backfill.backfill_flow`), not file paths: Prefect loads a
file entrypoint with the file's folder first on `sys.path`, and there `flows/triage.py`
shadows the `triage` package (the flow run then fails with "No module named 'triage.run'").
"""

from __future__ import annotations

from prefect import serve
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows.backfill import backfill_flow
from flows.weekly import weekly_flow
from seascout.core.config import Settings


def deployments(settings: Settings) -> list[RunnerDeployment]:
    config_path = str(settings.config_path.resolve()) if settings.config_path else None
    schedule = settings.config.schedule
    weekly = weekly_flow.to_deployment(
        name="weekly", schedule=Cron(schedule.cron, timezone=schedule.timezone),
        parameters={"config_path": config_path}, tags=["seascout"],
        entrypoint_type=EntrypointType.MODULE_PATH,
        description="Seed → crawl → triage → digest → deliver, every week.")
    backfill = backfill_flow.to_deployment(
        name="backfill", parameters={"config_path": config_path}, tags=["seascout"],
        entrypoint_type=EntrypointType.MODULE_PATH,
        description="Crawl a past window month by month (resumable); since/until/sources/digest.")
    return [weekly, backfill]  # type: ignore[list-item]  # sync call: not a coroutine


def serve_all(settings: Settings) -> None:
    """Register both deployments and run them from this process until interrupted."""
    serve(*deployments(settings), print_starting_message=True)
