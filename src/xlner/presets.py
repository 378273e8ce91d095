"""Presets: named configurations of alignment and projection, shipped as data.

A preset is a TOML file under ``xlner/configs/presets/`` with the ``[align]`` and ``[project]``
tables of an ``xlner run`` config: the aligner and its options, the projection method and its
options. Two are shipped:

* ``default``: the best configuration measured on Europarl-NER (BENCHMARKS.md);
* ``light``: eflomal and the heuristic, no encoder, for speed over accuracy.

Every consumer reads them here, so each setting is written once: ``xlner project --preset``,
``xlner demo``, ``xlner run`` (its defaults, or ``preset = "light"`` in a config) and
``xlner benchmark europarl``. A member of a combined aligner written ``{ preset = "light" }``
is that preset's aligner (the default's eflomal is the light preset's).

Settings given beside a preset win (:func:`with_preset`): an option of the preset's aligner
or method replaces the preset's value; naming another aligner or method than the preset's
drops the preset's options for it, which belong to the component they were written for; a
``members`` table given lists the combined aligner's members.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

from xlner.config import builtin_configs, merge, read_builtin
from xlner.registry import ComponentError, registry, suggest

FOLDER = "presets"  # under xlner/configs/
DEFAULT_PRESET = "default"
# Each table of a preset and the key in it that names its component.
SECTIONS = {"align": "aligner", "project": "method"}
REFERENCE = "preset"  # a combined aligner's member ``{ preset = NAME }``: NAME's aligner
# Tables a config gives whole, replacing the preset's rather than merging into it: a combined
# aligner's members (naming one member means that member alone). A dotted override
# (``align.options.members.simalign.layer=8``) changes one setting of one member.
REPLACED = ("members",)


def preset_names() -> list[str]:
    """The shipped presets: ``default``, ``light``."""
    prefix = f"{FOLDER}/"
    names = [name.removeprefix(prefix) for name in builtin_configs() if name.startswith(prefix)]
    return sorted(names, key=lambda name: (name != DEFAULT_PRESET, name))


def load_preset(name: str) -> dict[str, dict[str, Any]]:
    """Preset ``name`` as ``{"align": {"aligner", "options"}, "project": {"method", "options"}}``.

    Member references are resolved. An unknown name is a one-line :class:`ComponentError`
    that names the choices.
    """
    return copy.deepcopy(_load(name, ()))


@cache
def _load(name: str, seen: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    names = preset_names()
    if name not in names:
        raise ComponentError(
            f"unknown preset {name!r}; choose from {', '.join(names)}{suggest(str(name), names)}"
        )
    if name in seen:
        raise ComponentError(f"preset {name!r} refers to itself through {' -> '.join(seen)}")
    table = read_builtin(f"{FOLDER}/{name}")
    preset = {}
    for section, key in SECTIONS.items():
        given = table.get(section, {})
        if not isinstance(given.get(key), str) or set(given) - {key, "options"}:
            raise ComponentError(
                f"preset {name!r}: [{section}] must hold {key} = NAME and an options table"
            )
        options = _resolve_members(given.get("options", {}), (*seen, name))
        preset[section] = {key: given[key], "options": options}
    return preset


def _resolve_members(options: Mapping[str, Any], seen: tuple[str, ...]) -> dict[str, Any]:
    """``members`` with each ``{ preset = NAME }`` replaced by NAME's aligner and options."""
    options = dict(options)
    members = options.get("members")
    if isinstance(members, Mapping):
        options["members"] = {
            member: _member(spec, seen) if REFERENCE in spec else dict(spec)
            for member, spec in members.items()
        }
    return options


def _member(spec: Mapping[str, Any], seen: tuple[str, ...]) -> dict[str, Any]:
    if set(spec) != {REFERENCE}:
        raise ComponentError(f"preset {seen[-1]!r}: a member {{ preset = ... }} holds nothing else")
    align = _load(spec[REFERENCE], seen)["align"]
    return {"aligner": align["aligner"], **align["options"]}


def preset_section(name: str, section: str, component: str | None = None) -> dict[str, Any]:
    """Preset ``name``'s ``[section]`` (``align`` or ``project``) table; or, when ``component``
    names another aligner or method than the preset's, that component with no options."""
    table = load_preset(name)[section]
    key = SECTIONS[section]
    if component is None or component == table[key]:
        return table
    return {key: component, "options": {}}


def preset_defaults(
    base: Mapping[str, Any], config: Mapping[str, Any], name: str = DEFAULT_PRESET
) -> dict[str, Any]:
    """``base`` with preset ``name``'s tables, but for a table of ``config`` that names another
    component than the preset's (``[align] aligner = "eflomal"`` under the default): that one
    takes none of the preset's settings."""
    out = copy.deepcopy(dict(base))
    for section, key in SECTIONS.items():
        given = config.get(section)
        named = given.get(key) if isinstance(given, Mapping) else None
        out[section] = merge(out.get(section, {}), preset_section(name, section, named))
    return out


def with_preset(
    base: Mapping[str, Any], config: Mapping[str, Any], name: str = DEFAULT_PRESET
) -> dict[str, Any]:
    """``config`` over :func:`preset_defaults`; a ``members`` table of ``config`` replaces the
    preset's (see :data:`REPLACED`)."""
    return merge(preset_defaults(base, config, name), config, replace=REPLACED)


def build_preset(name: str = DEFAULT_PRESET) -> tuple[Any, Any]:
    """The aligner and the projector of preset ``name``, built through the registry."""
    preset = load_preset(name)
    align, project = preset["align"], preset["project"]
    aligner = registry.aligners.build(align["aligner"], **align["options"])
    return aligner, registry.projectors.build(project["method"], **project["options"])


def describe_preset(name: str = DEFAULT_PRESET) -> str:
    """One line for help texts: ``combined {members = {...}} + match {score = ..., ...}``."""
    preset = load_preset(name)
    parts = []
    for section, key in SECTIONS.items():
        table = preset[section]
        options = f" {_inline(table['options'])}" if table["options"] else ""
        parts.append(f"{table[key]}{options}")
    return " + ".join(parts)


def _inline(value: Any) -> str:
    """A value as a TOML inline value (tables, strings, numbers and booleans)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
