"""Translators (NLLB with a tiny local model, Apertium, existing translations) and word offsets."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from tiny_models import save_tiny_nllb

from xlner.languages import iso1, iso3
from xlner.text import (
    char_span_to_words,
    detokenize,
    remap_spans,
    split_words,
    squeezed_offsets,
    tokens_of,
)
from xlner.translate import TranslationError, Translator, get_translator, register_translator
from xlner.types import Span

# ---------------------------------------------------------------------------- base


@register_translator("test-short")
class ShortTranslator(Translator):
    """Drops the last sentence of every batch: the base class must notice."""

    name = "test-short"
    batch_size = 2

    def translate_batch(self, sentences, src_lang, tgt_lang):
        return [s.upper() for s in sentences][:-1]


def test_registry_and_count_check():
    with pytest.raises(ValueError, match="unknown translator 'nope'.*apertium"):
        get_translator("nope")
    with pytest.raises(TranslationError, match="1 translations for 2 sentences"):
        get_translator("test-short").translate(["a", "b", "c"], "en", "es")


def test_language_codes():
    assert iso3("en") == "eng" and iso3("lug") == "lug" and iso3("es-ES") == "spa"
    assert iso1("spa") == "es" and iso1("twi") == "tw" and iso1("bbj") is None


# ---------------------------------------------------------------------------- words


def test_split_words_keeps_offsets():
    text = "Juan Pérez (PSOE) didn't pay 3.5% to the U.S.-based firm; ¿verdad?"
    words = split_words(text)
    assert all(text[w.start : w.end] == w.text for w in words)
    assert tokens_of(words)[:7] == ["Juan", "Pérez", "(", "PSOE", ")", "didn't", "pay"]
    assert "3.5" in tokens_of(words) and "%" in tokens_of(words) and "¿" in tokens_of(words)


def test_detokenize_offsets_point_at_every_token():
    tokens = ["He", "said", ",", '"', "no", '"', "(", "twice", ")", "and", "did", "n't", "."]
    text, offsets = detokenize(tokens)
    assert text == 'He said, " no " (twice) and didn\'t.'
    assert [text[s:e] for s, e in offsets] == tokens
    assert detokenize([]) == ("", [])
    # Whitespace inside a token is squeezed, offsets stay exact.
    text, offsets = detokenize(["New  York", "", "!"])
    assert [text[s:e] for s, e in offsets] == ["New York", "", "!"]


def test_char_spans_map_to_words_and_back():
    words = split_words("Visit New York, now.")
    offsets = [(w.start, w.end) for w in words]
    assert char_span_to_words(offsets, 6, 14) == (1, 3)
    assert char_span_to_words(offsets, 5, 6) is None  # only the space
    # Gold spans survive a change of tokenisation through the squeezed text.
    gold_tokens, other_tokens = ["U.S.", "-", "based"], ["U.S", ".-", "based"]
    (_, source), (_, target) = squeezed_offsets(gold_tokens), squeezed_offsets(other_tokens)
    assert remap_spans([Span(0, 1, "LOC")], source, target) == [Span(0, 2, "LOC")]
    assert remap_spans([Span(2, 3, "MISC")], source, target) == [Span(2, 3, "MISC")]


# ---------------------------------------------------------------------------- parallel


def test_parallel_translator_looks_up_normalised_text(tmp_path):
    translator = get_translator("parallel", pairs={"Omusajja agenda .": "The man goes."})
    out = translator.translate(["omusajja agenda", "unknown sentence"], "lug", "en")
    assert out == ["The man goes.", ""]
    (tmp_path / "src.txt").write_text("Ekibuga kinene .\nEnsi nnungi\n")
    (tmp_path / "tgt.txt").write_text("The city is big.\nThe country is good.\n")
    from_files = get_translator(
        "parallel", path=tmp_path / "tgt.txt", source_path=tmp_path / "src.txt"
    )
    assert from_files.translate(["Ensi nnungi ."], "lug", "en") == ["The country is good."]
    assert from_files.signature()["content"] != translator.signature()["content"]
    with pytest.raises(ValueError, match="needs corpus"):
        get_translator("parallel")


def test_parallel_translator_reads_masakhaner2_parallel(shared_data):
    from xlner.corpora import get_corpus

    corpus = get_corpus("masakhaner2-parallel")
    if not corpus.path(lang="lug", split="test", data_dir=shared_data, must_exist=False).exists():
        pytest.skip("masakhaner2-parallel is not in the shared data")
    translator = get_translator(
        "parallel", corpus="masakhaner2-parallel", lang="lug", split="test", data_dir=shared_data
    )
    sentences = corpus.load_parallel(lang="lug", split="test", data_dir=shared_data)[:20]
    out = translator.translate([" ".join(s.target.tokens) for s in sentences], "lug", "en")
    assert out == [s.source_text for s in sentences]


# ---------------------------------------------------------------------------- nllb


@pytest.fixture(scope="module")
def tiny_nllb(tmp_path_factory):
    return save_tiny_nllb(tmp_path_factory.mktemp("tiny-nllb"))


def test_nllb_codes():
    from xlner.translate.nllb import nllb_code

    assert nllb_code("en") == "eng_Latn" and nllb_code("lug") == "lug_Latn"
    assert nllb_code("sw") == "swh_Latn" and nllb_code("fra_Latn") == "fra_Latn"
    with pytest.raises(TranslationError, match="no NLLB-200 code"):
        nllb_code("pcm")


def test_nllb_translates_in_batches_keeping_order_and_count(tiny_nllb):
    translator = get_translator("nllb", model=tiny_nllb, batch_size=2, num_beams=2, device="cpu")
    tokenizer, model = translator._load()
    calls = []
    generate = model.generate

    def counting_generate(**kwargs):
        calls.append(kwargs["input_ids"].shape[0])
        # The target language is forced as the first generated token.
        assert kwargs["forced_bos_token_id"] == tokenizer.convert_tokens_to_ids("lug_Latn")
        return generate(**kwargs)

    model.generate = counting_generate
    sentences = ["john smith works", "", "the european parliament met in strasbourg", "in", "x y"]
    out = translator.translate(sentences, "en", "lug")
    assert len(out) == 5 and all(isinstance(text, str) for text in out)
    assert out[1] == ""  # empty input is never sent to the model
    assert sorted(calls) == [2, 2]  # four non-empty sentences, two per batch
    assert tokenizer.src_lang == "eng_Latn"
    assert translator.signature()["model"] == str(tiny_nllb)


def test_nllb_rejects_a_language_the_tokenizer_lacks(tiny_nllb):
    translator = get_translator("nllb", model=tiny_nllb, device="cpu")
    with pytest.raises(TranslationError, match="no NLLB-200 code"):
        translator.translate(["john"], "en", "pcm")


# ---------------------------------------------------------------------------- apertium


def _apertium_modes() -> list[str]:
    if shutil.which("apertium") is None:
        return []
    result = subprocess.run(["apertium", "-l"], capture_output=True, text=True, check=False)
    return result.stdout.split()


needs_apertium = pytest.mark.skipif(
    "spa-eng" not in _apertium_modes(),
    reason="apertium with the spa-eng pair is not installed (apt-get install apertium "
    "apertium-eng-spa; `make test` installs it where apt-get exists)",
)


@needs_apertium
def test_apertium_keeps_one_translation_per_sentence():
    translator = get_translator("apertium", batch_size=4)
    sentences = [
        "El Parlamento Europeo se reunió en Estrasburgo.",
        "",
        "Una frase\npartida en dos líneas",
        "Sin punto final",
        "XLNERSEPARATORLINE no debe romper nada .",
        "[Juan Pérez] trabaja en [Madrid] .",
    ]
    out = translator.translate(sentences, "es", "en")
    assert len(out) == len(sentences)
    assert out[0] == "The European Parliament gathered in Strasbourg."
    assert out[1] == "" and "\n" not in out[2] and "two lines" in out[2]
    assert "[Juan Pérez]" in out[5] and "[Madrid]" in out[5]
    assert translator.signature()["apertium_version"].startswith("Apertium")


@needs_apertium
def test_apertium_falls_back_to_one_call_per_sentence(monkeypatch):
    from xlner.translate.apertium import MARKER, ApertiumTranslator

    translator = ApertiumTranslator()
    real_run = translator._run

    def lossy_run(mode, text):
        # Simulate Apertium merging two sentences: the first marker is lost.
        out = real_run(mode, text)
        return out.replace(MARKER, "", 1) if MARKER in text else out

    monkeypatch.setattr(translator, "_run", lossy_run)
    out = translator.translate(["Hola.", "Adiós.", "Gracias."], "es", "en")
    assert out == ["Hello.", "Goodbye.", "Thank you."]


@needs_apertium
def test_apertium_missing_pair_names_the_debian_package():
    with pytest.raises(TranslationError, match="apt-get install apertium-eng-deu"):
        get_translator("apertium").translate(["Hallo"], "de", "en")


def test_apertium_missing_binary_is_a_clear_error():
    translator = get_translator("apertium", binary="no-such-apertium-binary")
    with pytest.raises(TranslationError, match="not installed.*apertium-eng-spa"):
        translator.translate(["hola"], "es", "en")
