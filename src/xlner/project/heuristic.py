"""The alignment heuristic of Politov et al. (2025), the baseline of projection.

For each source entity:
1. take the maximal runs of consecutive target words aligned to any word of the entity;
2. merge runs separated by at most ``merge_distance`` words not aligned to it;
3. if the entity has several runs, drop those whose length divided by the entity's length is
   at or below ``length_ratio`` (short runs of several are usually stray links); a single run
   is kept whatever its length unless ``filter_single_run`` is set, which reproduces the
   reference implementation that filters every run;
4. optionally keep only the ``max_runs`` longest runs.

Conflicts: runs of different entities may overlap. They are resolved greedily and
deterministically: runs are ranked by the number of links that support them, then by length,
then by source entity order and position; a run that overlaps an accepted run is dropped.
The reference implementation instead lets the later entity overwrite the earlier one's tags,
which can leave half entities behind.

The heuristic reads one alignment: the primary links, or the named link set ``links`` (for
example ``intersection`` of a combined aligner whose primary links are SimAlign's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xlner.project.base import Projector, links_by_source
from xlner.registry import registry
from xlner.types import Link, LinkSets, ProjectedSpan, Span, Tokens


@dataclass(frozen=True)
class _Run:
    start: int
    end: int
    support: int  # links between the entity and the run's words
    entity_index: int


def aligned_runs(target_indices: set[int]) -> list[tuple[int, int]]:
    """Maximal runs ``[start, end)`` of consecutive indices."""
    runs: list[tuple[int, int]] = []
    for index in sorted(target_indices):
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs


def merge_close_runs(runs: list[tuple[int, int]], distance: int) -> list[tuple[int, int]]:
    """Merge sorted runs whose gap is at most ``distance`` words."""
    merged: list[tuple[int, int]] = []
    for start, end in runs:
        if merged and start - merged[-1][1] <= distance:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


@registry.projectors.register("heuristic")
class HeuristicProjector(Projector):
    name = "heuristic"
    signed_as = {
        "merge_distance": "d",
        "length_ratio": "ratio",
        "max_runs": "k",
        "filter_single_run": "filter_single",
    }
    # Only when set, so that the signatures of runs on the primary links stay as they were.
    signed_when_set = frozenset({"links"})

    def __init__(
        self,
        merge_distance: int = 1,
        length_ratio: float = 0.8,
        max_runs: int | None = None,
        filter_single_run: bool = False,
        links: str | None = None,
    ) -> None:
        if merge_distance < 0:
            raise ValueError(f"merge_distance must be >= 0, got {merge_distance}")
        if not 0.0 <= length_ratio <= 1.0:
            raise ValueError(
                f"length_ratio must be in [0, 1] (0 keeps every run), got {length_ratio}"
            )
        if max_runs is not None and max_runs < 1:
            raise ValueError(f"max_runs must be >= 1 or None, got {max_runs}")
        self.merge_distance = merge_distance
        self.length_ratio = length_ratio
        self.max_runs = max_runs
        self.filter_single_run = filter_single_run
        self.links = links

    def link_sets_used(self) -> set[str]:
        return set() if self.links is None else {self.links}

    def entity_runs(self, entity: Span, table: dict[int, set[int]]) -> list[tuple[int, int]]:
        """The target runs one entity projects to, before conflicts with other entities."""
        aligned = set().union(*(table.get(i, set()) for i in entity.indices))
        runs = merge_close_runs(aligned_runs(aligned), self.merge_distance)
        if len(runs) > 1 or self.filter_single_run:
            runs = [r for r in runs if (r[1] - r[0]) / len(entity) > self.length_ratio]
        if self.max_runs is not None:
            # Longest first; ties keep the leftmost so the choice is deterministic.
            longest = sorted(runs, key=lambda r: (-(r[1] - r[0]), r[0]))[: self.max_runs]
            runs = sorted(longest)
        return runs

    def project(
        self,
        source_tokens: Tokens,
        source_spans: Sequence[Span],
        target_tokens: Tokens,
        links: Sequence[Link],
    ) -> list[ProjectedSpan]:
        read = LinkSets.wrap(links).select(self.links)
        table = links_by_source(read)
        runs = [
            _Run(start, end, _support(entity, start, end, read), index)
            for index, entity in enumerate(source_spans)
            for start, end in self.entity_runs(entity, table)
        ]
        runs.sort(key=lambda r: (-r.support, -(r.end - r.start), r.entity_index, r.start))
        accepted: list[ProjectedSpan] = []
        for run in runs:
            entity = source_spans[run.entity_index]
            span = Span(run.start, run.end, entity.label)
            if not any(span.overlaps(p.span) for p in accepted):
                score = 2 * run.support / (len(entity) + len(span))
                accepted.append(ProjectedSpan(span, entity, score))
        return sorted(accepted, key=lambda p: p.span)


def _support(entity: Span, start: int, end: int, links: Sequence[Link]) -> int:
    return sum(
        1 for link in links if entity.start <= link.src < entity.end and start <= link.tgt < end
    )
