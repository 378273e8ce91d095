"""Signatures: how a number was made, printed beside it, and how components sign themselves.

A signature has two forms. The **full form** is every setting that determines the result,
as JSON data: the preset, each component's :meth:`~Signed.signature` (the same dicts that key
the caches), the corpus, ... and xlner's version. It is stored beside the result (``xlner
run``'s manifest.json and report.json, ``xlner silver``'s summary.json, a benchmark's JSON,
under ``signature_full``) and printed by ``--signature full``.

The **short form** is one line, like sacrebleu's ``nrefs:1|case:mixed|...|version:2.0.0``::

    preset=default|corpus=sample/en-es|align=combined|project=match|hash=4e4225109a|version=0.1.0

the preset, each component by name, only the settings that differ from the preset (or no
other, without one), the hash of the full form and the version. ``hash`` is the first
:data:`SHORT_HASH` hex digits of the SHA-256 of the full form's canonical JSON (sorted keys,
no spaces: :func:`canonical`, which the cache keys hash too), so a short signature leads back
to its full form: ``xlner signature SHORT FILE...`` finds the full form with that hash in the
files that store it. Fields are ``key=value`` joined by ``|``; a ``|``, ``%`` (and in a key
an ``=``) inside one is written ``%7C``, ``%25``, ``%3D``, so that :func:`parse_signature`
splits any short form unambiguously.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import xlner
from xlner.registry import Catalogue, ComponentError, declared_options

SHORT_HASH = 10  # hex digits of the full form's hash in the short form
UNSET = "unset"  # a table of the preset's settings that the signed settings leave out
_ESCAPES = (("%", "%25"), ("|", "%7C"), ("=", "%3D"))  # "%" first: it escapes the others
_DECODED = {code: char for char, code in _ESCAPES}


def canonical(value: Any) -> str:
    """A stable JSON text: sorted keys, no spacing variance, tuples as lists."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def digest(value: Any) -> str:
    """The hex SHA-256 of ``value``'s canonical JSON."""
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


def format_value(value: Any) -> str:
    """One setting as the short form shows it: ``0.25``, ``true``, ``none``, JSON for a list."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Signature:
    """A result's settings in full (JSON data, the version included) and the fields that its
    short form shows before the hash and the version."""

    full: dict[str, Any]
    shown: dict[str, str]

    @property
    def hash(self) -> str:
        return digest(self.full)[:SHORT_HASH]

    @property
    def short(self) -> str:
        fields = {**self.shown, "hash": self.hash, "version": str(self.full["version"])}
        return "|".join(f"{_escape(k, key=True)}={_escape(v)}" for k, v in fields.items())

    def text(self, form: str = "short") -> str:
        """The short form, or (``form="full"``) the full form as indented JSON."""
        if form == "full":
            return json.dumps(self.full, indent=2, sort_keys=True, ensure_ascii=False)
        return self.short

    def stored(self) -> dict[str, Any]:
        """Both forms, as a result file stores them beside its numbers."""
        return {"signature": self.short, "signature_full": self.full}

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> Signature:
        """The signature :meth:`stored` stored."""
        shown = parse_signature(stored["signature"])
        tail = ("hash", "version")  # what the short form adds after the shown fields
        return cls(stored["signature_full"], {k: v for k, v in shown.items() if k not in tail})


def make_signature(
    settings: Mapping[str, Any],
    *,
    preset: str | None = None,
    baseline: Mapping[str, Any] | None = None,
) -> Signature:
    """The signature of ``settings`` (name -> a component's signature, a stage's settings or a
    plain value), made with ``preset``.

    The short form shows the preset, each component by name (a table with ``method``, or a
    table holding one, as a stage's settings do), each plain value, then every setting that
    differs from ``baseline`` (the same names with the preset's settings; a component other
    than the baseline's is shown by its name alone).
    """
    full = json.loads(canonical({**({"preset": preset} if preset else {}), **settings}))
    full["version"] = xlner.__version__
    shown = {"preset": preset} if preset else {}
    for name, value in settings.items():
        if (component := _component_name(value)) is not None:
            shown[name] = component
        elif not isinstance(value, Mapping | list | tuple):
            shown[name] = format_value(value)
    for name, base in (baseline or {}).items():
        if name in settings:
            shown |= _changes(name, full[name], json.loads(canonical(base)))
    return Signature(full, shown)


def preset_baseline(preset: str, components: Mapping[str, Signed] | None = None) -> dict[str, Any]:
    """What a short form compares the signed aligner (``align``) and projection method
    (``project``) with: the signatures of ``preset``'s, or, for one of ``components`` that is
    another component than the preset's, :func:`default_signature`."""
    from xlner.presets import build_preset
    from xlner.registry import registry

    built = dict(zip(("align", "project"), build_preset(preset), strict=True))
    catalogues = {"align": registry.aligners, "project": registry.projectors}
    baseline: dict[str, Any] = {}
    for name, preset_component in built.items():
        component = (components or {}).get(name)
        if component is None or component.name == preset_component.name:
            baseline[name] = preset_component.signature()
        else:
            baseline[name] = default_signature(component, catalogues[name])
    return baseline


def default_signature(component: Signed, catalogue: Catalogue[Any]) -> dict[str, Any]:
    """The signature ``component`` has with its declared defaults: the fields of the component
    built with no options (where it can be: none is required), over its own
    :meth:`Signed.default_signature` (its parts as it has them, each at its defaults), so
    that a matching score given by weights shows, but not the defaults of its parts."""
    fields = component.default_signature()
    try:
        return fields | catalogue.build(component.name).signature()
    except ComponentError:
        return fields


def stored_signatures(data: Any) -> dict[str, dict[str, Any]]:
    """short form -> full form of every signature stored in ``data`` (a result file's JSON,
    at any depth), as :meth:`Signature.stored` stores them."""
    found: dict[str, dict[str, Any]] = {}
    items: Iterable[Any]
    if isinstance(data, Mapping):
        if isinstance(data.get("signature"), str) and isinstance(data.get("signature_full"), dict):
            found[data["signature"]] = data["signature_full"]
        items = data.values()
    else:
        items = data if isinstance(data, list) else []
    for item in items:
        found |= stored_signatures(item)
    return found


def full_settings(short: str, data: Any) -> dict[str, Any] | None:
    """The full form ``short`` stands for, found in ``data`` by its hash (checked: the hash
    of the full form found is the one in ``short``); None if ``data`` holds none."""
    wanted = (parse_signature(short).get("hash") if "=" in short else short.strip()) or ""
    if not re.fullmatch("[0-9a-f]{6,64}", wanted):
        raise ValueError(f"{short!r} is not a short signature (no hash=HEX field) nor a hash")
    matches = (full for full in stored_signatures(data).values() if digest(full).startswith(wanted))
    return next(matches, None)


def parse_signature(short: str) -> dict[str, str]:
    """The fields of a short form, by key (the inverse of :attr:`Signature.short`)."""
    fields: dict[str, str] = {}
    for text in short.strip().split("|"):
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise ValueError(f"{text!r} is not a signature field (key=value)")
        fields[_unescape(key)] = _unescape(value)
    return fields


def _component_name(value: Any) -> str | None:
    """The name of the component ``value`` signs (directly, or as a stage's settings hold it)."""
    if not isinstance(value, Mapping):
        return None
    if "method" in value:
        return str(value["method"])
    inner = [v for v in value.values() if isinstance(v, Mapping) and "method" in v]
    return str(inner[0]["method"]) if len(inner) == 1 else None


def _changes(path: str, value: Any, base: Any) -> dict[str, str]:
    """``path.key`` -> value for every leaf of ``value`` that differs from ``base``."""
    if not (isinstance(value, Mapping) and isinstance(base, Mapping)):
        return {} if value == base else {path: _leaf(value)}
    if "method" in value and "method" in base and value["method"] != base["method"]:
        return {}  # another component than the preset's: shown by its name
    changed: dict[str, str] = {}
    for key in [*value, *(k for k in base if k not in value)]:
        if key in value:
            changed |= _changes(f"{path}.{key}", value[key], base.get(key, _ABSENT))
        elif isinstance(base[key], Mapping):
            # A whole table left out (a member of a combined aligner). A single field left
            # out is a part's the baseline has (a matching score's) or an option signed only
            # when set: what replaced it shows, or the hash does.
            changed[f"{path}.{key}"] = UNSET
    return changed


def _leaf(value: Any) -> str:
    return format_value(value) if not isinstance(value, Mapping) else canonical(value)


_ABSENT = object()  # a key the baseline does not have: every leaf under it is a change


def _escape(text: str, *, key: bool = False) -> str:
    for char, code in _ESCAPES if key else _ESCAPES[:2]:
        text = text.replace(char, code)
    return text


def _unescape(text: str) -> str:
    return re.sub("%(25|7C|3D)", lambda m: _DECODED[m.group(0)], text)


class Signed:
    """A component whose :meth:`signature` is generated from its declared options.

    The signature (the settings that determine the component's output; it keys the caches)
    is ``{signature_key: name}``, then every option the constructor declares, in its order,
    with the value the component keeps in the attribute of that name, then the fields of
    :meth:`derived_signature` and :meth:`parts_signature`, which replace generated ones of the
    same name. So a new option is signed without anyone restating it. A component says only
    what differs:

    * ``unsigned``: options that do not change the output (a batch size, a device, a
      temporary folder), or that the two hooks record in a form of their own;
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
        return self.signature_at(defaults=False)

    def default_signature(self) -> dict[str, Any]:
        """The signature with every option that has a declared default at that default (and
        every part at its own): what a short form compares this component with where no
        preset has it."""
        return self.signature_at(defaults=True)

    def signature_at(self, *, defaults: bool) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.signature_key is not None:
            fields[self.signature_key] = self.name
        for option, spec in declared_options(type(self)).items():
            if option in self.unsigned:
                continue
            value = spec.default if defaults and not spec.required else self._option(option)
            if option in self.signed_when_set and not value:
                continue
            fields[self.signed_field(option)] = value
        return fields | self.derived_signature() | self.parts_signature(defaults=defaults)

    def _option(self, option: str) -> Any:
        try:
            return getattr(self, option)
        except AttributeError:
            raise TypeError(
                f"{type(self).__name__} keeps no attribute {option!r} for its option of that "
                "name: keep one, or list the option in `unsigned`"
            ) from None

    def signed_field(self, option: str) -> str:
        """The signature field that holds ``option``."""
        return self.signed_as.get(option, option)

    def derived_signature(self) -> dict[str, Any]:
        """Fields computed from the options: resolved values, versions, content hashes."""
        return {}

    def parts_signature(self, *, defaults: bool) -> dict[str, Any]:
        """The signatures of the components this one is made of (each part's
        :meth:`signature_at` with ``defaults``), in this one's record."""
        return {}
