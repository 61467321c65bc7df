"""Digest flow: fetch the figures the week's digest will show (the figures stage), then render
it in every format and deliver it once per channel."""

from __future__ import annotations

from prefect import flow, get_run_logger, task

from digests import DigestReport, run_digest
from digests.figure_fetch import fetch_figures
from flows.runlog import publish_artifact
from seascout.core.config import load_settings
from warehouse.db import Warehouse


@task
def figures_task(config_path: str | None = None, period: str | None = None) -> dict[str, int]:
    settings = load_settings(config_path)
    outcome = fetch_figures(settings, Warehouse(settings.db_path), period=period)
    get_run_logger().info(outcome.describe(settings.figures_dir))
    return outcome.counts()


@task
def digest_task(config_path: str | None = None, period: str | None = None,
                deliver: bool = True) -> DigestReport:
    settings = load_settings(config_path)
    report = run_digest(settings, Warehouse(settings.db_path), period=period, deliver=deliver)
    get_run_logger().info(report.describe())
    return report


@flow(name="digest", log_prints=True)
def digest_flow(config_path: str | None = None, period: str | None = None,
                deliver: bool = True) -> dict[str, object]:
    """Fetch the figures of `period`'s entries (ISO week, default: last week), render its
    digest and deliver it."""
    figures = figures_task(config_path, period)
    report = digest_task(config_path, period, deliver)
    publish_artifact(report, "digest-" + report.digest_id.lower(),
                     load_settings(config_path).config.digest.site_url)
    return {"digest_id": report.digest_id, "items": report.items, "new": report.new,
            "updated": report.updated, "files": report.files, "deliveries": report.deliveries,
            "errors": report.errors, "figures": figures}
