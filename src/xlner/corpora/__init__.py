"""Corpus readers and writers (one module per format) and the catalogue of named corpora.

- :mod:`xlner.corpora.conll`: token-per-line NER files (CoNLL, MasakhaNER, Europarl-NER)
- :mod:`xlner.corpora.bitext`: one sentence a line, alone or as line-parallel pairs
- :mod:`xlner.corpora.parallel_tsv`: MasakhaNER 2.0 sentences with MAFAND-MT translations
- :mod:`xlner.corpora.lines`: line reading (numbered UTF-8 lines, gzip) every reader shares
- :mod:`xlner.corpora.base`: the :class:`Corpus` type, the data directory, the catalogue
  (``registry.corpora``); :mod:`xlner.corpora.fetch`: downloading and building corpora
- one module per named corpus: ``europarl_ner``, ``conll2003``, ``masakhaner2``,
  ``mafand_mt``, ``masakhaner2_parallel``, ``conll_file`` (``conll``: a file of yours) and
  ``hf`` (a Hugging Face dataset)

Every annotated corpus loads the same way: ``get_corpus(name).load(data_dir=..., **params)``
with the parameters ``corpus.parameters`` names.
"""

from xlner.corpora.base import (
    Corpus,
    CorpusNotFound,
    CorpusStatus,
    CorpusUnavailable,
    Origin,
    Translation,
    all_corpora,
    find,
    get_corpus,
    list_corpora,
    register_corpus,
    require,
    resolve_data_dir,
)
from xlner.corpora.bitext import (
    iter_bitext,
    iter_sentences,
    read_bitext,
    read_sentences,
    write_bitext,
    write_sentences,
)
from xlner.corpora.conll import detect_scheme, iter_conll, read_conll, write_conll
from xlner.corpora.fetch import FetchError, fetch
from xlner.corpora.lines import CorpusWarning
from xlner.corpora.parallel_tsv import (
    ParallelRecord,
    ParallelSentence,
    load_parallel,
    read_parallel_tsv,
    write_parallel_tsv,
)

__all__ = [
    "Corpus",
    "CorpusNotFound",
    "CorpusStatus",
    "CorpusUnavailable",
    "CorpusWarning",
    "FetchError",
    "Origin",
    "ParallelRecord",
    "ParallelSentence",
    "Translation",
    "all_corpora",
    "detect_scheme",
    "fetch",
    "find",
    "get_corpus",
    "iter_conll",
    "list_corpora",
    "load_parallel",
    "iter_bitext",
    "iter_sentences",
    "read_bitext",
    "read_conll",
    "read_parallel_tsv",
    "read_sentences",
    "register_corpus",
    "require",
    "resolve_data_dir",
    "write_bitext",
    "write_conll",
    "write_parallel_tsv",
    "write_sentences",
]
