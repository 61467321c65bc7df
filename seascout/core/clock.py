"""The one clock. Every "now" in seascout comes from `now()`; nothing else reads the machine's
calendar, so the week is the same at any hour and on any machine timezone.

- `now()` is timezone-aware UTC; "this week", "today" and "is the week over" are taken from it
  in the digest's timezone (`seascout.core.period`).
- The warehouse stores timestamps as naive UTC (`stamp()`): DuckDB's TIMESTAMP has no zone, and
  the warehouse's connections speak UTC. So a naive datetime anywhere in seascout means UTC
  (`aware()`), never the machine's local time.
- `starting_at(moment)` runs a block as if the clock had read `moment` when the block began
  (time still passes, so runs stay ordered): the demo replays its recordings at their own week.
  Tests freeze the clock with `time-machine`, which moves `datetime.now` and so this clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_shift = timedelta(0)
_shift_lock = threading.Lock()


def now() -> datetime:
    """This moment, timezone-aware, in UTC."""
    return datetime.now(UTC) + _shift


def stamp(moment: datetime | None = None) -> datetime:
    """`moment` (default: now) as the warehouse stores it: naive UTC."""
    return aware(now() if moment is None else moment).replace(tzinfo=None)


def aware(moment: datetime) -> datetime:
    """`moment` as a timezone-aware UTC datetime; a naive one is UTC (a stored timestamp)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@contextmanager
def starting_at(moment: datetime) -> Iterator[None]:
    """Inside the block the clock reads `moment` at its start and runs on from there."""
    global _shift
    with _shift_lock:
        before = _shift
        _shift = aware(moment) - datetime.now(UTC)
    try:
        yield
    finally:
        with _shift_lock:
            _shift = before
