"""The silver tagger, translate-test projection and model transfer as one span vote (issue
20, item 4): the ``vote`` stage of the silver benchmark (``ensemble.with_translate_test``).

Where a MasakhaNER 2.0 sentence has a human translation (``masakhaner2-parallel``: lug, tsn,
twi from English, ewe and wol from French), translate-test projects the source tagger's
entities onto it: the pipeline of ``benchmarks/masakhaner.py`` with the silver benchmark's own
source tagger, aligner and projection. Each sentence then has up to three systems' spans:
the first voter's (the silver tagger, or where the row has the ``ensemble`` stage, that
ensemble with model transfer at its dev-chosen weight: the row's best tagger), translate-
test's (none where the sentence has no translation: it does not vote there) and model
transfer's (the source tagger reading the language). They vote with weights
(:func:`xlner.tagging.ensemble.vote_spans`): the first voter weighs 1, the other two a
weight each from :data:`VOTE_WEIGHTS`, and a span is kept when its support
reaches a share of :data:`VOTE_SHARES` of the total weight of the systems that voted. The
setting that scores best on dev is scored once on test; without a dev split, the plain
majority of the three (:data:`MAJORITY`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import product
from pathlib import Path
from typing import Any

from xlner.corpora.masakhaner2 import MASAKHANER2
from xlner.corpora.masakhaner2_parallel import MASAKHANER2_PARALLEL as TRANSLATIONS
from xlner.evaluate.span_f1 import map_spans
from xlner.types import Span, TaggedSentence

# The weights tried for translate-test and for model transfer (the silver tagger's is 1),
# and the shares of the total weight a span's support must reach.
VOTE_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
VOTE_SHARES = (0.25, 0.5, 0.75)

LabelMap = Mapping[str, str | None] | None
Say = Callable[[str], None]
# split -> {index of the sentence in the split: translate-test's spans}
Projected = Callable[[str], Mapping[int, list[Span]]]


@dataclass(frozen=True, order=True)
class VoteSetting:
    """The weights of translate-test and model transfer beside the first voter's 1, and
    the share of the voters' total weight a span's support must reach."""

    translate_test: float
    model_transfer: float
    min_share: float

    @property
    def name(self) -> str:
        return f"tt {self.translate_test:g}, mt {self.model_transfer:g}, share {self.min_share:g}"

    @property
    def others(self) -> float:
        """The weight given to the systems other than the silver tagger."""
        return self.translate_test + self.model_transfer


MAJORITY = VoteSetting(1.0, 1.0, 0.5)


def vote_settings(with_transfer: bool = True) -> list[VoteSetting]:
    """Every setting tried on dev (model transfer's weight 0 only, where there is none)."""
    transfer = VOTE_WEIGHTS if with_transfer else (0.0,)
    return [VoteSetting(*values) for values in product(VOTE_WEIGHTS, transfer, VOTE_SHARES)]


def has_translation(lang: str, evaluation: str) -> bool:
    """Whether translate-test can vote for ``lang`` scored on corpus ``evaluation``: whether
    the corpus of translations has the language's sentences of that corpus."""
    return evaluation == MASAKHANER2.name and lang in (TRANSLATIONS.choices("lang") or ())


def translate_test_spans(
    lang: str,
    split: str,
    components: Mapping[str, Any],
    run_dir: Path,
    data_dir: Path | None,
    say: Say = lambda message: None,
) -> dict[int, list[Span]]:
    """Translate-test's spans on the ``split`` sentences of ``lang`` that have a translation,
    by their index in the split: the pipeline of ``benchmarks/masakhaner.py`` run in
    ``run_dir`` with ``components`` (the source tagger's name and options, the preset, its
    resolved align and project tables) in place of its own."""
    from xlner.bench.masakhaner import config_for
    from xlner.pipeline.run import run_pipeline
    from xlner.pipeline.stages import StageError

    config = config_for(lang, run_dir.parent, _overrides(split, components))
    for table in ("align", "project"):
        config[table] |= components[table]
    # The silver job's tagger options (its language is the pivot where it takes one).
    config["tag"]["options"] = dict(components["tagger_options"])
    try:
        result = run_pipeline(config, run_dir=run_dir, data_dir=data_dir, progress=_stage_done(say))
    except StageError as error:  # a component the pipeline could not build or run: one line
        raise ValueError(f"translate-test of {lang} {split}: {error}") from None
    pairs = TRANSLATIONS.load_parallel(lang=lang, split=split, data_dir=data_dir)
    sentences, projected = result.records["data"], result.records["project"]
    if len(pairs) != len(projected) or any(
        pair.target.tokens != sentence.tokens
        for pair, sentence in zip(pairs, sentences, strict=True)
    ):
        raise ValueError(f"translate-test of {lang} {split}: its sentences are not the corpus's")
    return {
        pair.record.ner_sent_idx: projection.labelled()
        for pair, projection in zip(pairs, projected, strict=True)
    }


def _stage_done(say: Say) -> Callable[[str, int, int], None]:
    """Pipeline progress as one line per finished stage."""

    def done(stage: str, batches: int, total: int) -> None:
        if batches == total:
            say(f"translate-test: {stage} done")

    return done


def _overrides(split: str, components: Mapping[str, Any]) -> list[str]:
    values = {
        "preset": components["preset"],
        "data.split": split,
        "translate.options.split": split,
        "tag.tagger": components["tagger"],
    }
    return [f"{key}={json.dumps(value)}" for key, value in values.items()]


def vote_stage(
    first: Callable[[], tuple[str, Any]],
    transfer_tagger: Any,
    test: Sequence[TaggedSentence],
    dev: Sequence[TaggedSentence],
    label_map: LabelMap,
    projected: Projected,
    say: Say,
    out: Path,
) -> dict[str, Any]:
    """The vote of the tagger that ``first()`` names and builds (the silver tagger, or its
    ensemble with model transfer), translate-test (``projected(split)``) and
    ``transfer_tagger`` (None: it reads no other language, and does not vote) with the
    setting best on ``dev``: its F1 on test and dev, dev F1 of every setting, and
    translate-test's own F1 on the sentences it covers."""
    from xlner.bench.silver.stages import score

    voter, tagger = first()
    say(f"the span vote of the {voter}, translate-test and model transfer")
    splits = {split: s for split, s in (("test", test), ("dev", dev)) if s}
    systems = {
        split: _systems(sentences, tagger, transfer_tagger, projected(split), label_map)
        for split, sentences in splits.items()
    }

    def scored(setting: VoteSetting, split: str) -> dict[str, Any]:
        voted = [vote_sentence(sentence, setting) for sentence in systems[split]]
        return score(lambda tokens: voted, splits[split], label_map)

    tried = {
        setting: scored(setting, "dev")["f1"]
        for setting in (vote_settings(transfer_tagger is not None) if dev else ())
    }
    # Ties: the setting that leans least on the other systems, then the lower share.
    best = max(tried, key=lambda s: (tried[s], -s.others, -s.min_share)) if tried else MAJORITY
    return {
        "first": voter,
        "setting": asdict(best),
        "dev_f1_by_setting": {setting.name: f1 for setting, f1 in tried.items()},
        **{split: scored(best, split) for split in splits},
        "translate_test": {
            split: _covered_score(splits[split], systems[split], label_map) for split in splits
        },
    }


# A sentence's systems: the first voter's spans, translate-test's (None: no translation)
# and model transfer's (None: no transfer tagger), classes mapped as the scores map them.
Systems = tuple[list[Span], list[Span] | None, list[Span] | None]


def _systems(
    sentences: Sequence[TaggedSentence],
    first: Any,
    transfer_tagger: Any,
    projected: Mapping[int, list[Span]],
    label_map: LabelMap,
) -> list[Systems]:
    tokens = [list(s.tokens) for s in sentences]
    ours = first.predict_spans(tokens)
    theirs = transfer_tagger.tag(tokens) if transfer_tagger is not None else None
    return [
        (
            map_spans(ours[i], label_map),
            map_spans(projected[i], label_map) if i in projected else None,
            map_spans(theirs[i], label_map) if theirs is not None else None,
        )
        for i in range(len(tokens))
    ]


def vote_sentence(systems: Systems, setting: VoteSetting) -> list[Span]:
    """The spans the systems that voted on a sentence keep under ``setting``."""
    from xlner.tagging.ensemble import vote_spans

    weights = (1.0, setting.translate_test, setting.model_transfer)
    voters = [(spans, w) for spans, w in zip(systems, weights, strict=True) if spans is not None]
    return vote_spans(
        [spans for spans, _ in voters], [w for _, w in voters], min_share=setting.min_share
    )


def _covered_score(
    sentences: Sequence[TaggedSentence], systems: Sequence[Systems], label_map: LabelMap
) -> dict[str, Any]:
    """Translate-test alone on the sentences that have a translation."""
    from xlner.bench.silver.stages import score

    covered = [i for i, found in enumerate(systems) if found[1] is not None]
    spans = [systems[i][1] or [] for i in covered]
    return score(lambda tokens: spans, [sentences[i] for i in covered], label_map)
