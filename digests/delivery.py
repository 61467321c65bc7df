"""Delivery bookkeeping: each digest reaches each channel exactly once (`deliveries`,
`delivered_items`), across reruns, interrupted sends and runs at the same time.

Two `seascout digest` (or a digest beside a weekly run) never both send: delivering takes the
warehouse's delivery lock (`warehouse.run_lock.exclusive_delivery`), and each channel is
claimed by compare-and-set in `deliveries` before it is sent. So a channel found `sending`
was left so by a process that is gone, and only then is the send called unconfirmed."""

from __future__ import annotations

import logging

from digests.channels import deliver_channel
from digests.document import Digest
from digests.report import DigestReport
from seascout.core.config import Settings
from seascout.core.redact import redact
from warehouse import digest_store as store
from warehouse.db import Warehouse
from warehouse.run_lock import exclusive_delivery

log = logging.getLogger(__name__)


def deliver_once(settings: Settings, wh: Warehouse, digest: Digest, report: DigestReport,
                 wanted: list[str], run_id: str | None) -> None:
    """Send `digest` on each of the `wanted` channels that has not received it, recording
    every attempt; a channel already sent is skipped, one whose send was interrupted is never
    sent again (said loudly), one failing never stops the others."""
    def waiting(text: str) -> None:
        log.info("digest %s: %s", digest.digest_id, text)

    with exclusive_delivery(wh.path, on_wait=waiting):
        items = store.digest_items(wh, digest.digest_id)
        for channel in wanted:
            _deliver(settings, wh, digest, report, channel, items, run_id)


def _deliver(settings: Settings, wh: Warehouse, digest: Digest, report: DigestReport,
             channel: str, items: list[store.DigestItem], run_id: str | None) -> None:
    found = store.claim_delivery(wh, digest.digest_id, channel,
                                 retake_sending=channel == "files")  # a copy can be redone
    if found == "sent":
        report.deliveries[channel] = "already sent"
        return
    if found == "sending" and channel != "files":
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
        return
    try:
        deliver_channel(settings, channel, digest, report.files)
    except Exception as e:  # one channel failing never stops the others
        reason = redact(str(e))  # a server may echo the password or token it refused
        message = f"{channel}: {reason}"
        report.deliveries[channel] = "failed"
        report.errors.append(f"{digest.digest_id} {message}")
        store.record_delivery(wh, digest.digest_id, channel, ok=False, error=message)
        log.warning("digest %s: delivery failed: %s", digest.digest_id, message)
        if run_id:
            from warehouse.state import log_error

            log_error(wh, run_id, "deliver", channel, f"{digest.digest_id}: {reason}")
        return
    store.record_delivery(wh, digest.digest_id, channel, ok=True, items=items)
    report.deliveries[channel] = "sent"
