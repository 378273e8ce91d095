"""The engine options shared by ``xlner run`` and ``xlner silver``.

``--engine local`` (the default) runs every stage in this process; ``--engine ray`` runs the
per-sentence stages on a Ray actor pool, on a local Ray started in the run directory or on
the cluster at ``--ray-address``. The actor options' defaults are the ray engine's own
(:class:`xlner.engine.ray_data.RayEngine`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from xlner.cli.common import fail, one_of
from xlner.engine.base import DEFAULT_ENGINE, Engine, EngineError
from xlner.engine.ray_data import MIN_WINDOW, WINDOW_PER_ACTOR
from xlner.registry import ComponentError, registry

# The ray engine's option defaults: the CLI options' defaults.
RAY_DEFAULTS = registry.engines.defaults("ray")
# The ray engine's option behind each flag.
FLAGS = {
    "address": "--ray-address",
    "min_actors": "--min-actors",
    "max_actors": "--max-actors",
    "cpus_per_actor": "--cpus-per-actor",
    "gpus_per_actor": "--gpus-per-actor",
    "num_cpus": "--ray-cpus",
    "window": "--ray-window",
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
RayWindow = Annotated[
    int | None,
    typer.Option(
        "--ray-window",
        help="Batches (shards) the driver reads ahead and holds, one actor pool's work; "
        f"default: max({MIN_WINDOW}, {WINDOW_PER_ACTOR} x --max-actors) for xlner silver, "
        "all of them for xlner run (its input is in memory); 0: all.",
    ),
]


# The parameters :func:`with_engine_options` adds to a command: name, annotation, default.
PARAMETERS = (
    ("engine", EngineName, DEFAULT_ENGINE),
    ("ray_address", RayAddress, None),
    ("min_actors", MinActors, RAY_DEFAULTS["min_actors"]),
    ("max_actors", MaxActors, RAY_DEFAULTS["max_actors"]),
    ("cpus_per_actor", CpusPerActor, RAY_DEFAULTS["cpus_per_actor"]),
    ("gpus_per_actor", GpusPerActor, RAY_DEFAULTS["gpus_per_actor"]),
    ("ray_cpus", RayCpus, None),
    ("ray_window", RayWindow, None),
)
# The ray engine's option of each parameter but ``engine``.
_OPTION = {"ray_address": "address", "ray_cpus": "num_cpus", "ray_window": "window"}


def with_engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``command`` with ``--engine`` and the Ray options of :data:`PARAMETERS` added (for
    typer), which it receives together as its ``engine_options`` (for :func:`make_engine`)."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "engine_options"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=a)
        for name, a, d in PARAMETERS
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        options = {name: kwargs.pop(name) for name, _, _ in PARAMETERS}
        return command(*args, engine_options=options, **kwargs)

    parameters = own + added
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper


def make_engine(options: Mapping[str, Any], run_dir: Path, *, in_memory: bool = False) -> Engine:
    """The engine of a command's ``engine_options``, its local Ray's files in ``run_dir``;
    ray options given to another engine, or a bad value: a one-line error. ``in_memory``: the
    command holds its whole input anyway, so reading it a window at a time saves nothing and
    each window would start a pool: one window unless ``--ray-window`` is given."""
    name = options["engine"]
    ray_options = {
        _OPTION.get(key, key): value for key, value in options.items() if key != "engine"
    }
    if name not in registry.engines:
        try:
            registry.engines.get(name)
        except ComponentError as error:
            fail(f"--engine: {error}")
    changed = [key for key, value in ray_options.items() if value != RAY_DEFAULTS[key]]
    if name != "ray":
        if changed:
            fail(f"{FLAGS[changed[0]]} applies to --engine ray, not --engine {name}")
        return registry.engines.build(name)
    if in_memory and ray_options["window"] is None:
        ray_options["window"] = 0
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


__all__ = ["DEFAULT_ENGINE", "make_engine", "with_engine_options"]
