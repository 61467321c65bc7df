"""The weekly flow: seed (when the survey changed) → crawl → triage → figures → digest →
deliver → the whole survey regenerated (when the lab kept something new).

Only wiring: each stage is a library function (`warehouse.seeds`, `spiders.crawl`,
`spiders.news_runner`, `triage.run`, `digests.figure_fetch`, `digests.run`) wrapped in a
task; the figures stage fetches what the digest will show, the digest reads the warehouse
only. Retries sit on the I/O tasks; a failed source or channel marks the run `partial` and
the rest still runs. The run record (parameters, counts per stage, errors, LLM cost,
timings) lands in the warehouse's `runs` table and, as a table artifact, in the Prefect UI.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.crawl import crawl_all
from flows.runlog import StageLog, final_state, publish_artifact, record, summary_markdown
from seascout.core.config import Settings, load_settings
from seascout.core.survey import survey_files
from warehouse.db import Warehouse
from warehouse.run_lock import exclusive_run
from warehouse.seeds import seed_if_changed
from warehouse.state import start_run

if TYPE_CHECKING:  # the stages import their heavy dependencies lazily
    from digests.figures import FigureOutcome
    from digests.run import DigestReport
    from triage.run import TriageReport


@task(cache_policy=NO_CACHE)
def seed_stage(settings: Settings, wh: Warehouse) -> dict[str, Any]:
    report = seed_if_changed(wh, settings.seeds_dir)
    get_run_logger().info(report.describe() if report else "survey unchanged since the last seed")
    return vars(report) if report else {"unchanged": True}


@task(cache_policy=NO_CACHE)
def triage_stage(settings: Settings, wh: Warehouse, run_id: str) -> TriageReport:
    from triage.run import run_triage

    report = run_triage(settings, wh, run_id=run_id)
    get_run_logger().info(report.describe())
    return report


@task(cache_policy=NO_CACHE)
def figures_stage(settings: Settings, wh: Warehouse, period: str | None) -> FigureOutcome:
    from digests.figure_fetch import fetch_figures

    outcome = fetch_figures(settings, wh, period=period)
    get_run_logger().info(outcome.describe(settings.figures_dir))
    return outcome


@task(retries=1, retry_delay_seconds=30, cache_policy=NO_CACHE)
def digest_stage(settings: Settings, wh: Warehouse, period: str | None, run_id: str,
                 deliver: bool) -> DigestReport:
    from digests.run import run_digest

    report = run_digest(settings, wh, period=period, run_id=run_id, deliver=deliver)
    get_run_logger().info(report.describe())
    return report


@task(cache_policy=NO_CACHE)
def survey_stage(settings: Settings, wh: Warehouse) -> dict[str, Any]:
    from digests.survey_document import write_survey

    report = write_survey(settings, wh, only_if_changed=True)
    get_run_logger().info(report.describe())
    return {"version": report.version, "kept": sum(report.kept.values()), "files": report.files}


def run_stages(settings: Settings, wh: Warehouse, log: StageLog, run_id: str, *,
               sources: list[str] | None, since: date | None, until: date | None,
               period: str | None, deliver: bool, seed: bool = True, digest: bool = True) -> Any:
    """The stages in order; each failure is recorded and the next stage still runs."""
    if seed:
        try:
            log.counts["seed"] = log.timed("seed", lambda: seed_stage(settings, wh))
        except Exception as e:
            log.errors.append(("seed", "seeds", f"{type(e).__name__}: {e}"))
    log.timed("crawl", lambda: crawl_all(settings, wh, log, run_id, sources=sources,
                                          since=since, until=until))
    try:
        tri = log.timed("triage", lambda: triage_stage(settings, wh, run_id))
        log.counts["triage"] = {"classified": tri.classified, "by_label": tri.counts,
                                "flagged": tri.flagged, "model": tri.model,
                                "llm_calls": tri.llm_calls, "llm_cost_usd": tri.llm_cost_usd,
                                "llm_fallback": tri.fallback}
        log.errors.extend(tri.errors())  # an unusable LLM makes the run partial, naming it
    except Exception as e:
        log.errors.append(("triage", "triage", f"{type(e).__name__}: {e}"))
    if not digest:
        return None
    try:  # the figures the digest will show, stored before it renders
        log.counts["figures"] = log.timed(
            "figures", lambda: figures_stage(settings, wh, period)).counts()
    except Exception as e:
        log.errors.append(("figures", "figures", f"{type(e).__name__}: {e}"))
    try:
        dig = log.timed("digest", lambda: digest_stage(settings, wh, period, run_id, deliver))
    except Exception as e:
        log.errors.append(("digest", "digest", f"{type(e).__name__}: {e}"))
        return None
    log.counts["digest"] = {"digest_id": dig.digest_id, "items": dig.items, "new": dig.new,
                            "updated": dig.updated, "deliveries": dig.deliveries}
    log.errors.extend(("deliver", dig.digest_id, e) for e in dig.errors)
    try:  # the survey with the lab's kept entries, as a new version when it changed
        log.counts["survey"] = log.timed("survey", lambda: survey_stage(settings, wh))
    except Exception as e:
        log.errors.append(("survey", "survey", f"{type(e).__name__}: {e}"))
    return dig


@flow(name="weekly", log_prints=True)
def weekly_flow(config_path: str | None = None, period: str | None = None,
                deliver: bool = True) -> dict[str, Any]:
    """Seed, crawl every enabled source, triage, render this week's digest and deliver it."""
    settings = load_settings(config_path)
    survey_files(settings.seeds_dir)  # no survey: fail here, before anything is created
    with exclusive_run(settings.db_path, "weekly", on_wait=get_run_logger().info):
        return _weekly(settings, period, deliver)


def _weekly(settings: Settings, period: str | None, deliver: bool) -> Any:
    wh = Warehouse(settings.db_path)
    run_id = start_run(wh, "weekly", {"period": period, "deliver": deliver})
    log = StageLog()
    dig = run_stages(settings, wh, log, run_id, sources=None, since=None, until=None,
                     period=period, deliver=deliver)
    record(wh, run_id, log)
    title = f"seascout weekly run {run_id}"
    create_markdown_artifact(key="weekly-summary", markdown=summary_markdown(log, title),
                             description=f"{title}: {log.status}")
    if dig is not None and dig.markdown:
        publish_artifact(dig, "weekly-digest", settings.config.digest.site_url)
    return final_state(log, {  # type: ignore[return-value]  # Prefect returns the data
        "run_id": run_id, "status": log.status, "counts": log.counts,
        "errors": [list(e) for e in log.errors], "timings": log.timings,
        "digest": dig.files if dig is not None else {}})
