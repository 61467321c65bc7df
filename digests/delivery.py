"""Delivery bookkeeping: each digest reaches each channel exactly once (`deliveries`,
`delivered_items`), across reruns and interrupted sends."""

from __future__ import annotations

import logging

from digests.channels import deliver_channel
from digests.document import Digest
from digests.report import DigestReport
from seascout.core.config import Settings
from warehouse import digest_store as store
from warehouse.db import Warehouse

log = logging.getLogger(__name__)


def deliver_once(settings: Settings, wh: Warehouse, digest: Digest, report: DigestReport,
                 wanted: list[str], run_id: str | None) -> None:
    """Send `digest` on each of the `wanted` channels that has not received it, recording
    every attempt; a channel already sent is skipped, one whose send was interrupted is never
    sent again (said loudly), one failing never stops the others."""
    status = store.delivery_status(wh, digest.digest_id)
    items = store.digest_items(wh, digest.digest_id)
    for channel in wanted:
        if status.get(channel) == "sent":
            report.deliveries[channel] = "already sent"
            continue
        if status.get(channel) == "sending" and channel != "files":
            # An earlier run died between handing the digest over and recording it: it may well
            # have arrived. Never send twice; say so loudly instead (the run ends `partial`).
            message = (f"{channel}: an earlier run stopped while sending digest "
                       f"{digest.digest_id} and could not confirm it; not sent again (to never "
                       "send it twice) — check that it arrived")
            store.record_delivery(wh, digest.digest_id, channel, ok=True, items=items,
                                  error=f"unconfirmed: {message}")
            report.deliveries[channel] = "sent (unconfirmed)"
            report.errors.append(f"{digest.digest_id} {message}")
            log.warning("digest %s: %s", digest.digest_id, message)
            continue
        store.mark_sending(wh, digest.digest_id, channel)
        try:
            deliver_channel(settings, channel, digest, report.files)
        except Exception as e:  # one channel failing never stops the others
            message = f"{channel}: {e}"
            report.deliveries[channel] = "failed"
            report.errors.append(f"{digest.digest_id} {message}")
            store.record_delivery(wh, digest.digest_id, channel, ok=False, error=message)
            log.warning("digest %s: delivery failed: %s", digest.digest_id, message)
            if run_id:
                from warehouse.state import log_error

                log_error(wh, run_id, "deliver", channel, f"{digest.digest_id}: {e}")
            continue
        store.record_delivery(wh, digest.digest_id, channel, ok=True, items=items)
        report.deliveries[channel] = "sent"
