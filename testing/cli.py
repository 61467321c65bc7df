"""`seascout demo`, contributed to the CLI through the `seascout.commands` entry point
(pyproject.toml): the product's CLI lists the command without importing this package."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer


def demo(
    home: Annotated[Path | None, typer.Option(
        help="Folder for the demo's state (default: data/demo): new, empty, or an earlier demo's.")] = None,
) -> None:
    """Run the weekly pipeline offline: recorded responses on loopback, a local mail sink."""
    from seascout.app import cli  # here, not above: the CLI loads this module while it starts
    from seascout.app.runtime import check_home, prepare_environment

    prepare_environment()
    from testing.demo import DEMO_SECRET_ENV, DemoError, claim_home, demo_environment, describe

    target = (home or Path("data") / "demo").resolve()
    started = time.monotonic()
    try:
        if not target.is_file():  # a file: claim_home says so, naming --home
            check_home(target, "--home")  # a read-only folder: one line, not a traceback
        claim_home(target)  # never deletes a folder the demo did not make
        os.environ["SEASCOUT_HOME"] = str(target)
        os.environ.setdefault(DEMO_SECRET_ENV, "demo-key-not-secret")
        with demo_environment(target) as env:
            from flows.weekly import weekly_flow
            from testing.demo import deliver_as_ended, demo_period

            week = demo_period(env)  # the recordings' week, whatever the machine's clock says
            result = cli._run_flow("demo: weekly pipeline against the replay server…", lambda: weekly_flow(
                config_path=str(env.config_path), period=week, return_state=True))
            delivered = deliver_as_ended(env, week)
            cli._print_run(result)
            cli.console.print(delivered, highlight=False)
            for line in describe(env, result, time.monotonic() - started, week):
                cli.console.print(line, highlight=False)
            if env.replay.unmatched:
                missing = sorted({r.path for r in env.replay.unmatched})
                cli.err.print(f"[yellow]no recording for[/yellow] {', '.join(missing)}")
    except DemoError as e:
        cli.err.print(f"[red]demo error[/red]: {e}")
        raise typer.Exit(2) from None
