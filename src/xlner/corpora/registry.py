"""Named corpora, found in a data directory and fetched from their public origin.

The data directory is, in order of precedence: the ``data_dir`` argument, the ``XLNER_DATA``
environment variable, the user cache ``$XDG_CACHE_HOME/xlner/data`` (``~/.cache/xlner/data``
when ``XDG_CACHE_HOME`` is unset). Corpora are never bundled with xlner: several are licensed
for research or non-commercial use only, so each user fetches them from where they are
published, at a fixed commit.
"""

from __future__ import annotations

import http.client
import os
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from xlner.corpora.bitext import read_bitext, read_raw_lines
from xlner.corpora.conll import read_conll
from xlner.corpora.parallel_tsv import (
    ParallelRecord,
    ParallelSentence,
    join_with_ner,
    match_sentences,
    read_parallel_tsv,
    write_parallel_tsv,
)
from xlner.io import atomic_write
from xlner.types import TaggedSentence, Tokens

ENV_VAR = "XLNER_DATA"
_EXPLICIT = "given explicitly"
Opener = Callable[[str], AbstractContextManager[IO[bytes]]]
UrlBuilder = Callable[["Origin", str], str]
Progress = bool | Callable[[str], None]


class CorpusNotFound(FileNotFoundError):
    """A corpus file is missing; the message says where it was looked for and how to get it."""

    def __init__(self, corpus: Corpus, missing: Path, data_dir: Path, chosen_by: str) -> None:
        self.corpus = corpus
        self.missing = missing
        self.data_dir = data_dir
        super().__init__(_not_found_message(corpus, missing, data_dir, chosen_by))


class FetchError(RuntimeError):
    """A download failed or returned something that is not the expected text file."""


@dataclass(frozen=True)
class Origin:
    """Where a corpus is published: a GitHub repository at a commit, and its folder there."""

    repo: str
    commit: str  # full SHA where known; GitHub also resolves the abbreviated ones
    path: str = ""

    def describe(self) -> str:
        return f"https://github.com/{self.repo} @ {self.commit[:8]}, {self.path or '/'}"


def github_raw_url(origin: Origin, path: str) -> str:
    """The raw.githubusercontent.com URL of ``path`` inside the repository of ``origin``."""
    quoted = urllib.parse.quote(path)
    return f"https://raw.githubusercontent.com/{origin.repo}/{origin.commit}/{quoted}"


# ---------------------------------------------------------------------------- data directory


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The data directory to use: argument, else ``$XLNER_DATA``, else the user cache."""
    return _locate(data_dir)[0]


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/xlner/data``, or ``~/.cache/xlner/data``."""
    cache = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    base = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
    return base / "xlner" / "data"


def _locate(data_dir: str | Path | None) -> tuple[Path, str]:
    """The data directory and, for error messages, what chose it."""
    if data_dir is not None:
        return Path(data_dir).expanduser(), _EXPLICIT
    from_env = os.environ.get(ENV_VAR, "")
    if from_env:
        return Path(from_env).expanduser(), f"from ${ENV_VAR}"
    return user_cache_dir(), f"the user cache; set ${ENV_VAR} to use another directory"


# ---------------------------------------------------------------------------- corpora


@dataclass(frozen=True)
class Corpus:
    """A named corpus: where its files lie in a data directory and where they come from.

    Subclasses add ``path(...)`` and ``load(...)`` with the parameters of their corpus
    (language, split, pair). ``files()`` lists every file relative to the data directory.
    """

    name: str
    title: str
    folder: str
    licence: str
    citation: str
    origin: Origin | None = None
    derived_from: tuple[str, ...] = ()

    def files(self) -> list[str]:
        raise NotImplementedError

    def origin_path(self, relpath: str) -> str:
        """The path in the origin repository of a file given relative to the data dir."""
        if self.origin is None:
            raise ValueError(f"{self.name} is derived data and has no origin repository")
        inner = relpath.removeprefix(self.folder + "/")
        return f"{self.origin.path}/{inner}" if self.origin.path else inner

    def missing_files(self, data_dir: str | Path | None = None) -> list[str]:
        root = resolve_data_dir(data_dir)
        return [rel for rel in self.files() if not (root / rel).is_file()]

    def is_present(self, data_dir: str | Path | None = None) -> bool:
        """True when every file of the corpus is in the data directory."""
        return not self.missing_files(data_dir)

    def describe_origin(self) -> str:
        if self.origin is not None:
            return self.origin.describe()
        return "derived from " + " and ".join(self.derived_from)

    def _file(self, relpath: str, data_dir: str | Path | None, must_exist: bool) -> Path:
        root, chosen_by = _locate(data_dir)
        path = root / relpath
        if must_exist and not path.is_file():
            raise CorpusNotFound(self, path, root, chosen_by)
        return path


def _choose(value: str, allowed: tuple[str, ...] | list[str], what: str, corpus: str) -> str:
    if value not in allowed:
        raise ValueError(
            f"{corpus}: unknown {what} {value!r}; expected one of {', '.join(allowed)}"
        )
    return value


@dataclass(frozen=True)
class TaggedCorpus(Corpus):
    """A token-per-line NER corpus whose files are addressed by one or two keys."""

    def _read(self, path: Path, repair: bool) -> list[TaggedSentence]:
        return read_conll(path, "iob2", repair=repair)


EUROPARL_LANGUAGES = ("en", "de", "es", "it")


@dataclass(frozen=True)
class EuroparlNer(TaggedCorpus):
    languages: tuple[str, ...] = EUROPARL_LANGUAGES

    def relpath(self, lang: str) -> str:
        lang = _choose(lang, self.languages, "language", self.name)
        return f"{self.folder}/{lang}-europarl.test.conll02"

    def files(self) -> list[str]:
        return [self.relpath(lang) for lang in self.languages]

    def path(
        self, lang: str, *, data_dir: str | Path | None = None, must_exist: bool = True
    ) -> Path:
        return self._file(self.relpath(lang), data_dir, must_exist)

    def load(
        self, lang: str, *, data_dir: str | Path | None = None, repair: bool = True
    ) -> list[TaggedSentence]:
        """The 799 test sentences in ``lang``; sentence *i* is parallel across languages."""
        return self._read(self.path(lang, data_dir=data_dir), repair)


@dataclass(frozen=True)
class Conll2003(TaggedCorpus):
    splits: tuple[str, ...] = ("train", "valid", "test")

    def relpath(self, split: str) -> str:
        split = "valid" if split == "dev" else split  # the usual name elsewhere
        return f"{self.folder}/{_choose(split, self.splits, 'split', self.name)}.txt"

    def files(self) -> list[str]:
        return [self.relpath(split) for split in self.splits]

    def path(
        self, split: str, *, data_dir: str | Path | None = None, must_exist: bool = True
    ) -> Path:
        return self._file(self.relpath(split), data_dir, must_exist)

    def load(
        self, split: str, *, data_dir: str | Path | None = None, repair: bool = True
    ) -> list[TaggedSentence]:
        return self._read(self.path(split, data_dir=data_dir), repair)


MASAKHANER2_LANGUAGES = (
    "bam", "bbj", "ewe", "fon", "hau", "ibo", "kin", "lug", "luo", "mos",
    "nya", "pcm", "sna", "swa", "tsn", "twi", "wol", "xho", "yor", "zul",
)  # fmt: skip
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class MasakhaNER2(TaggedCorpus):
    languages: tuple[str, ...] = MASAKHANER2_LANGUAGES
    splits: tuple[str, ...] = SPLITS

    def relpath(self, lang: str, split: str) -> str:
        lang = _choose(lang, self.languages, "language", self.name)
        return f"{self.folder}/{lang}/{_choose(split, self.splits, 'split', self.name)}.txt"

    def files(self) -> list[str]:
        return [self.relpath(lang, split) for lang in self.languages for split in self.splits]

    def path(
        self,
        lang: str,
        split: str,
        *,
        data_dir: str | Path | None = None,
        must_exist: bool = True,
    ) -> Path:
        return self._file(self.relpath(lang, split), data_dir, must_exist)

    def load(
        self, lang: str, split: str, *, data_dir: str | Path | None = None, repair: bool = True
    ) -> list[TaggedSentence]:
        return self._read(self.path(lang, split, data_dir=data_dir), repair)


# Splits published for each MAFAND-MT pair (five pairs have no training split).
MAFAND_PAIRS: dict[str, tuple[str, ...]] = {
    **{f"en-{lang}": SPLITS for lang in ("hau", "ibo", "lug", "luo", "pcm", "swa", "tsn")},
    **{f"en-{lang}": SPLITS for lang in ("twi", "yor", "zul")},
    **{f"en-{lang}": ("dev", "test") for lang in ("amh", "kin", "nya", "sna", "xho")},
    **{f"fr-{lang}": SPLITS for lang in ("bam", "bbj", "ewe", "fon", "mos", "wol")},
}
# The upstream folder of en-luo is spelled with an underscore, unlike every other pair.
_MAFAND_FOLDERS = {"en-luo": "en_luo"}


@dataclass(frozen=True)
class MafandMT(Corpus):
    pairs: tuple[str, ...] = tuple(sorted(MAFAND_PAIRS))

    def relpath(self, pair: str, split: str, lang: str) -> str:
        pair = _choose(pair.replace("_", "-"), self.pairs, "pair", self.name)
        split = _choose(split, MAFAND_PAIRS[pair], f"split of {pair}", self.name)
        lang = _choose(lang, pair.split("-"), f"language of {pair}", self.name)
        return f"{self.folder}/{_MAFAND_FOLDERS.get(pair, pair)}/{split}.{lang}"

    def files(self) -> list[str]:
        return [
            self.relpath(pair, split, lang)
            for pair in self.pairs
            for split in MAFAND_PAIRS[pair]
            for lang in pair.split("-")
        ]

    def path(
        self,
        pair: str,
        split: str,
        lang: str,
        *,
        data_dir: str | Path | None = None,
        must_exist: bool = True,
    ) -> Path:
        return self._file(self.relpath(pair, split, lang), data_dir, must_exist)

    def lines(
        self, pair: str, split: str, lang: str, *, data_dir: str | Path | None = None
    ) -> list[str]:
        """The untokenised sentences of one side of a pair, one per line."""
        return read_raw_lines(self.path(pair, split, lang, data_dir=data_dir))

    def load(
        self, pair: str, split: str, *, data_dir: str | Path | None = None
    ) -> list[tuple[Tokens, Tokens]]:
        """``(source, target)`` token pairs, split on whitespace (punctuation stays attached)."""
        source, target = pair.replace("_", "-").split("-")
        return read_bitext(
            self.path(pair, split, source, data_dir=data_dir),
            self.path(pair, split, target, data_dir=data_dir),
        )


PARALLEL_LANGUAGES = ("lug", "tsn", "twi", "ewe", "wol")


@dataclass(frozen=True)
class MasakhaNER2Parallel(Corpus):
    languages: tuple[str, ...] = PARALLEL_LANGUAGES
    splits: tuple[str, ...] = SPLITS

    def relpath(self, lang: str, split: str) -> str:
        lang = _choose(lang, self.languages, "language", self.name)
        return f"{self.folder}/{lang}.{_choose(split, self.splits, 'split', self.name)}.tsv"

    def files(self) -> list[str]:
        return [self.relpath(lang, split) for lang in self.languages for split in self.splits]

    def path(
        self,
        lang: str,
        split: str,
        *,
        data_dir: str | Path | None = None,
        must_exist: bool = True,
    ) -> Path:
        return self._file(self.relpath(lang, split), data_dir, must_exist)

    def records(
        self, lang: str, split: str, *, data_dir: str | Path | None = None
    ) -> list[ParallelRecord]:
        return read_parallel_tsv(self.path(lang, split, data_dir=data_dir))

    def load(
        self,
        lang: str,
        split: str,
        *,
        data_dir: str | Path | None = None,
        matched_only: bool = True,
    ) -> list[ParallelSentence]:
        """NER sentences of ``lang`` with their English/French translation.

        Needs ``masakhaner2`` in the same data directory, which holds the NER annotation.
        """
        tsv = self.path(lang, split, data_dir=data_dir)
        sentences = MASAKHANER2.load(lang, split, data_dir=data_dir)
        records = read_parallel_tsv(tsv)
        return join_with_ner(records, sentences, tsv_path=tsv, matched_only=matched_only)


EUROPARL_NER = EuroparlNer(
    name="europarl-ner",
    title="Europarl-NER: 799 sentence-parallel test sentences in en, de, es, it",
    folder="europarl-ner",
    licence='Europarl terms ("no known copyright restrictions")',
    citation=(
        "Rodrigo Agerri, Yiling Chung, Itziar Aldabe, Nora Aranberri, Gorka Labaka and German "
        "Rigau (2018). Building Named Entity Recognition Taggers via Parallel Corpora. LREC 2018."
    ),
    origin=Origin(
        "ixa-ehu/ner-evaluation-corpus-europarl", "40e84e215a35c7e46c1b169ad88ab55108a8b0de", ""
    ),
)
CONLL2003 = Conll2003(
    name="conll2003",
    title="CoNLL-2003 English NER (train, valid, test)",
    folder="conll2003",
    licence="Reuters RCV1 text: research use only",
    citation=(
        "Erik F. Tjong Kim Sang and Fien De Meulder (2003). Introduction to the CoNLL-2003 "
        "Shared Task: Language-Independent Named Entity Recognition. CoNLL 2003."
    ),
    origin=Origin("Hironsan/anago", "0ffb4004", "data/conll2003/en/raw"),
)
MASAKHANER2 = MasakhaNER2(
    name="masakhaner2",
    title="MasakhaNER 2.0: NER for 20 African languages",
    folder="masakhaner2",
    licence="CC BY-NC 4.0",
    citation=(
        "David Ifeoluwa Adelani et al. (2022). MasakhaNER 2.0: Africa-centric Transfer "
        "Learning for Named Entity Recognition. EMNLP 2022."
    ),
    origin=Origin("masakhane-io/masakhane-ner", "ba5843cd", "MasakhaNER2.0/data"),
)
MAFAND_MT = MafandMT(
    name="mafand-mt",
    title="MAFAND-MT: English/French news translated into 21 African languages",
    folder="mafand-mt/text_files",
    licence="CC BY-NC 4.0",
    citation=(
        "David Ifeoluwa Adelani et al. (2022). A Few Thousand Translations Go a Long Way! "
        "Leveraging Pre-trained Models for African News Translation. NAACL 2022."
    ),
    origin=Origin("masakhane-io/lafand-mt", "d441f8b0", "data/text_files"),
)
MASAKHANER2_PARALLEL = MasakhaNER2Parallel(
    name="masakhaner2-parallel",
    title="MasakhaNER 2.0 sentences with their human MAFAND-MT translation (lug tsn twi ewe wol)",
    folder="masakhaner2-parallel",
    licence="CC BY-NC 4.0",
    citation=f"{MASAKHANER2.citation} {MAFAND_MT.citation}",
    derived_from=("masakhaner2", "mafand-mt"),
)
CORPORA: dict[str, Corpus] = {
    corpus.name: corpus
    for corpus in (EUROPARL_NER, CONLL2003, MASAKHANER2, MAFAND_MT, MASAKHANER2_PARALLEL)
}


def get_corpus(name: str) -> Corpus:
    """The corpus called ``name``; ValueError listing the known names otherwise."""
    try:
        return CORPORA[name]
    except KeyError:
        raise ValueError(f"unknown corpus {name!r}; known: {', '.join(CORPORA)}") from None


def find(name: str, data_dir: str | Path | None = None) -> Path | None:
    """The data directory when corpus ``name`` is complete in it, else None."""
    root = resolve_data_dir(data_dir)
    return root if get_corpus(name).is_present(root) else None


def require(name: str, data_dir: str | Path | None = None) -> Path:
    """The data directory holding all of corpus ``name``; CorpusNotFound when incomplete.

    Paths inside it follow ``Corpus.files()``, e.g. ``root / "conll2003" / "test.txt"``.
    """
    corpus = get_corpus(name)
    root, chosen_by = _locate(data_dir)
    missing = corpus.missing_files(root)
    if missing:
        raise CorpusNotFound(corpus, root / missing[0], root, chosen_by)
    return root


@dataclass(frozen=True)
class CorpusStatus:
    """One row of ``xlner data list``."""

    name: str
    present: bool
    path: Path
    origin: str
    licence: str
    files_present: int
    files_total: int


def list_corpora(data_dir: str | Path | None = None) -> list[CorpusStatus]:
    """Every known corpus with whether all its files are in the data directory."""
    root = resolve_data_dir(data_dir)
    rows = []
    for corpus in CORPORA.values():
        total = len(corpus.files())
        missing = len(corpus.missing_files(root))
        rows.append(
            CorpusStatus(
                corpus.name,
                missing == 0,
                root / corpus.folder,
                corpus.describe_origin(),
                corpus.licence,
                total - missing,
                total,
            )
        )
    return rows


def _not_found_message(corpus: Corpus, missing: Path, data_dir: Path, chosen_by: str) -> str:
    lines = [
        f"corpus {corpus.name!r} not found: {missing} does not exist "
        f"(data directory {data_dir}, {chosen_by}).",
    ]
    if corpus.origin is not None:
        lines.append(f"It comes from {corpus.origin.describe()} (licence: {corpus.licence}).")
    else:
        sources = " and ".join(corpus.derived_from)
        lines.append(
            f"It is derived from {sources}; the fetch command builds it from them "
            "(fetch those first if they are missing)."
        )
    option = f" --data-dir {data_dir}" if chosen_by == _EXPLICIT else ""
    lines.append(f"Get it with: xlner data fetch {corpus.name}{option}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- fetching


def _default_opener(url: str) -> AbstractContextManager[IO[bytes]]:
    return urllib.request.urlopen(url, timeout=60)


def download(url: str, dest: str | Path, *, opener: Opener | None = None) -> int:
    """Download a UTF-8 text file to ``dest`` atomically; return its size in bytes.

    The whole body is read and checked (length against ``Content-Length``, UTF-8) before
    anything is written, and it is written through a temporary file renamed into place, so
    a failed or cut-off download never leaves a partial file.
    """
    try:
        with (opener or _default_opener)(url) as response:
            data = response.read()
            expected = _content_length(response)
    except (OSError, http.client.HTTPException) as exc:
        # URLError and HTTPError are OSErrors; IncompleteRead (a cut connection) is not.
        raise FetchError(f"could not download {url}: {exc}") from exc
    if expected is not None and len(data) != expected:
        raise FetchError(f"{url}: got {len(data)} bytes, the server announced {expected}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FetchError(f"{url}: not a UTF-8 text file (byte {exc.start})") from None
    with atomic_write(dest) as out:
        out.write(text)
    return len(data)


def _content_length(response: Any) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    return int(value) if value is not None and str(value).isdigit() else None


def fetch(
    name: str,
    dest_dir: str | Path | None = None,
    *,
    progress: Progress = True,
    overwrite: bool = False,
    opener: Opener | None = None,
    url_for: UrlBuilder = github_raw_url,
) -> list[Path]:
    """Download corpus ``name`` into ``dest_dir`` (default: the resolved data directory).

    Files already there are kept unless ``overwrite``. Returns the paths written. Every file
    is written atomically, so an interrupted fetch leaves only complete files, and running it
    again fetches the rest. ``progress`` prints one line per file to stderr (or passes it to
    a callable). ``opener`` and ``url_for`` replace ``urllib.request.urlopen`` and
    :func:`github_raw_url` (tests use them to fetch from local ``file://`` URLs).

    ``masakhaner2-parallel`` is not downloaded: it is built by :func:`build_parallel_corpus`
    from ``masakhaner2`` and ``mafand-mt``, which must be in ``dest_dir`` already.
    """
    corpus = get_corpus(name)
    root = resolve_data_dir(dest_dir)
    report = _reporter(progress)
    if corpus.origin is None:
        return build_parallel_corpus(root, progress=progress, overwrite=overwrite)
    written = []
    for rel in corpus.files():
        dest = root / rel
        if dest.is_file() and not overwrite:
            report(f"{rel}: already present")
            continue
        url = url_for(corpus.origin, corpus.origin_path(rel))
        size = download(url, dest, opener=opener)
        report(f"{rel}: {size:,} bytes from {url}")
        written.append(dest)
    return written


def _reporter(progress: Progress) -> Callable[[str], None]:
    if callable(progress):
        return progress
    if progress:
        return lambda message: print(message, file=sys.stderr)
    return lambda message: None


# ---------------------------------------------------------------------------- derived corpus


def mafand_pair_for(lang: str) -> str:
    """The MAFAND-MT pair whose African side is ``lang`` (``en-lug`` for ``lug``)."""
    for pair in MAFAND_PAIRS:
        if pair.split("-")[1] == lang:
            return pair
    raise ValueError(f"no MAFAND-MT pair has {lang!r} as its African language")


def build_parallel(
    lang: str, split: str, data_dir: str | Path | None = None
) -> list[ParallelRecord]:
    """Match the MasakhaNER 2.0 ``lang``/``split`` sentences with every MAFAND-MT split.

    Works for any language that has both corpora; for the five of ``masakhaner2-parallel``
    it reproduces the published files exactly.
    """
    pair = mafand_pair_for(lang)
    source = pair.split("-")[0]
    ner = [sentence.tokens for sentence in MASAKHANER2.load(lang, split, data_dir=data_dir)]
    mafand = {
        mafand_split: (
            MAFAND_MT.lines(pair, mafand_split, source, data_dir=data_dir),
            MAFAND_MT.lines(pair, mafand_split, lang, data_dir=data_dir),
        )
        for mafand_split in MAFAND_PAIRS[pair]
    }
    return match_sentences(ner, mafand, ner_split=split, pair=pair, src_lang=source)


def build_parallel_corpus(
    data_dir: str | Path | None = None, *, progress: Progress = True, overwrite: bool = False
) -> list[Path]:
    """Write ``masakhaner2-parallel`` into ``data_dir`` from the two corpora it derives from.

    Raises :class:`CorpusNotFound` naming the first missing source file (and how to fetch
    it) before writing anything.
    """
    report = _reporter(progress)
    corpus = MASAKHANER2_PARALLEL
    for lang in corpus.languages:
        for split in corpus.splits:
            MASAKHANER2.path(lang, split, data_dir=data_dir)
        pair = mafand_pair_for(lang)
        for split in MAFAND_PAIRS[pair]:
            for side in pair.split("-"):
                MAFAND_MT.path(pair, split, side, data_dir=data_dir)
    written = []
    for lang in corpus.languages:
        for split in corpus.splits:
            dest = corpus.path(lang, split, data_dir=data_dir, must_exist=False)
            if dest.is_file() and not overwrite:
                report(f"{corpus.relpath(lang, split)}: already present")
                continue
            records = build_parallel(lang, split, data_dir)
            write_parallel_tsv(dest, records)
            matched = sum(record.matched for record in records)
            report(f"{corpus.relpath(lang, split)}: {matched}/{len(records)} sentences matched")
            written.append(dest)
    return written
