"""Place names as evidence for silver labels: CLDR's names of countries, territories and
world regions in the target language (the ``babel`` package), labelled LOC where the silver
data leaves them outside every entity.

Projection misses a place name whose source entity the source tagger missed, or whose class
the label map drops (CoNLL's MISC "American" for Swahili's LOC "Marekani"): country names are
O in about a quarter of their silver occurrences (BENCHMARKS.md, the silver section). With
``Selection.place_names`` a word sequence that is such a name, every word of it outside every
span and of known label, becomes a LOC span (``label``) or words of unknown label (``mask``).
A name inside a span or across its boundary is left alone: projection's evidence stands.
With ``label``, a sentence without any projected entity that holds a name is kept (a name is
evidence, as a projected entity is), beyond the share of empty sentences the selection keeps.
Longer names first ("Jamhuri ya Kidemokrasia ya Kongo" before "Kongo"), left to right.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from functools import cache

from xlner.languages import iso1
from xlner.registry import ComponentError
from xlner.signature import digest
from xlner.silver.bitext import tokenize
from xlner.types import Span, TaggedSentence

PlaceName = tuple[str, ...]
# Selection.place_names: off, or what becomes of a place name the silver data left outside.
ACTIONS = ("off", "label", "mask")
LABEL = "LOC"
# CLDR's code where it is not the language's ISO 639-1 code (or its 639-3 code where it has no
# 639-1 one): Twi is filed under Akan.
CLDR_CODES = {"twi": "ak", "tw": "ak"}
# Fewer names than this is a locale without its own territory names (kin, tsn: 2 or 3).
FEWEST_NAMES = 50
# CLDR territory codes that name no place: the world (a common noun: Swahili's "dunia"),
# organisations (the EU, the UN, the eurozone: ORG, not LOC), the unknown region and the
# pseudo-locales.
NOT_PLACES = frozenset({"001", "EU", "EZ", "UN", "ZZ", "XA", "XB"})
# A word that ends more than this share of a language's names is a generic head that running
# text leaves out (Ewe's "nutome", "land": "Ghana nutome" is written "Ghana"): the names are
# taken with it and without it.
GENERIC_HEAD_SHARE = 0.5


@cache
def cldr_place_names(lang: str, tokenizer: str = "words") -> frozenset[PlaceName]:
    """CLDR's territory and region names in ``lang`` (ISO 639-1 or 639-3), each cut into
    words as the silver job cuts its target side; a ComponentError where babel is missing or
    CLDR has no names in the language."""
    try:
        import babel
        from babel import Locale, UnknownLocaleError
    except ImportError:
        raise ComponentError(
            "place names come from CLDR through babel: pip install 'xlner[places]'"
        ) from None
    code = CLDR_CODES.get(lang) or iso1(lang) or lang
    try:
        territories: Mapping[str, str] = Locale.parse(code).territories
    except (UnknownLocaleError, ValueError):
        territories = {}
    found = [name for where, name in territories.items() if where not in NOT_PLACES]
    names = _without_generic_head(
        {tuple(word.text for word in tokenize(name, tokenizer)) for name in found}
    )
    names.discard(())
    if len(names) < FEWEST_NAMES:
        raise ComponentError(
            f"CLDR (babel {babel.__version__}) has no place names in {lang!r}: "
            "leave place names off"
        )
    return frozenset(names)


def names_key(names: Collection[PlaceName]) -> str:
    """What a run's place names key (stages, shards, the summary): babel's CLDR data may
    change between versions, the setting's name would not."""
    return digest(sorted(names))


def _without_generic_head(names: set[PlaceName]) -> set[PlaceName]:
    """``names``, and where most of them end with one word, each of those without it too."""
    ends = Counter(name[-1] for name in names if len(name) > 1)
    if not ends:
        return names
    head, count = ends.most_common(1)[0]
    if count <= GENERIC_HEAD_SHARE * len(names):
        return names
    return names | {name[:-1] for name in names if len(name) > 1 and name[-1] == head}


def mark_places(
    sentence: TaggedSentence, names: Collection[PlaceName], action: str
) -> tuple[TaggedSentence, int]:
    """``sentence`` with each place name of ``names`` whose words are all outside every span
    and of known label made a LOC span (``action`` "label") or unknown ("mask"); and how many
    names it marked. The input is not changed."""
    if action not in ACTIONS[1:]:
        raise ValueError(f"place names are labelled or masked, not {action!r}")
    tokens, longest = sentence.tokens, max(map(len, names), default=0)
    taken = set(sentence.unknown).union(*(range(s.start, s.end) for s in sentence.spans))
    spans, unknown, marked, start = list(sentence.spans), list(sentence.unknown), 0, 0
    while start < len(tokens):
        end = _longest_name(tokens, start, longest, names, taken)
        if end is None:
            start += 1
            continue
        if action == "label":
            spans.append(Span(start, end, LABEL))
        else:
            unknown.extend(range(start, end))
        marked, start = marked + 1, end
    spans.sort(key=lambda span: span.start)
    return TaggedSentence(list(tokens), spans, unknown=sorted(unknown)), marked


def _longest_name(
    tokens: list[str], start: int, longest: int, names: Collection[PlaceName], taken: set[int]
) -> int | None:
    """The end of the longest name at ``start`` whose words are all free, else None."""
    for end in range(min(len(tokens), start + longest), start, -1):
        if tuple(tokens[start:end]) in names and taken.isdisjoint(range(start, end)):
            return end
    return None


def has_place(tokens: list[str], names: Collection[PlaceName]) -> bool:
    """Whether ``tokens`` hold one of ``names``."""
    return mark_places(TaggedSentence(list(tokens), []), names, "label")[1] > 0
