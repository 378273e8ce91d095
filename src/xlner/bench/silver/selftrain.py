"""Self-training in the silver benchmark (issue 20, item 3b): rounds of relabelling and training.

Round ``r``: the tagger of round ``r - 1`` (round 0's is the silver tagger) relabels the silver
records as projection made them (:func:`xlner.silver.relabel.relabel`: its confident spans
merged with the projected ones, the words of a conflict made unknown), and a new tagger is
trained on the result with the row's recipe, from the same start as round 0's. The last
round's tagger is the row's: it is scored, and it joins the ensembles and the vote.

Each round relabels the projected records, not the round before's output, so projection
stays the anchor: a wrong span one tagger added is not fed to the next as a label.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from xlner.bench.silver.degrade import NO_DATE, quality, silver_records
from xlner.bench.silver_quality import GoldKey
from xlner.registry import registry
from xlner.silver import MASAKHANER_CLASSES
from xlner.silver.relabel import Relabelling, read_silver_folder, relabel, write_relabelled
from xlner.silver.writers import CONLL, STEM
from xlner.types import TaggedSentence


@dataclass(frozen=True)
class SelfTraining:
    """The ``[selftrain]`` settings: how many rounds (0: none), and the relabelling's
    confidence threshold (:class:`xlner.silver.relabel.Relabelling`'s)."""

    rounds: int = 0
    threshold: float = Relabelling.threshold

    def __post_init__(self) -> None:
        if isinstance(self.rounds, bool) or not isinstance(self.rounds, int) or self.rounds < 0:
            raise ValueError(f"rounds is a count of rounds (0: none), not {self.rounds!r}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int | float):
            raise ValueError(f"threshold is a probability above 0, not {self.threshold!r}")
        self.relabelling()  # its check of the threshold's range

    @property
    def active(self) -> bool:
        return self.rounds > 0

    def relabelling(self) -> Relabelling:
        """The settings of each round's relabelling (no unlabelled text: its other fields
        apply to that alone)."""
        return Relabelling(threshold=self.threshold)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def relabel_stage(
    silver_dir: Path,
    model: str | Path,
    label_map: str,
    settings: SelfTraining,
    gold: Callable[[], Mapping[GoldKey, TaggedSentence]],
    say: Callable[[str], None],
    round_number: int,
    out: Path,
) -> dict[str, Any]:
    """Round ``round_number``'s relabelling: the tagger at ``model`` relabels the silver
    records in ``silver_dir`` (its classes through the label map named ``label_map``), into
    ``out`` as ``xlner relabel`` writes it; what changed, and the new data's silver F1
    against the ``gold()`` sentences it overlaps."""
    from xlner.tagging.tagger import TokenTagger

    found = read_silver_folder(silver_dir)
    classes = found.classes(MASAKHANER_CLASSES)
    say(f"self-training round {round_number}: relabelling {len(found.records)} silver sentences")
    result = relabel(
        found.records, TokenTagger.load(model), classes=classes,
        label_map=registry.label_maps.get(label_map), settings=settings.relabelling(),
    )  # fmt: skip
    fields = {
        "input": str(silver_dir),
        "models": [str(model)],
        "label_map": label_map,
        "labels": classes,
        "relabelling": settings.relabelling().as_dict(),
        "round": round_number,
    }
    summary = write_relabelled(out, result, fields, found.record_format)
    records = silver_records(result.records, gold())
    spans = [list(sentence.spans) for sentence in records.sentences]
    counts = summary["relabel"]
    say(
        f"self-training round {round_number}: {counts.get('added', 0)} spans added, "
        f"{counts.get('conflicts', 0)} conflicts made unknown"
    )
    return {
        "round": round_number,
        "conll": str(out / CONLL),
        "records": str(out / f"{STEM}.{found.record_format}"),
        "sentences_out": summary["sentences_out"],
        "entities": summary["entities"],
        "unknown_words": summary["unknown_words"],
        "relabel": counts,
        "quality": quality(records, spans),
        "quality_no_date": quality(records, spans, NO_DATE),
    }
