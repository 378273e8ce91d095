"""The libraries' own output where xlner loads, converts or saves a model: off, or at INFO.

xlner reports its long steps itself (what, how far, how fast, how long yet). transformers
adds, when a model loads or is saved, a "LOAD REPORT" table (a tagger built on an encoder has
a new classifier head, whose weights are missing from the encoder's checkpoint: expected) and
"Loading weights" and "Writing model shards" progress bars; huggingface_hub and datasets add
download and dataset progress bars. The code that loads, converts or saves a model calls
:func:`quiet_transformers` first (and :func:`quiet_datasets` before a dataset is read), which
turns these off: errors still show, as exceptions.

When xlner's own logger shows INFO records (``xlner -v``, or a program that configured
``logging`` so), the libraries' output is shown instead, their logs at INFO too.
"""

from __future__ import annotations

import logging


def verbose() -> bool:
    """Whether xlner shows its INFO records: then the libraries speak too."""
    return logging.getLogger("xlner").isEnabledFor(logging.INFO)


def quiet_transformers() -> None:
    """transformers' logs (its LOAD REPORT is a warning) and its and huggingface_hub's
    progress bars: off, or at INFO and on when :func:`verbose`."""
    from transformers.utils import logging as transformers_logging

    if verbose():
        transformers_logging.set_verbosity_info()
        transformers_logging.enable_progress_bar()  # huggingface_hub's bars too
    else:
        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()


def quiet_datasets() -> None:
    """datasets' logs and progress bars (downloads, preparing a split): as transformers'."""
    import datasets

    if verbose():
        datasets.logging.set_verbosity_info()
        datasets.enable_progress_bars()
    else:
        datasets.logging.set_verbosity_error()
        datasets.disable_progress_bars()
