"""Signatures: a compact record of how a number was made, printed beside it.

Like sacrebleu's ``nrefs:1|case:mixed|...|version:2.0.0``: every field that changes the result
appears, so anyone can reproduce it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xlner


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "none"
    if isinstance(value, Mapping):
        return ",".join(f"{k}={format_value(v)}" for k, v in sorted(value.items()))
    return str(value)


def make_signature(*parts: Mapping[str, Any]) -> str:
    """Join settings into ``key:value|key:value|...|version:X``; later parts win on clashes."""
    fields: dict[str, Any] = {}
    for part in parts:
        fields.update(part)
    fields["version"] = xlner.__version__
    return "|".join(f"{key}:{format_value(value)}" for key, value in fields.items())
