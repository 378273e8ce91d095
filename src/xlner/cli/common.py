"""Pieces shared by the CLI commands: consoles, common options, error exits."""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from typer.core import TyperCommand, TyperGroup, TyperOption

from xlner.config import parse_override
from xlner.errors import InputError
from xlner.io import check_outputs
from xlner.presets import DEFAULT_PRESET, describe_preset, load_preset, preset_names
from xlner.registry import Catalogue, ComponentError, registry
from xlner.signature import Signature, stored_signatures

# Progress and messages, never wrapped; no ":name:" emoji codes (a message may quote input).
console = Console(stderr=True, soft_wrap=True, emoji=False)
# Results, so they can be piped: printed as they are (no markup, emoji codes or highlights:
# a result may hold the user's tokens, such as "[x]" or ":smile:"); a styled line asks for markup.
out = Console(soft_wrap=True, markup=False, emoji=False, highlight=False)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Corpus directory (default: $XLNER_DATA, then the cache)."),
]


def one_of(catalogue: Catalogue) -> str:
    """``One of a, b, c.``: the names a catalogue offers, for an option's help."""
    return f"One of {', '.join(catalogue.available())}."


LabelMapOption = Annotated[str, typer.Option(help=one_of(registry.label_maps))]


def help_with_defaults(defaults: Callable[[], Mapping[str, Any]]) -> type[TyperCommand]:
    """A command class (``app.command(cls=...)``) whose options' help names defaults as
    ``{field}``s, filled in from ``defaults()`` when the help is shown: reading a component's
    defaults imports the component, which parsing the options should not wait for."""

    class Command(TyperCommand):
        def format_help(self, ctx: Any, formatter: Any) -> None:
            values = defaults()
            for param in self.params:
                if isinstance(param, TyperOption) and param.help:
                    param.help = param.help.format_map(values)
            super().format_help(ctx, formatter)

    return Command


def preset_help() -> str:
    """Every preset with its settings, read from its file: a line each."""
    return "\n".join(f"{name}: {describe_preset(name)}" for name in preset_names())


_PRESET = load_preset(DEFAULT_PRESET)
# --preset, and --aligner and --method over it, for the commands that read presets.
PresetName = Annotated[
    str,
    typer.Option(
        "--preset",
        help=f"The aligner and projection to start from: {', '.join(preset_names())} "
        "(their settings: xlner project --help-presets); the options below change them.",
    ),
]
PresetAligner = Annotated[
    str | None,
    typer.Option(
        "--aligner",
        help=f"{one_of(registry.aligners)} Default: the preset's "
        f"({_PRESET['align']['aligner']}); another drops the preset's aligner options.",
    ),
]
PresetMethod = Annotated[
    str | None,
    typer.Option(
        "--method",
        help=f"{one_of(registry.projectors)} Default: the preset's "
        f"({_PRESET['project']['method']}); another drops the preset's method options.",
    ),
]


class TagScheme(StrEnum):
    """The tag scheme of token-per-line input files; ``auto`` detects it from the tags."""

    auto = "auto"
    iob1 = "iob1"
    iob2 = "iob2"
    bioes = "bioes"


SchemeOption = Annotated[
    TagScheme,
    typer.Option(
        "--scheme",
        help="Tag scheme of the token-per-line inputs; auto: E-/S- tags mean BIOES, "
        "entities opening with I- mean IOB1, else IOB2.",
    ),
]


class SignatureForm(StrEnum):
    """How a command prints the signature of its result (see :mod:`xlner.signature`)."""

    short = "short"
    full = "full"


SignatureOption = Annotated[
    SignatureForm,
    typer.Option(
        "--signature",
        help="short: one line (the preset, the components, what differs from the preset, the "
        "hash of the full settings, the version); full: every setting, as JSON.",
    ),
]


def print_signature(signature: Signature, form: SignatureForm) -> None:
    out.print(signature.text(form.value))


def print_full_signatures(result: Any) -> None:
    """After a benchmark's table: the full form of every signature its rows carry."""
    for short, full in sorted(stored_signatures(result).items()):
        out.print(f"{short}\n{json.dumps(full, indent=2, sort_keys=True)}")


def fail(message: str) -> NoReturn:
    print_error(message)
    raise typer.Exit(2)


def print_error(message: str) -> None:
    """One line on stderr: ``error:`` and the message.

    escape: a message is plain text; it may quote the user's input ("[red]c" in a tag column,
    "pip install 'xlner[ray]'") and must keep its brackets."""
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)


def check_output_paths(
    outputs: Mapping[str, Path | str | None],
    inputs: Mapping[str, Path | str | None],
    *,
    folders: Mapping[str, Path | str | None] | None = None,
) -> None:
    """:func:`xlner.io.check_outputs` as a CLI error: no output file is an input or a
    directory, no output folder is a file or an input. Every command's ``-o`` runs it."""
    try:
        check_outputs(outputs, inputs, folders)
    except InputError as error:
        fail(str(error))


def label_classes(labels: str, flag: str = "--labels") -> list[str]:
    """The classes of a comma-separated ``--labels`` (``PER,ORG,LOC``); a one-line error
    for none, for a tag given as a class (``O``, ``B-PER``) and for a class given twice."""
    classes = [label.strip() for label in labels.split(",") if label.strip()]
    if not classes:
        fail(f"{flag} needs at least one class, e.g. PER,ORG,LOC")
    if bad := [c for c in classes if "-" in c or c == "O"]:
        fail(f"{flag} are classes such as PER, not tags: {bad[0]!r}")
    if twice := [c for i, c in enumerate(classes) if c in classes[:i]]:
        fail(f"{flag} names {twice[0]!r} twice")
    return classes


# ---------------------------------------------------------------------------- -q and -v


class Verbosity(IntEnum):
    """What a command prints besides its results, warnings and errors."""

    quiet = -1  # nothing
    normal = 0  # its messages and progress
    verbose = 1  # and the INFO logs of xlner and the libraries, and the time it took


# The verbosity of the run of the app under way (see VerbosityGroup): say() and the progress
# bars read it, so that no command needs the options as parameters.
_VERBOSITY: ContextVar[Verbosity] = ContextVar("xlner_verbosity", default=Verbosity.normal)


def verbosity() -> Verbosity:
    return _VERBOSITY.get()


def _choose(level: Verbosity) -> Callable[[bool], None]:
    """The callback of ``-q`` or ``-v``: when given, ``level`` for the rest of the run."""

    def choose(given: bool) -> None:
        if given:
            _VERBOSITY.set(level)
            # xlner.quiet reads this level: -v lets transformers and datasets speak too.
            info = level is Verbosity.verbose
            logging.getLogger("xlner").setLevel(logging.INFO if info else logging.NOTSET)

    return choose


# expose_value=False: no command takes them as parameters, their callbacks set the verbosity.
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Print only results, warnings and errors.",
        callback=_choose(Verbosity.quiet),
        expose_value=False,
    ),
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Also print INFO logs and the time taken.",
        callback=_choose(Verbosity.verbose),
        expose_value=False,
    ),
]


def verbosity_options(quiet: Quiet = False, verbose: Verbose = False) -> None:
    """-q and -v given before the command: ``xlner -q silver ...``."""


class VerbosityGroup(TyperGroup):
    """The app's command group: ``-q``/``-v`` before the command (the app's callback,
    :func:`verbosity_options`) or after it (every command and group below takes them too);
    the verbosity chosen lasts for one run of the app."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        holder = typer.Typer(add_completion=False)
        holder.command()(verbosity_options)
        options = typer.main.get_command(holder).params  # as typer makes them, once
        for command in _below(self):
            command.params.extend(options)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with _one_run():
            return super().main(*args, **kwargs)


def _below(group: TyperGroup) -> Iterator[Any]:
    for command in group.commands.values():
        yield command
        if isinstance(command, TyperGroup):
            yield from _below(command)


@contextmanager
def _one_run() -> Iterator[None]:
    """The normal verbosity until an option changes it; after the run, xlner's log level
    and the verbosity as they were, and under -v the time the run took."""
    logger, started = logging.getLogger("xlner"), time.perf_counter()
    token, level = _VERBOSITY.set(Verbosity.normal), logger.level
    try:
        yield
    finally:
        if verbosity() is Verbosity.verbose:
            say(f"took {time.perf_counter() - started:.1f} s")
        _VERBOSITY.reset(token)
        logger.setLevel(level)


def say(message: str) -> None:
    """A message about the work (what is read, written, done); not under -q."""
    if verbosity() is not Verbosity.quiet:
        console.print(f"[dim]{escape(message)}[/dim]", highlight=False)


def warn(message: str) -> None:
    console.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)


class _WarnHandler(logging.Handler):
    """xlner's log warnings (a long sentence pair cut, eflomal's iterations capped) as
    ``warning:`` lines, and under -v its INFO records as messages."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            warn(record.getMessage())
        else:
            say(record.getMessage())


@contextmanager
def own_warnings() -> Iterator[None]:
    """Print xlner's warnings as ``warning: FILE:LINE: problem`` lines: a warning about the
    user's input names the input, not the place in xlner's code that issued it (as Python's
    default display would). Warnings of other packages are shown as Python shows them."""
    logger, handler = logging.getLogger("xlner"), _WarnHandler(logging.INFO)
    with warnings.catch_warnings():
        python_shows = warnings.showwarning

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if category.__module__.split(".")[0] == "xlner":
                warn(str(message))
            else:
                python_shows(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)


def label_map_table(name: str) -> dict[str, str | None]:
    """The label map registered as ``name``, or a one-line error listing the choices."""
    try:
        return registry.label_maps.get(name)
    except ComponentError as error:
        fail(str(error))


def key_values(flag: str, texts: Sequence[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` options of a component (VALUE read as TOML, else as text), as a dict;
    one that is not KEY=VALUE, or a KEY given twice, is a one-line error."""
    options: dict[str, Any] = {}
    for text in texts or ():
        try:
            path, value = parse_override(text)
        except ValueError:
            fail(f"{flag} {text!r} is not KEY=VALUE")
        if len(path) != 1 or not path[0]:
            fail(f"{flag} {text!r}: KEY is one option name")
        if path[0] in options:
            fail(f"{flag} {path[0]} is given twice")
        options[path[0]] = value
    return options


class RateColumn(ProgressColumn):
    """Items per second of a task, once it has a rate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f}/s" if speed else "", style="progress.data.speed")


def progress_bar() -> Progress:
    """Steps with their bar, count, rate, time spent and time left (on standard error, when
    it is a terminal: elsewhere a live display only leaves blank lines; not under -q)."""
    return Progress(
        TextColumn("{task.description:10}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal or verbosity() is Verbosity.quiet,
    )


def step_updater(bar: Progress) -> Callable[[str, int, int | None], None]:
    """``update(step, done, total)`` for a library call; a total of None is a step whose
    length is not known (shown as a pulsing bar with the time spent)."""
    tasks: dict[str, TaskID] = {}

    def update(step: str, done: int, total: int | None) -> None:
        if not bar.live.is_started:
            bar.start()
        if step not in tasks:
            tasks[step] = bar.add_task(step, total=total)
        bar.update(tasks[step], completed=done, total=total)

    return update
