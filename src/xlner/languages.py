"""Language codes: the corpora use ISO 639-1 (``en``) or 639-3 (``lug``); tools want others.

:func:`iso3` turns either into ISO 639-3, the common ground from which each backend maps to its
own codes (NLLB-200 ``lug_Latn``, Apertium ``eng-spa``).
"""

from __future__ import annotations

# ISO 639-1 -> 639-3 for the languages of the corpora xlner knows (PAN-X's among them), plus
# common pivots. A macrolanguage keeps its macro code (ar -> ara, fa -> fas, ms -> msa, zh -> zho).
ISO1_TO_ISO3: dict[str, str] = {
    "af": "afr",
    "am": "amh",
    "ar": "ara",
    "bg": "bul",
    "bm": "bam",
    "bn": "ben",
    "ca": "cat",
    "de": "deu",
    "ee": "ewe",
    "el": "ell",
    "en": "eng",
    "es": "spa",
    "et": "est",
    "eu": "eus",
    "fa": "fas",
    "fi": "fin",
    "fr": "fra",
    "gl": "glg",
    "ha": "hau",
    "he": "heb",
    "hi": "hin",
    "hu": "hun",
    "id": "ind",
    "ig": "ibo",
    "it": "ita",
    "ja": "jpn",
    "jv": "jav",
    "ka": "kat",
    "kk": "kaz",
    "ko": "kor",
    "lg": "lug",
    "ml": "mal",
    "mr": "mar",
    "ms": "msa",
    "my": "mya",
    "nl": "nld",
    "ny": "nya",
    "pt": "por",
    "ru": "rus",
    "rw": "kin",
    "sn": "sna",
    "sw": "swa",
    "ta": "tam",
    "te": "tel",
    "th": "tha",
    "tl": "tgl",
    "tn": "tsn",
    "tr": "tur",
    "tw": "twi",
    "ur": "urd",
    "vi": "vie",
    "wo": "wol",
    "xh": "xho",
    "yo": "yor",
    "zh": "zho",
    "zu": "zul",
}
ISO3_TO_ISO1: dict[str, str] = {three: one for one, three in ISO1_TO_ISO3.items()}


def iso3(code: str) -> str:
    """ISO 639-3 for an ISO 639-1 or 639-3 code (``en`` -> ``eng``); other codes pass through."""
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return ISO1_TO_ISO3.get(code, code)


def iso1(code: str) -> str | None:
    """ISO 639-1 for a code, or None where the language has none (``lug`` -> ``lg``)."""
    three = iso3(code)
    return ISO3_TO_ISO1.get(three)
