"""``xlner run CONFIG [key=value ...]``: the translate-test pipeline, cached and resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from xlner.cli.common import (
    DataDir,
    SignatureForm,
    SignatureOption,
    fail,
    out,
    print_signature,
    progress_bar,
    say,
    step_updater,
    warn,
)
from xlner.cli.engine import make_engine, with_engine_options
from xlner.engine.base import EngineError
from xlner.errors import InputError
from xlner.pipeline.cache import RunLocked
from xlner.pipeline.run import RunResult, load_run_config, run_pipeline
from xlner.pipeline.stages import StageError
from xlner.registry import ComponentError
from xlner.translate.base import TranslationError

# Bad settings or input, a busy run directory, a missing corpus, model or package: one line.
RUN_ERRORS = (
    StageError,
    RunLocked,
    ComponentError,
    InputError,
    TranslationError,
    OSError,
    ImportError,
    EngineError,
)


@with_engine_options
def run(
    config: Annotated[Path, typer.Argument(help="TOML file describing the run.")],
    overrides: Annotated[
        list[str] | None,
        typer.Argument(help="Settings that replace the file's, e.g. project.mode=combined."),
    ] = None,
    data_dir: DataDir = None,
    run_dir: Annotated[
        Path | None, typer.Option(help="Run directory (default: run.dir of the config).")
    ] = None,
    signature: SignatureOption = SignatureForm.short,
    *,
    engine_options: dict[str, Any],
) -> None:
    """Translate, tag, align, back-translate (optional), project, evaluate; reuse stages.

    With ``--engine ray`` the batches of translate, tag, align, backtranslate and project run
    on a Ray actor pool (each stage's ``batch_size`` sentences a batch; a statistical aligner's
    whole input in one)."""
    try:
        settings = load_run_config(config, overrides or [])
    except (OSError, ValueError) as error:
        fail(str(error))
    runner = make_engine(engine_options, run_dir or Path(settings["run"]["dir"]), in_memory=True)
    bar = progress_bar()
    try:
        result = run_pipeline(
            settings,
            run_dir=run_dir,
            data_dir=data_dir,
            progress=step_updater(bar),
            warn=warn,
            engine=runner,
        )
    except RUN_ERRORS as error:
        _stop(bar)
        fail(str(error))
    finally:
        _stop(bar)
    _print(result, signature)


def _stop(bar: Progress) -> None:
    if bar.live.is_started:  # stopping a bar never started would print an empty line
        bar.stop()


def _print(result: RunResult, signature: SignatureForm) -> None:
    for name, report in result.stages.items():
        rate = report.as_dict()["sentences_per_second"]
        speed = f"{rate:8.1f} sent/s" if rate else " " * 15
        out.print(
            f"{name:14} {report.status:9} {report.seconds:8.1f}s {speed} "
            f"{report.count:6d} records {report.failures:5d} failed",
        )
    scores = result.scores
    out.print(
        f"F1 = {scores['f1']:.1f} (P {scores['precision']:.1f}, R {scores['recall']:.1f}, "
        f"predicted/gold {scores['predicted_to_gold']:.2f}); "
        f"failures: {result.failure_counts() or 'none'}",
    )
    print_signature(result.signature, signature)
    say(f"run directory: {result.run_dir} (manifest.json, report.json, predictions.conll)")
