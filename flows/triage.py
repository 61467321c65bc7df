"""Triage flow: label and summarise every unclassified work (offline, or an LLM via litellm)."""

from __future__ import annotations

from prefect import flow, get_run_logger

from seascout.core.config import load_settings
from triage.run import run_triage
from warehouse.db import Warehouse


@flow(name="triage", log_prints=True)
def triage_flow(config_path: str | None = None, limit: int | None = None) -> dict[str, object]:
    """Classify and summarise new works; reports counts per label, LLM calls, tokens, cost."""
    settings = load_settings(config_path)
    report = run_triage(settings, Warehouse(settings.db_path), limit=limit)
    get_run_logger().info(report.describe())
    return vars(report)
