"""Digest periods: ISO weeks such as ``2026-W48`` in the configured timezone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from seascout.core import clock

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)  # 2026-W48, or 2026-w48 as typed


class PeriodError(ValueError):
    """A period that is not an ISO week like 2026-W48."""


@dataclass(frozen=True)
class Period:
    """One ISO week: [start, end) as local dates in `timezone`."""

    year: int
    week: int
    timezone: str

    @property
    def id(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def start(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def end(self) -> date:
        """Exclusive: the Monday after."""
        return self.start + timedelta(days=7)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end): midnight to midnight in the period's timezone, as the warehouse stores
        timestamps (naive UTC)."""
        tz = ZoneInfo(self.timezone)
        return (clock.stamp(datetime.combine(self.start, datetime.min.time(), tz)),
                clock.stamp(datetime.combine(self.end, datetime.min.time(), tz)))

    def closed(self, now: datetime | None = None) -> bool:
        """Whether the week has ended in its timezone (only a closed week is delivered)."""
        return today(self.timezone, now) >= self.end

    @classmethod
    def containing(cls, moment: datetime, timezone: str) -> Period:
        """The ISO week that holds `moment` (naive = UTC) in `timezone`, not on the machine's
        calendar: Sunday 20:30 UTC is already Monday, the next week, in Asia/Shanghai."""
        y, w, _ = clock.aware(moment).astimezone(ZoneInfo(timezone)).isocalendar()
        return cls(y, w, timezone)

    def previous(self) -> Period:
        y, w, _ = (self.start - timedelta(days=7)).isocalendar()
        return Period(y, w, self.timezone)

    def __str__(self) -> str:
        return self.id


def parse_period(text: str, timezone: str) -> Period:
    m = _WEEK_RE.match(text.strip())
    if not m:
        raise PeriodError(f"period {text!r}: expected an ISO week such as 2026-W48")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(f"period {text!r}: {year} has no ISO week {week}") from None
    return Period(year, week, timezone)


def today(timezone: str, now: datetime | None = None) -> date:
    """The date in `timezone` at `now` (naive = UTC; default: the clock's now)."""
    return _local(now, timezone).date()


def current_period(timezone: str, now: datetime | None = None) -> Period:
    """The week being reported: the last complete ISO week (on Monday morning, last week)."""
    y, w, _ = (_local(now, timezone).date() - timedelta(days=7)).isocalendar()
    return Period(y, w, timezone)


def this_week(timezone: str, now: datetime | None = None) -> Period:
    """The week running now in `timezone` (what a crawl that just ran has stored)."""
    return Period.containing(now or clock.now(), timezone)


def _local(now: datetime | None, timezone: str) -> datetime:
    return clock.aware(clock.now() if now is None else now).astimezone(ZoneInfo(timezone))
