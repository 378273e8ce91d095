"""The isolated projection benchmark on Europarl-NER.

The gold English entities are projected onto the German, Spanish and Italian sentences, and
the projection is scored against those languages' gold annotation. No translation and no
source tagger are involved, so the table measures alignment + projection alone.

The sentence pairs are aligned once per language by the default preset's aligner (the
``combined`` aligner: SimAlign on e5-small and eflomal, every symmetrisation read off one
eflomal run), of which only the members whose link sets some row reads run. A projector is
run once per requested symmetrisation, unless it reads named link sets
(``coverage:simalign``, ``alignment:union``; see :class:`~xlner.types.LinkSets`):
such a projector is run once, with every link set at hand, and its row names the link sets
it read. The rows of the shipped presets (``default``, ``light``) run as ``xlner project
--preset NAME`` does and carry the same aligner and projector signatures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from xlner.align.base import Aligner
from xlner.align.combined import CombinedAligner
from xlner.align.symmetrize import METHODS
from xlner.bench.report import format_table
from xlner.config import read_builtin
from xlner.corpora.europarl_ner import EUROPARL_NER
from xlner.evaluate import Scores, evaluate_spans
from xlner.evaluate.errors import count_errors
from xlner.presets import DEFAULT_PRESET, build_preset, preset_section
from xlner.project import make_projector
from xlner.project.base import Projector
from xlner.project.corpus import signature_fields
from xlner.signature import Signature, make_signature
from xlner.types import Link, LinkSets, TaggedSentence


@dataclass
class Row:
    """One configuration's scores on every language."""

    aligner: str
    projector: str
    signature: Signature
    scores: dict[str, Scores] = field(default_factory=dict)
    errors: dict[str, dict[str, int]] = field(default_factory=dict)
    project_seconds: float = 0.0
    sentence_seconds: list[float] = field(default_factory=list)

    @property
    def average_f1(self) -> float:
        return sum(s.f1 for s in self.scores.values()) / len(self.scores)


# The benchmark's settings, as data: languages and the projector rows of each preset
# (configs/benchmarks/europarl.toml). The aligner is the default preset's
# (configs/presets/default.toml).
SETTINGS = read_builtin("benchmarks/europarl")
SOURCE_LANGUAGE: str = SETTINGS["source_language"]
LANGUAGES: tuple[str, ...] = tuple(SETTINGS["languages"])
PRESETS: tuple[str, ...] = tuple(SETTINGS["presets"])
OWN_LINKS = "own:"  # the link set of a row whose preset's aligner runs on its own: own:<row>


@dataclass(frozen=True)
class Setup:
    """A projector, the link set it gets as its primary links, and its preset's aligner.

    ``links=None``: once per eflomal symmetrisation, with that symmetrisation's links (unless
    the projector reads named link sets: then once). Otherwise once, on the named set
    (``"simalign"``, ``"union"`` ...). ``aligner``: the aligner of the preset a row was taken
    from (see :func:`place`), else the benchmark's.
    """

    projector: Projector
    links: str | None = None
    aligner: Aligner | None = None

    def link_sets(self) -> set[str]:
        """The named link sets this setup reads."""
        return self.projector.link_sets_used() | ({self.links} if self.links else set())


def preset_projectors(preset: str = PRESETS[0]) -> dict[str, Setup]:
    """The projector rows of ``preset`` (``default``, ``heuristic``, ``match``, ``all``,
    ``embedding``).

    ``default``: the shipped presets (configs/presets/), default and light, each on its own
    aligner; ``heuristic``: the baseline; ``match``: the matching configurations; ``all``:
    both; ``embedding``: the shipped presets and the heuristic and matching on the links of
    the embedding aligner. The rows that read the embedding aligner's links run the e5-small
    encoder on every sentence.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    groups = SETTINGS["presets"][preset]
    return {name: setup for group in groups for name, setup in projector_group(group).items()}


def projector_group(group: str, **shared: Any) -> dict[str, Setup]:
    """The rows of ``[projectors.<group>]``, built; ``shared`` options go to every projector.

    A row ``preset = NAME`` alone is that preset as shipped, its aligner included; with other
    keys, it is the preset's projection settings, changed by them, on the benchmark's aligner.
    """
    setups = {}
    for name, row in SETTINGS["projectors"][group].items():
        options = dict(row)
        links = options.pop("links", None)
        aligner = None
        if (preset := options.pop("preset", None)) is not None:
            project = preset_section(preset, "project", options.get("method"))
            aligner = None if options else build_preset(preset)[0]
            options = {**project["options"], **options, "method": project["method"]}
        projector = make_projector(options.pop("method"), **options, **shared)
        setups[name] = Setup(projector, links, aligner)
    return setups


def tagger_projectors(probabilities_dir: Path, data_dir: Path) -> dict[str, Setup]:
    """Matching with the tagger score, from probabilities saved by the model-transfer run."""
    from xlner.tagging.precomputed import PrecomputedTagger

    tagger = PrecomputedTagger()
    corpus = EUROPARL_NER.load_languages(LANGUAGES, data_dir=data_dir)
    for lang, sentences in corpus.items():
        tagger.add(probabilities_dir / f"europarl-{lang}.npz", sentences)
    return projector_group("tagger", tagger=tagger)


def benchmark_aligner(aligner: Aligner | None = None) -> CombinedAligner:
    """``aligner`` (default: the default preset's) as a combined aligner, whose link sets
    the rows read by name."""
    aligner = aligner or build_preset(DEFAULT_PRESET)[0]
    return (
        aligner
        if isinstance(aligner, CombinedAligner)
        else CombinedAligner({aligner.name: aligner})
    )


def place(name: str, setup: Setup, aligner: CombinedAligner) -> Setup:
    """A preset row's links: the benchmark aligner's when the preset's aligner is that
    aligner, a member's links when it is one of its members (the light preset's eflomal is
    the default's), else those of its own run (link set ``own:<row>``)."""
    if setup.aligner is None:
        return setup
    signature = setup.aligner.signature()
    if signature == aligner.signature():
        return replace(setup, aligner=None)
    member = next((m for m, a in aligner.members.items() if a.signature() == signature), None)
    if member is None and setup.projector.link_sets_used():
        raise ValueError(
            f"row {name!r} reads named link sets, but its preset's aligner is not the "
            "benchmark's aligner"
        )
    return replace(setup, links=setup.links or member or f"{OWN_LINKS}{name}")


def run_europarl(
    data_dir: Path,
    languages: Sequence[str] = LANGUAGES,
    projectors: Mapping[str, Projector | Setup] | None = None,
    symmetrizations: Sequence[str] = METHODS,
    aligner: Aligner | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Align en→X once per language, then run every projector (see :class:`Setup`).

    ``aligner`` gives the link sets (default: the default preset's); only its members whose
    link sets some row reads run.
    """
    combined = benchmark_aligner(aligner)
    setups = {
        name: place(name, p if isinstance(p, Setup) else Setup(p), combined)
        for name, p in (projectors or preset_projectors()).items()
    }
    own = {
        setup.links: setup.aligner
        for setup in setups.values()
        if setup.links and setup.links.startswith(OWN_LINKS) and setup.aligner is not None
    }
    plans = {name: _primaries(s, symmetrizations, combined.primary) for name, s in setups.items()}
    needed = set().union(*(s.link_sets() | {*plans[n]} for n, s in setups.items())) - set(own)
    run = combined.subset(needed, min(needed)) if needed else None
    started = time.perf_counter()
    corpus = EUROPARL_NER.load_languages((SOURCE_LANGUAGE, *languages), data_dir=data_dir)
    source = corpus[SOURCE_LANGUAGE]
    rows: dict[tuple[str, str], Row] = {}
    align_seconds: dict[str, float] = {}
    for lang in languages:
        target = corpus[lang]
        pairs = [(s.tokens, t.tokens) for s, t in zip(source, target, strict=True)]
        by_pair: list[dict[str, list[Link]]] = [{} for _ in pairs]
        if run is not None:
            progress(f"aligning en-{lang} with {', '.join(run.members)} ({len(pairs)} pairs)")
            by_pair = [dict(links.named) for links in run.align_sets(pairs)]
            align_seconds |= {f"{lang}/{m}": t for m, t in run.seconds.items()}
        for set_name, own_aligner in own.items():
            progress(f"aligning en-{lang} with {own_aligner.name} for {set_name}")
            t0 = time.perf_counter()
            for sets, links in zip(by_pair, own_aligner.align(pairs), strict=True):
                sets[set_name] = links
            align_seconds[f"{lang}/{set_name}"] = time.perf_counter() - t0
        pair_links: dict[str, list[LinkSets]] = {}
        for name, setup in setups.items():
            for primary in plans[name]:
                key = (primary, name)
                row = rows.setdefault(key, _new_row(combined, primary, name, setup))
                if primary not in pair_links:
                    pair_links[primary] = [LinkSets.of(sets, primary) for sets in by_pair]
                _score(row, lang, source, target, pair_links[primary], setup.projector)
    return {
        "benchmark": "europarl-projection",
        "languages": list(languages),
        "rows": [_row_json(row) for row in rows.values()],
        "align_seconds": align_seconds,
        "wall_seconds": time.perf_counter() - started,
    }


def _primaries(setup: Setup, symmetrizations: Sequence[str], primary: str) -> list[str]:
    """The primary link sets a setup runs on: each symmetrisation, or just one (for a setup
    that reads named sets: the aligner's ``primary`` when it is one of them)."""
    if setup.links is not None:
        return [setup.links]
    if sets := setup.link_sets():
        return [primary if primary in sets else min(sets)]
    return list(symmetrizations)


def _new_row(aligner: CombinedAligner, primary: str, name: str, setup: Setup) -> Row:
    """A row, signed by what it read: its preset's aligner, or the benchmark aligner's
    members that give its link sets, with ``primary`` as their primary links."""
    sets = setup.link_sets() or {primary}
    if setup.aligner is not None:
        used, label = setup.aligner, setup.aligner.name
    else:
        used, label = aligner.subset(sets, primary), _aligner_label(aligner, sets)
    signed = {"corpus": "europarl-ner", **signature_fields(used, setup.projector)}
    return Row(aligner=label, projector=name, signature=make_signature(signed))


def _aligner_label(aligner: CombinedAligner, sets: set[str]) -> str:
    """``eflomal/intersection``, ``simalign``, ``simalign+eflomal/intersection,union`` ..."""
    read: dict[str, set[str]] = {}
    for name in sets:
        member, link_set = aligner.sources[name]
        read.setdefault(member, set()).update([link_set] if link_set else [])
    return "+".join(
        f"{member}/{','.join(sorted(read[member]))}" if read[member] else member
        for member in aligner.members
        if member in read
    )


def _score(
    row: Row,
    lang: str,
    source: list[TaggedSentence],
    target: list[TaggedSentence],
    links: Sequence[Sequence[Link]],
    projector: Projector,
) -> None:
    predicted = []
    for src, tgt, pair_links in zip(source, target, links, strict=True):
        t0 = time.perf_counter()
        spans = projector.project(src.tokens, src.spans, tgt.tokens, pair_links)
        row.sentence_seconds.append(time.perf_counter() - t0)
        predicted.append([p.span for p in spans])
    row.project_seconds += sum(row.sentence_seconds[-len(target) :])
    gold = [t.spans for t in target]
    row.scores[lang] = evaluate_spans(gold, predicted, [len(t.tokens) for t in target])
    row.errors[lang] = count_errors(gold, predicted)


def _row_json(row: Row) -> dict[str, Any]:
    return {
        "aligner": row.aligner,
        "projector": row.projector,
        **row.signature.stored(),
        "f1": {lang: s.f1 for lang, s in row.scores.items()},
        "average_f1": row.average_f1,
        "project_seconds": row.project_seconds,
        "sentence_ms_p50": 1000 * _quantile(row.sentence_seconds, 0.50),
        "sentence_ms_p99": 1000 * _quantile(row.sentence_seconds, 0.99),
        "errors": row.errors,
        "scores": {lang: s.as_dict() for lang, s in row.scores.items()},
    }


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def format_results(result: Mapping[str, Any]) -> str:
    """A plain-text table: one row per configuration, F1 per language and the average."""
    languages = result["languages"]
    header = ["aligner", "projector", *languages, "avg", "proj s", "p50 ms", "p99 ms"]
    rows = [
        [row["aligner"], row["projector"]]
        + [f"{row['f1'][lang]:.1f}" for lang in languages]
        + [f"{row['average_f1']:.1f}", f"{row['project_seconds']:.2f}"]
        + [f"{row['sentence_ms_p50']:.2f}", f"{row['sentence_ms_p99']:.2f}"]
        for row in sorted(result["rows"], key=lambda r: -r["average_f1"])
    ]
    align = ", ".join(f"{lang} {s:.1f}s" for lang, s in result["align_seconds"].items())
    footer = f"alignment: {align}; wall time {result['wall_seconds']:.1f}s"
    return f"{format_table(header, rows)}\n{footer}"


def format_errors(result: Mapping[str, Any], top: int = 5) -> str:
    """Error types summed over the languages, for the ``top`` rows by average F1."""
    from xlner.evaluate.errors import ERROR_TYPES

    rows = sorted(result["rows"], key=lambda r: -r["average_f1"])[:top]
    names = [f"{row['aligner']} {row['projector']}" for row in rows]
    width = max([28, *map(len, names)])
    header = "errors (sum over languages)".ljust(width)
    lines = [f"{header} " + " ".join(f"{k:>8}" for k in ERROR_TYPES)]
    for name, row in zip(names, rows, strict=True):
        totals = {k: sum(row["errors"][lang][k] for lang in row["errors"]) for k in ERROR_TYPES}
        lines.append(f"{name:{width}} " + " ".join(f"{totals[k]:8d}" for k in ERROR_TYPES))
    return "\n".join(lines)
