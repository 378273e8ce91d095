"""The engine options shared by ``xlner run`` and ``xlner silver``.

``--engine local`` (the default) runs every stage in this process; ``--engine ray`` runs the
per-sentence stages on a Ray actor pool, on a local Ray started in the run directory or on
the cluster at ``--ray-address``. The actor options' defaults are the ray engine's own
(:class:`xlner.engine.ray_data.RayEngine`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from xlner.cli.common import fail, one_of
from xlner.engine.base import DEFAULT_ENGINE, Engine, EngineError
from xlner.registry import ComponentError, registry

_RAY = registry.engines.defaults("ray")
# The ray engine's option behind each flag.
FLAGS = {
    "address": "--ray-address",
    "min_actors": "--min-actors",
    "max_actors": "--max-actors",
    "cpus_per_actor": "--cpus-per-actor",
    "gpus_per_actor": "--gpus-per-actor",
    "num_cpus": "--ray-cpus",
}

EngineName = Annotated[
    str, typer.Option("--engine", help=f"Where the stages run. {one_of(registry.engines)}")
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="An existing Ray cluster (host:port, ray://host:port or auto); default: start "
        "a local Ray for the job, its files in the output folder.",
    ),
]
MinActors = Annotated[int, typer.Option("--min-actors", help="Fewest Ray actors.")]
MaxActors = Annotated[int, typer.Option("--max-actors", help="Most Ray actors.")]
CpusPerActor = Annotated[
    float, typer.Option("--cpus-per-actor", help="CPUs each Ray actor asks for.")
]
GpusPerActor = Annotated[
    float, typer.Option("--gpus-per-actor", help="GPUs each Ray actor asks for (0.5: two share).")
]
RayCpus = Annotated[
    int | None,
    typer.Option("--ray-cpus", help="CPUs of the local Ray (default: all of the machine's)."),
]


def make_engine(name: str, run_dir: Path, **ray_options: Any) -> Engine:
    """The engine ``name``; ray options given to the local engine, or a bad value, fail."""
    if name not in registry.engines:
        try:
            registry.engines.get(name)
        except ComponentError as error:
            fail(f"--engine: {error}")
    changed = [key for key, value in ray_options.items() if value != _RAY.get(key)]
    if name != "ray":
        if changed:
            fail(f"{FLAGS[changed[0]]} applies to --engine ray, not --engine {name}")
        return registry.engines.build(name)
    try:
        engine = registry.engines.build(name, run_dir=run_dir, **ray_options)
    except ComponentError as error:
        message = str(error)
        for option, flag in FLAGS.items():
            message = message.replace(option, flag)
        fail(message)
    try:
        engine.check()  # Ray installed, the cluster reachable: before any input is read
    except EngineError as error:
        fail(str(error))
    return engine


__all__ = [
    "DEFAULT_ENGINE",
    "CpusPerActor",
    "EngineName",
    "GpusPerActor",
    "MaxActors",
    "MinActors",
    "RayAddress",
    "RayCpus",
    "make_engine",
]
