"""``xlner run CONFIG [key=value ...]``: the translate-test pipeline, cached and resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from xlner.cli.common import DataDir, console, fail, out, say
from xlner.pipeline.run import RunResult, load_run_config, run_pipeline
from xlner.pipeline.stages import StageError
from xlner.signature import make_signature
from xlner.translate.base import TranslationError


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
) -> None:
    """Translate, tag, align, back-translate (optional), project, evaluate; reuse stages."""
    try:
        settings = load_run_config(config, overrides or [])
    except (OSError, ValueError) as error:
        fail(str(error))
    try:
        with _progress() as bar:
            result = run_pipeline(
                settings, run_dir=run_dir, data_dir=data_dir, progress=_updater(bar)
            )
    except (StageError, TranslationError, OSError) as error:
        fail(str(error))
    _print(result)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _updater(bar: Progress):
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)

    return update


def _print(result: RunResult) -> None:
    for name, report in result.stages.items():
        rate = report.as_dict()["sentences_per_second"]
        speed = f"{rate:8.1f} sent/s" if rate else " " * 15
        out.print(
            f"{name:14} {report.status:9} {report.seconds:8.1f}s {speed} "
            f"{report.count:6d} records {report.failures:5d} failed",
            highlight=False,
        )
    scores = result.scores
    out.print(
        f"F1 = {scores['f1']:.1f} (P {scores['precision']:.1f}, R {scores['recall']:.1f}, "
        f"predicted/gold {scores['predicted_to_gold']:.2f}); "
        f"failures: {result.failure_counts() or 'none'}",
        highlight=False,
    )
    config = result.config
    out.print(
        make_signature(
            {"corpus": f"{config['data']['corpus']}/{config['data']['lang']}"},
            {"translate": config["translate"]["translator"], "tag": config["tag"]["tagger"]},
            {"align": config["align"]["aligner"], **_prefixed("align", config["align"])},
            {"project": config["project"]["method"], "mode": config["project"]["mode"]},
            _prefixed("project", config["project"]),
            {"labels": config["evaluate"]["label_map"]},
        ),
        highlight=False,
    )
    say(f"run directory: {result.run_dir} (manifest.json, report.json, predictions.conll)")


def _prefixed(stage: str, section: dict) -> dict:
    """A stage's backend options as ``stage.option`` signature fields."""
    return {f"{stage}.{key}": value for key, value in section.get("options", {}).items()}
