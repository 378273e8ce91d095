"""A corpus added in one new file: the worked example of "adding a corpus".

This module is all it takes. It describes the corpus as data (where its files lie, where they
come from, its parameters and their choices) and registers it; placed in ``xlner/corpora/``
(or in a package given to ``registry.corpora.add_package``) it is known to ``get_corpus``,
``xlner data list``, ``xlner data fetch`` and ``xlner data show`` without being imported
first. A corpus whose files are not token-per-line IOB2 subclasses
:class:`~xlner.corpora.Corpus` and overrides ``read`` (or ``load``).
"""

from __future__ import annotations

from xlner.corpora import Corpus, Origin, register_corpus

TOY_NER = register_corpus(
    Corpus(
        name="toy-ner",
        title="Toy NER: one test file in each of two languages",
        folder="toy-ner",
        licence="CC0 1.0",
        citation="The xlner authors (2026). A toy corpus for the tests.",
        origin=Origin("xlner-examples/toy-ner", "0123456789abcdef0123456789abcdef01234567", "data"),
        layout="{lang}/test.conll",  # data/toy-ner/xx/test.conll, from <repo>/data/xx/test.conll
        parameter_choices={"lang": ("xx", "yy")},
    )
)
