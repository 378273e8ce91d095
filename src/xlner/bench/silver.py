"""The silver benchmark: a tagger trained on projected MAFAND-MT for each MasakhaNER 2.0 language.

Per language, four stages, each in a folder of its own under ``run_root/<lang>`` named by the
key of everything that determines it (``silver-<key>``, ``train-<key>``, ...), so a finished
stage is read back (its ``stage.json``), never recomputed, and a change of setting starts a
new folder beside the old one:

1. ``silver``: ``xlner silver`` on the language's MAFAND-MT pair (all its splits; English or
   French source, as the corpus has it) minus the MasakhaNER 2.0 test sentences, then the
   silver F1 of the kept sentences that are MasakhaNER train/dev sentences against their gold
   (:mod:`xlner.bench.silver_quality`). Tagging and alignment resume batch by batch.
2. ``train``: a tagger trained on the silver file, continued from the source tagger or fresh
   from an encoder (``train.init``), with TrainConfig's fields (``train.config``); it resumes
   from its checkpoints.
3. ``evaluate``: its F1 on MasakhaNER 2.0 test (and dev, which is never trained on), DATE and
   MISC dropped.
4. ``transfer``: model transfer, the source tagger applied to the same test set as is.

A language whose row file (``row-<key>.json``) has the key of the current settings is read
back whole. Tagging and alignment are cached in ``run_root/<lang>/cache``, shared by the
language's silver stages. Beside the measured columns, each row carries translate-test F1
from a results file of ``benchmarks/masakhaner.py`` (where a language has one) and the
published anchors of the config. The settings are data: ``configs/benchmarks/silver.toml``;
another config names only what differs from it (or from the config it ``extends``).

A config with a ``[variants]`` table is an ablation (:func:`run_ablation`): the rows of every
variant, and how the tagger's test F1 follows the silver F1 across them
(:func:`quality_study`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from xlner.bench.masakhaner import zero_shot_options
from xlner.bench.model_transfer import PUBLISHED_XLMR_LARGE
from xlner.bench.report import format_table, machine, write_json
from xlner.bench.silver_quality import gold_by_line, kept_quality
from xlner.config import apply_overrides, builtin_config, check_key, dotted_keys, merge, read_toml
from xlner.corpora import get_corpus
from xlner.evaluate import evaluate_spans
from xlner.pipeline.cache import canonical, run_lock, stage_key
from xlner.pipeline.stages.base import StageError, build_component
from xlner.presets import load_preset
from xlner.registry import Catalogue, ComponentError, registry
from xlner.signature import Signature, make_signature
from xlner.silver import MASAKHANER_CLASSES, Selection, build_silver, read_corpus, write_silver
from xlner.silver.exclude import from_corpus
from xlner.tagging.tagger import DEFAULT_ENCODER, META_FILE
from xlner.tagging.training import TrainConfig
from xlner.types import Span, TaggedSentence, Tokens

DEFAULT_CONFIG = "benchmarks/silver"
BASE: dict[str, Any] = read_toml(builtin_config(DEFAULT_CONFIG))
LANGUAGES: tuple[str, ...] = tuple(BASE["languages"])
# Tables whose keys are not the base config's: component options, Selection's and
# TrainConfig's fields, the anchors, and an aligner or method that replaces the preset's.
FREE_TABLES = ("options", "selection", "config", "anchors", "align", "project", "variants")
INITS = ("source", "encoder")
STAGES = ("silver", "train", "evaluate", "transfer")
STAGE_FILE = "stage.json"
# Tagging and alignment outputs, shared by a language's silver stages: keyed by what
# determines them, so settings that differ only after alignment (selection, projection)
# align once.
CACHE_DIR = "cache"
# A config's parent, whose settings it changes (the base config is the root).
EXTENDS = "extends"

Progress = Callable[[str], None]


# ---------------------------------------------------------------------------- settings


def load_settings(config: str = DEFAULT_CONFIG, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The base config, then config ``config`` (a built-in name or a ``.toml`` file) over it,
    then the ``key=value`` overrides; a key the base lacks is a one-line ValueError. A config
    may name the config it changes (``extends = "benchmarks/silver-quick"``)."""
    settings = apply_overrides(_config_table(config, ()), overrides, BASE, free=FREE_TABLES)
    settings["config"] = config
    return settings


def _config_table(config: str, seen: tuple[str, ...]) -> dict[str, Any]:
    """Config ``config`` merged over the configs it extends, down to the base."""
    if config in seen:
        raise ValueError(f"{config}: extends itself through {' -> '.join(seen)}")
    if config.removesuffix(".toml") == DEFAULT_CONFIG:
        return copy.deepcopy(BASE)
    path = Path(config)
    table = read_toml(path) if path.suffix == ".toml" else read_toml(builtin_config(config))
    parent = table.pop(EXTENDS, DEFAULT_CONFIG)
    if not isinstance(parent, str):
        raise ValueError(f"{config}: {EXTENDS} names a config, not {parent!r}")
    if path.suffix == ".toml" and parent.endswith(".toml"):  # a file beside this one
        parent = str(path.parent / parent)
    for key in dotted_keys(table):
        try:
            check_key(key.split("."), BASE, FREE_TABLES, key)
        except ValueError as error:  # its message speaks of an override
            raise ValueError(f"{config}: {str(error).split(': ', 1)[1]}") from None
    return merge(_config_table(parent, (*seen, config)), table)


def load_variants(
    config: str = DEFAULT_CONFIG, overrides: Sequence[str] = ()
) -> dict[str, dict[str, Any]]:
    """The settings of each variant of the config's ``[variants]`` table (name -> its
    ``key=value`` settings, given after ``overrides``); {} when the config has none."""
    variants = load_settings(config, overrides)["variants"]
    found = {}
    for name, extra in variants.items():
        if not isinstance(extra, list) or not all(isinstance(item, str) for item in extra):
            raise ValueError(f"variants.{name}: a list of key=value settings, not {extra!r}")
        try:
            found[name] = load_settings(config, [*overrides, *extra]) | {"variant": extra}
        except ValueError as error:
            raise ValueError(f"variants.{name}: {error}") from None
    return found


@dataclass
class Plan:
    """One language's components and settings, built and checked before any work."""

    lang: str
    pair: str
    tagger: Any
    aligner: Any
    projector: Any
    selection: Selection
    train: TrainConfig
    transfer_tagger: Any  # the source tagger reading the target language; None if it cannot

    @property
    def pivot(self) -> str:
        return self.pair.split("-")[0]


def plan(lang: str, settings: Mapping[str, Any], run_root: Path, data_dir: Path | None) -> Plan:
    """The components of ``lang``; a bad language or setting is a one-line ValueError."""
    if lang not in settings["languages"]:
        raise ValueError(
            f"unknown language {lang!r}; choose from {', '.join(settings['languages'])}"
        )
    pair = get_corpus(settings["bitext"]).pair_for(lang)
    if pair is None:
        raise ValueError(f"corpus {settings['bitext']!r} has no pair for {lang!r}")
    _check_files(settings, lang, pair, data_dir)
    pivot = pair.split("-")[0]
    tag = settings["tagger"]
    name, options = tag["name"], dict(tag["options"])
    tagger = _component(registry.taggers, "tagger", name, _lang(name, pivot) | options, data_dir)
    transfer = None
    if "zero_shot" in registry.taggers.options(name):
        transfer = _component(
            registry.taggers, "tagger", name, options | {"lang": lang, "zero_shot": True}, data_dir
        )
    align, project = _preset(settings)
    temp_dir = run_root / lang / "tmp"
    aligner = _component(
        registry.aligners, "align.aligner", align["aligner"], align["options"], data_dir, temp_dir
    )
    projector = _component(
        registry.projectors, "project.method", project["method"], project["options"], data_dir
    )
    _check_label_maps({"label_map": settings["label_map"], "tagger.label_map": tag["label_map"]})
    train = settings["train"]
    if train["init"] not in INITS:
        raise ValueError(f"train.init must be one of {', '.join(INITS)}, not {train['init']!r}")
    if train["init"] == "source" and not hasattr(tagger, "path"):
        raise ValueError(
            f"train.init = 'source' continues from an xlner tagger; tagger {name!r} is none "
            "(set train.init = 'encoder')"
        )
    return Plan(
        lang, pair, tagger, aligner, projector,
        _dataclass(Selection, "selection", settings["selection"]),
        _train_config(train["config"]), transfer,
    )  # fmt: skip


def _check_files(settings: Mapping[str, Any], lang: str, pair: str, data_dir: Path | None) -> None:
    """CorpusNotFound for the first file of ``lang`` that is missing: every split of its
    bitext pair, and the evaluation corpus's gold (train and dev for silver F1, test)."""
    bitext = get_corpus(settings["bitext"])
    for split in bitext.choices("split", pair=pair) or ():
        for side in pair.split("-"):
            bitext.path(pair=pair, split=split, lang=side, data_dir=data_dir)
    evaluation = get_corpus(settings["evaluation"])
    for split in dict.fromkeys(("train", "dev", "test", settings["dev_split"] or "test")):
        evaluation.path(lang=lang, split=split, data_dir=data_dir)


def _check_label_maps(names: Mapping[str, str]) -> None:
    for where, name in names.items():
        try:
            registry.label_maps.get(name)
        except ComponentError as error:
            raise ValueError(f"{where}: {error}") from None


def _lang(tagger: str, pivot: str) -> dict[str, Any]:
    """The options that point ``tagger`` at the pivot language (as ``xlner silver`` does)."""
    options = {"lang": pivot} if "lang" in registry.taggers.options(tagger) else {}
    return options | zero_shot_options(tagger, pivot)


def _component(
    catalogue: Catalogue[Any],
    where: str,
    name: str,
    options: Mapping[str, Any],
    data_dir: Path | None,
    temp_dir: Path | None = None,
) -> Any:
    try:
        return build_component(catalogue, where, name, options, data_dir, temp_dir)
    except StageError as error:
        raise ValueError(str(error)) from None


def _preset(settings: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The preset's aligner and method, each replaced by an ``align``/``project`` table."""
    preset = load_preset(settings["preset"])
    for step, key in (("align", "aligner"), ("project", "method")):
        given = settings.get(step) or {}
        if given.get(key, preset[step][key]) != preset[step][key]:
            preset[step] = {key: given[key], "options": {}}  # another component: its options
        preset[step]["options"] = preset[step].get("options", {}) | given.get("options", {})
    return preset["align"], preset["project"]


def _dataclass(kind: type, where: str, fields: Mapping[str, Any]) -> Any:
    try:
        return kind(**fields)
    except TypeError as error:
        raise ValueError(f"{where}: {str(error).split('() ')[-1]}") from None


def _train_config(fields: Mapping[str, Any]) -> TrainConfig:
    if fields.get("stop_after") is not None:
        raise ValueError(
            "train.config.stop_after pauses training; give a step budget with max_steps"
        )
    return _dataclass(TrainConfig, "train.config", fields)


# ---------------------------------------------------------------------------- stages


def run_stage(
    name: str, folder: Path, compute: Callable[[Path], dict[str, Any]], stages: dict[str, Any]
) -> dict[str, Any]:
    """``compute(folder)``'s result, or the result a finished run left in ``folder``; the
    stage's status (computed or reused) and wall time go into ``stages``."""
    done = folder / STAGE_FILE
    if done.is_file():
        record = json.loads(done.read_text(encoding="utf-8"))
        stages[name] = {"status": "reused", "dir": str(folder)} | _timing(record)
        return record["result"]
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = compute(folder)
    host = machine()
    record = {
        "stage": name,
        "seconds": time.perf_counter() - started,
        "on": host["gpu"] or host["cpu"],
    }
    write_json(record | {"result": result}, done)
    stages[name] = {"status": "computed", "dir": str(folder)} | _timing(record)
    return result


def row_name(key: str) -> str:
    """The file of a language's row under settings of ``key``: rows of other settings (the
    variants of an ablation) stay beside it."""
    return f"row-{key[:12]}.json"


def _timing(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stage's wall time and the machine (GPU, else CPU) it was computed on."""
    return {"seconds": record["seconds"], "on": record["on"]}


def _digest(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


def score(
    tag: Callable[[list[Tokens]], list[list[Span]]],
    sentences: Sequence[TaggedSentence],
    label_map: Mapping[str, str | None] | None,
) -> dict[str, Any]:
    """Span F1 of ``tag``'s spans on ``sentences``."""
    predicted = tag([list(s.tokens) for s in sentences])
    scores = evaluate_spans(
        [s.spans for s in sentences], predicted, [len(s.tokens) for s in sentences], label_map
    )
    return {"sentences": len(sentences), **scores.as_dict()}


@dataclass
class Work:
    """What one language's stages read: its bitext, its gold, the settings of each stage."""

    pairs: list[Any]
    test: list[TaggedSentence]
    dev: list[TaggedSentence]
    silver_settings: dict[str, Any]
    keys: dict[str, str]  # stage -> the key of everything that determines it

    @property
    def signature(self) -> Signature:
        """The stages' keys, shortened."""
        return make_signature({f"{name}.key": key[:16] for name, key in self.keys.items()})


def prepare(step: Plan, settings: Mapping[str, Any], data_dir: Path | None) -> Work:
    """Read the language's bitext and gold; key each stage by its settings and its inputs."""
    lang, evaluation = step.lang, get_corpus(settings["evaluation"])
    pairs = read_corpus(settings["bitext"], step.pair, data_dir=data_dir)
    test = evaluation.load(lang=lang, split="test", data_dir=data_dir)
    dev_split = settings["dev_split"]
    dev = evaluation.load(lang=lang, split=dev_split, data_dir=data_dir) if dev_split else []
    silver_settings = {
        "tagger": step.tagger.signature(),
        "label_map": settings["tagger"]["label_map"],
        "aligner": step.aligner.signature(),
        "projector": step.projector.signature(),
        "selection": step.selection.as_dict(),
        "classes": list(MASAKHANER_CLASSES),
    }
    exclude = {"corpus": settings["evaluation"], "lang": lang, "split": "test"}
    data = [_digest([(p.source, p.target, p.provenance.id) for p in pairs]), _digest(exclude)]
    keys = {"silver": stage_key("bench-silver", silver_settings, data)}
    init = step.tagger.signature() if settings["train"]["init"] == "source" else None
    encoder = settings["train"]["encoder"] or DEFAULT_ENCODER
    trained = {"init": init or {"encoder": encoder}, "config": asdict(step.train)}
    keys["train"] = stage_key("bench-silver-train", trained, [keys["silver"]])
    scoring = {"label_map": settings["label_map"], "evaluation": settings["evaluation"]}
    scoring["dev"] = dev_split
    keys["evaluate"] = stage_key("bench-silver-evaluate", scoring, [keys["train"]])
    transfer_on = step.transfer_tagger.signature() if step.transfer_tagger else None
    keys["transfer"] = stage_key("bench-silver-transfer", scoring | {"tagger": transfer_on}, [])
    return Work(pairs, test, dev, silver_settings, keys)


def run_language(
    step: Plan,
    settings: Mapping[str, Any],
    run_root: Path,
    data_dir: Path | None,
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """The row of one language: read back if finished with these settings, else computed
    stage by stage (each stage read back where it finished)."""
    work = prepare(step, settings, data_dir)
    folder, row_key = run_root / step.lang, _digest(work.keys)
    row_file = folder / row_name(row_key)
    if row_file.is_file() and (row := json.loads(row_file.read_text("utf-8")))["key"] == row_key:
        progress(f"{step.lang}: finished before, read back from {row_file}")
        return row | {"status": "reused"}
    started = time.perf_counter()
    where = {name: folder / f"{name}-{key[:12]}" for name, key in work.keys.items()}
    stages: dict[str, Any] = {}
    run = partial(run_stage, stages=stages)
    label_map = registry.label_maps.get(settings["label_map"])
    made = run(
        "silver", where["silver"], partial(_silver, step, settings, work, data_dir, progress)
    )
    trained = run("train", where["train"], partial(_train, step, settings, made["conll"], progress))
    scores = run(
        "evaluate", where["evaluate"], partial(_evaluate, step, trained, work, label_map, progress)
    )
    direct = run(
        "transfer", where["transfer"], partial(_transfer, step, settings, work, label_map, progress)
    )
    row = {
        "lang": step.lang,
        "pair": step.pair,
        "pivot": step.pivot,
        "key": row_key,
        **work.signature.stored(),
        "components": work.silver_settings,
        "machine": machine(),
        "silver": {k: v for k, v in made.items() if not k.startswith("quality")},
        "silver_quality": made["quality"],
        "silver_quality_no_date": made["quality_no_date"],
        "train": trained,
        "test": scores["test"],
        "dev": scores.get("dev"),
        "model_transfer": direct["test"],
        "stages": stages,
        "wall_seconds": time.perf_counter() - started,
    }
    write_json(row, row_file)
    return row | {"status": "computed"}


def _silver(
    step: Plan,
    settings: Mapping[str, Any],
    work: Work,
    data_dir: Path | None,
    progress: Progress,
    out: Path,
) -> dict[str, Any]:
    """Silver data without the test sentences, and its F1 against the gold it overlaps."""
    lang = step.lang
    progress(f"{lang}: silver data from {settings['bitext']} {step.pair} ({len(work.pairs)} pairs)")
    exclusion = from_corpus(settings["evaluation"], lang, "test", data_dir=data_dir)
    result = build_silver(
        work.pairs, step.tagger, step.aligner, step.projector,
        cache_dir=out.parent / CACHE_DIR,
        label_map=registry.label_maps.get(settings["tagger"]["label_map"]),
        selection=step.selection, exclusions=[exclusion],
        progress=partial(_step_done, progress, lang),
        warn=lambda message: progress(f"{lang}: warning: {message}"),
    )  # fmt: skip
    summary = write_silver(
        out, result, classes=MASAKHANER_CLASSES, lang=lang,
        settings={"settings": work.silver_settings, **work.signature.stored()},
    )  # fmt: skip
    gold = gold_by_line(lang, data_dir=data_dir)
    keep = ("sentences_in", "sentences_out", "excluded", "entities", "dropped", "warnings")
    return {
        **{key: summary[key] for key in keep},
        "conll": str(out / "silver.conll"),
        "gold_sentences": len(gold),
        "quality": kept_quality(result, gold),
        "quality_no_date": kept_quality(result, gold, {"DATE": None}),
    }


def _evaluate(
    step: Plan,
    trained: Mapping[str, Any],
    work: Work,
    label_map: Mapping[str, str | None] | None,
    progress: Progress,
    out: Path,
) -> dict[str, Any]:
    """The silver tagger's F1 on test, and on dev where there is one."""
    from xlner.tagging.tagger import TokenTagger

    progress(f"{step.lang}: scoring the silver tagger on test")
    tagger = TokenTagger.load(trained["model"])
    scores = {"test": score(tagger.predict_spans, work.test, label_map)}
    if work.dev:
        scores["dev"] = score(tagger.predict_spans, work.dev, label_map)
    return scores


def _transfer(
    step: Plan,
    settings: Mapping[str, Any],
    work: Work,
    label_map: Mapping[str, str | None] | None,
    progress: Progress,
    out: Path,
) -> dict[str, Any]:
    """Model transfer: the source tagger on the test set as is (where it reads the language)."""
    if step.transfer_tagger is None:
        return {
            "test": None,
            "note": f"tagger {settings['tagger']['name']!r} reads no other language",
        }
    progress(f"{step.lang}: model transfer, the source tagger on test")
    return {"test": score(step.transfer_tagger.tag, work.test, label_map)}


def _step_done(progress: Progress, lang: str, name: str, done: int, total: int | None) -> None:
    if done == total:
        progress(f"{lang}: {name} done ({total} sentences)")


def _train(
    step: Plan, settings: Mapping[str, Any], conll: str, progress: Progress, out: Path
) -> dict[str, Any]:
    """Train the silver tagger into ``out/model`` (resuming from its checkpoints)."""
    from xlner.tagging import TokenTagger, fit, labels_from
    from xlner.tagging.data import read_labelled
    from xlner.tagging.head import extend_labels

    train_set = read_labelled(conll)
    labels = labels_from(train_set)
    if settings["train"]["init"] == "source":
        tagger = extend_labels(TokenTagger.load(step.tagger.path), labels, seed=step.train.seed)
    else:
        encoder = settings["train"]["encoder"] or DEFAULT_ENCODER
        tagger = TokenTagger.from_encoder(encoder, labels)
    tagger.languages = (step.lang,)
    progress(f"{step.lang}: training on {len(train_set)} silver sentences")
    history = fit(
        tagger,
        train_set,
        config=step.train,
        output_dir=out / "model",
        progress=lambda report: progress(f"{step.lang}: {report}"),
    )
    assert (out / "model" / META_FILE).is_file()  # stop_after is refused: training finished
    return {
        "sentences": len(train_set),
        "labels": list(tagger.labels),
        "init": settings["train"]["init"],
        "config": asdict(step.train),
        "history": history,
        "model": str(out / "model"),
    }


# ---------------------------------------------------------------------------- the benchmark


def read_translate_test(path: Path | None) -> dict[str, float]:
    """Translate-test F1 by language from a results file of ``benchmarks/masakhaner.py``."""
    if path is None:
        return {}
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
        return {str(row["lang"]): float(row["f1"]) for row in rows}
    except OSError as error:
        raise ValueError(f"--translate-test {path}: {error.strerror or error}") from None
    except (ValueError, KeyError, TypeError):
        raise ValueError(
            f"--translate-test {path}: not a results file of benchmarks/masakhaner.py "
            "(JSON with rows of lang and f1)"
        ) from None


def anchors(settings: Mapping[str, Any], lang: str) -> dict[str, float | None]:
    """The published F1 of ``lang``: the config's anchor tables and XLM-R-large transfer."""
    found = {name: table.get(lang) for name, table in settings["anchors"].items()}
    return found | {"xlmr_large_model_transfer": PUBLISHED_XLMR_LARGE.get(f"masakhaner2/{lang}")}


def run_silver(
    data_dir: Path | None,
    run_root: Path,
    languages: Sequence[str] | None = None,
    *,
    config: str = DEFAULT_CONFIG,
    overrides: Sequence[str] = (),
    translate_test: Path | None = None,
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """Every language's row (see the module docstring), their averages, the settings; for a
    config with variants, :func:`run_ablation`'s result."""
    settings = load_settings(config, overrides)
    if settings["variants"]:
        return run_ablation(
            data_dir, run_root, languages, load_variants(config, overrides),
            translate_test=translate_test, progress=progress,
        )  # fmt: skip
    chosen = list(languages or settings["languages"])
    plans = [plan(lang, settings, run_root, data_dir) for lang in chosen]  # all checked first
    translated = read_translate_test(translate_test)
    started = time.perf_counter()
    rows = _rows(plans, settings, run_root, data_dir, translated, progress)
    return {
        "benchmark": "masakhaner2-silver",
        "config": config,
        "settings": settings,
        "machine": machine(),
        "rows": rows,
        "average": averages(rows, settings),
        "wall_seconds": time.perf_counter() - started,
    }


def _rows(
    plans: list[Plan],
    settings: Mapping[str, Any],
    run_root: Path,
    data_dir: Path | None,
    translated: Mapping[str, float],
    progress: Progress,
) -> list[dict[str, Any]]:
    """The row of each planned language, in order, with its translate-test F1 and anchors."""
    rows = []
    while plans:  # each language's components (and the models they loaded) freed after it
        step = plans.pop(0)
        with run_lock(run_root / step.lang):  # a second run on the same folders is refused
            row = run_language(step, settings, run_root, data_dir, progress)
        row["translate_test"] = translated.get(step.lang)
        row["anchors"] = anchors(settings, step.lang)
        rows.append(row)
    return rows


def run_ablation(
    data_dir: Path | None,
    run_root: Path,
    languages: Sequence[str] | None,
    variants: Mapping[str, Mapping[str, Any]],
    *,
    translate_test: Path | None = None,
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """The rows of each variant (:func:`load_variants`) in the same stage folders, so a
    variant that equals another run's settings reads that run back; and the quality study."""
    first = next(iter(variants.values()))
    chosen = list(languages or first["languages"])
    plans = {}
    for name, settings in variants.items():  # every variant and language checked first
        try:
            plans[name] = [plan(lang, settings, run_root, data_dir) for lang in chosen]
        except ValueError as error:
            raise ValueError(f"variants.{name}: {error}") from None
    translated = read_translate_test(translate_test)
    started = time.perf_counter()
    done = []
    for name, settings in variants.items():
        progress(f"variant {name}: {' '.join(settings['variant']) or 'the config as it is'}")
        rows = _rows(plans[name], settings, run_root, data_dir, translated, progress)
        done.append({
            "name": name, "overrides": settings["variant"], "settings": settings,
            "rows": rows, "average": averages(rows, settings),
        })  # fmt: skip
    return {
        "benchmark": "masakhaner2-silver-ablation",
        "config": first["config"],
        "machine": machine(),
        "variants": done,
        "study": quality_study(done),
        "wall_seconds": time.perf_counter() - started,
    }


def quality_study(variants: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How the silver tagger's test F1 follows the silver F1: one point per language and
    variant (those with silver F1); Pearson's r over all points, and within languages (each
    language's mean taken off, so that only the variants' differences count); per language,
    the spread of both F1s over its variants and the least-squares slope of test on silver."""
    points = [
        {"lang": row["lang"], "variant": variant["name"], "silver_f1": c["silver_f1"],
         "test_f1": c["silver_tagger_f1"]}
        for variant in variants for row in variant["rows"]
        if (c := cells(row))["silver_f1"] is not None
    ]  # fmt: skip
    by_lang: dict[str, list[dict[str, Any]]] = {}
    for point in points:
        by_lang.setdefault(point["lang"], []).append(point)
    centred = [
        (p["silver_f1"] - _mean([q["silver_f1"] for q in group]),
         p["test_f1"] - _mean([q["test_f1"] for q in group]))
        for group in by_lang.values() for p in group
    ]  # fmt: skip
    per_language = {}
    for lang, group in by_lang.items():
        xs, ys = [p["silver_f1"] for p in group], [p["test_f1"] for p in group]
        per_language[lang] = {
            "variants": len(group),
            "silver_f1_spread": max(xs) - min(xs),
            "test_f1_spread": max(ys) - min(ys),
            "slope": _slope(xs, ys),
        }
    return {
        "points": points,
        "pearson_r": _pearson([p["silver_f1"] for p in points], [p["test_f1"] for p in points]),
        "pearson_r_within_languages": _pearson([x for x, _ in centred], [y for _, y in centred]),
        "per_language": per_language,
    }


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None for fewer than three points or no spread."""
    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    from scipy.stats import pearsonr

    return float(pearsonr(xs, ys).statistic)


def _slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Test F1 points gained per silver F1 point (least squares); None without spread."""
    if len(set(xs)) < 2:
        return None
    from scipy.stats import linregress

    return float(linregress(xs, ys).slope)


def cells(row: Mapping[str, Any]) -> dict[str, float | None]:
    """The F1 columns of a row: silver (DATE dropped), silver-trained, model transfer,
    translate-test, and the anchors."""
    quality = row["silver_quality_no_date"]
    return {
        "silver_f1": quality["f1"] if quality["sentences"] else None,
        "silver_tagger_f1": row["test"]["f1"],
        "model_transfer_f1": (row["model_transfer"] or {}).get("f1"),
        "translate_test_f1": row.get("translate_test"),
        **{f"anchor_{name}": value for name, value in (row.get("anchors") or {}).items()},
    }


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None and not math.isnan(v)]
    return sum(present) / len(present) if present else None


def averages(rows: Sequence[Mapping[str, Any]], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Each column's mean over the rows that have it; wins over model transfer; the silver
    taggers' mean on the languages of each anchor table, beside the anchor's."""
    table = [cells(row) for row in rows]
    means: dict[str, Any] = (
        {key: _mean([c.get(key) for c in table]) for key in table[0]} if (table) else {}
    )
    pairs = [(c["silver_tagger_f1"], c["model_transfer_f1"]) for c in table]
    means["beats_model_transfer"] = sum(1 for ours, mt in pairs if mt is not None and ours > mt)
    means["languages"] = len(rows)
    scored = [c for c in table if c["silver_f1"] is not None]
    means["across_languages"] = {  # the research question over languages, not variants
        "languages": len(scored),
        "pearson_r": _pearson(
            [c["silver_f1"] for c in scored], [c["silver_tagger_f1"] for c in scored]
        ),
    }
    for name, anchor in settings["anchors"].items():
        shared = [c for c, row in zip(table, rows, strict=True) if row["lang"] in anchor]
        means[f"on_{name}_languages"] = {
            "languages": len(shared),
            "of": len(anchor),
            "silver_tagger_f1": _mean([c["silver_tagger_f1"] for c in shared]),
            "anchor_f1": _mean([c[f"anchor_{name}"] for c in shared]),
        }
    return means


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def format_results(result: Mapping[str, Any]) -> str:
    """One line per language and the average: silver size and F1, the trained tagger's test
    F1 beside model transfer, translate-test and the anchors, each stage's time. An
    ablation's result: :func:`format_ablation`."""
    if "variants" in result:
        return format_ablation(result)
    anchor_names = list(result["settings"]["anchors"]) + ["xlmr_large_model_transfer"]
    header = ["lang", "pair", "silver", "silver F1", "tagger F1", "transfer F1", "TT F1"]
    header += [f"{name} F1" for name in anchor_names] + [f"{s} s" for s in STAGES] + ["row"]
    lines = []
    for row in result["rows"]:
        c = cells(row)
        lines.append(
            [row["lang"], row["pair"], str(row["silver"]["sentences_out"])]
            + [_f(c[k]) for k in ("silver_f1", "silver_tagger_f1", "model_transfer_f1")]
            + [_f(c["translate_test_f1"])]
            + [_f(c.get(f"anchor_{name}")) for name in anchor_names]
            + [_stage_seconds(row["stages"].get(s)) for s in STAGES]
            + [row["status"]]
        )
    mean = result["average"]
    if result["rows"]:
        lines.append(
            ["average", "", ""]
            + [_f(mean[k]) for k in ("silver_f1", "silver_tagger_f1", "model_transfer_f1")]
            + [_f(mean["translate_test_f1"])]
            + [_f(mean.get(f"anchor_{name}")) for name in anchor_names]
            + [""] * (len(STAGES) + 1)
        )
    footer = [
        f"silver tagger above model transfer on {mean.get('beats_model_transfer', 0)} of "
        f"{mean.get('languages', 0)} languages; wall time {result['wall_seconds']:.0f}s"
    ]
    across = mean.get("across_languages") or {}
    if across.get("pearson_r") is not None:
        footer.append(
            f"test F1 against silver F1 over the {across['languages']} languages with silver "
            f"F1: Pearson r {across['pearson_r']:+.2f}"
        )
    for name in result["settings"]["anchors"]:
        on = mean.get(f"on_{name}_languages") or {}
        if on.get("languages"):
            footer.append(
                f"on the {on['languages']} of {on['of']} {name} languages: silver tagger "
                f"{_f(on['silver_tagger_f1'])}, {name} {_f(on['anchor_f1'])}"
            )
    return "\n".join([format_table(header, lines), *footer])


def _stage_seconds(stage: Mapping[str, Any] | None) -> str:
    if not stage:
        return "-"
    return "cached" if stage["status"] == "reused" else f"{stage['seconds']:.0f}"


def format_ablation(result: Mapping[str, Any]) -> str:
    """One line per language and variant (silver size and F1, the tagger's test F1, model
    transfer, each stage's time); each variant's means; the quality study."""
    header = ["lang", "variant", "silver", "silver F1", "tagger F1", "transfer F1"]
    header += [f"{s} s" for s in STAGES] + ["row"]
    lines = []
    for variant in result["variants"]:
        for row in variant["rows"]:
            c = cells(row)
            lines.append(
                [row["lang"], variant["name"], str(row["silver"]["sentences_out"])]
                + [_f(c[k]) for k in ("silver_f1", "silver_tagger_f1", "model_transfer_f1")]
                + [_stage_seconds(row["stages"].get(s)) for s in STAGES]
                + [row["status"]]
            )
    for variant in result["variants"]:
        mean = variant["average"]
        lines.append(
            ["average", variant["name"], ""]
            + [_f(mean.get(k)) for k in ("silver_f1", "silver_tagger_f1", "model_transfer_f1")]
            + [""] * (len(STAGES) + 1)
        )
    study = result["study"]
    footer = [
        f"test F1 against silver F1 over {len(study['points'])} language-variant points: "
        f"Pearson r {_r(study['pearson_r'])}, within languages "
        f"{_r(study['pearson_r_within_languages'])}"
    ]
    for lang, spread in study["per_language"].items():
        slope = spread["slope"]
        footer.append(
            f"{lang}: silver F1 spread {spread['silver_f1_spread']:.1f}, test F1 spread "
            f"{spread['test_f1_spread']:.1f}, slope "
            f"{'-' if slope is None else f'{slope:.2f}'} test F1 per silver F1 point"
        )
    footer.append(f"wall time {result['wall_seconds']:.0f}s")
    return "\n".join([format_table(header, lines), *footer])


def _r(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"
