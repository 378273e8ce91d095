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

Settings given beside a preset win: an option of the preset's aligner or method replaces the
preset's value; naming another aligner or method than the preset's drops the preset's options
for it, which belong to the component they were written for; a ``members`` table given lists
the combined aligner's members. :func:`resolve` is the one resolver of these rules, for every
command (``xlner project``, ``xlner silver``), ``xlner run`` (through :func:`with_preset`) and
the benchmarks.

Two rules let every aligner run under every preset:

* the preset's projection reads the preset's aligner's named link sets (the default reads
  ``simalign`` and ``intersection`` of its combined aligner). On another aligner (or other
  members) those it does not provide are replaced (:func:`adapt_link_sets`): by the set of
  the same name after the member's prefix where it has it (``eflomal:union`` -> ``union``),
  else by its primary links; so ``--aligner eflomal`` runs the default's matching on
  eflomal's links, ``--aligner simalign`` on SimAlign's;
* the combined aligner named under a preset of another aligner, without members, has that
  aligner (with the preset's options) as its one member.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from xlner.config import apply_overrides, builtin_configs, merge, parse_override, read_builtin
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
MEMBERS = "members"  # the combined aligner's option that lists its member aligners
# The projection methods' options that read named link sets: one whose value is a link set
# (the heuristic's ``links``), and those keyed by score names, which name a link set after
# a colon (the matching's ``coverage:intersection=0.5`` weights, thresholds and options).
LINK_SET_OPTION = "links"
SCORE_OPTIONS = ("score", "thresholds", "score_options")


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


def resolve(
    preset: str = DEFAULT_PRESET,
    align: Mapping[str, Any] | None = None,
    project: Mapping[str, Any] | None = None,
    *,
    aligner_overrides: Sequence[str] = (),
) -> dict[str, dict[str, Any]]:
    """The ``[align]`` and ``[project]`` tables to build (``{"aligner"|"method", "options"}``):
    preset ``preset``'s, with the given tables on top.

    ``align`` and ``project`` are tables as a config gives them: ``aligner``/``method`` name
    the component (another than the preset's takes none of its options) and ``options`` merge
    over the preset's (a ``members`` table replaces the preset's whole).
    ``aligner_overrides`` are ``KEY=VALUE`` texts set last (:func:`override_aligner_options`).
    The preset's projection options are adapted to the aligner's link sets (module
    docstring). A bad name or option is a one-line :class:`ComponentError`.
    """
    align, project = dict(align or {}), dict(project or {})
    table = _given_over(_align_section(preset, align.get("aligner")), align, "aligner")
    table["options"] = override_aligner_options(
        table["aligner"], aligner_overrides, table["options"]
    )
    method = _given_over(_project_section(preset, project.get("method"), table), project, "method")
    return {"align": table, "project": method}


def _given_over(table: Mapping[str, Any], given: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The component and the options of ``given`` over ``table``."""
    options = given.get("options") or {}
    if not isinstance(options, Mapping):
        raise ComponentError(f"the {key}'s options must be a table, not {options!r}")
    out = merge(table, {"options": options}, replace=REPLACED)
    return {key: out[key], "options": out["options"]}


def _align_section(preset: str, aligner: str | None) -> dict[str, Any]:
    """The preset's ``[align]``, or ``aligner`` with none of its options; a combined aligner
    (one with members) there has the preset's aligner as its one member."""
    table = preset_section(preset, "align", aligner)
    own = load_preset(preset)["align"]
    if table["aligner"] != own["aligner"] and MEMBERS in registry.aligners.options(
        table["aligner"]
    ):
        table["options"] = {MEMBERS: {own["aligner"]: own["options"]}}
    return table


def _project_section(
    preset: str, method: str | None, align: Mapping[str, Any], *, strict: bool = True
) -> dict[str, Any]:
    """The preset's ``[project]`` (or ``method`` with none of its options); the preset's
    options adapted to the link sets of the aligner of ``align`` where it is not the
    preset's (an aligner that cannot be built: an error, or unless ``strict`` the options
    as they are)."""
    table = preset_section(preset, "project", method)
    own = load_preset(preset)
    if table != own["project"] or _components(align) == own["align"]:
        return table
    if not link_set_references(table["options"]):
        return table
    try:
        aligner = registry.aligners.build(align["aligner"], **align["options"])
    except ComponentError:
        if strict:
            raise
        return table  # the aligner's own error is reported where it is built
    table["options"] = adapt_link_sets(table["options"], aligner.link_set_names())
    return table


def _table(value: Any) -> bool:
    return value is None or isinstance(value, Mapping)


def _components(table: Mapping[str, Any]) -> dict[str, Any]:
    return {"aligner": table.get("aligner"), "options": table.get("options", {})}


def preset_defaults(
    base: Mapping[str, Any], config: Mapping[str, Any], name: str = DEFAULT_PRESET
) -> dict[str, Any]:
    """``base`` with preset ``name``'s tables, but for a table of ``config`` that names another
    component than the preset's (``[align] aligner = "eflomal"`` under the default): that one
    takes none of the preset's settings (see :func:`resolve` for the two rules that let it
    run under any preset)."""
    out = copy.deepcopy(dict(base))
    tables = {section: config.get(section) for section in SECTIONS}
    given = {key: table if isinstance(table, Mapping) else {} for key, table in tables.items()}
    align = _align_section(name, given["align"].get("aligner"))
    options = given["align"].get("options")
    # Options that are not a table are the stage's to refuse, naming the setting.
    final = _given_over(align, given["align"], "aligner") if _table(options) else align
    project = _project_section(name, given["project"].get("method"), final, strict=False)
    out["align"] = merge(out.get("align", {}), align)
    out["project"] = merge(out.get("project", {}), project)
    return out


def with_preset(
    base: Mapping[str, Any], config: Mapping[str, Any], name: str = DEFAULT_PRESET
) -> dict[str, Any]:
    """``config`` over :func:`preset_defaults`; a ``members`` table of ``config`` replaces the
    preset's (see :data:`REPLACED`)."""
    return merge(preset_defaults(base, config, name), config, replace=REPLACED)


def build_preset(name: str = DEFAULT_PRESET) -> tuple[Any, Any]:
    """The aligner and the projector of preset ``name``, built through the registry."""
    return build_tables(load_preset(name))


def build_tables(tables: Mapping[str, Mapping[str, Any]]) -> tuple[Any, Any]:
    """The aligner and the projector of resolved ``[align]`` and ``[project]`` tables."""
    align, project = tables["align"], tables["project"]
    aligner = registry.aligners.build(align["aligner"], **align["options"])
    return aligner, registry.projectors.build(project["method"], **project["options"])


# ---------------------------------------------------------------------------- options


def override_aligner_options(
    name: str, texts: Sequence[str], base: Mapping[str, Any], flag: str = "--aligner-option"
) -> dict[str, Any]:
    """``base`` (the options of aligner ``name`` so far) with each ``KEY=VALUE`` set.

    A dotted KEY sets one nested option (``members.simalign.layer=8``), a plain one replaces
    the option whole (``members={eflomal={}}``: only that member). For the combined aligner
    ``MEMBER.KEY`` is short for ``members.MEMBER.KEY``. Errors name ``flag``.
    """
    parsed = [_parse_option(text, flag) for text in texts]
    members = {*base.get(MEMBERS, {})}
    members |= {m for keys, v in parsed if keys == [MEMBERS] and isinstance(v, dict) for m in v}
    declared = registry.aligners.options(name)
    overrides, seen = [], set()
    for (keys, _), text in zip(parsed, texts, strict=True):
        if MEMBERS in declared and len(keys) > 1 and keys[0] in members - set(declared):
            keys = [MEMBERS, *keys]
        key = ".".join(keys)
        if key in seen:
            raise ComponentError(f"{flag} {key} is given twice")
        seen.add(key)
        overrides.append(f"{key}={text.partition('=')[2]}")
    try:
        return apply_overrides(base, overrides)
    except ValueError as error:
        raise ComponentError(f"{flag}: {error}") from None


def _parse_option(text: str, flag: str) -> tuple[list[str], Any]:
    try:
        path, value = parse_override(text)
    except ValueError:
        raise ComponentError(f"{flag} {text!r} is not KEY=VALUE (e.g. stem_length=4)") from None
    if not all(path):
        raise ComponentError(f"{flag} {text!r}: KEY is an option name or NAME.KEY")
    return path, value


def link_set_references(options: Mapping[str, Any]) -> set[str]:
    """The named link sets a projection method's ``options`` read."""
    found = {options[LINK_SET_OPTION]} if options.get(LINK_SET_OPTION) else set()
    for key in SCORE_OPTIONS:
        for score in _weights(options.get(key)):
            base, sep, link_set = score.partition(":")
            if sep:
                found.add(link_set)
    return found


def adapt_link_sets(options: Mapping[str, Any], provided: Sequence[str]) -> dict[str, Any]:
    """A projection method's ``options`` with each named link set they read that is not
    ``provided`` replaced: by the set of the same name after a member's prefix where it is
    provided (``eflomal:union`` -> ``union``), else by the primary links. Scores that then
    read the same links become one, their weights added (the larger threshold kept)."""

    def rename(link_set: str) -> str | None:
        if link_set in provided:
            return link_set
        tail = link_set.partition(":")[2]
        return tail if tail in provided else None

    def score(name: str) -> str:
        base, sep, link_set = name.partition(":")
        new = rename(link_set) if sep else None
        return f"{base}:{new}" if new else base

    out = dict(options)
    if options.get(LINK_SET_OPTION):
        out[LINK_SET_OPTION] = rename(options[LINK_SET_OPTION])
    combine: dict[str, Callable[[Any, Any], Any]] = {
        "score": lambda a, b: a + b,
        "thresholds": max,
        "score_options": lambda a, b: {**a, **b},
    }
    for key, join in combine.items():
        value = options.get(key)
        if value is None:
            continue
        renamed: dict[str, Any] = {}
        for name, item in _weights(value).items():
            new = score(name)
            renamed[new] = join(renamed[new], item) if new in renamed else item
        out[key] = _as_text(renamed) if isinstance(value, str) else renamed
    return out


def _weights(value: Any) -> dict[str, Any]:
    """Score weights (``"coverage:simalign=1,string=0.5"`` or a mapping) by score name."""
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, str):
        return {}
    from xlner.project.match.scores.fusion import parse_weights

    try:
        return parse_weights(value)
    except ValueError:
        return {}  # the method says what is wrong with it when it is built


def _as_text(weights: Mapping[str, float]) -> str:
    return ",".join(f"{name}={weight:g}" for name, weight in weights.items())


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
