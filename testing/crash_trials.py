"""Crash-resume trials: SIGKILL the weekly pipeline at points spread over crawl, triage,
digest and delivery, rerun it, and compare the warehouse and the mailbox with a clean run.

    uv run python bench/crash_trials.py --trials 20 [--seed 1]

Each trial runs in a fresh home against the offline demo environment (loopback replay server
+ SMTP sink, `testing.demo`). The pipeline runs as a real `seascout weekly` subprocess in
its own process group (with its temporary Prefect server and Scrapy children); the kill takes
the whole group, like a machine losing power. The rerun must then finish cleanly and leave
the warehouse equal to the clean run's (timestamps and run ids aside) with exactly one
message in the sink for the period. The test suite (`tests/test_crash_resume.py`) drives the
same machinery.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testing.demo import DEMO_SECRET_ENV, DemoEnvironment, demo_environment

ROOT = Path(__file__).resolve().parents[1]

# Tables whose content a weekly run decides. `runs`/`run_errors` are per-run bookkeeping (a
# killed run leaves its `running` row behind, by design) and `schema_migrations` is fixed.
SKIP_TABLES = {"runs", "run_errors", "schema_migrations"}
SKIP_COLUMNS = {"run_id"}
# Not content: the note on a delivery (an unconfirmed send after a kill says so there).
SKIP_TABLE_COLUMNS = {("deliveries", "last_error")}
# Crossref DOI look-ups are budgeted per run (`lookup_limit`), so which DOIs were asked —
# and their `lookup:` cursors — depends on how many runs started, not on what was stored.
SKIP_CURSOR_QUERIES = "lookup:%"
_PORT = re.compile(r"127\.0\.0\.1:\d+")
PACKAGES = ("seascout", "warehouse", "spiders", "triage", "digests", "flows", "testing", "seeds")
STAGES = ("startup", "seed", "crawl", "triage", "digest", "delivery", "finishing")
_FINISHED = re.compile(r"Task run '(\w+?)-\w+' - Finished in state")
_BEGAN = "Beginning flow run"
# Seconds a run may take before it is taken for hung: only so a broken build cannot hang the
# suite — a loaded machine (other jobs on 2 cores) can take many times an idle run's minute.
SAFETY = 1800.0


def this_period() -> str:
    """The last complete ISO week in the digest's timezone: only a week that has ended is
    delivered."""
    from seascout.core.config import DigestConfig
    from seascout.core.period import current_period

    return current_period(DigestConfig().timezone).id


# -- the warehouse, minus what differs between two good runs -----------------------------------
def snapshot(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (sorted), without timestamp columns and run ids, with the home
    folder replaced by `<home>` (digest file paths). Opens the file like any reader would,
    so a WAL left by a kill is replayed here too."""
    from warehouse.db import Warehouse

    wh = Warehouse(home / "seascout.duckdb", lock_wait=30)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with wh.read() as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        for table in tables:
            if table in SKIP_TABLES:
                continue
            cols = [c for c, t in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                [table]).fetchall() if not t.startswith("TIMESTAMP") and c not in SKIP_COLUMNS
                and (table, c) not in SKIP_TABLE_COLUMNS]
            select = ", ".join(f'"{c}"' for c in cols)
            where = f" WHERE query NOT LIKE '{SKIP_CURSOR_QUERIES}'" if table == "cursors" else ""
            rows = con.execute(f'SELECT {select} FROM "{table}"{where}').fetchall()
            out[table] = sorted((tuple(_normalise(v, home) for v in r) for r in rows), key=repr)
    return out


def _normalise(value: Any, home: Path) -> Any:
    if isinstance(value, str):  # paths under the home; the replay server's port (news URLs)
        return _PORT.sub("127.0.0.1:<port>", value.replace(str(home), "<home>"))
    if isinstance(value, list):
        return tuple(_normalise(v, home) for v in value)
    return value


def differences(got: dict[str, list[tuple[Any, ...]]], want: dict[str, list[tuple[Any, ...]]],
                limit: int = 3) -> list[str]:
    """Human-readable differences, a few rows per table."""
    out = []
    for table in sorted(set(got) | set(want)):
        g, w = set(got.get(table, [])), set(want.get(table, []))
        if g == w and len(got.get(table, [])) == len(want.get(table, [])):
            continue
        extra, missing = sorted(g - w, key=repr), sorted(w - g, key=repr)
        out.append(f"{table}: {len(got.get(table, []))} rows vs {len(want.get(table, []))} in the "
                   f"reference; extra {[str(r)[:160] for r in extra[:limit]]}, "
                   f"missing {[str(r)[:160] for r in missing[:limit]]}")
    return out


# -- one `seascout weekly` subprocess, watched --------------------------------------------------
def frozen_source(dest: Path) -> Path:
    """A copy of the code the trials run, so edits made to the working tree while a long
    series runs cannot make two runs disagree (the classifier's examples, say)."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    for name in PACKAGES:
        shutil.copytree(ROOT / name, dest / name, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("scrapy.cfg", "pyproject.toml"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    return dest


def child_env(home: Path, prefect_home: Path, source: Path = ROOT) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(source), env.get("PYTHONPATH")) if p)
    env["SEASCOUT_SOURCE"] = str(source)
    env.update(SEASCOUT_HOME=str(home), PREFECT_HOME=str(prefect_home), COLUMNS="200",
               PYTHONUNBUFFERED="1", PREFECT_LOGGING_LEVEL="INFO", DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", LITELLM_LOCAL_MODEL_COST_MAP="True",
               SEASCOUT_LOCK_WAIT="60",
               # a loaded machine (2 cores, trials in parallel) can take over 20 s to start it
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120")
    env[DEMO_SECRET_ENV] = "k"
    return env


class Watched:
    """A pipeline subprocess in its own process group; its output lines with arrival times."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.started = time.monotonic()
        self.lines: list[tuple[float, str]] = []
        cwd = env.get("SEASCOUT_SOURCE", str(ROOT))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, env=env, cwd=cwd,
                                     start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic() - self.started, line.rstrip("\n")))

    @property
    def output(self) -> str:
        return "\n".join(line for _, line in list(self.lines))

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def finished_tasks(self) -> list[str]:
        return [m.group(1) for _, line in list(self.lines) if (m := _FINISHED.search(line))]

    def began(self) -> bool:
        return any(_BEGAN in line for _, line in list(self.lines))

    def kill(self) -> None:
        """SIGKILL the whole group: the CLI, its Prefect server and any Scrapy child."""
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def wait(self, timeout: float) -> int:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait(timeout=10)
            raise
        finally:
            self._reader.join(timeout=5)
        # the group may outlive its leader (a Scrapy child); never leave anything behind
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        return rc

    def __enter__(self) -> Watched:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.kill()
        self.wait(timeout=30)


def weekly_args(env: DemoEnvironment, period: str) -> list[str]:
    return [sys.executable, "-m", "seascout.app.cli", "weekly", "--config", str(env.config_path),
            "--period", period]


def stage_of(run: Watched, env: DemoEnvironment, crawl_tasks: int) -> str:
    """How far a run got, from its log, the replay server's request log and the mailbox."""
    done = run.finished_tasks()
    if "digest_stage" in done:
        return "finishing"
    if env.mailbox.messages:
        return "delivery"
    if "triage_stage" in done:
        return "digest"
    if sum(t == "crawl_sources" for t in done) >= crawl_tasks:
        return "triage"
    if env.replay.requests or "seed_stage" in done:
        return "crawl"
    return "seed" if run.began() else "startup"


# -- the reference run ---------------------------------------------------------------------------
@dataclass
class Reference:
    snapshot: dict[str, list[tuple[Any, ...]]]
    messages: int
    seconds: float
    crawl_tasks: int
    marks: dict[str, float]  # stage → seconds after start when the run entered it


def fresh(env: DemoEnvironment) -> None:
    """Forget the previous run's requests and mail (the servers stay up between trials, so
    every run sees the same replay port, which ends up in news URLs and their hashes)."""
    env.replay.requests.clear()
    env.mailbox.messages.clear()


def reference_run(env: DemoEnvironment, home: Path, prefect_home: Path, period: str, *,
                  source: Path = ROOT, timeout: float = SAFETY) -> Reference:
    fresh(env)
    with Watched(weekly_args(env, period), child_env(home, prefect_home, source)) as run:
        marks: dict[str, float] = {}
        crawl_tasks = 10**6
        while run.proc.poll() is None:
            stage = stage_of(run, env, crawl_tasks)
            marks.setdefault(stage, run.elapsed())
            if run.elapsed() > timeout:
                raise RuntimeError(f"reference run took over {timeout} s:\n{run.output[-3000:]}")
            time.sleep(0.02)
        rc = run.wait(timeout=30)
        seconds = run.elapsed()
        if rc != 0 or "Traceback" in run.output:
            raise RuntimeError(f"reference run failed (exit {rc}):\n{run.output[-3000:]}")
        # the marks after crawl need the number of crawl tasks, known only now
        crawl_tasks = sum(t == "crawl_sources" for t in run.finished_tasks())
        marks = _marks_from_log(run, marks, crawl_tasks)
        messages = len(env.mailbox.messages)
    return Reference(snapshot(home), messages, seconds, crawl_tasks, marks)


def _marks_from_log(run: Watched, polled: dict[str, float], crawl_tasks: int) -> dict[str, float]:
    marks = {k: v for k, v in polled.items() if k in ("startup", "seed", "crawl", "delivery")}
    seen = 0
    for t, line in run.lines:
        m = _FINISHED.search(line)
        if not m:
            continue
        if m.group(1) == "crawl_sources":
            seen += 1
            if seen == crawl_tasks:
                marks["triage"] = t
        elif m.group(1) == "triage_stage":
            marks["digest"] = t
        elif m.group(1) == "digest_stage":
            marks["finishing"] = t
    return marks


# -- kill points and trials ------------------------------------------------------------------------
@dataclass
class KillPoint:
    """Kill `delay` seconds after the run enters `anchor` (a stage, or `mail`: the SMTP sink
    has the message but the pipeline has not had the server's answer yet)."""

    anchor: str
    delay: float = 0.0

    def __str__(self) -> str:
        return f"{self.anchor}+{self.delay:.2f}s"


def kill_points(ref: Reference, n: int, rng: random.Random) -> list[KillPoint]:
    """n points spread over the stages: a random delay inside each stage's span in the
    reference run, cycling startup → crawl → triage → digest → mail → delivery."""
    spans = []
    order = ["startup", "crawl", "triage", "digest"]
    for i, stage in enumerate(order):
        start = ref.marks.get(stage, 0.0)
        nxt = next((ref.marks[s] for s in [*order[i + 1:], "delivery"] if s in ref.marks),
                   ref.seconds)
        spans.append((stage, max(nxt - start, 0.05)))
    cycle = [*spans, ("mail", 0.0), ("delivery", 0.02)]
    points = []
    for i in range(n):
        anchor, span = cycle[i % len(cycle)]
        # delivery: after the sink answered, within the moment before the run records it
        delay = rng.uniform(0, span) if span else 0.0
        points.append(KillPoint(anchor, round(delay, 3)))
    return points


@dataclass
class Trial:
    point: KillPoint
    killed_at: float | None = None  # seconds after start; None: the run finished first
    stage: str = ""
    reruns: int = 0
    equal: bool = False
    messages: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.equal and self.messages == 1 and not self.problems


@contextmanager
def _kill_in_sink(env: DemoEnvironment, run_box: list[Watched | None]) -> Iterator[None]:
    """Kill the pipeline from inside the SMTP sink: message received, 250 not yet sent."""
    real = env.mailbox.handle_DATA

    async def handle_data(server: Any, session: Any, envelope: Any) -> str:
        await real(server, session, envelope)
        run = run_box[0]
        if run is not None:
            run.kill()
            run.proc.wait(timeout=10)
        return "250 OK"

    env.mailbox.handle_DATA = handle_data  # type: ignore[method-assign]
    try:
        yield
    finally:
        env.mailbox.handle_DATA = real  # type: ignore[method-assign]


def run_trial(env: DemoEnvironment, home: Path, prefect_home: Path, period: str, ref: Reference,
              points: KillPoint | list[KillPoint], *, source: Path = ROOT, max_reruns: int = 3,
              timeout: float = SAFETY) -> Trial:
    """Run weekly and kill it at `points[0]`; rerun, killing each rerun at the next point (if
    several: crashes in a row); then rerun until a run finishes cleanly; compare."""
    chain = points if isinstance(points, list) else [points]
    trial = Trial(chain[0])
    fresh(env)
    for n, point in enumerate(chain):
        killed_at, stage, note = kill_run(env, home, prefect_home, period, ref, point, source=source,
                                          timeout=timeout)
        if n == 0:
            trial.killed_at, trial.stage = killed_at, stage
        else:
            trial.reruns += 1
            trial.stage += f", {stage}"
        if note:
            trial.problems.append(note)
        env.replay.requests.clear()
    # rerun until a run finishes cleanly
    for _ in range(max_reruns):
        trial.reruns += 1
        with Watched(weekly_args(env, period), child_env(home, prefect_home, source)) as rerun:
            rc = rerun.wait(timeout=timeout)
        out = rerun.output
        if "Traceback" in out:
            trial.problems.append(f"rerun {trial.reruns}: traceback\n{out[-2500:]}")
            break
        if rc == 0 and clean_run(out):
            break
    else:
        trial.problems.append(f"no clean rerun after {max_reruns}:\n{out[-2500:]}")
    trial.messages = len(env.mailbox.messages)
    diff = differences(snapshot(home), ref.snapshot)
    trial.equal = not diff
    trial.problems.extend(diff)
    return trial


_ERROR_LINE = re.compile(r"^(seed|crawl|triage|digest|deliver) · ", re.MULTILINE)
UNCONFIRMED = "could not confirm"


def clean_run(output: str) -> bool:
    """The run finished `ok`, or `partial` only because it reported a send that an earlier,
    killed run could not confirm (that is the run saying so loudly; the next one is ok)."""
    if re.search(r"run \S+-weekly-\S+: ok\b", output):
        return True
    errors = [line for line in output.splitlines() if _ERROR_LINE.match(line)]
    return bool(errors) and all(UNCONFIRMED in line for line in errors) and \
        re.search(r"run \S+-weekly-\S+: partial\b", output) is not None


def kill_run(env: DemoEnvironment, home: Path, prefect_home: Path, period: str, ref: Reference,
             point: KillPoint, *, source: Path = ROOT,
             timeout: float = SAFETY) -> tuple[float | None, str, str]:
    """One weekly run, SIGKILLed at `point`: (seconds after start, stage reached, problem)."""
    run_box: list[Watched | None] = [None]
    killed_at: float | None = None
    stage = ""
    with ExitStack() as stack:
        if point.anchor == "mail":
            stack.enter_context(_kill_in_sink(env, run_box))
        run = stack.enter_context(Watched(weekly_args(env, period),
                                          child_env(home, prefect_home, source)))
        run_box[0] = run
        anchor = "delivery" if point.anchor == "mail" else point.anchor
        entered: float | None = None
        while run.proc.poll() is None and run.elapsed() < timeout:
            now = stage_of(run, env, ref.crawl_tasks)
            if entered is None and STAGES.index(now) >= STAGES.index(anchor):
                entered = run.elapsed()
            if point.anchor != "mail" and entered is not None \
                    and run.elapsed() >= entered + point.delay:
                stage = stage_of(run, env, ref.crawl_tasks)
                run.kill()
                killed_at = round(run.elapsed(), 2)
                break
            time.sleep(0.005)
        run.proc.wait(timeout=30)
        run_box[0] = None
        if point.anchor == "mail" and run.proc.returncode == -signal.SIGKILL:
            stage, killed_at = "delivery", round(run.elapsed(), 2)
    if killed_at is None:
        return None, "finished", f"the run finished before {point} (exit {run.proc.returncode})"
    return killed_at, stage, ""


def table(trials: list[Trial]) -> str:
    head = f"{'#':>2}  {'kill point':<18} {'killed at':>9}  {'stage reached':<13} {'reruns':>6}  " \
           f"{'= reference':<11} {'messages':>8}"
    lines = [head, "-" * len(head)]
    for i, t in enumerate(trials, 1):
        at = f"{t.killed_at:.2f} s" if t.killed_at is not None else "—"
        lines.append(f"{i:>2}  {t.point!s:<18} {at:>9}  {t.stage:<13} {t.reruns:>6}  "
                     f"{'yes' if t.equal else 'NO':<11} {t.messages:>8}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep homes here (default: a temporary folder)")
    args = ap.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        base = args.workdir or Path(tmp)
        prefect_home = base / "prefect"
        period = this_period()
        started = time.monotonic()
        source = frozen_source(base / "source")
        env = stack.enter_context(demo_environment(base / "servers"))
        ref = reference_run(env, base / "reference", prefect_home, period, source=source)
        print(f"reference run: {ref.seconds:.1f} s, {ref.messages} message(s), stages entered at "
              + ", ".join(f"{k} {v:.1f} s" for k, v in ref.marks.items()), flush=True)
        rng = random.Random(args.seed)
        trials = []
        for i, point in enumerate(kill_points(ref, args.trials, rng), 1):
            trial = run_trial(env, base / f"trial-{i:02d}", prefect_home, period, ref, point,
                              source=source)
            trials.append(trial)
            print(f"trial {i}: {point} → killed at {trial.killed_at} s in {trial.stage}; "
                  f"reruns {trial.reruns}; equal {trial.equal}; messages {trial.messages}",
                  flush=True)
            for p in trial.problems:
                print("   ! " + p.replace("\n", "\n     "), flush=True)
        print()
        print(table(trials))
        bad = [t for t in trials if not t.ok]
        print(f"\n{len(trials) - len(bad)}/{len(trials)} trials recovered exactly "
              f"(one message, warehouse equal to the clean run) in {time.monotonic() - started:.0f} s")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
