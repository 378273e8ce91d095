"""Several aligners run on the same sentence pairs, every link set handed on by name.

Projection can weigh alignments of different kinds (SimAlign's embedding links beside
eflomal's intersection: ``coverage:simalign=1,coverage:intersection=0.5``). The combined
aligner runs its named *members*, each a registered aligner with its own options, and gives
their link sets under these names:

* each member's own links (its primary links) under the member's name: ``simalign``,
  ``eflomal``;
* each further set a member gives (eflomal's symmetrisations) under
  ``<member>:<set>``: ``eflomal:intersection``, ``eflomal:union``, ...;
* and, when exactly one member gives a set of that name and no member is so named, under the
  set's bare name as well: ``intersection``, ``union``, ...

``primary`` names the set that plain-links consumers (``align``, the heuristic by default)
read; by default the first member's links. The options, as a TOML inline table or a dict::

    members = { simalign = { model = "e5-small", layer = 6, method = "itermax" },
                eflomal = { rel_iterations = 0.25, stem_length = 4 } }
    primary = "intersection"

Each member's table holds its aligner's options; ``aligner`` names the registered aligner
and may be left out when the member is named after it (as above). In Python a member may
also be an :class:`Aligner` instance.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from xlner.align.base import Aligner, SentencePair, register_aligner
from xlner.registry import ComponentError, registry
from xlner.types import Link, LinkSets

ALIGNER_KEY = "aligner"  # the key of a member's table that names its registered aligner
L = TypeVar("L", bound=list[Link])


@register_aligner("combined")
class CombinedAligner(Aligner):
    """Runs every member aligner on the same pairs; its link sets are named as the module says."""

    name = "combined"
    unsigned = frozenset({"members", "primary"})  # primary: None is the first member

    def __init__(
        self,
        members: Mapping[str, Mapping[str, Any] | Aligner],
        *,
        primary: str | None = None,
    ) -> None:
        if not isinstance(members, Mapping) or not members:
            raise ValueError("members must be a non-empty table of name = {aligner = ..., options}")
        self.members = {str(name): _build_member(str(name), spec) for name, spec in members.items()}
        self.sources = _set_sources(self.members)
        self.seconds: dict[str, float] = {}  # each member's time on the last pairs it aligned
        self.primary = next(iter(self.members)) if primary is None else primary
        if self.primary not in self.sources:
            raise ValueError(
                f"primary {self.primary!r} is none of its link sets: {', '.join(self.sources)}"
            )

    def derived_signature(self) -> dict[str, Any]:
        return {"primary": self.primary}

    def parts_signature(self, *, defaults: bool) -> dict[str, Any]:
        members = self.members.items()
        return {"members": {name: m.signature_at(defaults=defaults) for name, m in members}}

    @property
    def per_sentence(self) -> bool:  # type: ignore[override]
        """Sentence by sentence only when every member is (a SimAlign alone, not eflomal)."""
        return all(member.per_sentence for member in self.members.values())

    def link_set_names(self) -> tuple[str, ...]:
        return tuple(self.sources)

    def subset(self, names: Iterable[str], primary: str) -> CombinedAligner:
        """The same members (the same instances), only those that give ``names`` and
        ``primary``: what reading those link sets needs run, e.g. no encoder for eflomal's."""
        wanted = {*names, primary}
        if unknown := sorted(wanted - set(self.sources)):
            raise ComponentError(
                f"aligner 'combined' gives no link set {', '.join(map(repr, unknown))} "
                f"(its link sets: {', '.join(self.sources)})"
            )
        needed = {self.sources[name][0] for name in wanted}
        members = {name: m for name, m in self.members.items() if name in needed}
        return CombinedAligner(members, primary=primary)

    def align(
        self,
        pairs: Sequence[SentencePair],
        *,
        extra_bitext: Sequence[SentencePair] = (),
    ) -> list[list[Link]]:
        # Only the member that gives the primary links has to run.
        member, link_set = self.sources[self.primary]
        if link_set is None:
            return self._timed(member, pairs, lambda m: m.align(pairs, extra_bitext=extra_bitext))
        return [links.named[link_set] for links in self._run_member(member, pairs, extra_bitext)]

    def align_sets(
        self,
        pairs: Sequence[SentencePair],
        *,
        extra_bitext: Sequence[SentencePair] = (),
    ) -> list[LinkSets]:
        runs = {name: self._run_member(name, pairs, extra_bitext) for name in self.members}
        return [self._pair_sets({m: run[i] for m, run in runs.items()}) for i in range(len(pairs))]

    def _pair_sets(self, by_member: Mapping[str, LinkSets]) -> LinkSets:
        """One pair's link sets under their names here (see the module docstring)."""
        sets = {
            set_name: by_member[member].select(link_set)
            for set_name, (member, link_set) in self.sources.items()
        }
        return LinkSets.of(sets, self.primary)

    def _run_member(
        self, name: str, pairs: Sequence[SentencePair], extra_bitext: Sequence[SentencePair]
    ) -> list[LinkSets]:
        """One member's link sets of each pair, every set it names there."""
        links = self._timed(name, pairs, lambda m: m.align_sets(pairs, extra_bitext=extra_bitext))
        named = self.members[name].link_set_names()
        if missing := [k for k in named if any(k not in pair.named for pair in links)]:
            raise ComponentError(
                f"aligner 'combined', member {name!r}: gave no link set "
                f"{', '.join(map(repr, missing))} although it names it"
            )
        return links

    def _timed(
        self, name: str, pairs: Sequence[SentencePair], run: Callable[[Aligner], list[L]]
    ) -> list[L]:
        """What ``run`` gives for member ``name``, timed, with one entry per pair checked."""
        started = time.perf_counter()
        links = run(self.members[name])
        self.seconds[name] = time.perf_counter() - started
        if len(links) != len(pairs):
            raise ComponentError(
                f"aligner 'combined', member {name!r}: returned {len(links)} "
                f"link lists for {len(pairs)} sentence pairs"
            )
        return links


def _build_member(name: str, spec: Mapping[str, Any] | Aligner) -> Aligner:
    """A member from its table (``aligner`` + options) or as the Aligner given."""
    if not name or ":" in name:
        raise ValueError(f"member name {name!r} must be non-empty and hold no ':'")
    if isinstance(spec, Aligner):
        return spec
    if not isinstance(spec, Mapping):
        raise ValueError(f"member {name!r} must be a table of its aligner's options, not {spec!r}")
    options = dict(spec)
    backend = str(options.pop(ALIGNER_KEY, name))
    try:
        return registry.aligners.build(backend, **options)
    except ComponentError as error:
        raise ComponentError(f"aligner 'combined', member {name!r}: {error}") from error


def _set_sources(members: Mapping[str, Aligner]) -> dict[str, tuple[str, str | None]]:
    """Every link set name -> (member, the member's set or None for its primary links)."""
    sources: dict[str, tuple[str, str | None]] = {name: (name, None) for name in members}
    givers: dict[str, list[str]] = {}
    for name, member in members.items():
        for link_set in member.link_set_names():
            sources[f"{name}:{link_set}"] = (name, link_set)
            givers.setdefault(link_set, []).append(name)
    for link_set, names in givers.items():
        if len(names) == 1 and link_set not in sources:
            sources[link_set] = (names[0], link_set)
    return sources
