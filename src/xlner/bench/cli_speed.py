"""How long the command line takes to answer, each command in a fresh process.

The commands (:data:`COMMANDS`): ``xlner --help``, a command's help, ``xlner evaluate`` of a
two-word file, ``xlner data list``, an option error, and ``xlner silver`` when no tagger is
trained (it stops with an error before any model loads). Each runs ``runs`` times in every
source tree given (one folder holding the ``xlner`` package, e.g. a worktree's ``src`` at an
older commit), the trees in turn within a round, so that a change in the load of a shared
machine touches every tree alike. One untimed run of each comes first: it writes Python's
bytecode cache, which an installed package has.

Reported per command and tree: the median wall time and its range, the median CPU time (user
and system: less sensitive to other jobs than the wall time) and the peak memory, and each
tree's median wall time against the first tree's.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from xlner.bench.report import format_table, machine
from xlner.io import atomic_write, scratch_folder

# The source tree of the running xlner: the folder that holds the package.
THIS_TREE = Path(__file__).resolve().parents[2]
SILVER = "silver, no tagger"
# Name -> arguments of `xlner`, with {gold}, {source} and {output} for the files they read
# and write.
COMMANDS: dict[str, list[str]] = {
    "--help": ["--help"],
    "evaluate --help": ["evaluate", "--help"],
    "evaluate": ["evaluate", "{gold}", "{gold}"],
    "data list": ["data", "list"],
    "bad option": ["project", "--no-such-option"],
    SILVER: ["silver", "--source", "{source}", "--target", "{source}", "-o", "{output}"],
}
# The exit status each command must end with (an option error and a missing tagger: 2).
EXPECTED = {"bad option": 2, SILVER: 2}


def run_cli_speed(
    trees: Mapping[str, Path],
    runs: int,
    *,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Time :data:`COMMANDS` in each of ``trees`` (name -> source folder): ``runs`` rounds
    after a warm-up round. A command that ends with another exit status than expected is
    a RuntimeError (the tree does not answer it as the others do)."""
    loads = [list(os.getloadavg())]
    with scratch_folder(prefix="xlner-cli-speed-") as scratch:
        env = _environment(Path(scratch))
        commands = {name: _fill(args, Path(scratch)) for name, args in COMMANDS.items()}
        measured: dict[tuple[str, str], list[dict[str, float]]] = {}
        for round_ in range(runs + 1):
            for command, args in commands.items():
                for tree, source in trees.items():
                    timing = _time_once(args, source, env, EXPECTED.get(command, 0))
                    if round_:  # the first round only warms the bytecode cache
                        measured.setdefault((command, tree), []).append(timing)
            loads.append(list(os.getloadavg()))
            if progress is not None and round_:
                progress(f"round {round_}/{runs} done")
    rows = [_row(command, tree, timings) for (command, tree), timings in measured.items()]
    return {
        "runs": runs,
        "trees": {name: str(path) for name, path in trees.items()},
        "commands": {name: ["xlner", *args] for name, args in COMMANDS.items()},
        "rows": rows,
        "load_average": loads,
        "machine": machine(),
    }


def _environment(scratch: Path) -> dict[str, str]:
    """The children's environment: an empty cache (no trained tagger), bytecode written."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["XDG_CACHE_HOME"] = str(scratch / "cache")
    env["COLUMNS"] = "80"
    return env


def _fill(args: list[str], scratch: Path) -> list[str]:
    source, gold = scratch / "source.txt", scratch / "gold.conll"
    with atomic_write(source) as handle:
        handle.write("Juma lives in Kampala .\n")
    with atomic_write(gold) as handle:
        handle.write("Juma B-PER\nlives O\n")
    fields = {"source": str(source), "gold": str(gold), "output": str(scratch / "silver")}
    return [arg.format_map(fields) for arg in args]


def _time_once(
    args: list[str], source: Path, env: dict[str, str], expected: int
) -> dict[str, float]:
    """Wall and CPU seconds and peak memory (MB) of ``python -m xlner ARGS`` from ``source``."""
    path = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    child_env = {**env, "PYTHONPATH": path}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "xlner", *args],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert child.stderr is not None
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != expected:
        last = (errors.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(
            f"xlner {' '.join(args)} from {source} ended with {child.returncode}, "
            f"not {expected}: {last}"
        )
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,  # kilobytes on Linux
    }


def _row(command: str, tree: str, timings: list[dict[str, float]]) -> dict[str, Any]:
    walls = [t["wall_s"] for t in timings]
    return {
        "command": command,
        "tree": tree,
        "wall_s": walls,
        "wall_median_s": statistics.median(walls),
        "cpu_median_s": statistics.median(t["cpu_s"] for t in timings),
        "peak_mb": max(t["peak_mb"] for t in timings),
    }


def format_results(result: Mapping[str, Any]) -> str:
    """A line per command and tree; the wall-time ratio is against the first tree's."""
    first = next(iter(result["trees"]))
    baseline = {r["command"]: r["wall_median_s"] for r in result["rows"] if r["tree"] == first}
    header = ["command", "tree", "wall s (median, min-max)", "CPU s", "peak MB", f"vs {first}"]
    lines = [
        [
            row["command"],
            row["tree"],
            f"{row['wall_median_s']:.2f} ({min(row['wall_s']):.2f}-{max(row['wall_s']):.2f})",
            f"{row['cpu_median_s']:.2f}",
            f"{row['peak_mb']:.0f}",
            f"{row['wall_median_s'] / baseline[row['command']]:.2f}x",
        ]
        for row in result["rows"]
    ]
    loads = [load for sample in result["load_average"] for load in sample]
    info = result["machine"]
    return "\n".join(
        [
            format_table(header, lines),
            f"{result['runs']} runs each; {info['cpu']} ({info['cores']} cores), Python "
            f"{info['python']}; load average {min(loads):.1f}-{max(loads):.1f}",
        ]
    )
