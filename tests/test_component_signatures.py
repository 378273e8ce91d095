"""Every registered component's ``signature()``, pinned with default and other options.

These dicts feed the cache keys (pipeline stages, the silver caches, ``xlner benchmark
silver``'s stage keys): a refactoring of how they are made must give the very same dicts, or
existing run folders stop being read back. The pins in ``signature_pins.json`` were written by
the hand-written ``signature()`` methods before they were generated from the declared options
(issue 21); the versions of third-party packages are fixed here so that the pins hold whatever
is installed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from xlner.pipeline.cache import canonical
from xlner.project.match.candidates import PunctuationRule
from xlner.registry import registry
from xlner.types import Span, TaggedSentence

PINS = Path(__file__).with_name("signature_pins.json")


class FakeScorer:
    """A scoring translator (the translation score only reads its name)."""

    name = "fake-scorer"


class FakeProbabilityTagger:
    """A token-probability tagger (the match projector signs its class name)."""

    labels = ("O", "B-PER", "I-PER")


class FakeNlp:
    """What the spaCy tagger's signature reads of a loaded pipeline."""

    meta = {"version": "3.7.1"}

    def get_pipe(self, name: str) -> Any:
        return type("Ner", (), {"labels": ("PERSON", "GPE", "ORG", "DATE")})()


def _build(kind: str, name: str, **options: Any) -> Any:
    return getattr(registry, kind).build(name, **options)


def _spacy(**options: Any) -> Any:
    tagger = _build("taggers", "spacy", **options)
    tagger._nlp = FakeNlp()
    return tagger


def _xlner_tagger(folder: Path, **options: Any) -> Any:
    folder.mkdir(exist_ok=True)
    meta = {"labels": ["O", "B-PER", "I-PER"], "languages": ["en"], "encoder": "tiny"}
    (folder / "xlner-tagger.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"weights")
    return _build("taggers", "xlner", model=str(folder), device="cpu", **options)


def _ensemble(folder: Path, **options: Any) -> Any:
    members = [_xlner_tagger(folder / name).path for name in ("member-a", "member-b")]
    return _build("taggers", "ensemble", members=[str(m) for m in members], **options)


def _priors(folder: Path) -> str:
    path = folder / "priors.txt"
    path.write_text("LEX\ta\tb\t1\n", encoding="utf-8")
    return str(path)


def _parallel_files(folder: Path) -> dict[str, str]:
    """Two files in ``folder``, the working directory, by relative name (signed as given)."""
    (folder / "source.txt").write_text("a house\nthe sun\n", encoding="utf-8")
    (folder / "target.txt").write_text("ein Haus\ndie Sonne\n", encoding="utf-8")
    return {"source_path": "source.txt", "path": "target.txt"}


GOLD = [TaggedSentence(["Anna", "lives", "here"], [Span(0, 1, "PER")])]
PRESET_MEMBERS = {
    "simalign": {"model": "e5-small", "layer": 6, "method": "itermax", "device": "cpu"},
    "eflomal": {"aligner": "eflomal", "rel_iterations": 0.25, "stem_length": 4},
}

# case -> (registered component it covers, builder given a scratch folder)
CASES: dict[str, tuple[str, Callable[[Path], Any]]] = {
    "aligner eflomal": ("eflomal", lambda d: _build("aligners", "eflomal")),
    "aligner eflomal options": (
        "eflomal",
        lambda d: _build(
            "aligners",
            "eflomal",
            symmetrization="intersection",
            model=2,
            n_iterations=(2, 3, 0),
            rel_iterations=0.5,
            n_samplers=2,
            null_prior=0.3,
            stem_length=3,
            target_suffix_len=2,
            target_prefix_len=0,
            seed=None,
            temp_dir=str(d),
            priors=_priors(d),
        ),
    ),
    "aligner simalign": ("simalign", lambda d: _build("aligners", "simalign", device="cpu")),
    "aligner simalign options": (
        "simalign",
        lambda d: _build(
            "aligners",
            "simalign",
            model="bert-base-multilingual-cased",
            layer=6,
            method="itermax",
            distortion=0.5,
            batch_size=4,
            device="cpu",
            max_length=128,
            precision="bfloat16",
            cache_size=0,
        ),
    ),
    "aligner combined": (
        "combined",
        lambda d: _build("aligners", "combined", members=PRESET_MEMBERS),
    ),
    "aligner combined primary": (
        "combined",
        lambda d: _build("aligners", "combined", members=PRESET_MEMBERS, primary="intersection"),
    ),
    "translator apertium": ("apertium", lambda d: _build("translators", "apertium")),
    "translator apertium options": (
        "apertium",
        lambda d: _build(
            "translators", "apertium", binary="apertium-x", batch_size=5, mark_unknown=True
        ),
    ),
    "translator nllb": ("nllb", lambda d: _build("translators", "nllb")),
    "translator nllb options": (
        "nllb",
        lambda d: _build(
            "translators",
            "nllb",
            model="facebook/nllb-200-1.3B",
            batch_size=2,
            num_beams=2,
            max_length=64,
            device="cpu",
            dtype="float16",
            lang_codes="none",
        ),
    ),
    "translator parallel pairs": (
        "parallel",
        lambda d: _build("translators", "parallel", pairs={"a house": "ein Haus"}),
    ),
    "translator parallel files": (
        "parallel",
        lambda d: _build("translators", "parallel", **_parallel_files(d)),
    ),
    "tagger gold": ("gold", lambda d: _build("taggers", "gold", sentences=GOLD)),
    "tagger hf": ("hf", lambda d: _build("taggers", "hf", device="cpu")),
    "tagger hf options": (
        "hf",
        lambda d: _build(
            "taggers",
            "hf",
            model="Davlan/xlm-roberta-base-ner-hrl",
            batch_size=4,
            max_length=128,
            device="cpu",
            label_map={"DATE": None},
            precision="bfloat16",
        ),
    ),
    "tagger spacy": ("spacy", lambda d: _spacy()),
    "tagger spacy options": (
        "spacy",
        lambda d: _spacy(
            model="de_core_news_sm",
            lang="de",
            batch_size=8,
            keep_dates=True,
            label_map={"PER": "PER", "MISC": None},
            strip_articles=False,
        ),
    ),
    "tagger xlner": ("xlner", lambda d: _xlner_tagger(d / "my-tagger")),
    "tagger xlner options": (
        "xlner",
        lambda d: _xlner_tagger(
            d / "my-tagger",
            lang="fr",
            zero_shot=True,
            batch_size=4,
            precision="float32",
            label_map={"PER": "PER"},
        ),
    ),
    "tagger ensemble": ("ensemble", lambda d: _ensemble(d, device="cpu")),
    "tagger ensemble options": (
        "ensemble",
        lambda d: _ensemble(
            d,
            weights=[2, 1],
            labels="same",
            lang="fr",
            zero_shot=True,
            batch_size=4,
            device="cpu",
            precision="float32",
            label_map={"PER": "LOC"},
        ),
    ),
    "projector heuristic": ("heuristic", lambda d: _build("projectors", "heuristic")),
    "projector heuristic options": (
        "heuristic",
        lambda d: _build(
            "projectors",
            "heuristic",
            merge_distance=2,
            length_ratio=0.5,
            max_runs=1,
            filter_single_run=True,
            links="union",
        ),
    ),
    "projector match": ("match", lambda d: _build("projectors", "match")),
    "projector match preset": (
        "match",
        lambda d: _build(
            "projectors",
            "match",
            score="coverage:simalign=1,coverage:intersection=0.5",
            entity_punctuation=True,
            max_len_ratio=1.5,
        ),
    ),
    "projector match options": (
        "match",
        lambda d: _build(
            "projectors",
            "match",
            score="alignment=1,string=0.5,tagger=0.5,translation=0.2",
            solver="ilp",
            limit="exactly",
            n=2,
            threshold=0.1,
            thresholds="string=0.2",
            max_len=6,
            window=True,
            margin=2,
            punctuation=PunctuationRule(barriers="()", dots_are_barriers=False, allowed="-"),
            score_options={"string": {"order": 3, "min_match": 2}},
            tagger=FakeProbabilityTagger(),
            tagger_candidates=True,
            alpha=1.3,
            per_class=False,
            translator=FakeScorer(),
            source_lang="en",
            target_lang="de",
            overlap="clique",
        ),
    ),
    "projector match no punctuation": (
        "match",
        lambda d: _build("projectors", "match", solver="dp", punctuation=False),
    ),
    "score alignment": ("alignment", lambda d: _build("scores", "alignment")),
    "score alignment links": (
        "alignment",
        lambda d: _build("scores", "alignment", link_set="union"),
    ),
    "score coverage": ("coverage", lambda d: _build("scores", "coverage")),
    "score coverage options": (
        "coverage",
        lambda d: _build(
            "scores",
            "coverage",
            link_set="simalign",
            unaligned=0.5,
            unlinked=0.25,
            recall="words",
            beta=2.0,
        ),
    ),
    "score string": ("string", lambda d: _build("scores", "string")),
    "score string options": ("string", lambda d: _build("scores", "string", order=3, min_match=2)),
    "score tagger": ("tagger", lambda d: _build("scores", "tagger")),
    "score tagger options": (
        "tagger",
        lambda d: _build("scores", "tagger", alpha=1.5, per_class=False, boost="predicted"),
    ),
    "score translation": (
        "translation",
        lambda d: _build("scores", "translation", translator=FakeScorer()),
    ),
    "score translation options": (
        "translation",
        lambda d: _build(
            "scores",
            "translation",
            translator=FakeScorer(),
            source_lang="en",
            target_lang="sw",
            symmetric=False,
            clip=False,
            cache_size=10,
        ),
    ),
    "solver greedy": ("greedy", lambda d: _build("solvers", "greedy")),
    "solver greedy options": (
        "greedy",
        lambda d: _build("solvers", "greedy", limit="exactly", n=2, threshold=0.3),
    ),
    "solver dp": ("dp", lambda d: _build("solvers", "dp")),
    "solver dp options": ("dp", lambda d: _build("solvers", "dp", threshold=0.2)),
    "solver ilp": ("ilp", lambda d: _build("solvers", "ilp")),
    "solver ilp options": (
        "ilp",
        lambda d: _build(
            "solvers",
            "ilp",
            limit="at_least",
            n=1,
            threshold=0.1,
            overlap="clique",
            time_limit=5.0,
            shortcuts=False,
        ),
    ),
}


def fix_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Third-party versions as they were when the pins were written."""
    from xlner.align import eflomal
    from xlner.tagging import hf, spacy
    from xlner.translate import apertium, nllb

    for module, value in ((eflomal, "2.0.0"), (nllb, "4.46.0"), (hf, "4.46.0")):
        monkeypatch.setattr(module, "version", lambda _, value=value: value)
    monkeypatch.setattr(spacy, "version", lambda _: "3.7.5")
    monkeypatch.setattr(apertium.ApertiumTranslator, "_version", lambda self: "3.8.3")


@pytest.fixture
def fixed_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    fix_versions(monkeypatch)


def signature_of(case: str, folder: Path) -> Any:
    """The case's component's signature, as JSON data (tuples as lists, as the keys see it)."""
    return json.loads(canonical(CASES[case][1](folder).signature()))


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_signature_is_as_pinned(case, tmp_path, monkeypatch, fixed_versions):
    if CASES[case][0] not in _registered():
        pytest.skip(f"{CASES[case][0]} is not registered in this tree")
    monkeypatch.chdir(tmp_path)
    pinned = json.loads(PINS.read_text(encoding="utf-8"))
    assert signature_of(case, tmp_path) == pinned[case]


def _registered() -> set[str]:
    return {name for kind in KINDS for name in getattr(registry, kind).available()}


KINDS = ("aligners", "translators", "taggers", "projectors", "scores", "solvers")


def test_every_registered_component_has_pinned_cases():
    """A new built-in component gets a case here (default and other options) and a pin."""
    covered = {(name, case.split()[0]) for case, (name, _) in CASES.items()}
    kinds = {"aligners": "aligner", "translators": "translator", "taggers": "tagger"}
    kinds |= {"projectors": "projector", "scores": "score", "solvers": "solver"}
    missing = [
        f"{kind} {name}"
        for catalogue, kind in kinds.items()
        for name, component in getattr(registry, catalogue).all().items()
        if component.__module__.startswith("xlner.") and (name, kind) not in covered
    ]
    assert not missing
    pinned = json.loads(PINS.read_text(encoding="utf-8"))
    assert set(pinned) == set(CASES)


if __name__ == "__main__":
    # Pins the cases that have none yet (a new component's); existing pins are never rewritten.
    import os
    import tempfile

    fix_versions(pytest.MonkeyPatch())
    pins = json.loads(PINS.read_text(encoding="utf-8")) if PINS.exists() else {}
    with tempfile.TemporaryDirectory() as scratch:
        for case in sorted(set(CASES) - set(pins)):
            folder = Path(scratch) / case.replace(" ", "-")
            folder.mkdir()
            os.chdir(folder)
            pins[case] = signature_of(case, folder)
    PINS.write_text(json.dumps(pins, indent=1, sort_keys=True) + "\n", encoding="utf-8")
