"""Neural translation with NLLB-200 (or any transformers seq2seq model) through transformers.

NLLB-200 names languages ``eng_Latn``, ``lug_Latn``...: the source code is set on the
tokenizer (it prefixes the input) and the target code is forced as the first generated token.
The corpora use ISO 639-1/3 codes; :data:`NLLB_CODES` maps them. For models without language
codes (e.g. a Marian ``opus-mt-xx-en`` model, one pair per model) pass ``lang_codes="none"``.

The default model needs Hugging Face Hub access (or a local copy given by path). torch and
transformers are imported only when the first batch is translated.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

from xlner.languages import iso3
from xlner.quiet import quiet_transformers
from xlner.translate.base import TranslationError, Translator, batched, register_translator

DEFAULT_MODEL = "facebook/nllb-200-distilled-600M"

# ISO 639-3 -> NLLB-200 code for the languages of the corpora xlner knows, PAN-X's included.
# NLLB has no Nigerian Pidgin (pcm) nor Ghomala (bbj). A macrolanguage maps to the individual
# language NLLB has: Swahili swh, Arabic arb (Modern Standard), Persian pes (Western),
# Malay zsm (Standard), Chinese zho_Hans (simplified script).
NLLB_CODES: dict[str, str] = {
    "afr": "afr_Latn",
    "amh": "amh_Ethi",
    "ara": "arb_Arab",
    "bam": "bam_Latn",
    "ben": "ben_Beng",
    "bul": "bul_Cyrl",
    "cat": "cat_Latn",
    "deu": "deu_Latn",
    "ell": "ell_Grek",
    "eng": "eng_Latn",
    "est": "est_Latn",
    "eus": "eus_Latn",
    "ewe": "ewe_Latn",
    "fas": "pes_Arab",
    "fin": "fin_Latn",
    "fon": "fon_Latn",
    "fra": "fra_Latn",
    "hau": "hau_Latn",
    "heb": "heb_Hebr",
    "hin": "hin_Deva",
    "hun": "hun_Latn",
    "ibo": "ibo_Latn",
    "ind": "ind_Latn",
    "ita": "ita_Latn",
    "jav": "jav_Latn",
    "jpn": "jpn_Jpan",
    "kat": "kat_Geor",
    "kaz": "kaz_Cyrl",
    "kin": "kin_Latn",
    "kor": "kor_Hang",
    "lug": "lug_Latn",
    "luo": "luo_Latn",
    "mal": "mal_Mlym",
    "mar": "mar_Deva",
    "mos": "mos_Latn",
    "msa": "zsm_Latn",
    "mya": "mya_Mymr",
    "nld": "nld_Latn",
    "nya": "nya_Latn",
    "por": "por_Latn",
    "rus": "rus_Cyrl",
    "sna": "sna_Latn",
    "spa": "spa_Latn",
    "swa": "swh_Latn",
    "swh": "swh_Latn",
    "tam": "tam_Taml",
    "tel": "tel_Telu",
    "tgl": "tgl_Latn",
    "tha": "tha_Thai",
    "tsn": "tsn_Latn",
    "tur": "tur_Latn",
    "twi": "twi_Latn",
    "urd": "urd_Arab",
    "vie": "vie_Latn",
    "wol": "wol_Latn",
    "xho": "xho_Latn",
    "yor": "yor_Latn",
    "zho": "zho_Hans",
    "zul": "zul_Latn",
}


def nllb_code(lang: str) -> str:
    """The NLLB-200 code of ``lang`` (``en``, ``eng`` or already ``eng_Latn``)."""
    if "_" in lang and len(lang) == 8:
        return lang
    code = NLLB_CODES.get(iso3(lang))
    if code is None:
        raise TranslationError(
            f"no NLLB-200 code known for language {lang!r}; pass the NLLB code itself "
            "(e.g. 'eng_Latn')"
        )
    return code


@register_translator("nllb")
class NllbTranslator(Translator):
    """Beam-search translation with a seq2seq model, on the GPU when there is one.

    Options: ``model`` (Hub name or local path), ``batch_size``, ``num_beams``,
    ``max_length`` (input tokens; longer input is truncated), ``device`` (default ``cuda``
    when available), ``dtype`` (``"float16"``/``"bfloat16"`` on a GPU halves memory), and
    ``lang_codes`` (``"nllb"`` or ``"none"``).
    """

    name = "nllb"
    unsigned = frozenset({"batch_size", "device"})

    def __init__(
        self,
        model: str | Path = DEFAULT_MODEL,
        *,
        batch_size: int = 16,
        num_beams: int = 4,
        max_length: int = 256,
        device: str | None = None,
        dtype: str | None = None,
        lang_codes: str = "nllb",
    ) -> None:
        if lang_codes not in ("nllb", "none"):
            raise ValueError(f"lang_codes must be 'nllb' or 'none', not {lang_codes!r}")
        if batch_size < 1 or num_beams < 1 or max_length < 1:
            raise ValueError("batch_size, num_beams and max_length must be positive")
        self.model = str(model)
        self.batch_size = batch_size
        self.num_beams = num_beams
        self.max_length = max_length
        self.device = device
        self.dtype = dtype
        self.lang_codes = lang_codes
        self._loaded: tuple[Any, Any] | None = None

    def derived_signature(self) -> dict[str, Any]:
        return {"dtype": self.dtype or "float32", "transformers_version": version("transformers")}

    def translate(self, sentences: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        # Sentences of similar length share a batch, so little compute goes to padding;
        # empty sentences take no place in a batch (they have no translation).
        todo = [i for i, text in enumerate(sentences) if text.strip()]
        order = sorted(todo, key=lambda i: len(sentences[i]))
        result = [""] * len(sentences)
        for chunk in batched(order, self.batch_size):
            out = self.translate_batch([sentences[i] for i in chunk], src_lang, tgt_lang)
            if len(out) != len(chunk):
                raise TranslationError(f"{len(out)} translations for {len(chunk)} sentences")
            for index, text in zip(chunk, out, strict=True):
                result[index] = text
        return result

    def translate_batch(self, sentences: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        # An empty sentence would still generate text; it has no translation.
        todo = [i for i, text in enumerate(sentences) if text.strip()]
        result = [""] * len(sentences)
        if todo:
            generated = self._generate([sentences[i] for i in todo], src_lang, tgt_lang)
            for index, text in zip(todo, generated, strict=True):
                result[index] = text
        return result

    def _generate(self, texts: list[str], src_lang: str, tgt_lang: str) -> list[str]:
        import torch

        tokenizer, model = self._load()
        options: dict[str, Any] = {"num_beams": self.num_beams}
        if self.lang_codes == "nllb":
            tokenizer.src_lang = nllb_code(src_lang)
            target = nllb_code(tgt_lang)
            target_id = tokenizer.convert_tokens_to_ids(target)
            if target_id is None or target_id == tokenizer.unk_token_id:
                raise TranslationError(f"{self.model}: the tokenizer has no token {target}")
            options["forced_bos_token_id"] = target_id
        inputs = tokenizer(
            texts,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.max_length,
        ).to(model.device)
        # Translations run somewhat longer than their source; cap to avoid runaway output.
        options["max_new_tokens"] = min(2 * self.max_length, 2 * inputs["input_ids"].shape[1] + 10)
        with torch.inference_mode():
            output = model.generate(**inputs, **options)
        return [
            " ".join(text.split())
            for text in tokenizer.batch_decode(output, skip_special_tokens=True)
        ]

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            import torch
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            from xlner.encoders.base import default_device

            device = self.device or default_device()
            extra = {"dtype": getattr(torch, self.dtype)} if self.dtype else {}
            quiet_transformers()
            tokenizer = AutoTokenizer.from_pretrained(self.model)
            model = AutoModelForSeq2SeqLM.from_pretrained(self.model, **extra)
            self._loaded = tokenizer, model.to(device).eval()
        return self._loaded
