"""Scale-out with Ray: equality with the local engine, throughput, Ray's start-up, peak memory.

Usage::

    python benchmarks/ray_scale.py [--data-dir DIR] [--pair en-swa] [--pairs 0]
        [--shard-size 2000] [--tagger xlner] [--preset light] [--sizes 10000,100000,1000000]
        [--memory-tagger spacy] [--memory-shard-size 10000] [--quality-lang lug]
        [--seeds 0,1,2] [--sections startup,equality,memory,quality]
        [--time-limit 3600] [--output /tmp/xlner-ray-scale.json]

Every silver row runs the real command line (``python -m xlner silver``) in a subprocess on
files written to a temporary folder (removed afterwards), its wall time and peak memory
measured as ``benchmarks/project_scale.py`` does (the largest process from ``wait4``, the
whole process tree sampled from ``/proc``; with Ray the tree holds the raylet and the
actors, since the local Ray is the command's child).

* ``startup``: a local Ray of 2 CPUs started, one trivial batch through a 1-actor pool
  (cold: Ray and the actor start), then another (warm: only the actor starts).
* ``equality``: ``--pairs`` pairs of MAFAND-MT ``--pair`` train (0: all), the MasakhaNER 2.0
  test sentences of the target language excluded, silver built with ``--preset`` (light:
  eflomal, seeded so deterministic, and the heuristic) and ``--tagger`` three times,
  ``--shard-size`` pairs a shard: the local engine, Ray with 1 actor and Ray with 2 actors of
  one CPU each. The silver files must be
  identical byte for byte after sorting by provenance; pairs per second for each (the goal:
  2 actors >= 1.6 x 1 actor).
* ``memory``: MAFAND repeated in order to each of ``--sizes`` pairs, local engine, shards of
  ``--memory-shard-size``, ``--memory-tagger`` (spaCy's small English model by default: a
  million pairs with the xlner tagger would take hours here). Flat means the peak does not
  grow with the size. A row stopped by ``--time-limit`` says how many shards it finished.
* ``quality`` (with ``--quality-lang``): silver F1 against the MasakhaNER 2.0 train/dev
  sentences that are MAFAND-MT sentences, for eflomal on the whole bitext with each of
  ``--seeds`` (eflomal's own spread), and on shards with priors and without.

Writes the rows as JSON to ``--output`` and prints a table per section.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from xlner.bench.project_scale import Measurement, measure
from xlner.bench.report import format_table, machine
from xlner.bench.silver_quality import gold_by_line
from xlner.corpora.bitext import write_sentences
from xlner.corpora.mafand_mt import MAFAND_MT
from xlner.engine.ray_data import RayEngine
from xlner.evaluate import evaluate_spans
from xlner.registry import registry
from xlner.tags import tags_to_spans
from xlner.text import remap_spans, squeezed_offsets

SECTIONS = ("startup", "equality", "memory", "quality")
DEFAULT_OUTPUT = Path(tempfile.gettempdir()) / "xlner-ray-scale.json"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = _parser().parse_args(argv)
    sections = [s for s in args.sections.split(",") if s]
    if bad := [s for s in sections if s not in SECTIONS]:
        sys.exit(f"error: unknown section {bad[0]!r}; choose from {', '.join(SECTIONS)}")
    work = Path(tempfile.mkdtemp(prefix="xlner-ray-scale-"))
    result: dict[str, Any] = {"machine": machine(), "settings": vars(args)}
    try:
        if "startup" in sections:
            result["startup"] = startup(work / "startup")
            _print("Ray start-up (s)", ["step", "seconds"], _pairs_rows(result["startup"]))
        if "equality" in sections:
            result["equality"] = equality(args, work / "equality")
            _print_equality(result["equality"])
        if "memory" in sections:
            result["memory"] = memory(args, work / "memory")
            _print_memory(result["memory"])
        if "quality" in sections and args.quality_lang:
            result["quality"] = quality(args, work / "quality")
            _print_quality(result["quality"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"results in {args.output}")
    return result


def _parser() -> argparse.ArgumentParser:
    ray = registry.engines.defaults("ray")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--pair", default="en-swa")
    parser.add_argument("--pairs", type=int, default=0, help="train pairs to use (0: all)")
    parser.add_argument("--shard-size", type=int, default=2000)
    parser.add_argument("--tagger", default="xlner")
    parser.add_argument("--preset", default="light", help="eflomal + heuristic: deterministic")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--memory-tagger", default="spacy")
    parser.add_argument("--memory-shard-size", type=int, default=10_000)
    parser.add_argument("--memory-engines", default="local")
    parser.add_argument("--quality-lang", default="")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--ray-cpus", type=int, default=2)
    parser.add_argument("--cpus-per-actor", type=float, default=ray["cpus_per_actor"])
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--time-limit", type=float, default=3600.0, help="seconds a row")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    return parser


# ---------------------------------------------------------------------------- sections


class _Noop:
    def setup(self) -> None:
        pass

    def process_batch(self, records: Any) -> Any:
        return records


def startup(folder: Path) -> dict[str, float]:
    """Seconds to the first result of a 1-actor pool, cold (Ray starts) and warm."""
    engine = RayEngine(min_actors=1, max_actors=1, num_cpus=2, run_dir=folder)
    times = {}
    start = time.perf_counter()
    with engine:
        list(engine.map(_Noop(), [(0, [1])]))
        times["cold: Ray + actor + 1 batch"] = time.perf_counter() - start
        start = time.perf_counter()
        list(engine.map(_Noop(), [(0, [1])]))
        times["warm: actor + 1 batch"] = time.perf_counter() - start
    return times


ENGINES = {  # name -> the engine options of ``xlner silver``
    "local": ["--engine", "local"],
    "ray, 1 actor": ["--engine", "ray", "--min-actors", "1", "--max-actors", "1"],
    "ray, 2 actors": ["--engine", "ray", "--min-actors", "2", "--max-actors", "2"],
}


def equality(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    source, target, count = write_bitext(args, folder, args.pairs)
    rows, outputs = [], {}
    for name, options in ENGINES.items():
        out = folder / name.replace(", ", "-").replace(" ", "")
        command = silver_command(args, source, target, out, args.tagger, args.shard_size)
        if options[1] == "ray":
            options = [*options, "--ray-cpus", str(args.ray_cpus)]
            options += ["--cpus-per-actor", str(args.cpus_per_actor)]
        measured = measure([*command, *options], folder / f"{out.name}.err", args.time_limit)
        rows.append(_row(name, count, measured, out))
        outputs[name] = out
    reference = sorted_silver(outputs["local"])
    for row, out in zip(rows, outputs.values(), strict=True):
        row["identical_to_local"] = sorted_silver(out) == reference if row["ok"] else None
    one, two = rows[1]["pairs_per_second"], rows[2]["pairs_per_second"]
    speedup = two / one if one and two else None
    return {"pairs": count, "shard_size": args.shard_size, "rows": rows, "speedup": speedup}


def memory(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    rows = []
    engines = [e for e in args.memory_engines.split(",") if e]
    for size in [int(s) for s in args.sizes.split(",") if s]:
        source, target, count = write_bitext(args, folder, size, repeat=True)
        for engine in engines:
            out = folder / f"{engine}-{size}"
            command = silver_command(
                args, source, target, out, args.memory_tagger, args.memory_shard_size
            )
            command += ["--engine", engine]
            if engine == "ray":
                command += ["--ray-cpus", str(args.ray_cpus)]
            measured = measure(command, folder / f"{out.name}.err", args.time_limit)
            rows.append({**_row(engine, count, measured, out), "size": size})
            shutil.rmtree(out, ignore_errors=True)
        source.unlink()
        target.unlink()
    return rows


def quality(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    lang = args.quality_lang
    pair = _pair_of(lang)
    folder.mkdir(parents=True, exist_ok=True)  # each run's stderr file goes beside its output
    gold = gold_by_line(lang, data_dir=args.data_dir)
    base = [sys.executable, "-m", "xlner", "silver", "--corpus", "mafand-mt", "--pair", pair]
    base += ["--tagger", args.tagger, "--exclude-corpus", "masakhaner2"]
    base += ["--preset", args.preset]
    base += _data_dir(args)
    runs: dict[str, list[str]] = {}
    for seed in [int(s) for s in args.seeds.split(",") if s]:
        runs[f"whole bitext, seed {seed}"] = ["--aligner-option", f"seed={seed}"]
    shards = ["--shard-size", str(args.shard_size)]
    runs["shards + priors, seed 0"] = shards
    runs["shards, no priors, seed 0"] = [*shards, "--priors-sample", "0"]
    rows = []
    for name, options in runs.items():
        out = folder / name.replace(" ", "").replace(",", "-").replace("+", "p")
        measured = measure([*base, "-o", str(out), *options], out.with_suffix(".err"), None)
        row = {"run": name, "ok": measured.returncode == 0, "seconds": measured.seconds}
        if row["ok"]:
            row.update(silver_f1(out / "silver.jsonl", gold))
        rows.append(row)
    whole = [r["f1"] for r in rows if r["run"].startswith("whole") and "f1" in r]
    spread = max(whole) - min(whole) if whole else None
    return {"lang": lang, "pair": pair, "rows": rows, "eflomal_seed_spread": spread}


# ---------------------------------------------------------------------------- helpers


def write_bitext(
    args: argparse.Namespace, folder: Path, size: int, *, repeat: bool = False
) -> tuple[Path, Path, int]:
    """``size`` pairs of the pair's train split (repeated in order when ``repeat``)."""
    folder.mkdir(parents=True, exist_ok=True)
    pairs = MAFAND_MT.line_pairs(args.pair, ["train"], data_dir=args.data_dir)
    chosen = list(islice(cycle(pairs), size) if repeat else (pairs[:size] if size else pairs))
    first, second = args.pair.split("-")
    source, target = folder / f"bitext.{first}", folder / f"bitext.{second}"
    write_sentences(source, (s.split() for s, _ in chosen))
    write_sentences(target, (t.split() for _, t in chosen))
    return source, target, len(chosen)


def silver_command(
    args: argparse.Namespace, source: Path, target: Path, out: Path, tagger: str, shard: int
) -> list[str]:
    lang = args.pair.split("-")[1]
    command = [sys.executable, "-m", "xlner", "silver", "-o", str(out)]
    command += ["--source", str(source), "--target", str(target), "--lang", lang]
    command += ["--tagger", tagger, "--shard-size", str(shard), "--preset", args.preset]
    if _has_masakhaner(lang, args.data_dir):
        command += ["--exclude-corpus", "masakhaner2"]
    return command + _data_dir(args)


def _data_dir(args: argparse.Namespace) -> list[str]:
    return ["--data-dir", str(args.data_dir)] if args.data_dir else []


def _has_masakhaner(lang: str, data_dir: Path | None) -> bool:
    corpus = registry.corpora.get("masakhaner2")
    try:
        return lang in (corpus.choices("lang") or ()) and bool(
            corpus.load(lang=lang, split="test", data_dir=data_dir)
        )
    except Exception:  # not downloaded, or no such language: nothing to exclude
        return False


def _pair_of(lang: str) -> str:
    for pair in MAFAND_MT.choices("pair") or ():
        if pair.split("-")[1] == lang or pair.split("_")[-1] == lang:
            return pair
    raise SystemExit(f"error: MAFAND-MT has no pair for {lang!r}")


def _row(name: str, count: int, measured: Measurement, out: Path) -> dict[str, Any]:
    ok = measured.returncode == 0
    summary = out / "summary.json"
    run = json.loads(summary.read_text())["run"] if ok and summary.is_file() else {}
    shards = list((out / "shards").glob("*/*.meta.json")) if (out / "shards").is_dir() else []
    return {
        "engine": name,
        "ok": ok,
        "stopped": measured.returncode is None,
        "pairs": count,
        "seconds": measured.seconds,
        "pairs_per_second": count / measured.seconds if ok else None,
        "peak_process_mb": measured.peak_process_mb,
        "peak_tree_mb": measured.peak_tree_mb,
        "shards_done": len(shards),
        "run": run,
        "stderr_tail": measured.stderr[-400:] if not ok else "",
    }


def sorted_silver(out: Path) -> tuple[list[str], list[str]] | None:
    """The JSONL lines and the CoNLL sentences, both in the order of their provenance."""
    if not (out / "silver.jsonl").is_file():
        return None
    lines = (out / "silver.jsonl").read_text(encoding="utf-8").splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    conll = (out / "silver.conll").read_text(encoding="utf-8").split("\n\n")
    order = sorted(range(len(lines)), key=lambda i: ids[i])
    return [lines[i] for i in order], [conll[i] for i in order]


def silver_f1(path: Path, gold: dict[tuple[str, int], Any]) -> dict[str, Any]:
    """Span F1 of the silver sentences that have a gold twin (DATE dropped on both sides)."""
    golds, predicted, lengths = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        where = item["provenance"]
        twin = gold.get((str(where["split"]), where["line"]))
        if twin is None:
            continue
        silver_text, silver_offsets = squeezed_offsets(item["tokens"])
        gold_text, gold_offsets = squeezed_offsets(twin.tokens)
        if silver_text.casefold() != gold_text.casefold():
            continue
        golds.append(remap_spans(twin.spans, gold_offsets, silver_offsets))
        predicted.append(tags_to_spans(item["tags"]))
        lengths.append(len(item["tokens"]))
    drop = registry.label_maps.get("drop-date-misc")
    scores = evaluate_spans(golds, predicted, lengths, drop)
    return {"scored": len(golds), "f1": scores.f1}


def _pairs_rows(times: dict[str, float]) -> list[list[str]]:
    return [[step, f"{seconds:.1f}"] for step, seconds in times.items()]


def _print(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    print(f"\n{title}\n{format_table(header, rows)}")


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _print_equality(result: dict[str, Any]) -> None:
    rows = [
        [r["engine"], str(r["ok"]), _number(r["seconds"]), _number(r["pairs_per_second"])]
        + [str(r["identical_to_local"]), _number(r["peak_tree_mb"], 0)]
        for r in result["rows"]
    ]
    header = ["engine", "ok", "seconds", "pairs/s", "identical", "peak tree MB"]
    _print(f"Equality and throughput: {result['pairs']} pairs", header, rows)
    print(f"2 actors / 1 actor: {_number(result['speedup'], 2)} (goal >= 1.6)")


def _print_memory(rows: list[dict[str, Any]]) -> None:
    table = [
        [str(r["size"]), r["engine"], "stopped" if r["stopped"] else str(r["ok"])]
        + [_number(r["seconds"]), str(r["shards_done"])]
        + [_number(r["peak_process_mb"], 0), _number(r["peak_tree_mb"], 0)]
        for r in rows
    ]
    header = ["pairs", "engine", "ok", "seconds", "shards", "peak process MB", "peak tree MB"]
    _print("Peak memory", header, table)


def _print_quality(result: dict[str, Any]) -> None:
    rows = [[r["run"], str(r.get("scored", "-")), _number(r.get("f1"))] for r in result["rows"]]
    _print(f"Silver F1 against gold ({result['pair']})", ["run", "sentences", "F1"], rows)
    print(f"eflomal's own spread over seeds: {_number(result['eflomal_seed_spread'])}")


if __name__ == "__main__":
    main()
