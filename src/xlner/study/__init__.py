"""Controlled studies of what drives projection quality.

- :mod:`xlner.study.noise`: seeded degradation operators for alignments and source entities;
- :mod:`xlner.study.config`: the TOML configuration and the built-in default sweep;
- :mod:`xlner.study.aligners`: the natural axis (aligners of different quality, proxy AER);
- :mod:`xlner.study.sweep`: ``xlner study noise``, which writes a run directory;
- :mod:`xlner.study.summary`: curves, crossings of the reference line, retention;
- :mod:`xlner.study.report`: ``xlner report``, one self-contained HTML page.
"""

from xlner.study.noise import SentenceInput, apply_corpus, get_operator

__all__ = ["SentenceInput", "apply_corpus", "get_operator"]
