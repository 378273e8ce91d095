"""Word alignments against gold: precision, recall and alignment error rate (AER).

With ``A`` the predicted links, ``S`` the sure gold links and ``P`` the possible ones (sure
links are possible too), summed over the corpus (Och & Ney 2003)::

    precision = |A & P| / |A|    recall = |A & S| / |S|
    AER = 1 - (|A & S| + |A & P|) / (|A| + |S|)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Pair = tuple[int, int]


@dataclass(frozen=True)
class AlignmentScores:
    """Micro scores over a corpus, as fractions, with the link counts they come from."""

    precision: float
    recall: float
    aer: float
    predicted: int  # |A|
    sure: int  # |S|
    possible: int  # |P| (sure links included)


def score_alignment(
    pairs: Iterable[tuple[Iterable[Pair], Iterable[Pair], Iterable[Pair]]],
) -> AlignmentScores:
    """The scores of ``(predicted, sure, possible)`` links per sentence pair (``possible``
    need not repeat the sure links). Nothing predicted gives precision 0, no sure link
    recall 0, and neither an AER of 1."""
    found = sure_total = possible_total = hit_sure = hit_possible = 0
    for predicted, sure, possible in pairs:
        a, s = set(predicted), set(sure)
        p = s | set(possible)
        found, sure_total, possible_total = (
            found + len(a),
            sure_total + len(s),
            possible_total + len(p),
        )
        hit_sure, hit_possible = hit_sure + len(a & s), hit_possible + len(a & p)
    return AlignmentScores(
        precision=hit_possible / found if found else 0.0,
        recall=hit_sure / sure_total if sure_total else 0.0,
        aer=1.0 - (hit_sure + hit_possible) / (found + sure_total) if found + sure_total else 1.0,
        predicted=found,
        sure=sure_total,
        possible=possible_total,
    )


def format_alignment_scores(scores: AlignmentScores, pairs: int) -> str:
    """The lines ``xlner evaluate --alignment`` prints: the scores in percent, the counts."""
    return "\n".join(
        [
            f"{'AER':10} {100 * scores.aer:6.1f}",
            f"{'precision':10} {100 * scores.precision:6.1f}",
            f"{'recall':10} {100 * scores.recall:6.1f}",
            f"links: {scores.predicted} predicted, {scores.sure} sure and "
            f"{scores.possible - scores.sure} possible in gold, over {pairs} sentence pairs",
        ]
    )
