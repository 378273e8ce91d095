"""Statistical word alignment with eflomal (Östling & Tiedemann 2016), symmetrised.

eflomal is a Bayesian HMM/fertility aligner trained by Gibbs sampling on the very text it aligns,
so it benefits from extra parallel text: ``extra_bitext`` is appended AFTER the test pairs and
only the links of the test pairs are read back.

Facts about eflomal 2.0 this module relies on (checked in its source):

* it lowercases every token itself (``read_text(..., lowercase=True)``), so callers pass the
  original tokens;
* its reader splits lines on any whitespace, so whitespace inside a token is replaced by ``_``
  and an empty token by ``_`` here, keeping one eflomal token per xlner token;
* it has no seed option: each direction's sampler takes its initial state from 8 bytes of
  ``/dev/urandom`` (``random_system_state`` in its ``random.c``), and with OpenMP the
  samplers draw their own states in whatever order their threads arrive. To be reproducible,
  this module runs the binary itself, once per direction, each with one OpenMP thread (the
  two directions run in parallel) and with a small preloaded library
  (``eflomal_seed.c``, compiled with the C compiler that eflomal's own installation needed)
  that hands the sampler a state derived from ``seed`` instead of ``/dev/urandom``.
  ``seed=None`` runs eflomal as its own wrapper does: unseeded, all samplers in parallel;
* the binary cannot align empty sentences nor sentences of 1024 tokens or more; such pairs get
  no links here and are never sent to eflomal;
* its wrapper ignores the binary's exit status and runs it as an ordinary child, which lives on
  when the parent is killed, with its files in the system temporary directory. Here the exit
  status is checked, a missing or short links file is an error, the child is killed when its
  parent dies (Linux), and the files live in ``temp_dir`` (default: the system one);
* its automatic iteration count, ``rel_iterations * 5000 / sqrt(n_sentences)``, only looks at
  the number of sentences: one 1,000-token pair alone gets 5,000 iterations, several minutes.
  Here a corpus counts as at least ``sum(len(src) * len(tgt)) / 1600`` sentences (1600 being
  a 40 x 40-token pair), which caps the count for corpora of long sentences (one 1,000-token
  pair: 200 iterations, seconds) and leaves ordinary ones (Europarl's average pair is
  about 30 x 30) as eflomal would run them. A warning says when the cap applies;
* it accepts lexical, jump and fertility priors (``-p``, the text format of its
  ``eflomal-makepriors``: ``LEX src tgt alpha``, ``HMMF``, ``HMMR``, ``FERF``, ``FERR``),
  converted to its indexed format by ``Aligner.prepare_files`` as its wrapper does.
  :meth:`EflomalAligner.learn_priors` makes them as ``eflomal-makepriors`` does
  (``calculate_priors`` over both directions' links of a sample); the ``priors`` option
  aligns with them, so that shards aligned one by one share what the sample taught.

Each returned link's ``score`` is the fraction of the two directional alignments that proposed
it (1.0 when both did, 0.5 when only one did), a cheap confidence for projection.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from importlib.metadata import version
from pathlib import Path
from typing import Any

import eflomal as _eflomal

from xlner.align.base import Aligner, SentencePair, check_pairs, register_aligner
from xlner.align.symmetrize import GROW_DIAG_FINAL_AND, METHODS, Pair, check_method, symmetrize
from xlner.io import scratch_folder
from xlner.types import Link, LinkSets, Tokens

logger = logging.getLogger(__name__)

# eflomal's write_text() turns sentences of 0x400 tokens or more into empty ones.
MAX_SENTENCE_LENGTH = 0x400 - 1
# The automatic iteration count treats the corpus as at least this many token pairs per
# sentence pair (a 40 x 40-token pair); see the module docstring.
PAIR_CELLS = 40 * 40
SEED_LIBRARY_SOURCE = Path(__file__).with_name("eflomal_seed.c")
WORK_DIR_PREFIX = "xlner-eflomal-"

Directional = tuple[set[Pair], set[Pair]]


@register_aligner("eflomal")
class EflomalAligner(Aligner):
    """eflomal forward + reverse alignment, symmetrised with ``symmetrization``.

    Options (eflomal's own, same defaults):

    * ``model``: 1 = IBM1, 2 = + HMM, 3 = + fertility;
    * ``n_iterations``: ``None`` chooses from the corpus size as eflomal does
      (``rel_iterations * 5000 / sqrt(n_sentences)`` for the last model), capped for long
      sentences (module docstring); an int sets that count, and the earlier models get a
      quarter of it as eflomal does; a 3-tuple sets the (IBM1, HMM, fertility) counts
      directly;
    * ``rel_iterations``: scales the automatic count (ignored with ``n_iterations``);
    * ``n_samplers``: independent samplers whose distributions are averaged;
    * ``null_prior``: prior probability of a NULL link;
    * ``stem_length``: if non-zero, both sides' words are cut to their first ``stem_length``
      characters, a crude stemmer for morphologically rich languages;
    * ``source_prefix_len`` / ``source_suffix_len`` / ``target_prefix_len`` /
      ``target_suffix_len``: eflomal's per-side versions (keep a prefix or a suffix, not both,
      as eflomal ignores the suffix when a prefix is set); they override ``stem_length``.

    xlner's own options:

    * ``seed``: the same seed, corpus and settings give the same links (on one machine: the
      binary is compiled for it). ``None`` leaves eflomal unseeded, its samplers in parallel;
    * ``temp_dir``: where eflomal's input and output files live while it runs (a folder
      inside it, removed on every exit; one left by a killed process is removed by the next
      run there). Not part of the signature: it does not change the links;
    * ``priors``: a priors file (see :meth:`learn_priors`) to align with; its SHA-256 is
      part of the signature.

    Cost grows with ``n_samplers`` x iterations. On 799 Europarl sentence pairs on 2 cores the
    defaults take about 9 s; ``rel_iterations=0.25`` takes about 2.6 s and projected entities
    just as well in our measurements.
    """

    name = "eflomal"
    # Derived: the prefix lengths (None is stem_length's, which is signed as them) and the
    # priors (by their hash); the temporary folder changes nothing.
    unsigned = frozenset(
        {"stem_length", "source_prefix_len", "target_prefix_len", "temp_dir", "priors"}
    )

    def __init__(  # noqa: PLR0913
        self,
        symmetrization: str = GROW_DIAG_FINAL_AND,
        *,
        model: int = 3,
        n_iterations: int | tuple[int, int, int] | None = None,
        rel_iterations: float = 1.0,
        n_samplers: int = 3,
        null_prior: float = 0.2,
        stem_length: int = 0,
        source_prefix_len: int | None = None,
        source_suffix_len: int = 0,
        target_prefix_len: int | None = None,
        target_suffix_len: int = 0,
        seed: int | None = 0,
        temp_dir: str | Path | None = None,
        priors: str | Path | None = None,
    ) -> None:
        self.symmetrization = check_method(symmetrization)
        if model not in (1, 2, 3):
            raise ValueError(f"eflomal model must be 1, 2 or 3, not {model!r}")
        self.model = model
        self.n_iterations = _iteration_counts(n_iterations, model)
        if rel_iterations <= 0 or n_samplers < 1 or not 0.0 <= null_prior <= 1.0:
            raise ValueError("need rel_iterations > 0, n_samplers >= 1, 0 <= null_prior <= 1")
        self.rel_iterations = rel_iterations
        self.n_samplers = n_samplers
        self.null_prior = null_prior
        self.source_prefix_len = stem_length if source_prefix_len is None else source_prefix_len
        self.target_prefix_len = stem_length if target_prefix_len is None else target_prefix_len
        self.source_suffix_len = source_suffix_len
        self.target_suffix_len = target_suffix_len
        _check_affixes("source", self.source_prefix_len, self.source_suffix_len)
        _check_affixes("target", self.target_prefix_len, self.target_suffix_len)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            raise ValueError(f"eflomal seed must be a non-negative int or None, not {seed!r}")
        self.seed = seed
        self.temp_dir = Path(temp_dir) if temp_dir is not None else None
        self.priors = Path(priors) if priors is not None else None
        if self.priors is not None and not self.priors.is_file():
            raise ValueError(f"eflomal priors file {self.priors} does not exist")

    def derived_signature(self) -> dict[str, Any]:
        return {
            "eflomal_version": version("eflomal"),
            "n_iterations": list(self.n_iterations) if self.n_iterations else "auto",
            "source_prefix_len": self.source_prefix_len,
            "target_prefix_len": self.target_prefix_len,
            # only when set, so that the signatures (and caches) of runs without stay valid
            **({"priors": _file_digest(self.priors)} if self.priors is not None else {}),
        }

    def learn_priors(self, pairs: Sequence[SentencePair]) -> str:
        """eflomal's priors (the text of ``eflomal-makepriors``) learned by aligning
        ``pairs`` (a sample of the corpus) in both directions, with this aligner's settings."""
        check_pairs(pairs)
        corpus = [pair for pair in pairs if _alignable(pair, warn=False)]
        if not corpus:
            raise ValueError("no sentence pair to learn eflomal priors from")
        fwd, rev = self._run(corpus, priors=None)
        learned = _eflomal.calculate_priors(
            [_line(src) for src, _ in corpus], [_line(tgt) for _, tgt in corpus], fwd, rev
        )
        text = io.StringIO()
        _eflomal.write_priors(text, *learned)
        return text.getvalue()

    def align(
        self,
        pairs: Sequence[SentencePair],
        *,
        extra_bitext: Sequence[SentencePair] = (),
    ) -> list[list[Link]]:
        directional = self.directional(pairs, extra_bitext)
        return [_to_links(fwd, rev, self.symmetrization) for fwd, rev in directional]

    def link_set_names(self) -> tuple[str, ...]:
        return METHODS

    def align_sets(
        self,
        pairs: Sequence[SentencePair],
        *,
        extra_bitext: Sequence[SentencePair] = (),
    ) -> list[LinkSets]:
        """Run eflomal once; each pair's links under every symmetrisation, this aligner's
        ``symmetrization`` as the primary links."""
        return [
            LinkSets.of(
                {method: _to_links(fwd, rev, method) for method in METHODS}, self.symmetrization
            )
            for fwd, rev in self.directional(pairs, extra_bitext)
        ]

    def directional(
        self,
        pairs: Sequence[SentencePair],
        extra_bitext: Sequence[SentencePair] = (),
    ) -> list[Directional]:
        """The raw (forward, reverse) link sets of each pair, both as ``(src, tgt)`` pairs."""
        check_pairs(pairs)
        check_pairs(extra_bitext, "extra_bitext")
        kept = [index for index, pair in enumerate(pairs) if _alignable(pair, warn=True)]
        extra = [pair for pair in extra_bitext if _alignable(pair, warn=False)]
        result: list[Directional] = [(set(), set()) for _ in pairs]
        if not kept:
            return result
        corpus = [pairs[index] for index in kept] + extra
        fwd_lines, rev_lines = self._run(corpus, self.priors)
        for position, index in enumerate(kept):
            src, tgt = pairs[index]
            result[index] = (
                _parse_links(fwd_lines[position], len(src), len(tgt), index),
                _parse_links(rev_lines[position], len(src), len(tgt), index),
            )
        return result

    def _run(self, corpus: list[SentencePair], priors: Path | None) -> tuple[list[str], list[str]]:
        """Align ``corpus`` with eflomal and return its forward and reverse Pharaoh lines."""
        with _work_dir(self.temp_dir) as work:
            source, target, fwd, rev = (work / name for name in ("source", "target", "fwd", "rev"))
            indexed = work / "priors" if priors is not None else None
            self._write_inputs(corpus, source, target, priors, indexed)
            command = [str(_binary()), "-m", str(self.model), "-s", str(source), "-t", str(target)]
            if indexed is not None:
                command += ["-p", str(indexed)]
            command += ["-n", str(self.n_samplers), "-N", str(self.null_prior), "-q"]
            command += _iteration_arguments(self._iterations(corpus), self.model)
            jobs: list[tuple[list[str], dict[str, str] | None]]
            if self.seed is None:
                jobs = [(command + ["-f", str(fwd), "-r", str(rev)], None)]
            else:
                library = _build_seed_library(work)
                jobs = [
                    (command + [flag, str(path)], _seeded_environment(library, self.seed, index))
                    for index, (flag, path) in enumerate([("-f", fwd), ("-r", rev)])
                ]
            _run_jobs(jobs, work)
            return _read_lines(fwd, len(corpus)), _read_lines(rev, len(corpus))

    def _write_inputs(
        self,
        corpus: list[SentencePair],
        source: Path,
        target: Path,
        priors: Path | None = None,
        indexed: Path | None = None,
    ) -> None:
        # eflomal's own converter: lowercasing, affixes and its binary text format.
        converter = _eflomal.Aligner(
            source_prefix_len=self.source_prefix_len,
            source_suffix_len=self.source_suffix_len,
            target_prefix_len=self.target_prefix_len,
            target_suffix_len=self.target_suffix_len,
        )
        with ExitStack() as files:
            src_file = files.enter_context(source.open("wb"))
            tgt_file = files.enter_context(target.open("wb"))
            priors_in = priors_out = None
            if priors is not None and indexed is not None:
                priors_in = files.enter_context(priors.open(encoding="utf-8"))
                priors_out = files.enter_context(indexed.open("w", encoding="utf-8"))
            converter.prepare_files(
                [_line(src) for src, _ in corpus],
                src_file,
                [_line(tgt) for _, tgt in corpus],
                tgt_file,
                priors_in,
                priors_out,
            )

    def _iterations(self, corpus: list[SentencePair]) -> tuple[int, int, int]:
        """The set iteration counts, or eflomal's automatic ones, capped for long sentences."""
        if self.n_iterations is not None:
            return self.n_iterations
        cells = sum(len(src) * len(tgt) for src, tgt in corpus)
        automatic = _automatic_count(self.rel_iterations, len(corpus))
        capped = _automatic_count(self.rel_iterations, max(len(corpus), cells / PAIR_CELLS))
        if capped < automatic:
            logger.warning(
                "eflomal: %d iterations instead of its automatic %d for %d sentence pairs "
                "with %d token pairs (long sentences; capped at %d token pairs a sentence pair)",
                capped,
                automatic,
                len(corpus),
                cells,
                PAIR_CELLS,
            )
        counts = _iteration_counts(capped, self.model)
        assert counts is not None
        return counts


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _automatic_count(rel_iterations: float, n_sentences: float) -> int:
    """eflomal's automatic iteration count for the last model (its ``align()``)."""
    return max(2, int(round(rel_iterations * 5000 / math.sqrt(n_sentences))))


def _iteration_arguments(counts: tuple[int, int, int], model: int) -> list[str]:
    # As eflomal's wrapper: the binary's default is one iteration of every model.
    arguments = ["-1", str(counts[0])]
    if model >= 2:
        arguments += ["-2", str(counts[1])]
    if model >= 3:
        arguments += ["-3", str(counts[2])]
    return arguments


def _binary() -> Path:
    """The eflomal binary that the installed package ships (its wrapper also looks on PATH)."""
    shipped = Path(_eflomal.__file__).parent / "bin" / "eflomal"
    if shipped.is_file():
        return shipped
    found = shutil.which("eflomal")
    if found is None:
        raise RuntimeError(f"the eflomal binary is neither at {shipped} nor on PATH")
    return Path(found)


# ---------------------------------------------------------------------------- the child process


def _work_dir(parent: Path | None) -> AbstractContextManager[Path]:
    """A fresh folder for one run, removed on every exit from the block.

    Its name holds the process id, so that the folder of a process killed with SIGKILL (which
    cannot clean up) is recognised and removed by the next run in the same ``parent``.
    """
    return scratch_folder(parent, WORK_DIR_PREFIX)


def _run_jobs(jobs: list[tuple[list[str], dict[str, str] | None]], work: Path) -> None:
    """Run the eflomal commands side by side; each child is killed if this process dies."""
    setup = _die_with_parent(os.getpid())
    with ExitStack() as stack:
        children = []
        try:
            for index, (command, environment) in enumerate(jobs):
                log = stack.enter_context((work / f"stderr-{index}").open("wb"))
                children.append(
                    subprocess.Popen(
                        command,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                        env=environment,
                        preexec_fn=setup,
                    )
                )
            for child in children:
                child.wait()
        finally:
            # An exception (KeyboardInterrupt included) must not leave a child running.
            for child in children:
                if child.poll() is None:
                    child.kill()
                    child.wait()
    for index, child in enumerate(children):
        if child.returncode != 0:
            message = (work / f"stderr-{index}").read_text(errors="replace").strip()
            last = message.splitlines()[-1] if message else "no message"
            raise RuntimeError(f"eflomal exited with status {child.returncode}: {last}")


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the kernel SIGKILL the child when its parent dies (Linux).

    The signal follows the thread that started the child; the caller waits for the child in
    that same thread, so the thread outlives it.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    pr_set_pdeathsig = 1

    def setup() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return setup


# ---------------------------------------------------------------------------- the seed


def _build_seed_library(work: Path) -> Path:
    """Compile ``eflomal_seed.c`` into ``work`` (a fraction of a second)."""
    compiler = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    library = work / "eflomal_seed.so"
    command = [*compiler.split(), "-shared", "-fPIC", "-O2", "-o", str(library)]
    command += [str(SEED_LIBRARY_SOURCE), "-ldl"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        result = subprocess.CompletedProcess(command, 1, "", str(error))
    if result.returncode != 0 or not library.is_file():
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(
            f"cannot compile the library that seeds eflomal with {compiler!r} ({last}); "
            "install a C compiler (eflomal's installation needed one too) or pass seed=None"
        )
    return library


def _seeded_environment(library: Path, seed: int, direction: int) -> dict[str, str]:
    """The environment of one direction's child: one thread, the seed library preloaded."""
    environment = dict(os.environ)
    preload = environment.get("LD_PRELOAD", "")
    environment["LD_PRELOAD"] = f"{library} {preload}".strip()
    environment["OMP_NUM_THREADS"] = "1"  # samplers draw their states in a fixed order
    environment["XLNER_EFLOMAL_STATE"] = f"{_initial_state(seed, direction):016x}"
    return environment


def _initial_state(seed: int, direction: int) -> int:
    """A well-mixed, non-zero 64-bit sampler state (splitmix64 of seed and direction).

    eflomal's xorshift generator would stay at zero forever from a zero state.
    """
    mask = (1 << 64) - 1
    value = (seed * 2 + direction + 0x9E3779B97F4A7C15) & mask
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & mask
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & mask
    value ^= value >> 31
    return value or 1


def _iteration_counts(
    n_iterations: int | tuple[int, int, int] | None, model: int
) -> tuple[int, int, int] | None:
    """eflomal's per-model iteration tuple; an int is spread over the models like eflomal does."""
    if n_iterations is None:
        return None
    if isinstance(n_iterations, int):
        if n_iterations < 1:
            raise ValueError("n_iterations must be positive")
        quarter = max(1, n_iterations // 4)
        by_model = {
            1: (n_iterations, 0, 0),
            2: (max(2, quarter), n_iterations, 0),
            3: (max(2, quarter), quarter, n_iterations),
        }
        return by_model[model]
    counts = tuple(int(count) for count in n_iterations)
    if len(counts) != 3 or min(counts) < 0:
        raise ValueError("n_iterations must be an int or three non-negative ints")
    return counts[0], counts[1], counts[2]


def _check_affixes(side: str, prefix_len: int, suffix_len: int) -> None:
    if prefix_len < 0 or suffix_len < 0:
        raise ValueError(f"{side} prefix/suffix lengths must not be negative")
    if prefix_len and suffix_len:
        # eflomal's reader would silently drop the suffix setting.
        raise ValueError(f"set either {side}_prefix_len or {side}_suffix_len, not both")


def _alignable(pair: SentencePair, *, warn: bool) -> bool:
    src, tgt = pair
    if not src or not tgt:
        return False
    if max(len(src), len(tgt)) > MAX_SENTENCE_LENGTH:
        if warn:
            logger.warning(
                "sentence pair of %d/%d tokens is longer than eflomal's limit of %d; "
                "it gets no links",
                len(src),
                len(tgt),
                MAX_SENTENCE_LENGTH,
            )
        return False
    return True


def _line(tokens: Tokens) -> str:
    # One eflomal token per xlner token, or every later link index would shift.
    return " ".join("_".join(token.split()) or "_" for token in tokens)


def _read_lines(path: Path, expected: int) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if len(lines) != expected:
        raise RuntimeError(
            f"eflomal wrote {len(lines)} alignment lines for {expected} sentence pairs; "
            "the eflomal binary probably failed (see its messages above)"
        )
    return lines


def _parse_links(line: str, src_len: int, tgt_len: int, index: int) -> set[Pair]:
    links: set[Pair] = set()
    for item in line.split():
        i, _, j = item.partition("-")
        pair = (int(i), int(j))
        if not (0 <= pair[0] < src_len and 0 <= pair[1] < tgt_len):
            raise RuntimeError(f"eflomal link {item} is outside sentence pair {index}")
        links.add(pair)
    return links


def _to_links(fwd: set[Pair], rev: set[Pair], method: str) -> list[Link]:
    return [
        Link(i, j, (((i, j) in fwd) + ((i, j) in rev)) / 2)
        for i, j in sorted(symmetrize(fwd, rev, method))
    ]
