"""Process environment every entry point sets before Prefect, litellm or Scrapy load."""

from __future__ import annotations

import os
from pathlib import Path

QUIET_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # offline, telemetry only fills the logs
    "DO_NOT_TRACK": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # otherwise importing litellm fetches a price map
    # A temporary Prefect server starts for each run without a PREFECT_API_URL; on a loaded
    # 2-core machine it can need more than Prefect's default 20 s.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}


def prepare_environment(root: Path | None = None) -> None:
    """Project-local PREFECT_HOME and quiet, offline-safe defaults; never overrides the user."""
    base = (root or Path.cwd()).resolve()
    os.environ.setdefault("PREFECT_HOME", str(base / ".prefect"))
    for key, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(key, value)
