"""The `seascout` command: a thin layer over the library and the Prefect flows."""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import click
import typer
from rich.console import Console
from rich.table import Table

from seascout.app.runtime import check_home, prepare_environment
from seascout.core.config import ConfigError, Settings, load_settings
from warehouse.run_lock import exclusive_run

if TYPE_CHECKING:
    from spiders.crawl import CrawlReport

app = typer.Typer(
    help="seascout — keeps a survey of ocean and remote-sensing foundation models alive.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: the rich one shows a `<bool>` value after every flag
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

# Exit codes, the same for every command (README, "Exit codes"):
EXIT_FAILED = 1  # the command ran and failed: every source, the delivery, the push
EXIT_BAD_INPUT = 2  # an option, the config, the survey, a missing warehouse or data folder
EXIT_BUSY = 3  # another run holds the warehouse
EXIT_INTERRUPTED = 130  # Ctrl-C


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        console.print(f"seascout {version('seascout')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="Print the installed version and exit.")] = False) -> None:
    """seascout — keeps a survey of ocean and remote-sensing foundation models alive."""


ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", "-c", help="Config TOML (default: ./seascout.toml).")]


def _settings(config: Path | None, *, writes: bool = True) -> Settings:
    """The settings, after the config is read; for a command that `writes`, the data folder
    checked first (a file or a read-only folder is one line, before anything starts)."""
    prepare_environment()
    try:
        settings = load_settings(config)
    except ConfigError as e:  # one line per problem, each naming file:line
        from rich.markup import escape

        for line in str(e).splitlines():
            err.print(f"[red]config error[/red]: {escape(line)}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if writes:
        check_home(settings.home)
    return settings


def _warehouse(settings: Settings, *, existing: bool = False):  # type: ignore[no-untyped-def]
    """The configured warehouse; with `existing`, WarehouseMissingError unless it is there
    (a command that only reads must not create an empty one)."""
    from warehouse.db import Warehouse

    wh = Warehouse(settings.db_path)
    if existing:
        wh.require()
    return wh


F = TypeVar("F", bound=Callable[..., Any])


def _fail(what: str, error: object, code: int) -> typer.Exit:
    from rich.markup import escape

    err.print(f"[red]{what}[/red]: {escape(' '.join(str(error).split()))}", highlight=False)
    return typer.Exit(code)


def _error_kind(error: BaseException) -> tuple[str, int] | None:
    """What a user can get wrong, as the words the line starts with and the exit code; None
    for a bug (its traceback is the report we want)."""
    from seascout.app.runtime import HomeError
    from seascout.core.config import ConfigError
    from seascout.core.period import PeriodError
    from seascout.core.survey import SurveyError
    from spiders.crawl import CrawlError
    from warehouse.db import WarehouseLockedError, WarehouseMissingError
    from warehouse.decisions_store import DecisionError
    from warehouse.query import QueryError
    from warehouse.run_lock import RunLockedError

    kinds: list[tuple[type[BaseException], str, int]] = [
        (ConfigError, "config error", EXIT_BAD_INPUT),
        (HomeError, "data folder unusable", EXIT_BAD_INPUT),
        (SurveyError, "survey error", EXIT_BAD_INPUT),
        (PeriodError, "period error", EXIT_BAD_INPUT),
        (CrawlError, "crawl error", EXIT_BAD_INPUT),
        (QueryError, "query error", EXIT_BAD_INPUT),
        (DecisionError, "decision refused", EXIT_BAD_INPUT),
        (WarehouseMissingError, "warehouse unavailable", EXIT_BAD_INPUT),
        (RunLockedError, "warehouse busy", EXIT_BUSY),
        (WarehouseLockedError, "warehouse busy", EXIT_BUSY),
    ]
    return next(((what, code) for kind, what, code in kinds if isinstance(error, kind)), None)


def _one_line_errors(command: F) -> F:
    """The one error boundary every command runs behind: what a user can get wrong (no
    survey, no warehouse, a busy one, Ctrl-C …) ends the command in one line on stderr naming
    the input and the fix, with that kind's exit code — never a traceback."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # the command's own exit, or typer's usage error (exit 2)
        except KeyboardInterrupt:
            raise _fail("interrupted", "stopped by Ctrl-C; a rerun continues where this one "
                        "stopped", EXIT_INTERRUPTED) from None
        except Exception as e:
            kind = _error_kind(e)
            if kind is not None:
                raise _fail(kind[0], e, kind[1]) from None
            if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
                raise _fail("disk full", f"{e.filename or 'a file this command writes'}: no space left "
                            "on device — free space, then rerun", EXIT_FAILED) from None
            if isinstance(e, OSError) and e.filename:  # a folder or file we may not write
                raise _fail("cannot write", f"{e.filename}: {e.strerror or e} — check that "
                            "folder (SEASCOUT_HOME, --home, --out)", EXIT_BAD_INPUT) from None
            raise
    guarded.one_line_errors = True  # type: ignore[attr-defined]  # tests/test_cli_errors.py
    return guarded  # type: ignore[return-value]


# --- seed ---------------------------------------------------------------------------------
@app.command()
@_one_line_errors
def seed(config: ConfigOpt = None) -> None:
    """Parse the survey documents in seeds/ and store taxonomy, entries and watch list."""
    from seascout.core.survey import parse_seed_dir
    from warehouse.seeds import store_survey

    settings = _settings(config)
    surveys = parse_seed_dir(settings.seeds_dir)  # before the warehouse: a bad survey makes nothing
    report = store_survey(_warehouse(settings), surveys)
    console.print(report.describe())


# --- sql / export -------------------------------------------------------------------------
@app.command()
@_one_line_errors
def sql(
    query: Annotated[str, typer.Argument(help="A SQL query; the warehouse is opened read-only.")],
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json")] = "table",
    config: ConfigOpt = None,
) -> None:
    """Run a read-only SQL query on the warehouse (works while a flow is writing)."""
    from warehouse.query import run_query

    settings = _settings(config, writes=False)
    columns, rows = run_query(_warehouse(settings, existing=True), query)
    _print_rows(columns, rows, format)


def _table_width(columns: list[str], cells: list[list[str]]) -> int:
    """Width of a table showing every header whole and each cell up to 30 characters."""
    widths = [max([len(c)] + [min(len(r[i]), 30) for r in cells]) for i, c in enumerate(columns)]
    return sum(w + 3 for w in widths) + 1


def _print_rows(columns: list[str], rows: list[tuple], fmt: str) -> None:  # type: ignore[type-arg]
    if fmt == "json":
        sys.stdout.write(json.dumps([dict(zip(columns, r, strict=True)) for r in rows],
                                    default=str, ensure_ascii=False, indent=1) + "\n")
    elif fmt == "csv":
        import csv

        w = csv.writer(sys.stdout, lineterminator="\n")  # `$(seascout sql …)` in a shell
        w.writerow(columns)
        w.writerows(rows)
    elif fmt == "table":
        from rich.table import Column
        from rich.text import Text

        # cells are data (crawled titles with `[/b]` or `[link=…]`), never rich markup
        cells = [["" if v is None else str(v) for v in r] for r in rows]
        if _table_width(columns, cells) > console.width:
            # too wide for the terminal: one `column | value` line per cell, as DuckDB's
            # `.mode line`, rather than cells cut to `dig…`
            name_width = max(len(c) for c in columns)
            for n, r in enumerate(cells, 1):
                console.print(Text(f"-- row {n} --"), style="dim")
                for c, v in zip(columns, r, strict=True):
                    console.print(Text(f"{c:>{name_width}} | {v}"))
        else:
            table = Table(*(Column(header=Text(c), overflow="fold") for c in columns),
                          show_lines=False)
            for r in cells:
                table.add_row(*(Text(v) for v in r))
            console.print(table)
        console.print(f"{len(rows)} row(s)")
    else:
        err.print(f"unknown --format {fmt!r}: use table, csv or json")
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
@_one_line_errors
def export(
    parquet: Annotated[Path | None, typer.Option(
        "--parquet", help="Folder to write one Parquet file per table and view.")] = None,
    format: Annotated[str | None, typer.Option(
        "--format", help="References instead: bibtex, ris or csljson.")] = None,
    period: Annotated[str | None, typer.Option(
        "--period", help="With --format: that ISO week's entries, triage's undecided picks "
        "included (default: last week).")
    ] = None,
    survey: Annotated[bool, typer.Option(
        "--survey", help="With --format: the survey as it stands (its document's entries and "
        "what the lab kept).")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="With --format: write to this file (default: standard output).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Export every table and view to Parquet, or the entries as BibTeX, RIS or CSL-JSON."""
    from warehouse.query import QueryError, export_parquet

    settings = _settings(config, writes=False)
    if format is not None or parquet is None:
        return _export_references(settings, format, period, survey, out, parquet)
    try:
        exported = export_parquet(_warehouse(settings, existing=True), parquet)
    except QueryError as e:
        raise _fail("export error", e, EXIT_BAD_INPUT) from None
    for name, path, n in exported:
        console.print(f"{name:<24} {n:>8} rows → {path}")


# --- crawl --------------------------------------------------------------------------------
@app.command()
@_one_line_errors
def crawl(
    source: Annotated[list[str] | None, typer.Option(
        "--source", "-s", help="Run only this source (repeatable): arxiv_api, arxiv_rss, "
        "crossref, datacite, openalex, journal_feeds, news.")] = None,
    since: Annotated[str | None, typer.Option(help="Window start YYYY-MM-DD (a backfill); "
                                              "default: each source's cursor.")] = None,
    until: Annotated[str | None, typer.Option(help="Window end YYYY-MM-DD (default: today).")
                     ] = None,
    config: ConfigOpt = None,
) -> None:
    """Fetch new papers and news from every enabled source and store them (exit 1 if all fail)."""
    from datetime import date

    from spiders.crawl import crawl as run_crawl
    from warehouse.state import finish_run, start_run

    settings = _settings(config)
    try:
        start = date.fromisoformat(since) if since else None
        end = date.fromisoformat(until) if until else None
    except ValueError as e:
        raise _fail("bad date", f"{e} (use YYYY-MM-DD)", EXIT_BAD_INPUT) from None
    wh = _warehouse(settings)
    with exclusive_run(settings.db_path, "crawl", on_wait=_note):  # one run at a time
        run_id = start_run(wh, "crawl", {"sources": source, "since": since, "until": until})
        try:
            report = run_crawl(settings, wh, sources=source or None, since=start, until=end,
                               run_id=run_id)
        except KeyboardInterrupt:
            raise  # the run lock records the run interrupted, with its run_errors line
        except BaseException:
            finish_run(wh, run_id, status="failed")
            raise
        finish_run(wh, run_id, status=report.status, counts={"crawl": report.counts()})
    _print_crawl(report)
    console.print(f"{report.summary()} (run {run_id})", highlight=False)
    if report.status == "failed":
        raise typer.Exit(EXIT_FAILED)


_STATE_STYLE = {"ok": "green", "partial": "red", "failed": "red", "skipped": "yellow"}
_NOTE_STYLE = {"skipped": "yellow", "error": "red", "warning": ""}


def _print_crawl(report: CrawlReport) -> None:
    """A `CrawlReport` on the terminal: the rows and notes of the run's summary artifact."""
    table = Table("source", "fetched", "new", "updated", "requests", "status")
    for source, fetched, new, updated, requests, state in report.rows():
        table.add_row(_one_line(source), str(fetched), str(new), str(updated), str(requests),
                      f"[{_STATE_STYLE[state]}]{state}[/{_STATE_STYLE[state]}]")
    console.print(table)
    for kind, source, text in report.notes():
        style = _NOTE_STYLE[kind]
        name = f"[{style}]{_one_line(source)}[/{style}]" if style else _one_line(source)
        between = {"skipped": " skipped: ", "error": " ", "warning": ": "}[kind]
        console.print(f"{name}{between}{_one_line(text)}", soft_wrap=True, highlight=False)


def _one_line(text: str, limit: int = 240) -> str:
    from rich.markup import escape

    text = " ".join(text.split())
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


# --- news ---------------------------------------------------------------------------------
@app.command()
@_one_line_errors
def add(
    url: Annotated[str, typer.Argument(help="The article's URL (e.g. a WeChat article).")],
    config: ConfigOpt = None,
) -> None:
    """Fetch one news article (robots.txt respected), extract it and store it (source manual)."""
    from rich.markup import escape

    from spiders.news.extract import ExtractionError
    from spiders.news.manual import FetchError, add_article

    settings = _settings(config)
    try:
        work, article, result = add_article(settings, _warehouse(settings), url)
    except (FetchError, ExtractionError) as e:
        err.print(f"[red]add failed[/red]: {escape(str(e))}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    state = "new" if result.inserted else "already stored (merged)"
    console.print(f"{work.work_id} — {state}\n  {work.title}\n  published: "
                  f"{work.published or 'unknown'} · {len(work.abstract or '')} chars · "
                  f"{len(work.links)} link(s)", markup=False, highlight=False)
    for warning in article.warnings:  # the page's text, printed as text
        console.print(f"  [yellow]warning[/yellow]: {escape(warning)}", highlight=False)


# --- triage -------------------------------------------------------------------------------
@app.command()
@_one_line_errors
def triage(
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many works.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Label and summarise every unclassified work (offline, or the configured LLM)."""
    from triage.run import run_triage

    settings = _settings(config)
    report = run_triage(settings, _warehouse(settings, existing=True), limit=limit)
    console.print(report.describe())


@app.command(name="eval")
@_one_line_errors
def eval_(
    labels: Annotated[Path | None, typer.Option(
        "--labels", help="Labelled JSONL (the dev set's format).")] = None,
    predictions: Annotated[Path | None, typer.Option(
        "--predictions", help="Write one JSON line per item: gold, alt label, prediction, reason.")] = None,
    daily_volume: Annotated[int, typer.Option(
        "--daily-volume", help="Items a listing day, for the wrong entries a week.")] = 1500,
    llm: Annotated[bool, typer.Option("--llm", help="Also score the configured LLM.")] = False,
    folds: Annotated[int, typer.Option("--folds", help="k for k-fold cross-validation (0: skip).")] = 5,
    repeats: Annotated[int, typer.Option("--repeats", help="Cross-validation splits.")] = 3,
    embeddings: Annotated[bool | None, typer.Option(
        "--embeddings/--no-embeddings",
        help="Sentence embeddings beside the words (default: triage.embeddings).")] = None,
    decisions: Annotated[bool, typer.Option(
        "--decisions", help="Score it on the lab's decisions instead (cross-validated).")] = False,
    cv: Annotated[bool, typer.Option(
        "--cv", help="Grouped cross-validation over the built-in training data (what to tune on).")] = False,
    by: Annotated[str, typer.Option(
        "--by", help="--cv groups: 'day' (listing day; news: site and day) or 'source'.")] = "day",
    config: ConfigOpt = None,
) -> None:
    """Score the classifier: strict and lenient relevance, wrong entries a week, cascade, CV."""
    from triage.eval_run import llm_predictor, run_eval
    from triage.run import build_classifier

    settings = _settings(config)
    cfg = settings.config.triage
    if embeddings is None:
        embeddings = cfg.embeddings
    if cv:
        from triage.crossval import grouped_cv

        if by not in ("day", "source"):
            err.print(f"--by {by}: use 'day' or 'source'")
            raise typer.Exit(EXIT_BAD_INPUT)
        report = grouped_cv(by=by, k=folds or 5, threshold=cfg.relevance_threshold,
                            title_threshold=cfg.title_threshold, llm_threshold=cfg.llm_threshold,
                            daily_volume=daily_volume, use_embeddings=embeddings)
        console.print(report.describe(), markup=False, highlight=False)
        return None
    if decisions:
        return _eval_decisions(settings, embeddings, folds, repeats, daily_volume)
    if labels is None:
        err.print("pass --labels FILE.jsonl (or --decisions to score on the lab's decisions)")
        raise typer.Exit(EXIT_BAD_INPUT)
    if not labels.is_file():
        err.print(f"{labels}: no such file")
        raise typer.Exit(EXIT_BAD_INPUT)
    if llm and not settings.llm_model:
        err.print("--llm: no model configured (set triage.model or SEASCOUT_LLM_MODEL)")
        raise typer.Exit(EXIT_BAD_INPUT)
    clf = build_classifier(settings, None, use_embeddings=embeddings)
    predict = llm_predictor(settings, clf) if llm else None
    try:
        result = run_eval(labels, clf, use_embeddings=embeddings, k=folds, repeats=repeats,
                          daily_volume=daily_volume, llm_threshold=settings.config.triage.llm_threshold,
                          predictions=predictions, llm_predict=predict)
    except (ValueError, OSError) as e:
        err.print(f"{labels}: {e}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    console.print(result.describe(), markup=False, highlight=False)
    if predictions is not None:
        console.print(f"predictions: {predictions}", markup=False, highlight=False)


# --- digest -------------------------------------------------------------------------------
@app.command()
@_one_line_errors
def digest(
    period: Annotated[str | None, typer.Option(
        "--period", help="ISO week, e.g. 2026-W48 (default: last complete week).")] = None,
    deliver: Annotated[bool, typer.Option(
        "--deliver/--no-deliver", help="Send to the configured channels (once each).")] = True,
    resend: Annotated[bool, typer.Option(
        "--resend", help="Deliver the week again on every channel, though it was sent.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Render the weekly digest (Markdown, HTML, PDF, DOCX, Atom, archive) and deliver it."""
    from digests.figure_fetch import digest_with_figures

    settings = _settings(config)
    report = digest_with_figures(settings, _warehouse(settings, existing=True), period=period,
                                 deliver=deliver, resend=resend)
    console.print(report.describe())
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command()
@_one_line_errors
def survey(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder to write it to (default: survey/ under SEASCOUT_HOME).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Regenerate the whole survey: its own entries, then the ones the lab kept (MD, HTML, PDF, DOCX)."""
    from digests.survey_document import write_survey

    settings = _settings(config)
    report = write_survey(settings, _warehouse(settings, existing=True), out)
    console.print(report.describe(), markup=False, highlight=False)


# --- pipeline -----------------------------------------------------------------------------
@app.command()
@_one_line_errors
def weekly(
    period: Annotated[str | None, typer.Option(
        help="Digest period, e.g. 2026-W48 (default: last week).")] = None,
    deliver: Annotated[bool, typer.Option(help="Deliver the digest to the configured channels.")] = True,
    config: ConfigOpt = None,
) -> None:
    """Run the weekly pipeline once, now: seed → crawl → triage → digest → deliver."""
    from seascout.core.survey import survey_files

    settings = _settings(config)
    survey_files(settings.seeds_dir)  # no survey: say so before anything starts or is created
    from flows.weekly import weekly_flow

    with exclusive_run(settings.db_path, "weekly", on_wait=_note):  # one run at a time
        result = _run_flow("weekly pipeline running (seed → crawl → triage → digest)…",
                           lambda: weekly_flow(config_path=_config_arg(settings), period=period,
                                               deliver=deliver, return_state=True))
    _print_run(result)


@app.command()
@_one_line_errors
def backfill(
    since: Annotated[str, typer.Option(help="Window start, YYYY-MM-DD.")],
    until: Annotated[str | None, typer.Option(help="Window end, YYYY-MM-DD (default: today).")] = None,
    source: Annotated[list[str] | None, typer.Option(
        "--source", "-s", help="Only these sources (repeatable); default: all enabled.")] = None,
    digest: Annotated[bool, typer.Option(
        help="Also render the digest of every past week (not delivered).")] = False,
    config: ConfigOpt = None,
) -> None:
    """Crawl a past window month by month (resumable: a rerun continues after the last done month)."""
    from datetime import date

    from seascout.core.period import today

    settings = _settings(config)
    try:
        start = date.fromisoformat(since)
        end = date.fromisoformat(until) if until else today(settings.config.digest.timezone)
    except ValueError as e:
        raise _fail("bad date", f"{e} (use YYYY-MM-DD)", EXIT_BAD_INPUT) from None
    if start > end:
        raise _fail("bad window", f"--since {start} is after --until {end}", EXIT_BAD_INPUT)
    from flows.backfill import backfill_flow

    with exclusive_run(settings.db_path, "backfill", on_wait=_note):  # one run at a time
        result = _run_flow(f"backfill from {since} running (progress per month in the log)…",
                           lambda: backfill_flow(since=since, until=until, sources=source or None,
                                                 digest=digest, config_path=_config_arg(settings),
                                                 return_state=True))
    _print_run(result)


@app.command()
@_one_line_errors
def serve(config: ConfigOpt = None) -> None:
    """Serve the weekly (cron) and backfill deployments from this process until Ctrl-C."""
    from seascout.app.runtime import PrefectServerError, ServerWatch, prefect_api_for_serve

    settings = _settings(config)
    try:
        api = prefect_api_for_serve()
    except PrefectServerError as e:
        raise _fail("no Prefect server", e, EXIT_FAILED) from None
    from flows.deploy import serve_all

    with ServerWatch(api.url, say=_say):
        serve_all(settings)


def _run_flow(status: str, run: Callable[[], Any]) -> dict[str, Any]:
    """A flow run in this process, on the configured Prefect server when it answers, else on
    a temporary one (said in one line): never a traceback for a server that is down. `run`
    returns the run's final state; a Failed run still carries its record."""
    import logging

    from flows.runlog import HideSummarised, run_result
    from seascout.app.runtime import interruptible, prefect_api_for_runs

    hide = HideSummarised()  # what `_print_run` prints at the end is not logged here first
    handlers = logging.getLogger().handlers
    for handler in handlers:
        handler.addFilter(hide)
    try:
        with interruptible(_say), prefect_api_for_runs() as api:
            if api.note:
                _note(api.note)
            with console.status(status):
                state = run()
    finally:
        for handler in handlers:
            handler.removeFilter(hide)
    return run_result(state)  # the flow raised: the boundary words it, or it is a bug


def _say(line: str) -> None:
    err.print(line, highlight=False, markup=False)


def _note(text: str) -> None:
    from rich.markup import escape

    err.print(f"[yellow]note[/yellow]: {escape(text)}", highlight=False)


def _config_arg(settings: Settings) -> str | None:
    return str(settings.config_path.resolve()) if settings.config_path else None


def _print_run(result: dict) -> None:  # type: ignore[type-arg]
    """One line per source, then the other stages, then every error in full; exit 1 when the
    run failed."""
    from spiders.crawl import CrawlReport

    counts = result.get("counts", {})
    crawled = CrawlReport.from_counts(counts)
    if crawled.sources:
        _print_crawl(crawled)
    for stage, source, message in result.get("errors", []):
        if stage != "crawl":  # the crawl's are under its table
            console.print(f"[red]{stage} · {source}[/red]: {_one_line(message)}", highlight=False)
    if "triage" in counts:
        t = counts["triage"]
        by = ", ".join(f"{k} {v}" for k, v in sorted(t.get("by_label", {}).items())) or "nothing new"
        console.print(f"triage: {t.get('classified', 0)} classified ({by})", highlight=False)
    if "digest" in counts:
        d = counts["digest"]
        deliveries = ", ".join(f"{channel} {state}" for channel, state in
                               (d.get("deliveries") or {}).items()) or "none"
        console.print(f"digest {d['digest_id']}: {d['items']} items ({d['new']} new, "
                      f"{d['updated']} updated); deliveries: {deliveries}", highlight=False)
    timings = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in
                        (result.get("timings") or {}).items())
    console.print(f"run {result.get('run_id')}: [bold]{result.get('status')}[/bold]"
                  + (f" ({timings})" if timings else ""), highlight=False)
    if result.get("status") == "failed":  # every source failed: as in the runs table and Prefect
        raise typer.Exit(EXIT_FAILED)


# --- decisions (issue 17) -----------------------------------------------------------------
@app.command()
@_one_line_errors
def decide(
    work_id: Annotated[str, typer.Argument(help="The work: its work_id or any key (doi:…, arxiv:…).")],
    keep: Annotated[bool, typer.Option("--keep", help="Right where triage put it.")] = False,
    drop: Annotated[bool, typer.Option("--drop", help="Does not belong in the survey.")] = False,
    section: Annotated[int | None, typer.Option(
        "--section", help="Belongs in section N (a move, or where to keep it).")] = None,
    title_zh: Annotated[str | None, typer.Option("--title-zh", help="The Chinese title to show.")] = None,
    summary: Annotated[str | None, typer.Option("--summary", help="The Chinese summary to show.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who decides (default: $USER).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Record the lab's decision on a work: keep, drop or move it, edit its Chinese title/summary."""
    from warehouse.decisions_store import decide as store_decision

    if keep and drop:
        err.print("--keep and --drop exclude each other: pass one")
        raise typer.Exit(EXIT_BAD_INPUT)
    if drop and section is not None:
        err.print("--drop takes no --section: a dropped work belongs in none")
        raise typer.Exit(EXIT_BAD_INPUT)
    if not (keep or drop or section is not None or title_zh is not None or summary is not None):
        err.print("nothing to decide: pass --keep, --drop, --section N, --title-zh or --summary")
        raise typer.Exit(EXIT_BAD_INPUT)
    action = "drop" if drop else "keep" if keep else "move" if section is not None else None
    settings = _settings(config)
    d = store_decision(_warehouse(settings, existing=True), work_id, action=action, section=section,
                       title_zh=title_zh, summary=summary, by=_reviewer(by))
    where = "dropped" if d.section is None else f"{d.action} → section {d.section} ({d.label.value})"
    console.print(f"{d.work_id}: {where}, by {d.decided_by}", markup=False, highlight=False)


def _reviewer(by: str | None) -> str:
    """Who decides, one rule for `decide` and `review`: --by, else $USER; neither is refused."""
    name = (by or os.environ.get("USER", "")).strip()
    if not name:
        err.print("who decides is not known: pass --by NAME (or set $USER)")
        raise typer.Exit(EXIT_BAD_INPUT)
    return name


def _eval_decisions(settings: Settings, embeddings: bool, folds: int, repeats: int,
                    daily_volume: int) -> None:
    """`seascout eval --decisions`: the classifier on the lab's decisions, cross-validated."""
    from triage.eval_run import run_decisions_eval
    from triage.run import build_classifier, decision_items, training_extra

    wh = _warehouse(settings)
    items = decision_items(wh) if wh.path.exists() else []
    if not items:
        err.print("--decisions: the lab has decided nothing yet (`seascout decide` or `seascout review`)")
        raise typer.Exit(EXIT_BAD_INPUT)
    clf = build_classifier(settings, wh, use_embeddings=embeddings, with_decisions=False)
    try:
        result = run_decisions_eval(items, clf, training_extra(wh, with_decisions=False),
                                    use_embeddings=embeddings, k=folds, repeats=repeats,
                                    daily_volume=daily_volume)
    except ValueError as e:
        err.print(f"--decisions: {e}", markup=False, highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    console.print(result.describe(), markup=False, highlight=False)


@app.command()
@_one_line_errors
def review(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (a token is required "
                                      "when it is not loopback).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: any free port).")] = 8765,
    period: Annotated[str | None, typer.Option(
        "--period", help="ISO week, e.g. 2026-W48 (default: last complete week).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who decides (default: $USER).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Serve a local page to keep, drop, move and edit the week's entries and candidates."""
    from seascout.app.review import ReviewApp, make_server
    from seascout.core.period import current_period, parse_period

    settings = _settings(config)
    tz = settings.config.digest.timezone
    p = parse_period(period, tz) if period else current_period(tz)
    wh = _warehouse(settings, existing=True)
    user = _reviewer(by)
    try:
        review_app = ReviewApp(wh, p.id, p.bounds(), user, host, port, figures=settings.figures_dir)
        server = make_server(review_app)
    except OSError as e:
        err.print(f"cannot listen on {host}:{port}: {e.strerror or e} (try another --port)",
                  markup=False, highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    console.print(f"review {p.id}: open {review_app.url()} (Ctrl-C to stop)", markup=False,
                  highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _export_references(settings: Settings, fmt: str | None, period: str | None, survey: bool,
                       out: Path | None, parquet: Path | None) -> None:
    """`seascout export --format …`: the survey's or a week's entries for a reference manager."""
    from seascout.app.references import FORMATS, render
    from seascout.core.period import current_period, parse_period
    from warehouse.query import survey_works, week_works

    if fmt is None:
        err.print("pass --parquet DIR, or --format bibtex|ris|csljson")
        raise typer.Exit(EXIT_BAD_INPUT)
    if fmt not in FORMATS:
        err.print(f"unknown --format {fmt!r}: use {', '.join(FORMATS)}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    if parquet is not None or (survey and period):
        err.print("--format takes --period P or --survey (not both, and not --parquet)")
        raise typer.Exit(EXIT_BAD_INPUT)
    bounds = None
    if not survey:
        tz = settings.config.digest.timezone
        p = parse_period(period, tz) if period else current_period(tz)
        bounds = p.bounds()
    wh = _warehouse(settings)
    works = [w for _, w in (week_works(wh, bounds) if bounds else survey_works(wh))]
    if not works:  # an empty file is no answer: say why there is nothing (still exit 0)
        what = "the survey has no entries yet" if bounds is None else (
            f"no entries first seen in {p.id} ({p.start} … {p.last_day})")
        err.print(f"nothing to export: {what} — try another --period, or --survey", markup=False,
                  highlight=False)
    text = render(fmt, works)
    if out is None:
        sys.stdout.write(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        console.print(f"{len(works)} entries → {out}", markup=False, highlight=False)


@app.command()
@_one_line_errors
def zotero(
    action: Annotated[str, typer.Argument(help="push: send the survey's entries to Zotero.")],
    library: Annotated[str | None, typer.Option(
        "--library", help="users/<id> or groups/<id> (default: $ZOTERO_LIBRARY).")] = None,
    collection: Annotated[str | None, typer.Option(
        "--collection", help="Put the new items in this collection (its key).")] = None,
    period: Annotated[str | None, typer.Option(
        "--period", help="Only the survey's entries first seen that ISO week (default: all).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Push the survey's entries to a Zotero library (key in ZOTERO_API_KEY); a rerun adds what is missing."""
    from seascout.app.zotero import API_BASE, ZoteroClient, ZoteroError, push
    from seascout.core.period import parse_period
    from warehouse.query import survey_works

    if action != "push":
        err.print(f"unknown action {action!r}: use `seascout zotero push`", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    settings = _settings(config, writes=False)
    key = os.environ.get("ZOTERO_API_KEY", "").strip()
    lib = (library or os.environ.get("ZOTERO_LIBRARY", "")).strip().strip("/")
    if not key:
        err.print("ZOTERO_API_KEY is not set: create a key with write access at zotero.org/settings/keys")
        raise typer.Exit(EXIT_BAD_INPUT)
    if not (lib.startswith(("users/", "groups/")) and lib.split("/", 1)[1].isdigit()):
        err.print(f"--library {lib!r}: use users/<numeric id> or groups/<numeric id> "
                  "(or set ZOTERO_LIBRARY)", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    bounds = parse_period(period, settings.config.digest.timezone).bounds() if period else None
    works = [w for _, w in survey_works(_warehouse(settings), bounds)]
    client = ZoteroClient(lib, key, base=os.environ.get("ZOTERO_API_BASE", API_BASE))
    try:
        report = push(works, client, collection=collection)
    except ZoteroError as e:
        err.print(f"zotero push failed: {e}", markup=False, highlight=False)
        raise typer.Exit(EXIT_FAILED) from None
    finally:
        client.close()
    console.print(report.describe(), markup=False, highlight=False)
    if report.failed:
        raise typer.Exit(EXIT_FAILED)


def _add_plugin_commands() -> None:
    """Commands that other installed packages contribute through the `seascout.commands`
    entry point: `seascout demo` comes from `testing/` (the product never imports it)."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="seascout.commands"):
        app.command(name=ep.name)(_one_line_errors(ep.load()))


_add_plugin_commands()

if __name__ == "__main__":  # python -m seascout.app.cli
    app()
