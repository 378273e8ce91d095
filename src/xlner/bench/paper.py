"""The seed paper's protocol by name: any of its 57 languages with one command.

``configs/paper/protocol.toml`` is the protocol as data: its suites (PAN-X from
``google/xtreme``, MasakhaNER 2.0 from ``masakhane/masakhaner2``), each with its dataset, the
dataset's config name per language, the label map and the languages; and the pipeline config
every language runs (``paper/translate-test``: NLLB-200-3.3B, XLM-R-large CoNLL-2003 tagger,
mBERT alignments, the heuristic). :func:`paper_config` puts a language's dataset in that
config; :func:`run_paper` runs it and scores the model-transfer baseline beside it: the run's
own source tagger applied to the target sentences, with the same label map.

The models and datasets come from the Hugging Face hub unless the overrides name local copies
(``translate.options.model=DIR``, ``data.path=DIR`` for a ``save_to_disk`` folder with one
subfolder per dataset config), which is how the tests run the protocol offline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlner.bench.report import format_table, run_row
from xlner.config import builtin_config, read_builtin
from xlner.evaluate import evaluate_spans
from xlner.pipeline.run import load_run_config, run_pipeline
from xlner.pipeline.stages.base import build_component
from xlner.pipeline.stages.tag import with_pivot
from xlner.registry import ComponentError, registry, suggest
from xlner.signature import make_signature
from xlner.types import TaggedSentence

PROTOCOL = "paper/protocol"


@dataclass(frozen=True)
class Suite:
    """One dataset of the protocol: where it is, how its languages are named, how it is scored."""

    name: str
    title: str
    path: str  # hub name of the dataset
    config: str  # the dataset's config name for a language, with {lang}
    label_map: str
    languages: tuple[str, ...]


def protocol() -> dict[str, Any]:
    return read_builtin(PROTOCOL)


def suites() -> dict[str, Suite]:
    """The suites of the protocol, by name."""
    return {
        name: Suite(name=name, **{**table, "languages": tuple(table["languages"])})
        for name, table in protocol()["suites"].items()
    }


def languages() -> dict[str, Suite]:
    """Every language of the protocol with its suite (57: PAN-X 39, MasakhaNER 2.0 18)."""
    return {lang: suite for suite in suites().values() for lang in suite.languages}


def suite_of(lang: str) -> Suite:
    """The suite of ``lang``; a one-line ComponentError naming the languages otherwise."""
    known = languages()
    if lang not in known:
        choices = list(known)
        raise ComponentError(
            f"{lang!r} is not a language of the paper's protocol; choose from "
            f"{', '.join(choices)}{suggest(lang, choices)}"
        )
    return known[lang]


def paper_overrides(lang: str) -> list[str]:
    """The settings that point the paper's pipeline config at ``lang``'s test set."""
    suite = suite_of(lang)
    return [
        f"data.path={suite.path!r}",
        f"data.config={suite.config.format(lang=lang)!r}",
        f"data.lang={lang!r}",
        f"evaluate.label_map={suite.label_map!r}",
    ]


def paper_config(lang: str, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The pipeline config of ``lang`` under the protocol, then the user's ``overrides``."""
    path = builtin_config(protocol()["config"])
    return load_run_config(path, [*paper_overrides(lang), *overrides])


def model_transfer(
    config: Mapping[str, Any], sentences: Sequence[TaggedSentence], data_dir: Path | None
) -> dict[str, Any]:
    """The run's source tagger on the target sentences themselves, scored as the run is."""
    section = config["tag"]
    options = with_pivot(section["tagger"], section["options"], config["data"]["pivot"])
    tagger = build_component(registry.taggers, "tag.tagger", section["tagger"], options, data_dir)
    predicted = tagger.tag([s.tokens for s in sentences])
    label_map = config["evaluate"]["label_map"]
    scores = evaluate_spans(
        [s.spans for s in sentences],
        predicted,
        [len(s.tokens) for s in sentences],
        registry.label_maps.get(label_map),
    )
    data = config["data"]
    signed = {
        "method": "model-transfer",
        "tag": tagger.signature(),
        "data": {key: data[key] for key in ("corpus", "path", "config", "lang", "split")},
        "labels": label_map,
    }
    return {
        "f1": scores.f1,
        "precision": scores.precision,
        "recall": scores.recall,
        "scores": scores.as_dict(),
        **make_signature(signed).stored(),
    }


def run_paper(
    lang: str,
    overrides: Sequence[str] = (),
    *,
    data_dir: Path | None = None,
    run_dir: Path | None = None,
    with_model_transfer: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Translate-test on ``lang`` under the protocol and, if asked, the model-transfer row.

    The run directory defaults to ``<run.dir>/<lang>``.
    """
    suite = suite_of(lang)
    config = paper_config(lang, overrides)
    folder = run_dir or Path(config["run"]["dir"]) / lang
    result = run_pipeline(config, run_dir=folder, data_dir=data_dir, progress=progress)
    rows = {"translate-test": run_row(result)}
    if with_model_transfer:
        rows["model transfer"] = model_transfer(config, result.records["data"], data_dir)
    return {"benchmark": "paper", "lang": lang, "suite": suite.name, "rows": rows}


def format_results(result: Mapping[str, Any]) -> str:
    """F1, P, R per approach, then each row's signature."""
    table = [
        [name, *(f"{row[key]:.1f}" for key in ("f1", "precision", "recall"))]
        for name, row in result["rows"].items()
    ]
    title = f"{result['lang']} ({result['suite']})"
    signatures = [f"{name}: {row['signature']}" for name, row in result["rows"].items()]
    return "\n".join([format_table([title, "F1", "P", "R"], table), "", *signatures])


def format_languages() -> str:
    """The protocol's languages, one line per suite."""
    return "\n".join(
        f"{suite.title} ({len(suite.languages)}): {' '.join(suite.languages)}"
        for suite in suites().values()
    )
