"""Seed flow: the survey documents in seeds/ → taxonomy, entries and watch list."""

from __future__ import annotations

from prefect import flow, get_run_logger, task

from seascout.core.config import load_settings
from seascout.core.survey import parse_seed_dir
from warehouse.db import Warehouse
from warehouse.seeds import SeedReport, store_survey


@task
def seed_task(config_path: str | None = None) -> SeedReport:
    settings = load_settings(config_path)
    report = store_survey(Warehouse(settings.db_path), parse_seed_dir(settings.seeds_dir))
    get_run_logger().info(report.describe())
    return report


@flow(name="seed", log_prints=True)
def seed_flow(config_path: str | None = None) -> dict[str, object]:
    """Parse seeds/*.md and store them; rerunning is idempotent."""
    return vars(seed_task(config_path))
