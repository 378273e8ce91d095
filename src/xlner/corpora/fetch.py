"""Fetching a corpus into the data directory: downloaded from its origin, or built locally.

Every file is written atomically (through a temporary file renamed into place), so an
interrupted fetch leaves only complete files, and running it again fetches the rest. A derived
corpus (``masakhaner2-parallel``) is not downloaded: its own :meth:`Corpus.build_file` makes
each file from the corpora it derives from, which must be in the data directory already.

Each downloaded file is pinned twice: its origin is a repository at a commit, and its SHA-256
is in ``sha256sums.txt`` beside this module (``sha256sum`` format, paths relative to the data
directory). A download that does not match (a mirror or proxy answering with an error page)
is an error and is not written; a file already present that does not match is named (and
replaced with ``--overwrite``), and ``xlner data list`` does not count it as present. A
destination that is a symlink, or that resolves outside the data directory, is refused: in a
shared data directory a planted link must not make a fetch write elsewhere.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import urllib.parse
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from xlner.corpora.base import Corpus, Origin, get_corpus, resolve_data_dir
from xlner.corpora.pins import matches_pin, pin_of
from xlner.io import atomic_write

GITHUB_RAW = "https://raw.githubusercontent.com"
Opener = Callable[[str], AbstractContextManager[IO[bytes]]]
UrlBuilder = Callable[[Origin, str], str]
Progress = bool | Callable[[str], None]


class FetchError(RuntimeError):
    """A download failed or returned something that is not the expected text file."""


def github_raw_url(origin: Origin, path: str, base: str = GITHUB_RAW) -> str:
    """The URL of ``path`` in the repository of ``origin``: raw.githubusercontent.com or a
    mirror laid out the same way (``<base>/<repo>/<commit>/<path>``)."""
    quoted = urllib.parse.quote(path)
    return f"{base.rstrip('/')}/{origin.repo}/{origin.commit}/{quoted}"


MIRROR_SCHEMES = ("http", "https", "file")


def mirror(base: str) -> UrlBuilder:
    """URLs under ``base`` (``file:///srv/mirror``) laid out as raw.githubusercontent.com; a
    ``base`` that is not such a URL (a plain path, say) is a FetchError."""
    scheme = urllib.parse.urlsplit(base).scheme
    if scheme not in MIRROR_SCHEMES:
        hint = f"; for a folder write file://{Path(base).resolve()}" if not scheme else ""
        raise FetchError(f"--mirror {base!r} is not an http://, https:// or file:// URL{hint}")
    return functools.partial(github_raw_url, base=base)


_NOT_PINNED = "present but not the pinned file (changed?); --overwrite fetches it again"


def destination(root: Path, relpath: str) -> Path:
    """``root / relpath``, unless it, or a folder between it and ``root``, is a symlink or it
    resolves outside ``root`` (a FetchError: a planted link must not redirect the write)."""
    dest = root / relpath
    step = dest
    while step != root and step != step.parent:
        if step.is_symlink():
            raise FetchError(f"{step} is a symlink; refusing to write {relpath} through it")
        step = step.parent
    real_root = Path(os.path.realpath(root))
    if real_root not in Path(os.path.realpath(dest)).parents:
        raise FetchError(f"{dest} resolves outside the data directory {root}; refusing it")
    return dest


def _default_opener(url: str) -> AbstractContextManager[IO[bytes]]:
    import urllib.request  # with http.client and ssl: only for a download, not at every start

    return urllib.request.urlopen(url, timeout=60)


def download(
    url: str, dest: str | Path, *, opener: Opener | None = None, sha256: str | None = None
) -> int:
    """Download a UTF-8 text file to ``dest`` atomically; return its size in bytes.

    The whole body is read and checked (length against ``Content-Length``, the ``sha256``
    pinned for it, UTF-8) before anything is written, so a failed, cut-off or wrong
    download never leaves a file.
    """
    import http.client

    try:
        with (opener or _default_opener)(url) as response:
            data = response.read()
            expected = _content_length(response)
    except (OSError, http.client.HTTPException) as exc:
        # URLError and HTTPError are OSErrors; IncompleteRead (a cut connection) is not.
        raise FetchError(f"could not download {url}: {exc}") from exc
    if expected is not None and len(data) != expected:
        raise FetchError(f"{url}: got {len(data)} bytes, the server announced {expected}")
    if sha256 is not None and (got := hashlib.sha256(data).hexdigest()) != sha256:
        raise FetchError(
            f"{url}: not the pinned file (SHA-256 {got[:12]}..., expected {sha256[:12]}...; "
            "an error page from a mirror or proxy?); nothing written"
        )
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

    Files already there are kept unless ``overwrite``. Returns the paths written.
    ``progress`` prints one line per file to stderr (or passes it to a callable). ``opener``
    and ``url_for`` replace ``urllib.request.urlopen`` and :func:`github_raw_url` (a
    :func:`mirror`, or tests fetching from local ``file://`` URLs).
    """
    corpus = get_corpus(name)
    if not corpus.files():
        raise FetchError(
            f"corpus {name!r} is not kept in the data directory ({corpus.describe_origin()}); "
            "there is nothing to fetch"
        )
    root = resolve_data_dir(dest_dir)
    report = _reporter(progress)
    if corpus.origin is None:
        return build_derived(corpus, root, report=report, overwrite=overwrite)
    written = []
    for rel in corpus.files():
        dest = destination(root, rel)
        if dest.is_file() and not overwrite:
            pinned = matches_pin(dest, rel)
            report(f"{rel}: {'already present' if pinned else _NOT_PINNED}")
            continue
        url = url_for(corpus.origin, corpus.origin_path(rel))
        size = download(url, dest, opener=opener, sha256=pin_of(rel))
        report(f"{rel}: {size:,} bytes from {url}")
        written.append(dest)
    return written


def build_derived(
    corpus: Corpus, root: Path, *, report: Callable[[str], None], overwrite: bool = False
) -> list[Path]:
    """Write every file of a derived corpus into ``root`` from the corpora it derives from.

    Raises :class:`~xlner.corpora.base.CorpusNotFound` naming the first missing source file
    (and how to fetch it) before writing anything.
    """
    corpus.check_sources(root)
    written = []
    for params in corpus.combinations():
        rel = corpus.relpath(**params)
        dest = destination(root, rel)
        if dest.is_file() and not overwrite:
            report(f"{rel}: already present")
            continue
        report(f"{rel}: {corpus.build_file(dest, data_dir=root, **params)}")
        written.append(dest)
    return written


def _reporter(progress: Progress) -> Callable[[str], None]:
    if callable(progress):
        return progress
    if progress:
        return lambda message: print(message, file=sys.stderr)
    return lambda message: None
