"""``xlner``: the tagger that ``xlner train tagger`` trains, as a source tagger, found by name.

``xlner train tagger`` saves its tagger in the user cache, ``$XDG_CACHE_HOME/xlner/taggers/
<name>`` (``~/.cache/xlner/taggers/xlner-conll`` by default); ``model`` is such a name or a
directory written by ``xlner train tagger -o DIR`` (any ``TokenTagger.save`` folder). A
``model`` with a ``/`` in it, or starting with ``~`` or ``.``, is a directory; anything else is
a name.

The pivot languages a tagger may read are the languages of its training data, recorded in
its metadata (``languages``: ``["en"]`` for CoNLL-2003). Its encoder (multilingual e5-small
by default) also reads other languages, so a French pivot works too, untrained (zero-shot,
the way model transfer tags any language): ``zero_shot = true`` allows a pivot outside
``languages``; without it such a pivot is an error. A tagger saved without ``languages``
(before xlner recorded them) is checked for no language.

Its signature names the model and a hash of the files it was loaded from (weights, config,
tokenizer, metadata), so a retrained tagger of the same name keys new cache entries.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from xlner.languages import iso3
from xlner.paths import user_cache
from xlner.registry import ComponentError
from xlner.tagging.base import LabelMap, SourceTagger, check_label_map, register_tagger, rename
from xlner.tagging.tagger import META_FILE, read_meta
from xlner.types import Span, Tokens

DEFAULT_NAME = "xlner-conll"
# ``xlner train tagger`` trains on CoNLL-2003, which is English.
TRAINING_LANGUAGES = ("en",)
TRAIN_COMMAND = "xlner train tagger"


def taggers_dir() -> Path:
    """Where named taggers live: ``$XDG_CACHE_HOME/xlner/taggers``."""
    return user_cache("taggers")


def is_path(model: str | Path) -> bool:
    """True when ``model`` names a directory rather than a tagger of the taggers directory."""
    text = str(model)
    return isinstance(model, Path) or "/" in text or text.startswith(("~", "."))


def check_name(name: str) -> str:
    """``name`` if it can name a tagger (a plain folder name), else a one-line error."""
    if not name or is_path(name) or name.strip() != name or "\\" in name:
        raise ComponentError(
            f"tagger name {name!r} is not a plain name (letters, digits, '-', '_'); "
            "give a directory with -o instead"
        )
    return name


def tagger_dir(name: str) -> Path:
    """The directory of the tagger called ``name``, whether it exists or not."""
    return taggers_dir() / check_name(name)


def trained_taggers() -> list[str]:
    """The names of the taggers in the taggers directory."""
    folder = taggers_dir()
    if not folder.is_dir():
        return []
    return sorted(path.name for path in folder.iterdir() if (path / META_FILE).is_file())


def locate(model: str | Path) -> Path:
    """The directory of tagger ``model`` (a name or a directory); one-line errors that say
    which taggers exist and how to train the missing one."""
    if is_path(model):
        path = Path(model).expanduser()
        if not (path / META_FILE).is_file():
            problem = "does not exist" if not path.exists() else f"has no {META_FILE}"
            raise ComponentError(
                f"{path} is not an xlner tagger ({problem}); give a directory written by "
                f"`{TRAIN_COMMAND} -o DIR` or a tagger name: {_names()}"
            )
        return path
    path = tagger_dir(str(model))
    if not (path / META_FILE).is_file():
        hint = f" (for the directory ./{model}, write ./{model})" if Path(model).is_dir() else ""
        raise ComponentError(
            f"no tagger named {model!r} in {taggers_dir()}{hint}; train it with "
            f"`{TRAIN_COMMAND} --name {model}`, or choose from: {_names()}"
        )
    return path


def _names() -> str:
    return ", ".join(trained_taggers()) or "none trained yet"


def content_hash(path: Path) -> str:
    """SHA-256 (16 hex digits) over the names and bytes of the files of a saved tagger.

    Only the files directly in ``path``: a training directory's checkpoints are not the tagger.
    Each version of a tagger's files is read once in a process (a benchmark builds the same
    tagger for every language and variant: hundreds of MB each time); a file written again,
    which xlner does by replacing it, has another inode and modification time.
    """
    files = sorted(p for p in path.iterdir() if p.is_file())
    return _files_hash(path.resolve(), tuple((file.name, *_stamp(file)) for file in files))


def _stamp(file: Path) -> tuple[int, int, int, int]:
    stat = file.stat()
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=32)
def _files_hash(folder: Path, files: tuple[tuple[str, int, int, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, *_ in files:
        digest.update(name.encode() + b"\0")
        with open(folder / name, "rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:16]


def check_language(model: str, languages: list[str], lang: str, zero_shot: bool) -> None:
    """Refuse a pivot ``lang`` outside the tagger's training ``languages`` unless zero-shot."""
    if not languages or zero_shot or iso3(lang) in {iso3(code) for code in languages}:
        return
    trained = ", ".join(languages)
    raise ComponentError(
        f"tagger {model!r} was trained for {trained}, not for pivot language {lang!r}; use a "
        f"pivot it was trained for ({trained}), or set zero_shot = true to tag {lang} with its "
        "multilingual encoder untrained for it"
    )


@register_tagger("xlner")
class XlnerTagger(SourceTagger):
    """A tagger trained by xlner, by name (``xlner-conll``) or directory, for pivot ``lang``.

    The directory and the language are checked when the tagger is built; the weights load on
    the first sentences to tag.
    """

    name = "xlner"
    # The language and zero_shot are checks; the model is signed by name and content.
    unsigned = frozenset({"lang", "zero_shot", "batch_size", "device"})
    # Only when set, so that the signatures (and caches) of plain runs stay as they were.
    signed_when_set = frozenset({"label_map"})
    pivot_option = "lang"

    def __init__(
        self,
        model: str | Path = DEFAULT_NAME,
        *,
        lang: str = "en",
        zero_shot: bool = False,
        batch_size: int = 32,
        device: str | None = None,
        precision: str = "auto",
        label_map: LabelMap | None = None,
    ) -> None:
        from xlner.encoders.base import check_precision
        from xlner.tagging.tagger import INFERENCE_PRECISIONS

        self.precision = check_precision(precision, INFERENCE_PRECISIONS)
        self.label_map = check_label_map(label_map)
        self.path = locate(model)
        self.model = Path(model).name if is_path(model) else str(model)
        meta = read_meta(self.path)
        self.languages = list(meta.get("languages", []))
        check_language(self.model, self.languages, lang, zero_shot)
        self.lang = lang
        self.batch_size = batch_size
        self.device = device
        self._content: str | None = None
        self._tagger: Any = None

    def derived_signature(self) -> dict[str, Any]:
        from xlner.encoders.base import resolve_precision

        if self._content is None:
            self._content = content_hash(self.path)
        return {
            "content": self._content,
            "precision": resolve_precision(self.precision, self.device),
        }

    @property
    def tagger(self) -> Any:
        if self._tagger is None:
            from xlner.tagging.tagger import TokenTagger

            self._tagger = TokenTagger.load(self.path, device=self.device, precision=self.precision)
        return self._tagger

    def tag(self, sentences: list[Tokens]) -> list[list[Span]]:
        return rename(
            self.tagger.predict_spans(sentences, batch_size=self.batch_size), self.label_map
        )
