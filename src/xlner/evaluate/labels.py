"""The built-in label maps, registered by name (``xlner evaluate --label-map drop-date``).

A label map renames classes before scoring; a class mapped to ``None`` is dropped from gold
and prediction alike, for corpora whose annotation lacks a class the other side has (the
source tagger has no DATE, MasakhaNER has no MISC).
"""

from __future__ import annotations

from xlner.registry import registry

registry.label_maps.register("none", {})
registry.label_maps.register("drop-date", {"DATE": None})
registry.label_maps.register("drop-misc", {"MISC": None})
registry.label_maps.register("drop-date-misc", {"DATE": None, "MISC": None})
