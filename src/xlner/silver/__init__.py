"""Silver training data from parallel text: tag the source side, align, project, select.

The classic route to a tagger for a language without NER data: tag the English (or French)
side of a parallel corpus, project the entities onto the other side through the word
alignment, keep the sentences the projection can be trusted on, and train a tagger on them.

- :mod:`xlner.silver.bitext`: the input pairs and their provenance (files, plain or gzip; a
  Parquet file; or MAFAND-MT)
- :mod:`xlner.silver.exclude`: evaluation sentences that must never enter silver data
- :mod:`xlner.silver.select`: the selection options and the drop reasons
- :mod:`xlner.silver.job`: :func:`build_silver`, the library call behind ``xlner silver``
- :mod:`xlner.silver.writers`: the output folder (CoNLL, JSONL or Parquet, summary, exports)
- :mod:`xlner.silver.parquet`: Parquet bitext in, Parquet silver records out (pyarrow)
"""

from xlner.silver.bitext import BitextPair, Provenance, read_corpus, read_files
from xlner.silver.exclude import Exclusion
from xlner.silver.job import MASAKHANER_CLASSES, LabelMismatch, SilverResult, build_silver
from xlner.silver.select import DROP_REASONS, Selection
from xlner.silver.writers import write_silver

__all__ = [
    "DROP_REASONS",
    "MASAKHANER_CLASSES",
    "BitextPair",
    "Exclusion",
    "LabelMismatch",
    "Provenance",
    "Selection",
    "SilverResult",
    "build_silver",
    "read_corpus",
    "read_files",
    "write_silver",
]
