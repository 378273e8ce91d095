"""Matching scores: alignment, string, tagger, translation and their fusion."""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlner.project.match.candidates import Candidate, CandidateExtractor
from xlner.project.match.scores import (
    AlignmentScore,
    CachedTagger,
    FusionScore,
    MatchContext,
    StringScore,
    TaggerScore,
    TranslationScore,
    make_score,
    parse_weights,
    string_similarity,
)
from xlner.project.match.scores.string import longest_common_substring, normalise_word, padded
from xlner.types import Link, Span


def context(
    src: list[str],
    spans: list[Span],
    tgt: list[str],
    links: list[Link] = (),  # type: ignore[assignment]
    cands: list[Candidate] | None = None,
    **kwargs: object,
) -> MatchContext:
    if cands is None:
        cands = CandidateExtractor(punctuation=None).extract(tgt)
    return MatchContext(src, spans, tgt, list(links), cands, **kwargs)  # type: ignore[arg-type]


# --- alignment -------------------------------------------------------------------------------


def test_alignment_score_formula() -> None:
    src = ["the", "United", "States", "and", "Kenya"]
    tgt = ["die", "Vereinigten", "Staaten", "und", "Kenia"]
    links = [Link(1, 1), Link(2, 2), Link(4, 4), Link(2, 2)]  # a duplicate counts once
    spans = [Span(1, 3, "LOC"), Span(4, 5, "LOC")]
    cands = [Candidate(1, 3), Candidate(1, 2), Candidate(0, 3), Candidate(4, 5), Candidate(3, 5)]
    got = AlignmentScore().score(context(src, spans, tgt, links, cands))
    expected = [[1.0, 2 * 1 / 3, 2 * 2 / 5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 2 * 1 / 3]]
    np.testing.assert_allclose(got, expected)


def test_alignment_many_to_many_can_exceed_one() -> None:
    links = [Link(i, j) for i in range(2) for j in range(2)]
    ctx = context(["a", "b"], [Span(0, 2, "X")], ["c", "d"], links, [Candidate(0, 2)])
    assert AlignmentScore().score(ctx)[0, 0] == pytest.approx(2.0)


def test_alignment_rejects_links_outside_the_sentences() -> None:
    ctx = context(["a"], [Span(0, 1, "X")], ["b"], [Link(0, 3)], [Candidate(0, 1)])
    with pytest.raises(ValueError, match="outside"):
        AlignmentScore().score(ctx)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_alignment_matches_definition(data: st.DataObject) -> None:
    n_src = data.draw(st.integers(1, 8))
    n_tgt = data.draw(st.integers(1, 8))
    pairs = data.draw(st.sets(st.tuples(st.integers(0, n_src - 1), st.integers(0, n_tgt - 1))))
    starts = data.draw(st.lists(st.integers(0, n_src - 1), min_size=1, max_size=3))
    spans = [Span(s, min(s + data.draw(st.integers(1, 3)), n_src), "X") for s in starts]
    src, tgt = [f"s{i}" for i in range(n_src)], [f"t{i}" for i in range(n_tgt)]
    ctx = context(src, spans, tgt, [Link(s, t) for s, t in pairs])
    got = AlignmentScore().score(ctx)
    for e, span in enumerate(spans):
        for c, cand in enumerate(ctx.candidates):
            n = sum(1 for s, t in pairs if s in span.indices and cand.start <= t < cand.end)
            assert got[e, c] == pytest.approx(2 * n / (len(span) + len(cand)))


# --- string ----------------------------------------------------------------------------------


def test_normalisation_ignores_case_diacritics_and_punctuation() -> None:
    assert normalise_word("Württemberg") == "wurttemberg"
    assert normalise_word("e-Kampala") == "ekampala"
    assert normalise_word("U.S.") == "us"
    assert padded(["São", "Paulo", ","]) == "#sao#paulo#"


@pytest.mark.parametrize(
    ("entity", "candidate"),
    [
        ("Kampala", "e-Kampala"),  # Luganda locative prefix
        ("Europe", "Europas"),  # German genitive
        ("Zürich", "ZURICH"),
        ("Angela Merkel", "Angela Merkels"),
        ("Uganda", "Yuganda"),
    ],
)
def test_string_similarity_tolerates_affixes(entity: str, candidate: str) -> None:
    assert string_similarity(entity, candidate) >= 0.65


@pytest.mark.parametrize(
    ("entity", "candidate"),
    [
        ("Kampala", "ekibiina"),
        ("European Parliament", "an"),
        ("Kenya", "omwaka"),
        ("Museveni", "Pulezidenti"),
        ("EU", "ebyobulimi"),
    ],
)
def test_string_similarity_is_low_for_unrelated_words(entity: str, candidate: str) -> None:
    assert string_similarity(entity, candidate) < 0.3


def test_string_similarity_prefers_the_exact_name() -> None:
    assert string_similarity("Kampala", "Kampala") == pytest.approx(1.0)
    assert string_similarity("Kampala", "Kampala") > string_similarity("Kampala", "mu Kampala")
    assert string_similarity(",", "Kampala") == 0.0


words = st.text(alphabet="abcdeé-", min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    entity=st.lists(words, min_size=1, max_size=3), target=st.lists(words, min_size=1, max_size=6)
)
def test_string_matrix_matches_pairwise_similarity(entity: list[str], target: list[str]) -> None:
    ctx = context(entity, [Span(0, len(entity), "X")], target)
    got = StringScore().score(ctx)
    assert np.all((got >= 0) & (got <= 1 + 1e-12))
    for c, cand in enumerate(ctx.candidates):
        expected = string_similarity(" ".join(entity), cand.text(target))
        assert got[0, c] == pytest.approx(expected)


@settings(max_examples=100, deadline=None)
@given(
    a=st.text(alphabet="ab#", min_size=1, max_size=8),
    text=st.text(alphabet="ab#", max_size=12),
    data=st.data(),
)
def test_longest_common_substring_is_exact(a: str, text: str, data: st.DataObject) -> None:
    lo = data.draw(st.integers(0, len(text)))
    hi = data.draw(st.integers(lo, len(text)))
    got = longest_common_substring(a, text, np.array([lo]), np.array([hi]))[0]
    piece = text[lo:hi]
    match = difflib.SequenceMatcher(None, a, piece, autojunk=False)
    assert got == match.find_longest_match(0, len(a), 0, len(piece)).size


# --- tagger ----------------------------------------------------------------------------------

LABELS = ["B-PER", "I-PER", "O"]


class FakeTagger:
    """Returns fixed probabilities and counts its calls."""

    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]

    def __init__(self, table: dict[tuple[str, ...], np.ndarray]) -> None:
        self.table = table
        self.calls: list[int] = []

    def predict_proba(self, sentences: list[list[str]]) -> list[np.ndarray]:
        self.calls.append(len(sentences))
        return [self.table[tuple(s)] for s in sentences]


def test_tagger_score_follows_the_paper_example() -> None:
    # Politov et al.: the model predicts words 1-2 as PER; without alpha the shorter
    # candidate would win (0.9 > 0.85), with alpha = 1.15 the whole name wins.
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.0, 0.0, 1.0]])
    cands = [Candidate(0, 1), Candidate(0, 2), Candidate(0, 3)]
    ctx = context(
        ["x"], [Span(0, 1, "PER")], ["a", "b", "c"], [], cands, target_probs=probs, labels=LABELS
    )
    plain = TaggerScore(alpha=1.0).score(ctx)[0]
    np.testing.assert_allclose(plain, [0.9, 0.85, 0.9 / 3 + 0.8 / 3])
    boosted = TaggerScore().score(ctx)[0]
    np.testing.assert_allclose(boosted, [0.9, 0.85 * 1.15, (0.9 + 0.8) / 3 * 1.15**2])
    assert boosted[1] > boosted[0]


def test_tagger_score_per_class_and_class_agnostic() -> None:
    probs = np.array([[0.1, 0.1, 0.0, 0.8, 0.0], [0.1, 0.0, 0.1, 0.0, 0.8]])
    tgt, cands = ["Kampala", "City"], [Candidate(0, 1), Candidate(0, 2)]
    spans = [Span(0, 1, "PER"), Span(1, 2, "LOC"), Span(2, 3, "MISC")]
    ctx = context(
        ["a", "b", "c"], spans, tgt, [], cands, target_probs=probs, labels=FakeTagger.labels
    )
    per_class = TaggerScore(alpha=1.0).score(ctx)
    np.testing.assert_allclose(per_class[0], [0.1, 0.1 / 2 + 0.1 / 2])
    np.testing.assert_allclose(per_class[1], [0.8, 0.8])
    np.testing.assert_allclose(per_class[2], [0.0, 0.0])  # the tagger has no MISC
    agnostic = TaggerScore(alpha=1.0, per_class=False).score(ctx)
    np.testing.assert_allclose(agnostic, np.tile([0.8, 0.8], (3, 1)))


def test_tagger_boost_only_where_predicted() -> None:
    probs = np.array([[0.6, 0.3, 0.1], [0.3, 0.4, 0.3], [0.1, 0.3, 0.6]])
    cands = [Candidate(0, 2), Candidate(0, 3)]
    ctx = context(
        ["x"], [Span(0, 1, "PER")], ["a", "b", "c"], [], cands, target_probs=probs, labels=LABELS
    )
    got = TaggerScore(boost="predicted").score(ctx)[0]
    # argmax spells B-PER I-PER over (0, 2) but word 2 is O
    np.testing.assert_allclose(got, [(0.6 + 0.4) / 2 * 1.15, (0.6 + 0.4 + 0.3) / 3])


def test_tagger_with_io_labels_uses_i_for_b() -> None:
    probs = np.array([[0.7, 0.3], [0.6, 0.4]])
    ctx = context(
        ["x"],
        [Span(0, 1, "ORG")],
        ["a", "b"],
        [],
        [Candidate(0, 2)],
        target_probs=probs,
        labels=["I-ORG", "O"],
    )
    assert TaggerScore(alpha=1.0).score(ctx)[0, 0] == pytest.approx(0.65)


def test_tagger_score_needs_probabilities() -> None:
    with pytest.raises(ValueError, match="target_probs"):
        TaggerScore().score(context(["x"], [Span(0, 1, "PER")], ["a"]))
    with pytest.raises(ValueError):
        TaggerScore(alpha=0)


def test_cached_tagger_batches_and_decodes_spans() -> None:
    one = np.array([[0.1, 0.8, 0.1, 0, 0], [0.1, 0.1, 0.8, 0, 0], [0.9, 0.1, 0, 0, 0]])
    two = np.array([[0.1, 0, 0, 0.2, 0.7]])
    fake = FakeTagger({("A", "B", "c"): one, ("K",): two})
    cached = CachedTagger(fake, batch_size=8)
    cached.prefetch([["A", "B", "c"], ["K"], ["A", "B", "c"]])
    assert fake.calls == [2]
    assert cached.spans(["A", "B", "c"]) == [Span(0, 2, "PER")]
    assert cached.spans(["K"]) == [Span(0, 1, "LOC")]  # a stray I- starts an entity
    assert fake.calls == [2]


def test_cached_tagger_checks_shapes() -> None:
    fake = FakeTagger({("a", "b"): np.zeros((1, 5))})
    with pytest.raises(ValueError, match="shape"):
        CachedTagger(fake).proba(["a", "b"])


# --- translation -----------------------------------------------------------------------------


class FakeTranslator:
    """Log-probability from string overlap; records calls and language codes."""

    name = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[int, str | None, str | None]] = []

    def score(
        self,
        sources: list[str],
        targets: list[str],
        *,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
    ) -> list[float]:
        self.calls.append((len(sources), src_lang, tgt_lang))
        bonus = 0.5 if (src_lang, tgt_lang) == ("eng", "lug") else 0.0
        return [
            -2.0 + 2 * string_similarity(s, t) - 0.1 * len(t.split()) + bonus
            for s, t in zip(sources, targets, strict=True)
        ]


def translation_context() -> MatchContext:
    src = ["in", "Kampala", "and", "Europe"]
    tgt = ["mu", "Kampala", "ne", "Bulaaya"]
    spans = [Span(1, 2, "LOC"), Span(3, 4, "LOC")]
    return context(src, spans, tgt, [], CandidateExtractor(max_len=2).extract(tgt))


def test_translation_score_is_the_nmtscore_direct_similarity() -> None:
    fake = FakeTranslator()
    ctx = translation_context()
    one_way = TranslationScore(fake, "eng", "lug", symmetric=False, clip=False).score(ctx)
    both = TranslationScore(fake, "eng", "lug", clip=False).score(ctx)
    ents, cands = ctx.entity_texts(), ctx.candidate_texts()
    for e, a in enumerate(ents):
        for c, b in enumerate(cands):

            def lp(x: str, y: str, sl: str, tl: str) -> float:
                return fake.score([x], [y], src_lang=sl, tgt_lang=tl)[0]

            forward = np.exp(lp(a, b, "eng", "lug") - lp(b, b, "lug", "lug"))
            backward = np.exp(lp(b, a, "lug", "eng") - lp(a, a, "eng", "eng"))
            assert one_way[e, c] == pytest.approx(forward)
            assert both[e, c] == pytest.approx((forward + backward) / 2)
    clipped = TranslationScore(fake, "eng", "lug").score(ctx)
    np.testing.assert_allclose(clipped, np.clip(both, 0, 1))
    kampala = cands.index("Kampala")
    assert clipped[0, kampala] == clipped[0].max()


def test_translation_score_caches_model_calls() -> None:
    fake = FakeTranslator()
    score = TranslationScore(fake, "eng", "lug")
    first = score.score(translation_context())
    n_calls = len(fake.calls)
    assert {(sl, tl) for _, sl, tl in fake.calls} == {
        ("eng", "lug"),
        ("lug", "lug"),
        ("lug", "eng"),
        ("eng", "eng"),
    }
    np.testing.assert_allclose(score.score(translation_context()), first)
    assert len(fake.calls) == n_calls


def tiny_seq2seq(path: Path) -> Path:
    """A randomly initialised, tiny BART with a word-level tokenizer, saved to ``path``."""
    torch = pytest.importorskip("torch")
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    words = [
        "kampala",
        "mu",
        "europe",
        "bulaaya",
        "parliament",
        "the",
        "of",
        "city",
        "is",
        "in",
        "and",
        "ne",
    ]
    specials = ["<pad>", "</s>", "<unk>", "<s>"]
    vocab = {w: i for i, w in enumerate(specials + words)}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tok.post_processor = tokenizers.processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", vocab["</s>"])]
    )
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        bos_token="<s>",
    )
    config = transformers.BartConfig(
        vocab_size=len(vocab),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=32,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=3,
        decoder_start_token_id=1,
    )
    torch.manual_seed(0)
    transformers.BartForConditionalGeneration(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def hf_scorer(tmp_path_factory: pytest.TempPathFactory) -> object:
    from xlner.project.match.scores import HFSeq2SeqScorer

    path = tiny_seq2seq(tmp_path_factory.mktemp("tiny-bart"))
    return HFSeq2SeqScorer(path, batch_size=3, device="cpu")


def test_hf_scorer_gives_finite_mean_log_probs(hf_scorer: object) -> None:
    sources = ["kampala", "the city of europe", "zzz unknown", "in kampala"]
    targets = ["kampala", "bulaaya", "europe parliament", "mu kampala"]
    scores = hf_scorer.score(sources, targets)  # type: ignore[attr-defined]
    assert len(scores) == 4
    assert all(np.isfinite(s) and s < 0 for s in scores)
    # batching and padding do not change a pair's score
    alone = [hf_scorer.score([s], [t])[0] for s, t in zip(sources, targets, strict=True)]  # type: ignore[attr-defined]
    np.testing.assert_allclose(scores, alone, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        hf_scorer.score(["a"], [])  # type: ignore[attr-defined]


def test_translation_score_with_a_tiny_model(hf_scorer: object) -> None:
    ctx = translation_context()
    both = TranslationScore(hf_scorer, clip=False).score(ctx)  # type: ignore[arg-type]
    forward = TranslationScore(hf_scorer, symmetric=False, clip=False).score(ctx)  # type: ignore[arg-type]
    assert both.shape == ctx.shape and np.all(np.isfinite(both)) and np.all(both > 0)
    flipped = MatchContext(
        ctx.target_tokens,
        [Span(c.start, c.end, "X") for c in ctx.candidates],
        ctx.source_tokens,
        [],
        [Candidate(s.start, s.end) for s in ctx.source_spans],
    )
    backward = TranslationScore(hf_scorer, symmetric=False, clip=False).score(flipped).T  # type: ignore[arg-type]
    np.testing.assert_allclose(both, (forward + backward) / 2, rtol=1e-5)
    clipped = TranslationScore(hf_scorer).score(ctx)  # type: ignore[arg-type]
    assert np.all((clipped >= 0) & (clipped <= 1))


# --- fusion ----------------------------------------------------------------------------------


def test_parse_weights() -> None:
    assert parse_weights("alignment=1,string=0.5") == {"alignment": 1.0, "string": 0.5}
    assert parse_weights(" alignment , tagger=2 ") == {"alignment": 1.0, "tagger": 2.0}
    assert parse_weights("") == {}
    with pytest.raises(ValueError, match="number"):
        parse_weights("alignment=x")
    with pytest.raises(ValueError, match="name"):
        parse_weights("=1")


def fusion_context() -> MatchContext:
    src = ["in", "Kampala", "today"]
    tgt = ["mu", "Kampala", "leero"]
    return context(src, [Span(1, 2, "LOC")], tgt, [Link(0, 0), Link(1, 1), Link(2, 2)])


def test_fusion_is_a_weighted_sum_with_thresholds() -> None:
    ctx = fusion_context()
    align, string = AlignmentScore().score(ctx), StringScore().score(ctx)
    fused = FusionScore([AlignmentScore(), StringScore()], {"alignment": 1, "string": 0.5})
    np.testing.assert_allclose(fused.score(ctx), align + 0.5 * string)
    gated = FusionScore(
        [AlignmentScore(), StringScore()], {"alignment": 1, "string": 0.5}, {"alignment": 0.5}
    ).score(ctx)
    assert np.all(np.isneginf(gated[align < 0.5]))
    np.testing.assert_allclose(gated[align >= 0.5], (align + 0.5 * string)[align >= 0.5])


def test_fusion_skips_unweighted_scores_and_checks_names() -> None:
    class Exploding(StringScore):
        name = "translation"

        def score(self, ctx: MatchContext) -> np.ndarray:
            raise AssertionError("should not run")

    fused = FusionScore([AlignmentScore(), Exploding()], {"alignment": 1})
    assert np.all(np.isfinite(fused.score(fusion_context())))
    with pytest.raises(ValueError, match="unknown"):
        FusionScore([AlignmentScore()], {"string": 1})
    with pytest.raises(ValueError, match="duplicate"):
        FusionScore([AlignmentScore(), AlignmentScore()], {"alignment": 1})


def test_make_score() -> None:
    assert isinstance(make_score("alignment"), AlignmentScore)
    assert make_score("tagger", {"alpha": 1.3}).alpha == 1.3  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="translator"):
        make_score("translation")
    with pytest.raises(ValueError, match="unknown score"):
        make_score("bleu")
