"""The silver benchmark's stages: each in a folder of its own, keyed by everything that
determines it, so a finished stage is read back (its ``stage.json``), never recomputed.

A study reuses them as library calls: :func:`run_stage` runs or reads back one stage in a
folder of a runs root; :func:`silver_stage` (a :class:`~xlner.silver.runner.SilverSettings`
job, then its silver F1), :func:`train_stage`, :func:`evaluate_stage` and
:func:`transfer_stage` are the computations, each taking the stage folder last (``partial``
them and hand them to :func:`run_stage`). :func:`prepare` keys a language's stages,
:func:`run_language` runs them into its row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path, PurePath
from typing import Any

from xlner.bench.report import machine, write_json
from xlner.bench.silver.config import Plan
from xlner.bench.silver.degrade import DegradeSettings, degrade_silver
from xlner.bench.silver.selftrain import relabel_stage
from xlner.bench.silver.vote import (
    has_translation,
    translate_test_spans,
    vote_settings,
    vote_stage,
)
from xlner.bench.silver_quality import GoldKey, gold_by_line, kept_quality
from xlner.corpora import get_corpus
from xlner.evaluate import evaluate_spans
from xlner.evaluate.bootstrap import bootstrap_f1, sentence_counts
from xlner.io import make_folder
from xlner.pipeline.cache import run_lock, stage_key
from xlner.registry import registry
from xlner.signature import Signature, digest, make_signature
from xlner.silver import MASAKHANER_CLASSES, read_corpus
from xlner.silver.bitext import BitextPairs
from xlner.silver.places import cldr_place_names, names_key
from xlner.silver.runner import SilverSettings, check_silver, run_silver
from xlner.silver.writers import CONLL, JSONL
from xlner.tagging.tagger import DEFAULT_ENCODER, META_FILE
from xlner.tagging.training import TrainConfig
from xlner.types import Span, TaggedSentence, Tokens

STAGES = ("silver", "degrade", "train", "evaluate", "transfer", "ensemble", "vote")
# The silver tagger's weights tried in the ensemble with model transfer (the rest is model
# transfer's); the one best on dev is the ensemble's, 0.5 where there is no dev split.
ENSEMBLE_WEIGHTS = tuple(i / 10 for i in range(11))
STAGE_FILE = "stage.json"
# Tagging and alignment outputs, shared by a language's silver stages: keyed by what
# determines them, so settings that differ only after alignment (selection, projection)
# align once.
CACHE_DIR = "cache"
# The folder of a tagger trained on several languages (train.pooled), beside theirs.
POOLED = "pooled"

Progress = Callable[[str], None]
Say = Callable[[str], None]  # a stage's messages (the benchmark puts the language first)


def run_stage(
    name: str, folder: Path, compute: Callable[[Path], dict[str, Any]], stages: dict[str, Any]
) -> dict[str, Any]:
    """``compute(folder)``'s result, or the result a finished run left in ``folder``; the
    stage's status (computed or reused) and wall time go into ``stages``."""
    done = folder / STAGE_FILE
    if done.is_file():
        record = json.loads(done.read_text(encoding="utf-8"))
        stages[name] = {"status": "reused", "dir": str(folder)} | _timing(record)
        return rebased(record["result"], folder)
    make_folder(folder)
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


def rebased(result: Any, folder: Path) -> Any:
    """A stage's ``result`` read back from ``folder``, each path it holds inside the folder
    where it was computed pointing inside ``folder``: a runs folder moved or copied (from
    another machine, say) reads its files, not the old place's. Stage folders are named by
    their key, so a path through a folder of that name is one inside the stage's."""
    if isinstance(result, dict):
        return {key: rebased(value, folder) for key, value in result.items()}
    if isinstance(result, list):
        return [rebased(value, folder) for value in result]
    if isinstance(result, str) and "/" in result:
        parts = PurePath(result).parts
        if folder.name in parts:
            inside = parts[len(parts) - parts[::-1].index(folder.name) :]
            return str(folder.joinpath(*inside))
    return result


def row_name(key: str) -> str:
    """The file of a language's row under settings of ``key``: rows of other settings (the
    variants of an ablation) stay beside it."""
    return f"row-{key[:12]}.json"


def _timing(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stage's wall time and the machine (GPU, else CPU) it was computed on."""
    return {"seconds": record["seconds"], "on": record["on"]}


def row_key(keys: Mapping[str, str]) -> str:
    """The key of a language's row: its stages' keys."""
    return digest(keys)


def score(
    tag: Callable[[list[Tokens]], list[list[Span]]],
    sentences: Sequence[TaggedSentence],
    label_map: Mapping[str, str | None] | None,
) -> dict[str, Any]:
    """Span F1 of ``tag``'s spans on ``sentences``, with its bootstrap interval over the
    sentences and each sentence's counts (matches, gold, predicted: what the interval and a
    study's resamples are made from)."""
    predicted = tag([list(s.tokens) for s in sentences])
    gold = [s.spans for s in sentences]
    scores = evaluate_spans(gold, predicted, [len(s.tokens) for s in sentences], label_map)
    counts = sentence_counts(gold, predicted, label_map)
    interval = bootstrap_f1(counts)
    return {
        "sentences": len(sentences),
        **scores.as_dict(),
        "f1_interval": [interval.low, interval.high],
        "counts": counts.tolist(),
    }


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


@dataclass(frozen=True)
class PooledTrain:
    """One tagger trained on the silver data of several languages (``train.pooled``): its
    stage folder, key and computation, shared by every language's row; and each language's
    work, read once."""

    folder: Path
    key: str
    compute: Callable[[Path], dict[str, Any]]
    works: Mapping[str, Work]


def prepare(step: Plan, settings: Mapping[str, Any], data_dir: Path | None) -> Work:
    """Read the language's bitext and gold; key each stage by its settings and its inputs
    (pinned in ``tests/test_silver_keys.py``: existing runs are read back by them)."""
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
    if step.selection.place_names != "off":  # the names themselves, as babel's CLDR has them
        silver_settings["place_names"] = names_key(cldr_place_names(lang))
    exclude: dict[str, Any] = {"corpus": settings["evaluation"], "lang": lang, "split": "test"}
    if held_out(settings) != ("test",):  # so that the keys of the runs without it stay
        exclude["splits"] = list(held_out(settings))
    data = [digest([(p.source, p.target, p.provenance.id) for p in pairs]), digest(exclude)]
    keys: dict[str, str] = {"silver": stage_key("bench-silver", silver_settings, data)}
    if step.degrade.active:  # only then a stage, so that the other keys stay as they were
        keys["degrade"] = stage_key(
            "bench-silver-degrade", step.degrade.as_dict(), [keys["silver"]]
        )
    return Work(pairs, test, dev, silver_settings, _tagger_keys(step, settings, keys, None))


def pooled_work(work: Work, step: Plan, settings: Mapping[str, Any], train_key: str) -> Work:
    """The language's ``work`` (as :func:`prepare` made it, nothing read again) with the
    stages after the silver data keyed by the pooled tagger of ``train_key``, trained on
    more than this language."""
    made = {name: key for name, key in work.keys.items() if name in ("silver", "degrade")}
    return replace(work, keys=_tagger_keys(step, settings, made, train_key))


def _tagger_keys(
    step: Plan, settings: Mapping[str, Any], made: Mapping[str, str], train_key: str | None
) -> dict[str, str]:
    """``made`` (the keys of the silver data) and those of the stages after it: the
    training (``train_key`` where the tagger is a pooled one), the self-training rounds, the
    last tagger's scores, model transfer and their ensemble."""
    keys = dict(made)
    upstream = keys.get("degrade", keys["silver"])
    trained = train_settings(step, settings)
    keys["train"] = train_key or stage_key("bench-silver-train", trained, [upstream])
    last = "train"  # the stage of the row's tagger: the last self-training round's, if any
    for number in range(1, step.selftrain.rounds + 1):
        relabelling = {
            "selftrain": step.selftrain.relabelling().as_dict(),
            "label_map": settings["tagger"]["label_map"],
        }
        relabelled = stage_key("bench-silver-relabel", relabelling, [keys["silver"], keys[last]])
        keys[f"relabel-{number}"] = relabelled
        last = f"train-{number}"
        keys[last] = stage_key("bench-silver-train", trained, [relabelled])
    dev_split = settings["dev_split"]
    scoring = {"label_map": settings["label_map"], "evaluation": settings["evaluation"]}
    scoring["dev"] = dev_split
    keys["evaluate"] = stage_key("bench-silver-evaluate", scoring, [keys[last]])
    transfer_on = step.transfer_tagger.signature() if step.transfer_tagger else None
    keys["transfer"] = stage_key("bench-silver-transfer", scoring | {"tagger": transfer_on}, [])
    if settings["ensemble"]["with_transfer"] and step.transfer_tagger is not None:
        mixed = scoring | {"tagger": transfer_on, "weights": ENSEMBLE_WEIGHTS}
        keys["ensemble"] = stage_key("bench-silver-ensemble", mixed, [keys[last]])
    if settings["ensemble"]["with_translate_test"] and has_translation(
        step.lang, settings["evaluation"]
    ):
        voting = scoring | {
            "transfer": transfer_on,
            "translate_test": translate_test_components(step, settings),
            "settings": [asdict(s) for s in vote_settings(step.transfer_tagger is not None)],
        }
        # Its first voter is the ensemble where the row has one, else the silver tagger.
        first = keys.get("ensemble", keys[last])
        keys["vote"] = stage_key("bench-silver-vote", voting, [first])
    return keys


def translate_test_components(step: Plan, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What translate-test runs with in the vote stage: the silver job's source tagger,
    aligner and projection (:func:`xlner.bench.silver.vote.translate_test_spans`)."""
    tagger, aligner, projector = step.specs
    return {
        "tagger": tagger.name,
        "tagger_options": dict(tagger.options),
        "preset": settings["preset"],
        "align": {"aligner": aligner.name, "options": dict(aligner.options)},
        "project": {"method": projector.name, "options": dict(projector.options)},
    }


def train_settings(step: Plan, settings: Mapping[str, Any]) -> dict[str, Any]:
    """What determines a training besides its data: where it starts, TrainConfig."""
    init = step.tagger.signature() if settings["train"]["init"] == "source" else None
    encoder = settings["train"]["encoder"] or DEFAULT_ENCODER
    return {"init": init or {"encoder": encoder}, "config": asdict(step.train)}


def silver_of(
    step: Plan,
    settings: Mapping[str, Any],
    work: Work,
    run_root: Path,
    data_dir: Path | None,
    progress: Progress,
    stages: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The language's silver stage, and its degrade stage where it has one: what the
    tagger is trained on."""
    folder, say = run_root / step.lang, partial(_said, progress, step.lang)
    where = {name: folder / f"{name}-{key[:12]}" for name, key in work.keys.items()}
    run = partial(run_stage, stages=stages)
    job = silver_settings(step, settings, work, data_dir, folder / CACHE_DIR)
    built = (step.tagger, step.aligner, step.projector)
    gold = partial(gold_by_line, step.lang, data_dir=data_dir)
    made = run("silver", where["silver"], partial(silver_stage, job, gold, say, built=built))
    worse = None
    if step.degrade.active:
        worse = run(
            "degrade", where["degrade"], partial(degrade_stage, made, gold, step.degrade, say)
        )
    return made, worse


def pooled_train(
    plans: Sequence[Plan],
    settings: Mapping[str, Any],
    run_root: Path,
    data_dir: Path | None,
    progress: Progress = lambda message: None,
) -> PooledTrain:
    """Every language's silver stage (read back where finished), then the one tagger that
    ``train.pooled`` trains on all of their silver files."""
    files, works = [], {}
    for step in plans:
        work = prepare(step, settings, data_dir)
        with run_lock(run_root / step.lang):
            made, _ = silver_of(step, settings, work, run_root, data_dir, progress, {})
        files.append(made["conll"])
        works[step.lang] = work
    first, langs = plans[0], [step.lang for step in plans]
    key = pooled_key(plans, settings, [work.keys["silver"] for work in works.values()])
    source = getattr(first.tagger, "path", None) if settings["train"]["init"] == "source" else None
    compute = partial(
        train_stage, files, lang=langs, config=first.train, source=source,
        encoder=settings["train"]["encoder"] or DEFAULT_ENCODER,
        say=partial(_said, progress, "+".join(langs)),
    )  # fmt: skip
    rekeyed = {step.lang: pooled_work(works[step.lang], step, settings, key) for step in plans}
    return PooledTrain(run_root / POOLED / f"train-{key[:12]}", key, compute, rekeyed)


def pooled_key(
    plans: Sequence[Plan], settings: Mapping[str, Any], silver_keys: Sequence[str]
) -> str:
    """The key of the tagger that ``train.pooled`` trains on the silver data of ``plans``'
    languages: its settings and their silver stages' keys."""
    langs = [step.lang for step in plans]
    trained = train_settings(plans[0], settings) | {"languages": langs}
    return stage_key("bench-silver-pooled-train", trained, silver_keys)


def finished_row(step: Plan, work: Work, run_root: Path) -> dict[str, Any] | None:
    """The language's row if a run of the settings that keyed ``work`` finished it (``None``
    otherwise): read without running anything or taking its lock, so it is safe beside a
    run in progress (a row file is written whole, by atomic replace)."""
    return _read_row(run_root / step.lang, row_key(work.keys))


def _read_row(folder: Path, key: str) -> dict[str, Any] | None:
    row_file = folder / row_name(key)
    if row_file.is_file() and (row := json.loads(row_file.read_text("utf-8")))["key"] == key:
        return row | {"status": "reused"}
    return None


def run_language(
    step: Plan,
    settings: Mapping[str, Any],
    run_root: Path,
    data_dir: Path | None,
    progress: Progress = lambda message: None,
    pooled: PooledTrain | None = None,
) -> dict[str, Any]:
    """The row of one language: read back if finished with these settings, else computed
    stage by stage (each stage read back where it finished); trained by the ``pooled``
    tagger of several languages where there is one."""
    work = pooled.works[step.lang] if pooled else prepare(step, settings, data_dir)
    folder, key = run_root / step.lang, row_key(work.keys)
    row_file = folder / row_name(key)
    if (row := _read_row(folder, key)) is not None:
        progress(f"{step.lang}: finished before, read back from {row_file}")
        return row
    started = time.perf_counter()
    where = {name: folder / f"{name}-{key[:12]}" for name, key in work.keys.items()}
    stages: dict[str, Any] = {}
    run = partial(run_stage, stages=stages)
    label_map = registry.label_maps.get(settings["label_map"])
    say = partial(_said, progress, step.lang)
    made, worse = silver_of(step, settings, work, run_root, data_dir, progress, stages)
    if pooled is not None:
        trained = run("train", pooled.folder, pooled.compute)
    else:
        trained = run(
            "train", where["train"], _training(step, settings, (worse or made)["conll"], say)
        )
    rounds, last = [], trained
    for number in range(1, step.selftrain.rounds + 1):
        gold = partial(gold_by_line, step.lang, data_dir=data_dir)
        relabel = partial(
            relabel_stage, Path(made["conll"]).parent, last["model"],
            settings["tagger"]["label_map"], step.selftrain, gold, say, number,
        )  # fmt: skip
        relabelled = run(f"relabel-{number}", where[f"relabel-{number}"], relabel)
        retrain = _training(step, settings, relabelled["conll"], say)
        last = run(f"train-{number}", where[f"train-{number}"], retrain)
        rounds.append({"relabel": relabelled, "train": last})
    evaluate = partial(evaluate_stage, last["model"], work.test, work.dev, label_map, say)
    scores = run("evaluate", where["evaluate"], evaluate)
    note = f"tagger {settings['tagger']['name']!r} reads no other language"
    transfer = partial(transfer_stage, step.transfer_tagger, work.test, label_map, say, note)
    direct = run("transfer", where["transfer"], transfer)
    mixed = None
    if "ensemble" in work.keys:
        together = partial(
            ensemble_stage, last["model"], step.tagger.path, work.test, work.dev, label_map, say
        )
        mixed = run("ensemble", where["ensemble"], together)
    voted = None
    if "vote" in work.keys:
        projected = partial(_translate_test, step, settings, folder / CACHE_DIR, data_dir, say)
        first = partial(_first_voter, last["model"], getattr(step.tagger, "path", None), mixed)
        vote = partial(
            vote_stage, first, step.transfer_tagger, work.test, work.dev, label_map, projected,
            say,
        )  # fmt: skip
        voted = run("vote", where["vote"], vote)
    trained_on = rounds[-1]["relabel"] if rounds else (worse or made)
    row = {
        "lang": step.lang,
        "pair": step.pair,
        "pivot": step.pivot,
        "key": key,
        **work.signature.stored(),
        "components": work.silver_settings,
        "machine": machine(),
        "silver": {k: v for k, v in made.items() if not k.startswith("quality")},
        # The silver F1 of the data the row's tagger was trained on: degraded, or relabelled
        # by the last self-training round, where it was.
        "silver_quality": trained_on["quality"],
        "silver_quality_no_date": trained_on["quality_no_date"],
        "degrade": worse and {k: v for k, v in worse.items() if not k.startswith("quality")},
        "train": trained,
        # Each self-training round's relabelling and tagger (the last one's is scored).
        "selftrain": rounds or None,
        "test": scores["test"],
        "dev": scores.get("dev"),
        "model_transfer": direct["test"],
        "ensemble": mixed,
        "vote": voted,
        "stages": stages,
        "wall_seconds": time.perf_counter() - started,
    }
    write_json(row, row_file)
    return row | {"status": "computed"}


def _training(
    step: Plan, settings: Mapping[str, Any], conll: str | Path, say: Say
) -> Callable[[Path], dict[str, Any]]:
    """The row's recipe (:func:`train_stage`) on the training file ``conll``."""
    source = getattr(step.tagger, "path", None) if settings["train"]["init"] == "source" else None
    return partial(
        train_stage, conll, lang=step.lang, config=step.train, source=source,
        encoder=settings["train"]["encoder"] or DEFAULT_ENCODER, say=say,
    )  # fmt: skip


def _first_voter(
    model: str | Path, source: str | Path | None, mixed: Mapping[str, Any] | None
) -> tuple[str, Any]:
    """The vote's first voter, by name: the silver tagger at ``model``, or where the row has
    the ensemble stage's result ``mixed``, that ensemble with the source tagger at
    ``source`` at the weight it chose on dev."""
    from xlner.tagging.ensemble import ProbabilityEnsemble
    from xlner.tagging.tagger import TokenTagger

    silver = TokenTagger.load(model)
    if mixed is None or source is None:  # an ensemble stage needs the source tagger's files
        return "silver tagger", silver
    weight = mixed["silver_weight"]
    members, names = [silver, TokenTagger.load(source)], ["silver tagger", "model transfer"]
    ensemble = ProbabilityEnsemble(members, names, [weight, 1 - weight])
    return f"ensemble with model transfer (silver weight {weight:.1f})", ensemble


def _translate_test(
    step: Plan,
    settings: Mapping[str, Any],
    cache_dir: Path,
    data_dir: Path | None,
    say: Say,
    scored: str,
) -> Mapping[int, list[Span]]:
    """Translate-test's spans on the sentences that the vote scores as ``scored`` ("test", or
    "dev": the config's dev_split), in a pipeline run of its own in the language's cache, so
    every variant of the silver data reads it back."""
    split = settings["dev_split"] if scored == "dev" else scored
    say(f"translate-test on {split}")
    components = translate_test_components(step, settings)
    run_dir = cache_dir / f"translate-test-{split}"
    return translate_test_spans(step.lang, split, components, run_dir, data_dir, say)


def _said(progress: Progress, lang: str, message: str) -> None:
    progress(f"{lang}: {message}")


def held_out(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The evaluation corpus's splits whose sentences never enter the silver data: test, and
    the dev split with ``exclude_dev``."""
    dev = settings["dev_split"]
    return ("test", dev) if settings["exclude_dev"] and dev and dev != "test" else ("test",)


def silver_settings(
    step: Plan,
    settings: Mapping[str, Any],
    work: Work,
    data_dir: Path | None,
    cache_dir: Path,
) -> SilverSettings:
    """The silver job of a language: its MAFAND-MT pair minus the evaluation corpus's test
    sentences (and dev's: :func:`held_out`), tagged and aligned into the language's shared
    ``cache_dir``. The output folder is the stage's (:func:`silver_stage` sets it)."""
    return SilverSettings(
        cache_dir.parent, BitextPairs(tuple(work.pairs), f"{settings['bitext']} {step.pair}"),
        *step.specs, label_map=settings["tagger"]["label_map"], selection=step.selection,
        exclude_corpora=(settings["evaluation"],), exclude_splits=held_out(settings),
        source_lang=step.pivot, lang=step.lang, data_dir=data_dir, cache_dir=cache_dir,
        preset=settings["preset"],
        summary_extra={"settings": work.silver_settings, **work.signature.stored()},
    )  # fmt: skip


def silver_stage(
    job: SilverSettings,
    gold: Callable[[], Mapping[GoldKey, TaggedSentence]],
    say: Say,
    out: Path,
    *,
    built: tuple[Any, Any, Any] | None = None,
) -> dict[str, Any]:
    """The silver job ``job`` into the stage folder ``out`` (the components as ``built``
    where they are), and its silver F1 against the ``gold()`` sentences it overlaps
    (:func:`xlner.bench.silver_quality.gold_by_line`)."""
    pairs = f" ({len(job.bitext.pairs)} pairs)" if isinstance(job.bitext, BitextPairs) else ""
    say(f"silver data from {job.bitext.name}{pairs}")
    outcome = run_silver(
        check_silver(replace(job, output=out), built),
        progress=partial(_step_done, say),
        warn=lambda message: say(f"warning: {message}"),
    )
    summary, result = outcome.summary, outcome.result
    assert result is not None  # one shard, in this process
    found = gold()
    keep = ("sentences_in", "sentences_out", "excluded", "entities", "dropped", "warnings")
    passes = ("unknown_words", "consistency", "place_names")  # where the settings ran them
    return {
        **{key: summary[key] for key in keep},
        **{key: summary[key] for key in passes if key in summary},
        "conll": str(out / CONLL),
        "gold_sentences": len(found),
        "quality": kept_quality(result, found),
        "quality_no_date": kept_quality(result, found, {"DATE": None}),
    }


def degrade_stage(
    made: Mapping[str, Any],
    gold: Callable[[], Mapping[GoldKey, TaggedSentence]],
    settings: DegradeSettings,
    say: Say,
    out: Path,
) -> dict[str, Any]:
    """The silver data of the silver stage ``made`` degraded as ``settings`` say
    (:func:`xlner.bench.silver.degrade.degrade_silver`): the training file, its silver F1."""
    records = Path(made["conll"]).with_name(JSONL)
    say(f"degrading the silver data: {settings.operator} at level {settings.level:g}")
    found = degrade_silver(records, gold(), settings, MASAKHANER_CLASSES, out)
    say(
        f"silver F1 {found['clean_silver_f1']:.1f} -> {found['quality_no_date']['f1']:.1f} "
        f"(rate {found['rate']:.3f})"
    )
    return found


def _step_done(say: Say, name: str, done: int, total: int | None) -> None:
    if done == total:
        say(f"{name} done ({total} sentences)")


def train_stage(
    conll: str | Path | Sequence[str | Path],
    out: Path,
    *,
    lang: str | Sequence[str],
    config: TrainConfig,
    source: str | Path | None = None,
    encoder: str = DEFAULT_ENCODER,
    say: Say = lambda message: None,
) -> dict[str, Any]:
    """A tagger trained on ``conll`` (a file, or the files of several languages: one
    multilingual tagger) into ``out/model`` (resuming from its checkpoints): continued from
    the tagger at ``source`` (its labels extended), else fresh from ``encoder``."""
    from xlner.tagging import TokenTagger, fit, labels_from
    from xlner.tagging.data import read_labelled
    from xlner.tagging.head import extend_labels

    files = [conll] if isinstance(conll, str | Path) else list(conll)
    # Words of unknown label (selection.dropped_class = "mask") train as partial labels.
    train_set = [sentence for file in files for sentence in read_labelled(file, unknown=True)]
    labels = labels_from(train_set)
    if source is not None:
        tagger = extend_labels(TokenTagger.load(source), labels, seed=config.seed)
    else:
        tagger = TokenTagger.from_encoder(encoder, labels)
    tagger.languages = (lang,) if isinstance(lang, str) else tuple(lang)
    say(f"training on {len(train_set)} silver sentences")
    history = fit(
        tagger,
        train_set,
        config=config,
        output_dir=out / "model",
        progress=lambda report: say(str(report)),
    )
    assert (out / "model" / META_FILE).is_file()  # stop_after is refused: training finished
    return {
        "sentences": len(train_set),
        "labels": list(tagger.labels),
        "init": "source" if source is not None else "encoder",
        "config": asdict(config),
        "history": history,
        "model": str(out / "model"),
    }


def evaluate_stage(
    model: str | Path,
    test: Sequence[TaggedSentence],
    dev: Sequence[TaggedSentence],
    label_map: Mapping[str, str | None] | None,
    say: Say,
    out: Path,
) -> dict[str, Any]:
    """The F1 of the tagger at ``model`` on ``test``, and on ``dev`` where there is one."""
    from xlner.tagging.tagger import TokenTagger

    say("scoring the silver tagger on test")
    tagger = TokenTagger.load(model)
    scores = {"test": score(tagger.predict_spans, test, label_map)}
    if dev:
        scores["dev"] = score(tagger.predict_spans, dev, label_map)
    return scores


class _Fixed:
    """A tagger that gives probabilities computed before (for the sentences they were
    computed on): an ensemble member whose weights are tried many times."""

    def __init__(self, labels: Sequence[str], probabilities: list[Any]) -> None:
        self.labels = list(labels)
        self.probabilities = probabilities

    def predict_proba(self, sentences: Sequence[Tokens], batch_size: int = 32) -> list[Any]:
        assert len(sentences) == len(self.probabilities)
        return self.probabilities


def ensemble_stage(
    model: str | Path,
    source: str | Path,
    test: Sequence[TaggedSentence],
    dev: Sequence[TaggedSentence],
    label_map: Mapping[str, str | None] | None,
    say: Say,
    out: Path,
) -> dict[str, Any]:
    """The silver tagger at ``model`` and the source tagger at ``source`` (model transfer) as
    one probability ensemble (:class:`xlner.tagging.ensemble.ProbabilityEnsemble`): the
    silver tagger's weight that scores best on ``dev`` (ties: the one nearest 0.5), its F1
    on test and dev, and dev F1 at every weight tried."""
    from xlner.tagging.ensemble import ProbabilityEnsemble
    from xlner.tagging.tagger import TokenTagger

    say("scoring the ensemble of the silver tagger and model transfer")
    members = [TokenTagger.load(model), TokenTagger.load(source)]
    names = ["silver tagger", "model transfer"]

    def at(weight: float, sentences: Sequence[TaggedSentence], found: list[list]) -> Any:
        fixed = [_Fixed(m.labels, probs) for m, probs in zip(members, found, strict=True)]
        return ProbabilityEnsemble(fixed, names, [weight, 1 - weight]).predict_spans

    probabilities = {
        name: [m.predict_proba([list(s.tokens) for s in sentences]) for m in members]
        for name, sentences in (("test", test), ("dev", dev))
        if sentences
    }
    tried = {
        weight: score(at(weight, dev, probabilities["dev"]), dev, label_map)["f1"]
        for weight in (ENSEMBLE_WEIGHTS if dev else ())
    }
    best = max(tried, key=lambda w: (tried[w], -abs(w - 0.5))) if tried else 0.5
    scores = {
        name: score(at(best, sentences, probabilities[name]), sentences, label_map)
        for name, sentences in (("test", test), ("dev", dev))
        if sentences
    }
    by_weight = {f"{weight:.1f}": f1 for weight, f1 in tried.items()}
    return {"silver_weight": best, "dev_f1_by_weight": by_weight, **scores}


def transfer_stage(
    tagger: Any,
    test: Sequence[TaggedSentence],
    label_map: Mapping[str, str | None] | None,
    say: Say,
    note: str,
    out: Path,
) -> dict[str, Any]:
    """Model transfer: the source ``tagger`` on the test set as is; None (with ``note``)
    where it reads no other language."""
    if tagger is None:
        return {"test": None, "note": note}
    say("model transfer, the source tagger on test")
    return {"test": score(tagger.tag, test, label_map)}
