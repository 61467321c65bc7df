"""ISO weeks in the digest's timezone, never the machine's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from seascout.core.period import Period


def test_the_week_containing_a_moment_is_the_digest_timezones_week() -> None:
    sunday_evening = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)  # already Monday in Shanghai
    assert Period.containing(sunday_evening, "Asia/Shanghai").id == "2026-W50"
    assert Period.containing(sunday_evening, "UTC").id == "2026-W49"
    assert Period.containing(datetime(2026, 12, 6, 15, 30, tzinfo=UTC), "Asia/Shanghai").id == "2026-W49"
    # 3 January 2027, 20:30 UTC: the machine's ISO week 53 of 2026, Shanghai's week 1 of 2027
    assert Period.containing(datetime(2027, 1, 3, 20, 30, tzinfo=UTC), "Asia/Shanghai").id == "2027-W01"
    # across a DST change in a US timezone: Sunday 2 Nov 2025 23:30 in New York is still W44
    ny = datetime(2025, 11, 3, 4, 30, tzinfo=timezone(timedelta(0)))
    assert Period.containing(ny, "America/New_York").id == "2025-W44"
    # a naive moment is UTC (the warehouse's form), never the machine's local time
    assert Period.containing(datetime(2026, 12, 6, 20, 30), "Asia/Shanghai").id == "2026-W50"
