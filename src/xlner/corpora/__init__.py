"""Corpus readers and writers (one module per format) and the registry of named corpora.

- :mod:`xlner.corpora.conll`: token-per-line NER files (CoNLL, MasakhaNER, Europarl-NER)
- :mod:`xlner.corpora.bitext`: one sentence a line, alone or as line-parallel pairs
- :mod:`xlner.corpora.parallel_tsv`: MasakhaNER 2.0 sentences with MAFAND-MT translations
- :mod:`xlner.corpora.registry`: named corpora in a data directory, and fetching them
"""

from xlner.corpora.base import CorpusWarning
from xlner.corpora.bitext import read_bitext, read_sentences, write_bitext, write_sentences
from xlner.corpora.conll import detect_scheme, iter_conll, read_conll, write_conll
from xlner.corpora.parallel_tsv import (
    ParallelRecord,
    ParallelSentence,
    load_parallel,
    read_parallel_tsv,
    write_parallel_tsv,
)
from xlner.corpora.registry import (
    CORPORA,
    Corpus,
    CorpusNotFound,
    CorpusStatus,
    FetchError,
    fetch,
    find,
    get_corpus,
    list_corpora,
    require,
    resolve_data_dir,
)

__all__ = [
    "CORPORA",
    "Corpus",
    "CorpusNotFound",
    "CorpusStatus",
    "CorpusWarning",
    "FetchError",
    "ParallelRecord",
    "ParallelSentence",
    "detect_scheme",
    "fetch",
    "find",
    "get_corpus",
    "iter_conll",
    "list_corpora",
    "load_parallel",
    "read_bitext",
    "read_conll",
    "read_parallel_tsv",
    "read_sentences",
    "require",
    "resolve_data_dir",
    "write_bitext",
    "write_conll",
    "write_parallel_tsv",
    "write_sentences",
]
