"""A spaCy ``DocBin`` (``.spacy``): the training data format of ``spacy train``.

Each sentence is one ``Doc`` of the words as given (no re-tokenisation), its entities as
``doc.ents``. The vocabulary is that of a blank pipeline of the language (``spacy.blank``);
where spaCy has no module for it (Swahili, Hausa, Ewe ...), the multi-language ``xx``.
``spaces`` (one list per sentence) says which words a space follows, so that ``doc.text``
is the original sentence; by default every word is followed by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlner.errors import OutputError
from xlner.io import atomic_write_bytes, is_stdout
from xlner.languages import iso1
from xlner.types import Span, TaggedSentence

MULTI_LANGUAGE = "xx"


def _spacy() -> Any:
    try:
        import spacy
    except ImportError as error:
        raise ImportError("the spacy export needs spaCy: pip install 'xlner[pipeline]'") from error
    return spacy


def blank_pipeline(lang: str | None) -> Any:
    """``spacy.blank`` of ``lang`` (ISO 639-1 or 639-3), else of ``xx`` where spaCy has none."""
    spacy = _spacy()
    for code in dict.fromkeys(c for c in (lang, iso1(lang or "")) if c):
        try:
            return spacy.blank(code)
        except ImportError:  # spaCy raises ImportError (E048) for a language it lacks
            continue
    return spacy.blank(MULTI_LANGUAGE)


def to_docs(
    nlp: Any, sentences: Sequence[TaggedSentence], spaces: Sequence[Sequence[bool]] | None = None
) -> list[Any]:
    from spacy.tokens import Doc
    from spacy.tokens import Span as DocSpan

    docs = []
    for index, sentence in enumerate(sentences):
        doc = Doc(
            nlp.vocab,
            words=list(sentence.tokens),
            spaces=list(spaces[index]) if spaces is not None else None,
        )
        doc.ents = [DocSpan(doc, span.start, span.end, label=span.label) for span in sentence.spans]
        docs.append(doc)
    return docs


def export(
    path: str | Path,
    sentences: Sequence[TaggedSentence],
    *,
    lang: str | None = None,
    spaces: Sequence[Sequence[bool]] | None = None,
    **_: Any,
) -> Path:
    """Write ``sentences`` as a ``DocBin`` at ``path`` as :func:`xlner.io.atomic_write`
    writes a file (``-``: standard output); return the path. A token that is not a
    non-empty string is a ValueError."""
    from spacy.tokens import DocBin

    if not is_stdout(path) and Path(path).is_dir():
        raise OutputError(path, "is a folder; a spaCy export is one .spacy file")
    for number, sentence in enumerate(sentences):
        if bad := [t for t in sentence.tokens if not isinstance(t, str) or not t]:
            raise ValueError(f"sentence {number}: token {bad[0]!r} is not a non-empty string")
    nlp = blank_pipeline(lang)
    data = DocBin(docs=to_docs(nlp, sentences, spaces), store_user_data=False).to_bytes()
    with atomic_write_bytes(path) as out:
        out.write(data)
    return Path(path)


def load(path: str | Path, lang: str | None = None) -> list[TaggedSentence]:
    """The sentences of a ``DocBin``: words and entity spans."""
    from spacy.tokens import DocBin

    nlp = blank_pipeline(lang)
    docs = DocBin().from_disk(path).get_docs(nlp.vocab)
    return [
        TaggedSentence(
            [token.text for token in doc], [Span(e.start, e.end, e.label_) for e in doc.ents]
        )
        for doc in docs
    ]
