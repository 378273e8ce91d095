"""One configuration system: defaults, then a TOML file, then ``key=value`` overrides.

Every configured command of xlner reads its settings this way: ``xlner run`` (the pipeline's
defaults with a preset's aligner and projection (:mod:`xlner.presets`), the run's TOML file,
the overrides on the command line), the benchmarks (the pipeline's
defaults and a named built-in config, e.g. ``translate-test/masakhaner-lug``) and
``xlner study noise`` (the built-in default sweep, ``study/noise``, and the user's file).

The built-in configs are TOML files shipped inside the package (``xlner/configs/``, also reached
as ``configs/`` at the top of a checkout); :func:`builtin_config` finds one by name.

An override names a key that the defaults have: ``project.mode=back``. An unknown key is a
one-line error that suggests the nearest valid one. Free-form tables (``options``: a
component's options, which the registry checks when it builds the component) accept any key.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Collection, Iterator, Mapping, Sequence
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from xlner.registry import suggest

# Tables whose keys are not known in advance: a backend's options, checked by the registry.
FREE_TABLES = ("options",)


# ---------------------------------------------------------------------------- merging


def merge(
    base: Mapping[str, Any], extra: Mapping[str, Any], *, replace: Collection[str] = ()
) -> dict[str, Any]:
    """Deep merge: tables merge key by key, any other value replaces.

    A table named in ``replace`` is replaced whole (the study's ``methods``: listing two
    methods means "these two", not "these too"). Neither input is modified.
    """
    out = copy.deepcopy(dict(base))
    for key, value in extra.items():
        if key not in replace and isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value, replace=replace)
        else:
            out[key] = copy.deepcopy(value)
    return out


# ---------------------------------------------------------------------------- overrides


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"a.b=value"`` -> (["a", "b"], value); the value is read as TOML, else as a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"override {text!r} is not key=value (e.g. project.mode=back)")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return [part.strip() for part in key.split(".")], value


def parse_options(flag: str, texts: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` texts (VALUE read as TOML, else as text) as options; a malformed one or
    a key given twice is a one-line ValueError naming ``flag``."""
    options: dict[str, Any] = {}
    for text in texts:
        try:
            keys, value = parse_override(text)
        except ValueError:
            raise ValueError(f"{flag} {text!r} is not KEY=VALUE") from None
        if len(keys) != 1 or not keys[0]:
            raise ValueError(f"{flag} {text!r}: KEY is one option name")
        if keys[0] in options:
            raise ValueError(f"{flag} {keys[0]} is given twice")
        options[keys[0]] = value
    return options


def apply_overrides(
    config: Mapping[str, Any],
    overrides: Sequence[str],
    valid: Mapping[str, Any] | None = None,
    *,
    free: Collection[str] = FREE_TABLES,
) -> dict[str, Any]:
    """``config`` with each ``key=value`` of ``overrides`` set.

    With ``valid`` (a defaults table), a key must be one of its keys or lie inside one of its
    ``free`` tables; otherwise ValueError: ``unknown setting 'project.mod'; did you mean
    'project.mode'?``.
    """
    out = copy.deepcopy(dict(config))
    for text in overrides:
        keys, value = parse_override(text)
        if valid is not None:
            check_key(keys, valid, free, text)
        table = out
        for key in keys[:-1]:
            table = table.setdefault(key, {})
            if not isinstance(table, dict):
                raise ValueError(f"override {text!r}: {key} is not a table")
        table[keys[-1]] = value
    return out


def check_key(
    keys: Sequence[str], valid: Mapping[str, Any], free: Collection[str], text: str
) -> None:
    """Raise a one-line ValueError unless the dotted key ``keys`` is a setting of ``valid``."""
    # Inside a free table only the path up to that table is checked.
    inner = [i for i, key in enumerate(keys[:-1]) if key in free]
    name = ".".join(keys[: inner[0] + 1] if inner else keys)
    known = list(dotted_keys(valid))
    if name not in known:
        raise ValueError(f"override {text!r}: unknown setting {name!r}{suggest(name, known)}")


def check_types(
    config: Mapping[str, Any],
    defaults: Mapping[str, Any],
    free: Collection[str] = FREE_TABLES,
    prefix: str = "",
) -> None:
    """Raise a one-line ValueError for the first setting of ``config`` whose value is not of
    its default's kind (true/false, a whole number, a number, text, a list, a table): a
    misspelt ``true`` would otherwise read as text, which Python takes as true. Free tables,
    keys the defaults lack and settings whose default is unset are not checked."""
    for key, value in config.items():
        if key not in defaults or key in free:
            continue
        default, name = defaults[key], f"{prefix}{key}"
        if isinstance(default, Mapping) and isinstance(value, Mapping):
            check_types(value, default, free, f"{name}.")
        elif (kind := _kind(default)) is not None and not _is_kind(value, default):
            raise ValueError(f"{name} must be {kind}, not {value!r}")


# A setting's kind by its default's type, as the messages name it (bool before int: a bool is
# an int to Python).
_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "true or false"),
    (int, "a whole number"),
    (float, "a number"),
    (str, "text"),
    (list, "a list"),
    (Mapping, "a table"),
)


def _kind(default: Any) -> str | None:
    return next((name for kind, name in _KINDS if isinstance(default, kind)), None)


def _is_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return next(isinstance(value, kind) for kind, _ in _KINDS if isinstance(default, kind))


def dotted_keys(table: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Every key of a nested table, tables included: ``project``, ``project.mode`` ..."""
    for key, value in table.items():
        name = f"{prefix}{key}"
        yield name
        if isinstance(value, Mapping):
            yield from dotted_keys(value, f"{name}.")


# ---------------------------------------------------------------------------- loading


def read_toml(path: str | Path | Traversable) -> dict[str, Any]:
    """A TOML file as a dict; a syntax error is a one-line ValueError naming file and line."""
    try:
        with path.open("rb") if isinstance(path, Traversable) else open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: {error}") from None
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None


def load_config(
    path: str | Path | Traversable | None,
    overrides: Sequence[str] = (),
    defaults: Mapping[str, Any] | None = None,
    *,
    replace: Collection[str] = (),
    free: Collection[str] = FREE_TABLES,
) -> dict[str, Any]:
    """``defaults``, then the TOML file at ``path`` (if any), then the ``key=value`` overrides.

    Override keys are checked against ``defaults`` (see :func:`apply_overrides`); ``replace``
    names tables the file replaces whole instead of merging (see :func:`merge`).
    """
    config = copy.deepcopy(dict(defaults or {}))
    if path is not None:
        config = merge(config, read_toml(path), replace=replace)
    return apply_overrides(config, overrides, defaults, free=free)


# ---------------------------------------------------------------------------- built-in configs


def builtin_configs() -> list[str]:
    """The names of the shipped configs: ``benchmarks/europarl``, ``study/noise`` ..."""
    root = resources.files("xlner") / "configs"
    return sorted(_names(root, ""))


def _names(folder: Traversable, prefix: str) -> Iterator[str]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _names(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".toml"):
            yield f"{prefix}{entry.name.removesuffix('.toml')}"


def builtin_config(name: str) -> Traversable:
    """The shipped config ``name`` (``"benchmarks/europarl"``; ``.toml`` may be given).

    Found inside the installed package, so it works after ``pip install`` as in a checkout.
    """
    name = name.removesuffix(".toml")
    path = (resources.files("xlner") / "configs").joinpath(*f"{name}.toml".split("/"))
    if not path.is_file():
        choices = builtin_configs()
        raise ValueError(
            f"no built-in config {name!r}; choose from {', '.join(choices)}{suggest(name, choices)}"
        )
    return path


def read_builtin(name: str) -> dict[str, Any]:
    """The shipped config ``name``, read."""
    return read_toml(builtin_config(name))
