"""One clock: at the instants where weeks turn, what was crawled is in the digest of the week the
lab's timezone says it is, whatever the machine's own zone and calendar say."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from lab_world import seeded

from digests import run_digest
from seascout.core import clock
from seascout.core.config import Config, DigestConfig, Settings
from seascout.core.model import Author, Kind, Work
from seascout.core.period import current_period, parse_period, this_week
from warehouse.db import Warehouse
from warehouse.works import upsert_works

# (moment in UTC, digest timezone, the week running then, the last complete week)
INSTANTS = [
    pytest.param(datetime(2026, 12, 6, 15, 30, tzinfo=UTC), "Asia/Shanghai", "2026-W49", "2026-W48",
                 id="sunday-23:30-shanghai"),
    pytest.param(datetime(2026, 12, 6, 16, 30, tzinfo=UTC), "Asia/Shanghai", "2026-W50", "2026-W49",
                 id="monday-00:30-shanghai"),
    pytest.param(datetime(2024, 12, 31, 12, 0, tzinfo=UTC), "Asia/Shanghai", "2025-W01", "2024-W52",
                 id="31-december-is-week-1"),
    pytest.param(datetime(2027, 1, 3, 20, 30, tzinfo=UTC), "Asia/Shanghai", "2027-W01", "2026-W53",
                 id="week-53-to-week-1"),
    # New York moves to summer time on Sunday 8 March 2026: 23:30 EDT that Sunday is 03:30 UTC
    pytest.param(datetime(2026, 3, 9, 3, 30, tzinfo=UTC), "America/New_York", "2026-W10", "2026-W09",
                 id="dst-sunday-23:30-new-york"),
    pytest.param(datetime(2026, 3, 9, 4, 30, tzinfo=UTC), "America/New_York", "2026-W11", "2026-W10",
                 id="dst-monday-00:30-new-york"),
]


@pytest.fixture(params=["UTC", "Asia/Shanghai", "America/Los_Angeles"])
def machine_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The machine's own timezone, which must never matter."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(("moment", "tz", "running", "complete"), INSTANTS)
def test_the_week_is_the_digest_timezones_at_the_instants_weeks_turn(
        moment: datetime, tz: str, running: str, complete: str, machine_zone: str) -> None:
    with time_machine.travel(moment, tick=False):
        assert this_week(tz).id == running
        assert current_period(tz).id == complete
        assert not parse_period(running, tz).closed() and parse_period(complete, tz).closed()


@pytest.mark.parametrize(("moment", "tz", "running", "complete"), INSTANTS)
def test_what_is_crawled_at_that_instant_is_in_that_weeks_digest(
        moment: datetime, tz: str, running: str, complete: str, machine_zone: str,
        warehouse: Warehouse, tmp_path: Path) -> None:
    settings = Settings(config=Config(digest=DigestConfig(formats=["md"], timezone=tz)),
                        home=tmp_path, root=tmp_path, config_path=None)
    seeded(warehouse)
    with time_machine.travel(moment, tick=False):
        upsert_works(warehouse, [Work(ids=["arxiv:2612.00001"], kind=Kind.PREPRINT,
                                      title="XiHe-3: A Data-Driven Global Ocean Forecasting Model",
                                      abstract="An ocean foundation model.", authors=[Author("A B")],
                                      published=date(2026, 12, 1))])
        with warehouse.write() as con:
            con.execute("INSERT INTO classifications (work_id, label, confidence, method, "
                        "classified_at) VALUES ('arxiv:2612.00001', 'ocean_models', 0.9, "
                        "'offline', ?)", [clock.now()])
        this = run_digest(settings, warehouse, period=running, deliver=False)
        before = run_digest(settings, warehouse, period=complete, deliver=False)
    assert "XiHe-3" in Path(this.files["md"]).read_text(encoding="utf-8")
    assert "XiHe-3" not in Path(before.files["md"]).read_text(encoding="utf-8")


def test_starting_at_moves_the_clock_and_lets_time_pass() -> None:
    start = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 12, 6, 20, 30, tzinfo=UTC), tick=True):
        with clock.starting_at(start):
            first = clock.now()
            assert abs((first - start).total_seconds()) < 5
            assert clock.now() >= first
        assert clock.now() > datetime(2026, 12, 6, tzinfo=UTC)  # and back afterwards
