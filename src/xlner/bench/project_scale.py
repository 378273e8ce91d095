"""How ``xlner project`` scales: peak memory and time for growing corpora and one very long pair.

Every row runs the real command line (``python -m xlner project``) in a subprocess, on files
written to a temporary folder (under the system's, ``/tmp``, unless told otherwise) that is
removed afterwards; nothing is written into the repository.

* Corpus rows: ``N`` sentence pairs of MAFAND-MT en-swa ``train`` (30,782 pairs, repeated
  in order to reach ``N``), with eflomal and the heuristic. MAFAND has no entity annotation,
  so the English side is tagged synthetically: every run of capitalised words that does not
  start the sentence is a ``MISC`` entity (about 1.6 a sentence).
* Long-pair rows: the first Europarl-NER en-de sentence pairs joined into one pair of
  about 2,000 tokens a side, projected with ``--method match`` and each solver.

Peak memory is given twice: for the largest single process (the kernel's ``ru_maxrss`` of
the command and its children, from ``wait4``) and for the whole process tree (xlner and its
eflomal children together), sampled from ``/proc`` every 0.1 s. A row that runs past the
time limit is stopped; it then records how far it got and, labelled as such, an estimate of
its time from the pairs it had aligned.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from xlner.bench.report import format_table, machine
from xlner.corpora.bitext import write_sentences
from xlner.corpora.conll import write_conll
from xlner.corpora.europarl_ner import EUROPARL_NER
from xlner.corpora.mafand_mt import MAFAND_MT
from xlner.io import remove_file, scratch_folder
from xlner.types import Span, TaggedSentence, Tokens

SIZES = (10_000, 100_000, 1_000_000)
SOLVERS = ("greedy", "ilp", "dp")
LONG_TOKENS = 2_000
MAFAND_PAIR = "en-swa"
SAMPLE_SECONDS = 0.1
# Results go to the temporary folder too, never into the repository by default.
DEFAULT_OUTPUT = Path(tempfile.gettempdir()) / "xlner-project-scale.json"
_CHUNK_LINE = re.compile(r"aligning sentence pairs (\d+)-(\d+)")
_RESULT_LINE = re.compile(r"projected (\d+) entities onto (\d+) sentences")


@dataclass
class Measurement:
    """One subprocess: its exit status, wall time, peak memory and the end of its stderr."""

    returncode: int | None  # None: stopped at the time limit
    seconds: float
    peak_tree_mb: float
    peak_process_mb: float
    stderr: str


def synthetic_spans(tokens: Tokens) -> list[Span]:
    """Runs of capitalised words after the first word, as ``MISC`` entities."""
    spans: list[Span] = []
    start = None
    for index, token in enumerate([*tokens, ""]):
        capital = index > 0 and token[:1].isupper()
        if capital and start is None:
            start = index
        elif not capital and start is not None:
            spans.append(Span(start, index, "MISC"))
            start = None
    return spans


def write_corpus(
    source: Path, target: Path, pairs: Sequence[tuple[Tokens, Tokens]], size: int
) -> None:
    """``size`` pairs, ``pairs`` repeated in order, as a tagged source and a target file."""
    write_conll(
        source, (TaggedSentence(src, synthetic_spans(src)) for src, _ in _take(pairs, size))
    )
    write_sentences(target, (tgt for _, tgt in _take(pairs, size)))


def _take(pairs: Sequence[tuple[Tokens, Tokens]], size: int) -> Iterator[tuple[Tokens, Tokens]]:
    return islice(cycle(pairs), size)


def mafand_pairs(data_dir: str | Path | None) -> list[tuple[Tokens, Tokens]]:
    """MAFAND-MT en-swa train as token pairs."""
    return MAFAND_MT.load_pairs(MAFAND_PAIR, "train", data_dir=data_dir)


def long_pair(
    data_dir: str | Path | None, tokens: int = LONG_TOKENS
) -> tuple[TaggedSentence, TaggedSentence]:
    """Europarl-NER en-de sentence pairs joined, in order, until the English has ``tokens``."""
    loaded = EUROPARL_NER.load_languages(("en", "de"), data_dir=data_dir)
    joined = (TaggedSentence([], []), TaggedSentence([], []))
    for pair in zip(loaded["en"], loaded["de"], strict=True):
        for whole, part in zip(joined, pair, strict=True):
            offset = len(whole.tokens)
            whole.tokens.extend(part.tokens)
            whole.spans.extend(Span(s.start + offset, s.end + offset, s.label) for s in part.spans)
        if len(joined[0].tokens) >= tokens:
            break
    return joined


def measure(command: Sequence[str], stderr_path: Path, limit: float | None) -> Measurement:
    """Run ``command``; its peak memory, sampled and from the kernel, and its wall time."""
    start = time.perf_counter()
    with stderr_path.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        peak_tree = 0
        returncode: int | None = None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                returncode = os.waitstatus_to_exitcode(status)
                process.returncode = returncode  # reaped here, not by Popen
                break
            peak_tree = max(peak_tree, tree_rss_kb(process.pid))
            if limit is not None and time.perf_counter() - start > limit:
                _stop(process)
                _, _, usage = os.wait4(process.pid, 0)
                process.returncode = -9
                break
            time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - start
    text = stderr_path.read_text(encoding="utf-8", errors="replace")
    return Measurement(returncode, seconds, peak_tree / 1024, usage.ru_maxrss / 1024, text)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # xlner's eflomal children die with it (they are started with a parent-death signal).
    process.kill()


def tree_rss_kb(pid: int) -> int:
    """The resident memory of ``pid`` and all its descendants now, in KiB (0 once gone)."""
    return sum(_rss_kb(member) for member in _tree(pid))


def _tree(pid: int) -> Iterator[int]:
    yield pid
    for task in _listdir(f"/proc/{pid}/task"):
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            yield from _tree(int(child))


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def xlner_project(arguments: Sequence[str]) -> list[str]:
    """The command line of ``xlner project`` with this interpreter."""
    return [sys.executable, "-m", "xlner", "project", *arguments]


def corpus_row(
    pairs: Sequence[tuple[Tokens, Tokens]],
    size: int,
    work: Path,
    aligner_options: Sequence[str],
    limit: float | None,
) -> dict[str, Any]:
    """Write ``size`` pairs, project them with eflomal + heuristic, and measure it."""
    source, target, output = work / "source.conll", work / "target.txt", work / "output.conll"
    write_corpus(source, target, pairs, size)
    arguments = ["--source", str(source), "--target", str(target), "-o", str(output)]
    arguments += ["--preset", "light", *_options(aligner_options)]  # eflomal + heuristic
    row = _row(f"{size:,} pairs", measure(xlner_project(arguments), work / "stderr.txt", limit))
    row.update(pairs=size, source_mb=_mb(source), target_mb=_mb(target), output_mb=_mb(output))
    if row["status"] == "stopped" and row["aligned_pairs"]:
        row["estimated_seconds"] = row["seconds"] * size / row["aligned_pairs"]
    for path in (source, target, output):
        remove_file(path)
    return row


def _options(aligner_options: Sequence[str]) -> list[str]:
    return [part for option in aligner_options for part in ("--aligner-option", option)]


def long_row(
    pair: tuple[TaggedSentence, TaggedSentence],
    solver: str,
    work: Path,
    aligner_options: Sequence[str],
    limit: float | None,
) -> dict[str, Any]:
    """One long pair projected with ``--method match --solver solver``, measured."""
    source, target, output = work / "long.conll", work / "long.txt", work / "long.out.conll"
    write_conll(source, [pair[0]])
    write_sentences(target, [pair[1].tokens])
    arguments = ["--source", str(source), "--target", str(target), "-o", str(output)]
    arguments += ["--preset", "light", *_options(aligner_options)]  # the light preset's eflomal
    arguments += ["--method", "match", "--solver", solver]
    tokens = f"{len(pair[0].tokens):,}/{len(pair[1].tokens):,}"
    row = _row(
        f"1 pair of {tokens} tokens, match/{solver}",
        measure(xlner_project(arguments), work / "stderr.txt", limit),
    )
    row.update(pairs=1, tokens=[len(pair[0].tokens), len(pair[1].tokens)], solver=solver)
    row["cut"] = "cut into" in row["stderr_tail"]
    return row


def _row(case: str, result: Measurement) -> dict[str, Any]:
    chunks = _CHUNK_LINE.findall(result.stderr)
    done = _RESULT_LINE.search(result.stderr)
    if result.returncode is None:
        status = "stopped"
    else:
        status = "ok" if result.returncode == 0 else f"exit {result.returncode}"
    return {
        "case": case,
        "status": status,
        "seconds": result.seconds,
        "peak_tree_mb": result.peak_tree_mb,
        "peak_process_mb": result.peak_process_mb,
        "chunks": len(chunks),
        # A chunk is announced before it is aligned: the pairs before the last one are done.
        "aligned_pairs": int(chunks[-1][0]) - 1 if chunks and not done else None,
        "entities": int(done.group(1)) if done else None,
        "stderr_tail": result.stderr[-2000:],
    }


def _mb(path: Path) -> float | None:
    return path.stat().st_size / 2**20 if path.exists() else None


def run_project_scale(
    data_dir: str | Path | None = None,
    *,
    sizes: Sequence[int] = SIZES,
    solvers: Sequence[str] = SOLVERS,
    long_tokens: int = LONG_TOKENS,
    aligner_options: Sequence[str] = (),
    limit: float | None = None,
    work_dir: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every row; the corpus rows read MAFAND-MT, the long-pair rows Europarl-NER."""
    rows: list[dict[str, Any]] = []
    with scratch_folder(work_dir, "xlner-project-scale-") as work:
        if sizes:
            pairs = mafand_pairs(data_dir)
            for size in sizes:
                progress(f"xlner project on {size:,} pairs")
                rows.append(corpus_row(pairs, size, work, aligner_options, limit))
        if solvers:
            pair = long_pair(data_dir, long_tokens)
            for solver in solvers:
                progress(f"xlner project on one long pair, solver {solver}")
                rows.append(long_row(pair, solver, work, aligner_options, limit))
    return {
        "benchmark": "project-scale",
        "machine": machine(),
        "settings": {
            "corpus": f"mafand-mt {MAFAND_PAIR} train, repeated; synthetic MISC entities",
            "corpus_rows": "--preset light",
            "aligner_options": list(aligner_options),  # every row's
            "long_pair": f"europarl-ner en-de joined to {long_tokens} tokens",
            "long_rows": "--preset light --method match --solver <solver>",
            "time_limit_seconds": limit,
        },
        "rows": rows,
    }


def format_results(result: dict[str, Any]) -> str:
    """The rows as a plain-text table."""
    header = ["case", "status", "time s", "peak MB (tree)", "peak MB (process)", "entities"]
    lines = []
    for row in result["rows"]:
        seconds = f"{row['seconds']:.1f}"
        if "estimated_seconds" in row:
            seconds += f" (est. {row['estimated_seconds']:.0f} for all)"
        lines.append(
            [
                row["case"],
                row["status"],
                seconds,
                f"{row['peak_tree_mb']:.0f}",
                f"{row['peak_process_mb']:.0f}",
                "-" if row["entities"] is None else f"{row['entities']:,}",
            ]
        )
    return format_table(header, lines)
