"""Digest flow: render the week's digest in every format and deliver it once per channel."""

from __future__ import annotations

from prefect import flow, get_run_logger, task

from digests import DigestReport, run_digest
from flows.runlog import publish_artifact
from seascout.core.config import load_settings
from warehouse.db import Warehouse


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
    """Render the digest of `period` (ISO week, default: last week) and deliver it."""
    report = digest_task(config_path, period, deliver)
    publish_artifact(report, "digest-" + report.digest_id.lower(),
                     load_settings(config_path).config.digest.site_url)
    return {"digest_id": report.digest_id, "items": report.items, "new": report.new,
            "updated": report.updated, "files": report.files, "deliveries": report.deliveries,
            "errors": report.errors}
