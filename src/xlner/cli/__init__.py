"""The ``xlner`` command line: a thin layer over the library API, one module per command group."""

from __future__ import annotations

import sys

import typer

from xlner.cli import (
    align,
    benchmark,
    data,
    demo,
    evaluate,
    export,
    paper,
    project,
    relabel,
    silver,
    tagger,
)
from xlner.cli import report as report_cmd
from xlner.cli import run as run_cmd
from xlner.cli import signature as signature_cmd
from xlner.cli import study as study_cmd
from xlner.cli.common import (
    VerbosityGroup,
    console,
    own_warnings,
    print_error,
    verbosity_options,
)
from xlner.corpora.base import CorpusNotFound, CorpusUnavailable
from xlner.errors import InputError
from xlner.io import Terminated, interrupt_on_termination
from xlner.registry import ComponentError

app = typer.Typer(
    help="Cross-lingual NER for low-resource languages: annotation projection and model transfer.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=VerbosityGroup,
)
app.callback()(verbosity_options)
app.command("demo")(demo.demo)
app.command("project", cls=project.ProjectCommand)(project.project)
app.command("align")(align.align)
app.command("evaluate")(evaluate.evaluate)
app.command("run")(run_cmd.run)
app.command("tag")(tagger.tag)
app.command("silver")(silver.silver)
app.command("relabel")(relabel.relabel_command)
app.command("export")(export.export)
app.add_typer(tagger.train_app, name="train")
app.add_typer(data.app, name="data")
app.add_typer(benchmark.app, name="benchmark")
app.add_typer(study_cmd.app, name="study")
app.command("report")(report_cmd.report)
app.command("paper")(paper.paper)
app.command("signature")(signature_cmd.signature)


def run() -> None:
    """Console entry point: bad input ends with its file, line and problem, not a traceback;
    an unknown component, option or option value with the valid choices; a missing corpus
    with where it was looked for and how to get it. SIGTERM stops a command as Ctrl-C does
    (``finally`` blocks run, so no temporary is left), and either ends with one line."""
    with interrupt_on_termination():
        try:
            with own_warnings():
                app()
        except (InputError, ComponentError, CorpusNotFound, CorpusUnavailable) as error:
            print_error(str(error))
            sys.exit(2)
        except (KeyboardInterrupt, SystemExit) as stop:
            _end_interrupted(stop)
            raise


def _end_interrupted(stop: BaseException) -> None:
    """Exit with one line (130, or 143 for SIGTERM) when ``stop`` is an interrupt."""
    if isinstance(stop, SystemExit) and stop.code != 130:
        return
    interrupt = _interrupt(stop)
    if interrupt is None:
        return
    terminated = isinstance(interrupt, Terminated)
    how = "SIGTERM" if terminated else "Ctrl-C"
    console.print(
        f"[red]interrupted[/red] ({how}): finished files are kept, none is half-written",
        highlight=False,
    )
    sys.exit(143 if terminated else 130)


def _interrupt(error: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C or SIGTERM behind ``error``: typer turns one into ``Exit(130)``."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
