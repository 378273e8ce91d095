"""The silver job over shards, on any engine: the same output, shard by shard, resumable.

The bitext is cut into shards of ``shard_size`` consecutive pairs (0: one shard). Each shard
is one batch of :class:`SilverShardTask` (``setup()`` builds the tagger, aligner and
projector once per worker; ``process_batch`` runs :func:`~xlner.silver.job.build_silver` on
the shard's pairs), run by an engine of the engines catalogue (``local`` in this process,
``ray`` on an actor pool). The driver writes each shard as it comes back::

    <output>/shards/<key16>/00000.jsonl, 00000.conll   the shard's silver sentences
    <output>/shards/<key16>/00000.meta.json            its counts and checksums, written last

and, once every shard is there, ``silver.jsonl``/``silver.conll`` (the shards' files end to
end, in shard order) and ``summary.json`` (their counts added up); with the ``parquet``
record format a shard's records are ``00000.parquet`` instead, in ``<key16>-parquet/``, and
the merged file is ``silver.parquet``. ``key16`` hashes every setting that changes a shard
(the components' signatures, the selection, the label set and map, the tokenizer, the
exclusions, the eflomal priors); a shard counts as finished when its meta file is there,
agrees with its files and was made from the same input pairs, so a resumed job (after
Ctrl-C, a killed worker, another engine) computes only the missing ones.

Sentence by sentence the shards give what one job over the whole bitext gives, except for a
statistical aligner that learns from its whole input: eflomal aligns each shard alone. It
then aligns every shard with priors learned once from a seeded sample of the bitext
(``priors_sample`` pairs, :data:`DEFAULT_PRIORS_SAMPLE`), so that each shard starts from
what the sample taught instead of from nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any

from xlner.corpora.parallel_tsv import normalise
from xlner.engine.base import Engine, import_plugins, plugin_modules
from xlner.errors import InputError
from xlner.io import atomic_write, remove_folder
from xlner.pipeline.cache import stage_key
from xlner.pipeline.stages.base import build_component
from xlner.registry import registry
from xlner.signature import digest
from xlner.silver import parquet
from xlner.silver.bitext import BitextPair, has_text, tokenize
from xlner.silver.exclude import Exclusion, unmatched
from xlner.silver.job import SilverResult, build_silver, no_text_warning, summary_of
from xlner.silver.places import PlaceName, names_key
from xlner.silver.select import Selection
from xlner.silver.writers import STEM, mark_unfinished, write_shard
from xlner.text import tokens_of

# Sentence pairs from which eflomal's priors are learned when the bitext has several shards:
# about a minute of eflomal on one core, and as many pairs as a MAFAND-MT train split has.
DEFAULT_PRIORS_SAMPLE = 10_000
SHARDS = "shards"

Progress = Callable[[str, int, int | None], None]
Warn = Callable[[str], None]


@dataclass(frozen=True)
class Component:
    """A component by catalogue, name and options, built where a task runs (a worker)."""

    kind: str  # the catalogue's attribute on the registry: taggers, aligners, projectors
    flag: str  # how the user named it, for messages: --tagger
    name: str
    options: Mapping[str, Any]

    def build(self, data_dir: Path | None, temp_dir: Path | None = None) -> Any:
        catalogue = getattr(registry, self.kind)
        return build_component(catalogue, self.flag, self.name, self.options, data_dir, temp_dir)


@dataclass
class SilverShardTask:
    """The silver job's per-sentence work on one shard: tag, align, project, select."""

    tagger: Component
    aligner: Component
    projector: Component
    work_dir: Path  # the output folder: per-shard caches and eflomal's files live there
    data_dir: Path | None = None
    classes: tuple[str, ...] = ()
    label_map: Mapping[str, str | None] | None = None
    selection: Selection = field(default_factory=Selection)
    exclusions: Sequence[Exclusion] = ()
    tokenizer: str = "words"
    batch_size: int = 256
    places: frozenset[PlaceName] = frozenset()  # the target's place names (place_names)
    priors: str | None = None  # eflomal's priors, as text (they travel to every worker)
    priors_at: tuple[str, ...] = ()  # where in the aligner's options they go
    built: tuple[Any, Any, Any] | None = field(default=None, repr=False)
    plugins: list[str] = field(default_factory=plugin_modules)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "built": None}  # workers build their own (setup)

    def setup(self) -> None:
        """Build what is not built yet (in a worker: all three; the model is loaded here)."""
        import_plugins(self.plugins)
        tagger, aligner, projector = self.built or (None, None, None)
        self.built = (
            tagger or self.tagger.build(self.data_dir),
            aligner or self._aligner().build(self.data_dir, self.work_dir / "tmp"),
            projector or self.projector.build(self.data_dir),
        )

    def with_priors(self, priors: str, at: Sequence[str] = ()) -> None:
        """Align with eflomal ``priors`` from now on, given to the aligner whose options are
        at ``at`` in the aligner's (see :func:`priors_learner`); the built one is dropped."""
        self.priors, self.priors_at = priors, tuple(at)
        if self.built is not None:
            self.built = (self.built[0], None, self.built[2])

    def _aligner(self) -> Component:
        if self.priors is None:
            return self.aligner
        path = self.work_dir / "tmp" / f"priors-{digest(self.priors)[:16]}.txt"
        if not path.is_file():
            with atomic_write(path) as out:
                out.write(self.priors)
        options = copy.deepcopy(dict(self.aligner.options))
        where = options
        for key in self.priors_at:  # down to the member's options (a combined aligner)
            where = where.setdefault(key, {})
        where["priors"] = str(path)
        return replace(self.aligner, options=options)

    def process_batch(self, records: tuple[int, Sequence[BitextPair]]) -> SilverResult:
        number, pairs = records
        assert self.built is not None, "setup() first"
        # Fresh counters: each shard reports how often each exclusion matched in it.
        exclusions = [Exclusion(e.name, e.sentences, e.keys) for e in self.exclusions]
        return build_silver(
            pairs,
            *self.built,
            cache_dir=shard_cache(self.work_dir, number),
            classes=self.classes,
            label_map=self.label_map,
            selection=self.selection,
            exclusions=exclusions,
            tokenizer=self.tokenizer,
            batch_size=self.batch_size,
            places=self.places,
        )

    def key(self) -> str:
        """What every shard's result depends on besides its pairs (components built)."""
        self.setup()
        assert self.built is not None
        tagger, aligner, projector = self.built
        settings = {
            "tagger": tagger.signature(),
            "aligner": aligner.signature(),
            "projector": projector.signature(),
            "classes": list(self.classes),
            "label_map": dict(self.label_map or {}),
            "selection": self.selection.as_dict(),
            "tokenizer": self.tokenizer,
            "exclusions": [[e.name, digest(sorted(e.keys))] for e in self.exclusions],
        }
        if self.places:  # only then, so that the keys of the shards without them stay
            settings["places"] = names_key(self.places)
        return stage_key("silver-shard", settings, [])


def shard_cache(work_dir: Path, number: int) -> Path:
    """The cache of one unfinished shard (tagging resumes there), removed once it is done."""
    return work_dir / "cache" / SHARDS / f"{number:05d}"


# ---------------------------------------------------------------------------- the driver


@dataclass
class ShardedResult:
    """What the sharded job wrote, and how: its summary and which shards were reused."""

    summary: dict[str, Any]
    shards: int
    reused: int
    directory: Path


def run_shards(
    pairs: Iterable[BitextPair],
    task: SilverShardTask,
    engine: Engine,
    output: Path,
    *,
    shard_size: int = 0,
    record_format: str = "jsonl",
    progress: Progress | None = None,
    warn: Warn | None = None,
) -> ShardedResult:
    """Every unfinished shard of ``pairs`` through ``engine``; then the merged outputs, the
    records as ``record_format`` (``jsonl`` or ``parquet``) beside the CoNLL view.

    ``pairs`` is read once, shard by shard (a stream of pairs keeps memory flat on the local
    engine); an empty bitext is an :class:`~xlner.errors.InputError`.
    """
    notify = progress or (lambda step, done, total: None)
    total = -(-len(pairs) // shard_size) if isinstance(pairs, Sized) and shard_size else None
    kinds = (record_format, "conll")
    # Each record format has its own shards (the JSONL ones where they always were), so that
    # switching formats recomputes nothing it already has.
    suffix = "" if record_format == "jsonl" else f"-{record_format}"
    store = output / SHARDS / f"{task.key()[:16]}{suffix}"
    metas: dict[int, dict[str, Any]] = {}
    inputs: dict[int, str] = {}
    reused = 0

    def todo() -> Iterator[tuple[int, tuple[int, list[BitextPair]]]]:
        nonlocal reused
        for number, shard in enumerate(_chunks(pairs, shard_size)):
            inputs[number] = _pairs_digest(shard)
            meta = read_meta(store, number, inputs[number], warn, kinds)
            if meta is None:
                yield number, (number, shard)
            else:
                metas[number], reused = meta, reused + 1
                notify("shards", len(metas), total)

    notify("shards", 0, total)
    for number, result in engine.map(task, todo()):
        metas[number] = write_result(store, number, result, inputs[number], kinds)
        remove_folder(shard_cache(task.work_dir, number), ours=Path.is_dir)  # done with it
        notify("shards", len(metas), total)
    if not inputs:
        raise InputError("the bitext", None, "no sentence pair: the bitext is empty")
    summary = merge(store, sorted(inputs), metas, task.exclusions, output, kinds)
    for message in summary["warnings"]:
        (warn or (lambda _: None))(message)
    return ShardedResult(summary, len(inputs), reused, store)


def _chunks(pairs: Iterable[BitextPair], size: int) -> Iterator[list[BitextPair]]:
    """Lists of ``size`` consecutive pairs (0: all of them in one)."""
    stream = iter(pairs)
    while chunk := list(islice(stream, size) if size else stream):
        yield chunk


def write_result(
    store: Path,
    number: int,
    result: SilverResult,
    input_digest: str,
    kinds: Sequence[str] = ("jsonl", "conll"),
) -> dict:
    """The shard's files (``kinds``: the record format first, then ``conll``), then (last)
    its meta file; return the meta."""
    stem = f"{number:05d}"
    write_shard(store, stem, result.sentences, kinds[0])
    meta = {
        "input": input_digest,
        "sha256": {kind: _file_digest(store / f"{stem}.{kind}") for kind in kinds},
        "sentences_in": result.sentences_in,
        "sentences_out": len(result.sentences),
        "entities": dict(result.entities()),
        "source_entities": dict(result.source_entities),
        "dropped": dict(result.dropped),
        "matched": [exclusion.matched for exclusion in result.exclusions],
    }
    if unknown := result.unknown_words():  # partial labels only: older metas lack it
        meta["unknown_words"] = unknown
    if result.places is not None:  # the place-name pass only
        meta["place_names"] = result.places
    with atomic_write(store / f"{stem}.meta.json") as out:
        out.write(json.dumps(meta, ensure_ascii=False) + "\n")
    return meta


def read_meta(
    store: Path,
    number: int,
    input_digest: str,
    warn: Warn | None,
    kinds: Sequence[str] = ("jsonl", "conll"),
) -> dict | None:
    """The meta of a finished shard made from the same input, whose ``kinds`` of files match
    their checksums; None (with a warning where a shard is damaged) when it must be
    computed."""
    stem = f"{number:05d}"
    path = store / f"{stem}.meta.json"
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        intact = all(
            _file_digest(store / f"{stem}.{kind}") == meta["sha256"][kind] for kind in kinds
        )
    except (OSError, ValueError, KeyError, TypeError):
        intact = False
    if not intact:
        if warn is not None:
            warn(f"shard {path.parent / stem} is damaged or incomplete; recomputing it")
        return None
    return meta if meta["input"] == input_digest else None


def merge(
    store: Path,
    numbers: Sequence[int],
    metas: Mapping[int, Mapping[str, Any]],
    exclusions: Sequence[Exclusion],
    output: Path,
    kinds: Sequence[str] = ("jsonl", "conll"),
) -> dict[str, Any]:
    """``silver.jsonl``/``silver.conll`` (each of ``kinds``): the shards' files end to end;
    the summed summary. ``summary.json`` is removed first: the folder is unfinished until the
    caller writes it again."""
    mark_unfinished(output)
    for kind in kinds:
        parts = [store / f"{number:05d}.{kind}" for number in numbers]
        if kind == "parquet":
            parquet.concatenate(parts, output / f"{STEM}.{kind}")
            continue
        with atomic_write(output / f"{STEM}.{kind}") as out:
            for path in parts:
                with path.open(encoding="utf-8") as part:
                    shutil.copyfileobj(part, out)
    total: dict[str, Counter[str]] = {k: Counter() for k in ("entities", "source", "dropped")}
    matched = [0] * len(exclusions)
    for number in numbers:
        meta = metas[number]
        total["entities"].update(meta["entities"])
        total["source"].update(meta["source_entities"])
        total["dropped"].update(meta["dropped"])
        matched = [a + b for a, b in zip(matched, meta["matched"], strict=True)]
    pairs = zip(exclusions, matched, strict=True)
    counted = [Exclusion(e.name, e.sentences, set(), m) for e, m in pairs]
    sentences_in = sum(metas[n]["sentences_in"] for n in numbers)
    warnings = unmatched(counted)
    if sentences_in and total["dropped"]["empty_line"] == sentences_in:
        warnings.append(no_text_warning(sentences_in))
    summary = summary_of(
        sentences_in,
        sum(metas[n]["sentences_out"] for n in numbers),
        total["entities"],
        total["source"],
        total["dropped"],
        counted,
        warnings,
        sum(metas[n].get("unknown_words", 0) for n in numbers),
    )
    if any("place_names" in metas[n] for n in numbers):
        summary["place_names"] = sum(metas[n].get("place_names", 0) for n in numbers)
    return summary


# ---------------------------------------------------------------------------- eflomal priors


def priors_learner(aligner: Any) -> tuple[Any, tuple[str, ...]] | None:
    """The aligner that learns priors (eflomal's ``learn_priors``): ``aligner`` itself or the
    first such member of a combined aligner, with where its options are in ``aligner``'s
    (``("members", "eflomal")``); None when there is none."""
    if hasattr(aligner, "learn_priors"):
        return aligner, ()
    for name, member in getattr(aligner, "members", {}).items():
        if hasattr(member, "learn_priors"):
            return member, ("members", name)
    return None


def sample_pairs(
    pairs: Iterable[BitextPair],
    size: int,
    *,
    seed: int,
    tokenizer: str,
    selection: Selection,
    exclusions: Sequence[Exclusion],
) -> tuple[list[tuple[list[str], list[str]]], int]:
    """Up to ``size`` token pairs drawn (seeded, in one pass: a reservoir sample) from the
    pairs with no empty side and no evaluation sentence (not even its words may teach the
    aligner), those within the length limits; and the number of pairs read."""
    keys = set().union(*(e.keys for e in exclusions)) if exclusions else set()
    draw = random.Random(seed)
    reservoir: list[BitextPair] = []
    seen = eligible = 0
    for pair in pairs:
        seen += 1
        if pair.empty or normalise(pair.target) in keys:
            continue
        eligible += 1
        if len(reservoir) < size:
            reservoir.append(pair)
        elif (slot := draw.randrange(eligible)) < size:
            reservoir[slot] = pair
    sample = []
    for pair in sorted(reservoir, key=lambda p: p.provenance.id):
        source = tokens_of(tokenize(pair.source, tokenizer))
        target = tokens_of(tokenize(pair.target, tokenizer))
        within = selection.length_reason(len(source), len(target)) is None
        if within and has_text(pair.source) and has_text(pair.target):
            sample.append((source, target))
    return sample, seen


def learn_priors(  # noqa: PLR0913
    aligner: Any,
    pairs: Iterable[BitextPair],
    size: int,
    output: Path,
    *,
    shard_size: int,
    seed: int,
    tokenizer: str,
    selection: Selection,
    exclusions: Sequence[Exclusion],
    progress: Progress | None = None,
    warn: Warn | None = None,
) -> str | None:
    """The aligner's priors from a sample of ``size`` pairs, kept in ``output`` (a rerun with
    the same sample and aligner reads them back, when they match their checksum: damaged
    ones are named through ``warn`` and learned again); None where the pairs fit in one
    shard (the aligner then learns from all of them at once)."""
    sample, seen = sample_pairs(
        pairs, size, seed=seed, tokenizer=tokenizer, selection=selection, exclusions=exclusions
    )
    if seen <= shard_size or not sample:
        return None
    key = digest([aligner.signature(), sample])
    path = output / "priors" / f"{key[:16]}.txt"
    if (kept := _read_priors(path, warn)) is not None:
        return kept
    if progress is not None:
        progress("priors", 0, None)
    text = aligner.learn_priors(sample)
    with atomic_write(path) as out:
        out.write(text)
    with atomic_write(path.with_suffix(".meta.json")) as out:  # last: the priors are complete
        json.dump({"sha256": _digest_text(text)}, out)
    if progress is not None:
        progress("priors", 1, 1)
    return text


def _read_priors(path: Path, warn: Warn | None) -> str | None:
    """The priors kept at ``path`` if they match the checksum in their meta file."""
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
        meta = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
        intact = meta["sha256"] == _digest_text(text)
    except (OSError, ValueError, KeyError, TypeError):
        intact = False
    if intact:
        return text
    if warn is not None:
        warn(f"eflomal priors {path} are damaged or have no checksum; learning them again")
    return None


def _digest_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _pairs_digest(pairs: Sequence[BitextPair]) -> str:
    return digest([[p.source, p.target, p.provenance.as_dict()] for p in pairs])


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
