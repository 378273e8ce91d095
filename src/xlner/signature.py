"""Signatures: a compact record of how a number was made, printed beside it.

Like sacrebleu's ``nrefs:1|case:mixed|...|version:2.0.0``: every field that changes the result
appears, so anyone can reproduce it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import xlner
from xlner.registry import declared_options


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


class Signed:
    """A component whose :meth:`signature` is generated from its declared options.

    The signature (the settings that determine the component's output; it keys the caches)
    is ``{signature_key: name}``, then every option the constructor declares, in its order,
    with the value the component keeps in the attribute of that name, then the fields of
    :meth:`derived_signature`, which replace generated ones of the same name. So a new option
    is signed without anyone restating it. A component says only what differs:

    * ``unsigned``: options that do not change the output (a batch size, a device, a
      temporary folder), or that :meth:`derived_signature` records in a form of its own;
    * ``signed_as``: an option signed under another name (kept so that existing keys hold);
    * ``signed_when_set``: options signed only when set (not None, False, 0 or empty): those
      added after runs without them were keyed, so that those keys hold.
    """

    name: str
    signature_key: ClassVar[str | None] = "method"  # the field that names the component
    unsigned: ClassVar[frozenset[str]] = frozenset()
    signed_as: ClassVar[Mapping[str, str]] = {}
    signed_when_set: ClassVar[frozenset[str]] = frozenset()

    def signature(self) -> dict[str, Any]:
        """The settings that determine this component's output, for cache keys and signatures."""
        fields: dict[str, Any] = {}
        if self.signature_key is not None:
            fields[self.signature_key] = self.name
        for option in declared_options(type(self)):
            if option in self.unsigned:
                continue
            try:
                value = getattr(self, option)
            except AttributeError:
                raise TypeError(
                    f"{type(self).__name__} keeps no attribute {option!r} for its option of "
                    "that name: keep one, or list the option in `unsigned`"
                ) from None
            if option in self.signed_when_set and not value:
                continue
            fields[self.signed_field(option)] = value
        return fields | self.derived_signature()

    def signed_field(self, option: str) -> str:
        """The signature field that holds ``option``."""
        return self.signed_as.get(option, option)

    def derived_signature(self) -> dict[str, Any]:
        """Fields computed from the options: resolved values, versions, content hashes."""
        return {}
