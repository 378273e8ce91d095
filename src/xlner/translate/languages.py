"""Language codes: the corpora use ISO 639-1 (``en``) or 639-3 (``lug``); tools want others.

:func:`iso3` turns either into ISO 639-3, the common ground from which each backend maps to its
own codes (NLLB-200 ``lug_Latn``, Apertium ``eng-spa``).
"""

from __future__ import annotations

# ISO 639-1 -> 639-3 for the languages of the corpora xlner knows, plus common pivots.
ISO1_TO_ISO3: dict[str, str] = {
    "am": "amh",
    "bm": "bam",
    "ca": "cat",
    "de": "deu",
    "ee": "ewe",
    "en": "eng",
    "es": "spa",
    "eu": "eus",
    "fr": "fra",
    "gl": "glg",
    "ha": "hau",
    "ig": "ibo",
    "it": "ita",
    "lg": "lug",
    "nl": "nld",
    "ny": "nya",
    "pt": "por",
    "rw": "kin",
    "sn": "sna",
    "sw": "swa",
    "tn": "tsn",
    "tw": "twi",
    "wo": "wol",
    "xh": "xho",
    "yo": "yor",
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
